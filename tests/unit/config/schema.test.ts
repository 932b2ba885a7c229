/**
 * `parseConfig` (src/lambda/config.ts: the shape checks of src/config/schema.ts, then the keys): every default, unknown keys, wrong types, key-source rules,
 * weak and misplaced secrets, algorithm allowlists, key URLs — and every error one line, naming the
 * field, never containing the secret.
 */
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { describe, test } from "node:test";
import { DEFAULT_CONTEXT_CLAIMS } from "../../../src/config/schema.js";
import { ConfigError } from "../../../src/errors.js";
import { parseConfig } from "../../../src/lambda/config.js";
import { createVerifier } from "../../../src/token/verifier.js";
import { keyPair, testKey } from "../../helpers/keys.js";

const SECRET = "s3cr3t-value-that-is-long-enough-for-hs256!"; // 43 bytes
const rs = testKey("RS256");
const es = testKey("ES256");
const hs = testKey("HS256");

/** Asserts a ConfigError whose field is `field` (or matches it), one line, naming the field, without `secrets`. */
function expectConfigError(
  run: () => unknown,
  field: string | RegExp,
  options: { mentions?: Array<string | RegExp>; secrets?: string[] } = {},
): ConfigError {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof ConfigError, `expected a ConfigError, got ${String(caught)}`);
  const error = caught;
  if (typeof field === "string") assert.equal(error.field, field, error.message);
  else assert.match(error.field, field);
  assert.equal(error.code, "ERR_CONFIG_INVALID");
  assert.ok(!/[\r\n]/.test(error.message), `multi-line message: ${JSON.stringify(error.message)}`);
  if (error.field) assert.ok(error.message.includes(error.field), `message does not name ${error.field}`);
  for (const m of options.mentions ?? []) {
    if (typeof m === "string")
      assert.ok(error.message.includes(m), `${JSON.stringify(error.message)} lacks ${m}`);
    else assert.match(error.message, m);
  }
  for (const secret of [SECRET, ...(options.secrets ?? [])]) {
    assert.ok(!error.message.includes(secret), `the message contains a secret: ${error.message}`);
    assert.ok(!error.detail.includes(secret));
  }
  return error;
}

const secretIssuer = (extra: Record<string, unknown> = {}) => ({ secret: SECRET, ...extra });
const pemIssuer = (extra: Record<string, unknown> = {}) => ({
  issuer: "https://id.example/",
  audience: "api",
  publicKey: rs.publicPem,
  ...extra,
});

describe("defaults", () => {
  test("every default is applied (README, Configuration)", () => {
    const config = parseConfig({ issuers: [secretIssuer()] });
    assert.deepEqual(config, {
      issuers: [
        {
          issuer: null,
          audience: null,
          algorithms: null,
          secret: SECRET,
          clockToleranceSeconds: 5,
          maxTokenAgeSeconds: null,
          requiredClaims: [],
          typ: null,
          requireExp: true,
          jwksCache: {
            maxAgeSeconds: 600,
            cooldownSeconds: 30,
            timeoutMs: 3000,
            staleIfErrorSeconds: 3600,
            maxResponseBytes: 262144,
            maxKeys: 100,
          },
        },
      ],
      principalClaim: "sub",
      tokenSources: [{ kind: "header", name: "authorization" }],
      routes: [],
      unmatchedRoutes: "allow",
      context: { claims: DEFAULT_CONTEXT_CLAIMS, maxBytes: 4096 },
      httpApi: { response: "simple" },
      maxTokenBytes: 8192,
      tokenCache: { maxEntries: 1000, ttlSeconds: 300 },
      logLevel: "info",
      logSampleRate: 1,
      dev: {
        api: "rest-token",
        stage: "dev",
        identitySources: ["header:authorization"],
        resultTtlSeconds: 300,
        cors: null,
      },
    });
  });

  test("defaults are copies: changing one parsed configuration does not change the next", () => {
    const a = parseConfig({ issuers: [secretIssuer()] });
    a.context.claims.push("mutated");
    a.issuers[0]!.jwksCache.maxAgeSeconds = 1;
    const b = parseConfig({ issuers: [secretIssuer()] });
    assert.ok(!b.context.claims.includes("mutated"));
    assert.equal(b.issuers[0]!.jwksCache.maxAgeSeconds, 600);
  });

  test("parseConfig is idempotent: a parsed configuration passes through unchanged", () => {
    const config = parseConfig({ issuers: [secretIssuer()] });
    assert.equal(parseConfig(config), config);
  });

  test("given values are kept", () => {
    const config = parseConfig({
      $schema: "./schema.json",
      issuers: [
        pemIssuer({
          audience: ["a", "b"],
          algorithms: ["RS256", "PS256"],
          clockToleranceSeconds: 0,
          maxTokenAgeSeconds: 3600,
          requiredClaims: ["email"],
          typ: "at+jwt",
          requireExp: false,
          jwksCache: { maxAgeSeconds: 1, cooldownSeconds: 0.3 },
        }),
      ],
      principalClaim: "email",
      tokenSources: ["header:X-Token", "cookie:Session", "query:access_token"],
      unmatchedRoutes: "deny",
      context: { claims: ["sub"], maxBytes: 1024 },
      httpApi: { response: "iam" },
      maxTokenBytes: 16384,
      tokenCache: { maxEntries: 0, ttlSeconds: 60 },
      logLevel: "debug",
      dev: {
        api: "http-v2-simple",
        stage: "$default",
        resultTtlSeconds: 0,
        cors: { allowOrigin: "https://app" },
      },
    });
    const issuer = config.issuers[0]!;
    assert.deepEqual(issuer.audience, ["a", "b"]);
    assert.deepEqual(issuer.algorithms, ["RS256", "PS256"]);
    assert.equal(issuer.clockToleranceSeconds, 0);
    assert.equal(issuer.maxTokenAgeSeconds, 3600);
    assert.equal(issuer.typ, "at+jwt");
    assert.equal(issuer.requireExp, false);
    assert.equal(issuer.jwksCache.maxAgeSeconds, 1);
    assert.equal(issuer.jwksCache.cooldownSeconds, 0.3);
    assert.equal(issuer.jwksCache.timeoutMs, 3000);
    assert.deepEqual(config.tokenSources, [
      { kind: "header", name: "x-token" },
      { kind: "cookie", name: "Session" },
      { kind: "query", name: "access_token" },
    ]);
    assert.equal(config.tokenCache.maxEntries, 0);
    assert.equal(config.dev.stage, "$default");
    assert.deepEqual(config.dev.cors, { allowOrigin: "https://app" });
  });

  test("a string audience becomes a one-element list", () => {
    assert.deepEqual(parseConfig({ issuers: [pemIssuer({ audience: "api" })] }).issuers[0]!.audience, [
      "api",
    ]);
  });
});

describe("unknown keys are refused, naming the field", () => {
  for (const [where, doc, field] of [
    ["at the top level", { issuers: [secretIssuer()], issuer: "x" }, "issuer"],
    ["in an issuer (typo audiance)", { issuers: [secretIssuer({ audiance: "api" })] }, "issuers[0].audiance"],
    [
      "in the second issuer",
      { issuers: [secretIssuer(), pemIssuer({ jwks_uri: "x" })] },
      "issuers[1].jwks_uri",
    ],
    ["in jwksCache", { issuers: [pemIssuer({ jwksCache: { maxAge: 1 } })] }, "issuers[0].jwksCache.maxAge"],
    ["in context", { issuers: [secretIssuer()], context: { claim: ["sub"] } }, "context.claim"],
    ["in httpApi", { issuers: [secretIssuer()], httpApi: { responses: "iam" } }, "httpApi.responses"],
    ["in tokenCache", { issuers: [secretIssuer()], tokenCache: { size: 1 } }, "tokenCache.size"],
    ["in dev", { issuers: [secretIssuer()], dev: { port: 4000 } }, "dev.port"],
    ["in dev.cors", { issuers: [secretIssuer()], dev: { cors: { origin: "*" } } }, "dev.cors.origin"],
    ["named __proto__", JSON.parse(`{"issuers":[{"secret":"${SECRET}"}],"__proto__":{"x":1}}`), "__proto__"],
  ] as Array<[string, unknown, string]>) {
    test(where, () => {
      expectConfigError(() => parseConfig(doc), field, { mentions: ["unknown field"] });
    });
  }
});

describe("wrong types and ranges", () => {
  const cases: Array<[string, unknown, string | RegExp]> = [
    ["the document is an array", [], ""],
    ["the document is a string", "issuers", ""],
    ["the document is null", null, ""],
    ["issuers missing", {}, "issuers"],
    ["issuers empty", { issuers: [] }, "issuers"],
    ["issuers an object", { issuers: { secret: SECRET } }, "issuers"],
    ["an issuer is a number", { issuers: [42] }, "issuers[0]"],
    ["issuer is a number", { issuers: [secretIssuer({ issuer: 1 })] }, "issuers[0].issuer"],
    ["issuer is empty", { issuers: [secretIssuer({ issuer: "" })] }, "issuers[0].issuer"],
    ["audience is a number", { issuers: [pemIssuer({ audience: 1 })] }, "issuers[0].audience"],
    ["audience is an empty list", { issuers: [pemIssuer({ audience: [] })] }, "issuers[0].audience"],
    ["audience holds a number", { issuers: [pemIssuer({ audience: ["a", 2] })] }, "issuers[0].audience[1]"],
    ["algorithms is a string", { issuers: [pemIssuer({ algorithms: "RS256" })] }, "issuers[0].algorithms"],
    ["algorithms is empty", { issuers: [pemIssuer({ algorithms: [] })] }, "issuers[0].algorithms"],
    [
      "algorithms holds an unknown name",
      { issuers: [pemIssuer({ algorithms: ["RS1"] })] },
      "issuers[0].algorithms[0]",
    ],
    [
      "algorithms holds a lower-case name",
      { issuers: [pemIssuer({ algorithms: ["rs256"] })] },
      "issuers[0].algorithms[0]",
    ],
    [
      "clockToleranceSeconds negative",
      { issuers: [secretIssuer({ clockToleranceSeconds: -1 })] },
      "issuers[0].clockToleranceSeconds",
    ],
    [
      "clockToleranceSeconds over 300",
      { issuers: [secretIssuer({ clockToleranceSeconds: 301 })] },
      "issuers[0].clockToleranceSeconds",
    ],
    [
      "clockToleranceSeconds a string",
      { issuers: [secretIssuer({ clockToleranceSeconds: "5" })] },
      "issuers[0].clockToleranceSeconds",
    ],
    [
      "clockToleranceSeconds fractional",
      { issuers: [secretIssuer({ clockToleranceSeconds: 1.5 })] },
      "issuers[0].clockToleranceSeconds",
    ],
    [
      "maxTokenAgeSeconds 0",
      { issuers: [secretIssuer({ maxTokenAgeSeconds: 0 })] },
      "issuers[0].maxTokenAgeSeconds",
    ],
    [
      "requiredClaims a string",
      { issuers: [secretIssuer({ requiredClaims: "email" })] },
      "issuers[0].requiredClaims",
    ],
    [
      "requiredClaims with an empty name",
      { issuers: [secretIssuer({ requiredClaims: [""] })] },
      "issuers[0].requiredClaims[0]",
    ],
    ["typ a number", { issuers: [secretIssuer({ typ: 1 })] }, "issuers[0].typ"],
    ["requireExp a string", { issuers: [secretIssuer({ requireExp: "false" })] }, "issuers[0].requireExp"],
    ["jwksCache a number", { issuers: [pemIssuer({ jwksCache: 1 })] }, "issuers[0].jwksCache"],
    [
      "jwksCache.timeoutMs 0",
      { issuers: [pemIssuer({ jwksCache: { timeoutMs: 0 } })] },
      "issuers[0].jwksCache.timeoutMs",
    ],
    [
      "jwksCache.maxAgeSeconds negative",
      { issuers: [pemIssuer({ jwksCache: { maxAgeSeconds: -1 } })] },
      "issuers[0].jwksCache.maxAgeSeconds",
    ],
    ["principalClaim empty", { issuers: [secretIssuer()], principalClaim: "" }, "principalClaim"],
    [
      "tokenSources a string",
      { issuers: [secretIssuer()], tokenSources: "header:authorization" },
      "tokenSources",
    ],
    ["tokenSources empty", { issuers: [secretIssuer()], tokenSources: [] }, "tokenSources"],
    [
      "tokenSources of an unknown kind",
      { issuers: [secretIssuer()], tokenSources: ["body:token"] },
      "tokenSources[0]",
    ],
    [
      "tokenSources without a name",
      { issuers: [secretIssuer()], tokenSources: ["header:"] },
      "tokenSources[0]",
    ],
    ["unmatchedRoutes unknown", { issuers: [secretIssuer()], unmatchedRoutes: "maybe" }, "unmatchedRoutes"],
    ["routes an object", { issuers: [secretIssuer()], routes: {} }, "routes"],
    ["a route a string", { issuers: [secretIssuer()], routes: ["GET /"] }, "routes[0]"],
    [
      "httpApi.response unknown",
      { issuers: [secretIssuer()], httpApi: { response: "rest" } },
      "httpApi.response",
    ],
    ["maxTokenBytes under 256", { issuers: [secretIssuer()], maxTokenBytes: 100 }, "maxTokenBytes"],
    ["maxTokenBytes over 16384", { issuers: [secretIssuer()], maxTokenBytes: 1 << 20 }, "maxTokenBytes"],
    [
      "tokenCache.maxEntries negative",
      { issuers: [secretIssuer()], tokenCache: { maxEntries: -1 } },
      "tokenCache.maxEntries",
    ],
    [
      "tokenCache.ttlSeconds 0",
      { issuers: [secretIssuer()], tokenCache: { ttlSeconds: 0 } },
      "tokenCache.ttlSeconds",
    ],
    ["logLevel unknown", { issuers: [secretIssuer()], logLevel: "trace" }, "logLevel"],
    [
      "context.maxBytes too small",
      { issuers: [secretIssuer()], context: { maxBytes: 10 } },
      "context.maxBytes",
    ],
    ["dev.api unknown", { issuers: [secretIssuer()], dev: { api: "grpc" } }, "dev.api"],
    ["dev.stage with a space", { issuers: [secretIssuer()], dev: { stage: "a b" } }, "dev.stage"],
    [
      "dev.resultTtlSeconds over 3600",
      { issuers: [secretIssuer()], dev: { resultTtlSeconds: 3601 } },
      "dev.resultTtlSeconds",
    ],
  ];
  for (const [what, doc, field] of cases) {
    test(`${what} → ConfigError naming ${field || "the document"}`, () => {
      expectConfigError(() => parseConfig(doc), field);
    });
  }

  test("a long wrong value is shown shortened", () => {
    const error = expectConfigError(
      () => parseConfig({ issuers: [secretIssuer()], logLevel: "x".repeat(500) }),
      "logLevel",
    );
    assert.ok(error.message.length < 300, error.message);
  });
});

describe("shared secrets", () => {
  test("a secret of 31 bytes is refused, 32 bytes accepted (HS256)", () => {
    expectConfigError(() => parseConfig({ issuers: [{ secret: "x".repeat(31) }] }), "issuers[0].secret", {
      mentions: ["32 bytes"],
      secrets: ["x".repeat(31)],
    });
    parseConfig({ issuers: [{ secret: "x".repeat(32) }] });
  });

  test("the length is counted in UTF-8 bytes, not characters", () => {
    parseConfig({ issuers: [{ secret: "é".repeat(16) }] }); // 32 bytes
    expectConfigError(() => parseConfig({ issuers: [{ secret: "é".repeat(15) }] }), "issuers[0].secret");
  });

  test("HS384 needs 48 bytes and HS512 64 bytes", () => {
    expectConfigError(
      () => parseConfig({ issuers: [{ secret: "x".repeat(47), algorithms: ["HS384"] }] }),
      "issuers[0].secret",
      {
        mentions: ["48 bytes"],
      },
    );
    parseConfig({ issuers: [{ secret: "x".repeat(48), algorithms: ["HS384"] }] });
    expectConfigError(
      () => parseConfig({ issuers: [{ secret: "x".repeat(63), algorithms: ["HS256", "HS512"] }] }),
      "issuers[0].secret",
      { mentions: ["64 bytes"] },
    );
    parseConfig({ issuers: [{ secret: "x".repeat(64), algorithms: ["HS512"] }] });
  });

  test("a secret with an asymmetric algorithm is refused", () => {
    expectConfigError(
      () => parseConfig({ issuers: [secretIssuer({ algorithms: ["RS256"] })] }),
      "issuers[0].algorithms",
    );
  });

  const lookalikes: Array<[string, string]> = [
    ["a PEM public key", rs.publicPem!],
    ["a PEM public key with leading whitespace", `\n   ${rs.publicPem}`],
    [
      "a PEM certificate-like block",
      "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUXXXXXXXXXXXXXXXXXXXXXXXXXXXX\n-----END CERTIFICATE-----",
    ],
    ["a private key PEM", rs.signingKey.export({ type: "pkcs8", format: "pem" }).toString()],
    ["a public JWK (JSON text)", JSON.stringify(rs.publicJwk)],
    ["a JWK with spaces", JSON.stringify(es.publicJwk, null, 2)],
    ["a JWKS (JSON text)", JSON.stringify({ keys: [rs.publicJwk] })],
  ];
  for (const [what, secret] of lookalikes) {
    test(`${what} given as secret is refused, without echoing it`, () => {
      expectConfigError(() => parseConfig({ issuers: [{ secret }] }), "issuers[0].secret", {
        mentions: ["public key"],
        secrets: [secret, secret.trim().slice(0, 40)],
      });
    });
  }

  test("a secret shaped like a JWKS fails with a ConfigError, not a plain Error", () => {
    // The schema's look-alike check misses '{"keys": ...' without "kty"; importSecret then throws
    // a plain Error at construction, without the field and without the ConfigError type.
    const secret = '{"keys":[],"note":"padding-to-exceed-32-bytes"}';
    assert.throws(
      () => createVerifier({ issuers: [{ secret }] }),
      (e: unknown) => e instanceof ConfigError && e.field === "issuers[0].secret",
    );
  });

  test("an ordinary random secret containing braces or dashes is accepted", () => {
    parseConfig({ issuers: [{ secret: "{-----not-a-pem-----}-and-long-enough-1234567890" }] });
  });

  test("a secret in the wrong place or of the wrong type is not echoed in the error", () => {
    const secrets = [
      "98765432109876",
      "my-array-wrapped-secret",
      "my-object-wrapped-secret",
      SECRET.slice(0, 20),
    ];
    // An array of secrets is valid (rotation): the array case wraps a secret one level deeper.
    for (const [secret, field] of [
      [98765432109876, "issuers[0].secret"],
      [[["my-array-wrapped-secret-value-0123456789"]], "issuers[0].secret[0]"],
      [{ value: "my-object-wrapped-secret-0123456789" }, "issuers[0].secret"],
    ] as const) {
      expectConfigError(() => parseConfig({ issuers: [{ secret }] }), field, { secrets });
    }
    // The secret written where the issuer object belongs: "issuers": ["<secret>"]
    expectConfigError(() => parseConfig({ issuers: [SECRET] }), "issuers[0]", { secrets });
  });
});

describe("algorithms", () => {
  for (const none of ["none", "None", "NONE", "nOnE"]) {
    test(`"${none}" can never be allowed`, () => {
      expectConfigError(
        () => parseConfig({ issuers: [secretIssuer({ algorithms: ["HS256", none] })] }),
        "issuers[0].algorithms[1]",
        {
          mentions: ["none"],
        },
      );
      expectConfigError(
        () => parseConfig({ issuers: [pemIssuer({ algorithms: [none] })] }),
        "issuers[0].algorithms[0]",
      );
    });
  }

  test("HS256 on a public-key issuer is refused (PEM, inline JWKS, jwksUri)", () => {
    expectConfigError(
      () => parseConfig({ issuers: [pemIssuer({ algorithms: ["RS256", "HS256"] })] }),
      "issuers[0].algorithms",
      {
        mentions: ["HS256"],
      },
    );
    expectConfigError(
      () =>
        parseConfig({
          issuers: [{ issuer: "i", audience: "a", jwks: { keys: [rs.publicJwk] }, algorithms: ["HS256"] }],
        }),
      "issuers[0].algorithms",
    );
    expectConfigError(
      () =>
        parseConfig({
          issuers: [
            { issuer: "i", audience: "a", jwksUri: "https://id.example/jwks", algorithms: ["HS512"] },
          ],
        }),
      "issuers[0].algorithms",
    );
  });

  test("an inline JWKS holding an oct key accepts an explicit HS256 allowlist", () => {
    // Inline oct keys are supported (importJwk allowSymmetric), and verify without an allowlist,
    // but pinning the allowlist to what the key verifies is refused as "a public key".
    parseConfig({
      issuers: [{ issuer: "i", audience: null, jwks: { keys: [hs.publicJwk] }, algorithms: ["HS256"] }],
    });
  });

  test("an allowlist that the configured key cannot verify is a ConfigError at construction", () => {
    assert.throws(
      () => createVerifier({ issuers: [pemIssuer({ publicKey: es.publicPem, algorithms: ["ES384"] })] }),
      (e: unknown) => e instanceof ConfigError && /issuers\[0\]/.test(e.field),
    );
    assert.throws(
      () => createVerifier({ issuers: [pemIssuer({ algorithms: ["EdDSA"] })] }),
      (e: unknown) => e instanceof ConfigError,
    );
  });
});

describe("key sources, issuer and audience", () => {
  test("a public-key source needs issuer and audience (set to null to skip on purpose)", () => {
    const sources: Array<[string, Record<string, unknown>]> = [
      ["publicKey", { publicKey: rs.publicPem }],
      ["jwks", { jwks: { keys: [rs.publicJwk] } }],
      ["jwksUri", { jwksUri: "https://id.example/jwks" }],
      ["jwksFile", { jwksFile: "/nonexistent/jwks.json" }],
    ];
    for (const [name, source] of sources) {
      expectConfigError(() => parseConfig({ issuers: [{ audience: "a", ...source }] }), "issuers[0].issuer", {
        mentions: [name, "null"],
      });
      expectConfigError(
        () => parseConfig({ issuers: [{ issuer: "https://i/", ...source }] }),
        "issuers[0].audience",
        {
          mentions: ["null"],
        },
      );
      const parsed = parseConfig({ issuers: [{ issuer: null, audience: null, ...source }] });
      assert.equal(parsed.issuers[0]!.issuer, null);
      assert.equal(parsed.issuers[0]!.audience, null);
    }
  });

  test("a secret needs neither issuer nor audience", () => {
    const parsed = parseConfig({ issuers: [{ secret: SECRET }] });
    assert.equal(parsed.issuers[0]!.issuer, null);
    assert.equal(parsed.issuers[0]!.audience, null);
  });

  test("no key source, or several, is refused", () => {
    expectConfigError(() => parseConfig({ issuers: [{ issuer: "i", audience: "a" }] }), "issuers[0]", {
      mentions: ["key source"],
    });
    expectConfigError(() => parseConfig({ issuers: [pemIssuer({ secret: SECRET })] }), "issuers[0]", {
      mentions: ["secret", "publicKey"],
    });
    expectConfigError(
      () =>
        parseConfig({
          issuers: [
            pemIssuer({ publicKey: undefined, jwks: { keys: [rs.publicJwk] }, jwksUri: "https://x/j" }),
          ],
        }),
      "issuers[0]",
    );
    expectConfigError(
      () => parseConfig({ issuers: [pemIssuer({ jwksFile: "/x.json" })] }),
      "issuers[0].jwksFile",
    );
  });

  test("discovery: false is not a key source; discovery must be true when set", () => {
    parseConfig({ issuers: [secretIssuer({ discovery: false })] });
    expectConfigError(
      () => parseConfig({ issuers: [{ issuer: "https://id.example/", audience: "a", discovery: "yes" }] }),
      "issuers[0].discovery",
    );
  });

  test("discovery needs a non-null https issuer", () => {
    parseConfig({ issuers: [{ issuer: "https://id.example/", audience: "a", discovery: true }] });
    parseConfig({ issuers: [{ issuer: "http://127.0.0.1:4000", audience: "a", discovery: true }] });
    expectConfigError(
      () => parseConfig({ issuers: [{ issuer: null, audience: "a", discovery: true }] }),
      "issuers[0].issuer",
    );
    expectConfigError(
      () => parseConfig({ issuers: [{ issuer: "http://id.example/", audience: "a", discovery: true }] }),
      "issuers[0].issuer",
    );
  });

  test("an inline JWKS needs a non-empty keys array", () => {
    expectConfigError(
      () => parseConfig({ issuers: [{ issuer: "i", audience: "a", jwks: { keys: [] } }] }),
      "issuers[0].jwks.keys",
    );
    expectConfigError(
      () => parseConfig({ issuers: [{ issuer: "i", audience: "a", jwks: [rs.publicJwk] }] }),
      "issuers[0].jwks",
    );
  });

  test("a publicKey that is not a PEM is refused", () => {
    expectConfigError(
      () => parseConfig({ issuers: [pemIssuer({ publicKey: "not a key" })] }),
      "issuers[0].publicKey",
    );
    expectConfigError(
      () =>
        parseConfig({
          issuers: [pemIssuer({ publicKey: "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----" })],
        }),
      "issuers[0].publicKey",
    );
  });

  test("parseConfig refuses a publicKey that no algorithm can use (1024-bit RSA, secp256k1)", () => {
    const weak = keyPair("rsa", 9, 1024).publicKey.export({ type: "spki", format: "pem" }).toString();
    expectConfigError(() => parseConfig({ issuers: [pemIssuer({ publicKey: weak })] }), /^issuers\[0\]/, {
      mentions: ["2048"],
    });
    const k1 = generateKeyPairSync("ec", { namedCurve: "secp256k1" }).publicKey.export({
      type: "spki",
      format: "pem",
    });
    expectConfigError(
      () => parseConfig({ issuers: [pemIssuer({ publicKey: k1.toString() })] }),
      /^issuers\[0\]/,
    );
  });

  test("two issuers with the same iss, or two without iss, are refused", () => {
    expectConfigError(
      () => parseConfig({ issuers: [pemIssuer(), pemIssuer({ publicKey: es.publicPem })] }),
      "issuers[1].issuer",
    );
    expectConfigError(() => parseConfig({ issuers: [secretIssuer(), secretIssuer()] }), "issuers[1].issuer", {
      mentions: ["only one"],
    });
    expectConfigError(
      () =>
        parseConfig({ issuers: [secretIssuer(), { issuer: null, audience: null, publicKey: rs.publicPem }] }),
      "issuers[1].issuer",
    );
  });
});

describe("key URLs (jwksUri, discovery issuer)", () => {
  const withUri = (jwksUri: unknown) => ({
    issuers: [{ issuer: "https://id.example/", audience: "a", jwksUri }],
  });
  for (const url of [
    "https://id.example/.well-known/jwks.json",
    "http://127.0.0.1/jwks",
    "http://127.0.0.1:4000/.well-known/jwks.json",
    "http://localhost:8080/jwks",
    "http://[::1]:3000/jwks",
  ]) {
    test(`${url} is accepted`, () => {
      assert.equal(parseConfig(withUri(url)).issuers[0]!.jwksUri, url);
    });
  }
  for (const url of [
    "http://id.example/jwks",
    "http://10.0.0.1/jwks",
    "http://127.0.0.1.evil.example/jwks",
    "http://localhost.evil.example/jwks",
    "ftp://id.example/jwks",
    "file:///etc/jwks.json",
    "//id.example/jwks",
    "id.example/jwks",
    "https://user:password@id.example/jwks",
    "",
  ]) {
    test(`${JSON.stringify(url)} is refused`, () => {
      expectConfigError(() => parseConfig(withUri(url)), "issuers[0].jwksUri", { secrets: ["password"] });
    });
  }
});
