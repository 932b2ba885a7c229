/**
 * Coming from a hand-written authorizer (README "Coming from a hand-written authorizer"): the classic
 * Python authorizer verifies HS256 with one shared `SECRET_KEY` (often 13 bytes), takes the principal
 * from an `id` claim (often a number) and its tokens often have no `exp`. Each test drives
 * `createAuthorizer` with a real REST `TOKEN` event and tokens signed by `jose` (not gatepass), and
 * checks both what API Gateway gets (always exactly `Unauthorized` for a 401, never a hint) and the
 * sentence in the decision log line, which must lead somewhere without echoing a token or secret.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { SignJWT } from "jose";
import { ConfigError } from "../../src/errors.js";
import { createAuthorizer } from "../../src/lambda/authorizer.js";
import { createMemoryLogger } from "../../src/log.js";
import { joseSign, testKey } from "../helpers/keys.js";
import { fixtureEvent, NOW, T } from "./helpers.js";

/** The gist's kind of secret: 13 ASCII bytes. */
const SHORT_SECRET = "my-secret-key";
/** Strong secrets (32 bytes or more). */
const STRONG = "s3cr3t-strong-0123456789abcdef-ABCDEFGHIJ";
const NEXT = "n3xt-strong-secret-0123456789abcdef-KLMNOP";
const OTHER = "0ther-strong-secret-0123456789abcdef-QRSTU";

async function hs256(secret: string, claims: Record<string, unknown>): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .sign(new TextEncoder().encode(secret));
}

function authorizer(config: Record<string, unknown>, options: Record<string, unknown> = {}) {
  const logger = createMemoryLogger();
  const handler = createAuthorizer(config, { now: NOW, logger, sharedKeyCache: false, ...options });
  return { handler, logger };
}

/** Calls the handler with a REST TOKEN event: the response, or the 401's decision line. */
async function call(
  h: ReturnType<typeof authorizer>,
  token: string,
): Promise<{ allowed: boolean; principalId?: string; reason?: unknown; detail?: string }> {
  try {
    const response = (await h.handler(fixtureEvent("rest-token", token))) as { principalId: string };
    return { allowed: true, principalId: response.principalId };
  } catch (error) {
    // What API Gateway sees: exactly this message, nothing more.
    assert.equal((error as Error).message, "Unauthorized");
    const line = [...h.logger.lines].reverse().find((l) => l.event === "decision")!;
    return { allowed: false, reason: line.reason, detail: String(line.detail) };
  }
}

const noSecretIn = (text: string, ...secrets: string[]) => {
  for (const s of secrets) assert.ok(!text.includes(s), "a secret leaked");
};

describe("legacy: principal claim", () => {
  test("missing principal claim names principalClaim / GATEPASS_PRINCIPAL_CLAIM and the token's claims", async () => {
    const h = authorizer({ issuers: [{ secret: STRONG }] });
    const token = await hs256(STRONG, { id: 42, email: "a@example.com", exp: T + 600 });
    const result = await call(h, token);
    assert.equal(result.allowed, false);
    assert.equal(result.reason, "ERR_JWT_CLAIM_MISSING");
    assert.match(result.detail!, /"sub"/);
    assert.match(result.detail!, /principalClaim/);
    assert.match(result.detail!, /GATEPASS_PRINCIPAL_CLAIM/);
    assert.match(result.detail!, /id, email, exp/);
    assert.doesNotMatch(result.detail!, /a@example\.com|42/, "claim values are never echoed");
    assert.doesNotMatch(result.detail!, /not a string/);
    noSecretIn(result.detail!, STRONG, token);
  });

  test("the list of the token's claim names is bounded and cut", async () => {
    const h = authorizer({ issuers: [{ secret: STRONG }] });
    const claims: Record<string, unknown> = { exp: T + 600 };
    for (let i = 0; i < 40; i++) claims[`claim_${i}_${"x".repeat(100)}`] = i;
    const result = await call(h, await hs256(STRONG, claims));
    assert.equal(result.reason, "ERR_JWT_CLAIM_MISSING");
    assert.ok(result.detail!.length < 800, `too long: ${result.detail!.length}`);
    assert.match(result.detail!, /and \d+ more/);
  });

  test("a numeric principal claim (id: 42) is accepted once principalClaim names it", async () => {
    const h = authorizer({ issuers: [{ secret: STRONG }], principalClaim: "id" });
    const result = await call(h, await hs256(STRONG, { id: 42, exp: T + 600 }));
    assert.deepEqual(result, { allowed: true, principalId: "42" });
  });

  test("a principal claim of another type says which types are accepted (not 'missing or not a string')", async () => {
    const h = authorizer({ issuers: [{ secret: STRONG }], principalClaim: "id" });
    const result = await call(h, await hs256(STRONG, { id: { n: 42 }, exp: T + 600 }));
    assert.equal(result.reason, "ERR_JWT_CLAIM_MISSING");
    assert.match(result.detail!, /"id" is of type object/);
    assert.match(result.detail!, /non-empty string \(at most 1024 characters\) or a number/);
  });
});

describe("legacy: secret rotation", () => {
  const config = { issuers: [{ secret: [NEXT, STRONG] }], principalClaim: "id" };

  test("an issuer trusts every secret of its list; other secrets are still refused", async () => {
    const h = authorizer(config);
    assert.equal((await call(h, await hs256(NEXT, { id: 1, exp: T + 600 }))).allowed, true);
    assert.equal((await call(h, await hs256(STRONG, { id: 2, exp: T + 600 }))).allowed, true);
    const other = await call(h, await hs256(OTHER, { id: 3, exp: T + 600 }));
    assert.equal(other.reason, "ERR_JWT_SIGNATURE_INVALID");
  });

  test("secrets of different lengths each verify the algorithms they are long enough for", async () => {
    const long = "L".repeat(64);
    const h = authorizer({ issuers: [{ secret: [STRONG, long] }], principalClaim: "id" });
    const hs512 = await new SignJWT({ id: 1, exp: T + 600 })
      .setProtectedHeader({ alg: "HS512" })
      .sign(new TextEncoder().encode(long));
    assert.equal((await call(h, hs512)).allowed, true);
    const weak512 = await new SignJWT({ id: 1, exp: T + 600 })
      .setProtectedHeader({ alg: "HS512" })
      .sign(new TextEncoder().encode(STRONG));
    assert.equal((await call(h, weak512)).reason, "ERR_JWT_SIGNATURE_INVALID");
  });

  test("at most 5 secrets, none of them repeated, each checked like a single one", () => {
    assert.throws(
      () =>
        createAuthorizer({
          issuers: [{ secret: [STRONG, NEXT, OTHER, `${STRONG}1`, `${NEXT}2`, `${OTHER}3`] }],
        }),
      (e: unknown) =>
        e instanceof ConfigError && e.field === "issuers[0].secret" && /at most 5/.test(e.message),
    );
    assert.throws(
      () => createAuthorizer({ issuers: [{ secret: [STRONG, STRONG] }] }),
      (e: unknown) => e instanceof ConfigError && e.field === "issuers[0].secret[1]",
    );
    assert.throws(
      () => createAuthorizer({ issuers: [{ secret: [STRONG, SHORT_SECRET] }] }),
      (e: unknown) =>
        e instanceof ConfigError && e.field === "issuers[0].secret[1]" && !e.message.includes(SHORT_SECRET),
    );
    assert.throws(
      () => createAuthorizer({ issuers: [{ secret: [] }] }),
      (e: unknown) => e instanceof ConfigError && e.field === "issuers[0].secret",
    );
  });
});

describe("legacy: short secrets", () => {
  test("refused by default, with the way forward in the message", () => {
    assert.throws(
      () => createAuthorizer({ issuers: [{ secret: SHORT_SECRET }] }),
      (e: unknown) =>
        e instanceof ConfigError &&
        e.field === "issuers[0].secret" &&
        /at least 32 bytes for HS256 \(got 13\)/.test(e.message) &&
        /allowInsecureShortSecret/.test(e.message) &&
        !e.message.includes(SHORT_SECRET),
    );
  });

  test("allowInsecureShortSecret accepts it (HS256) and warns at every cold start without the secret", async () => {
    const config = {
      issuers: [{ secret: SHORT_SECRET, allowInsecureShortSecret: true }],
      principalClaim: "id",
    };
    const h = authorizer(config);
    const warnings = h.logger.lines.filter((l) => l.event === "insecure_short_secret");
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0]!.level, "WARN");
    assert.equal(warnings[0]!.field, "issuers[0].secret");
    noSecretIn(JSON.stringify(h.logger.lines), SHORT_SECRET);
    assert.equal((await call(h, await hs256(SHORT_SECRET, { id: 42, exp: T + 600 }))).allowed, true);
    // A second cold start warns again.
    assert.equal(
      authorizer(config).logger.lines.filter((l) => l.event === "insecure_short_secret").length,
      1,
    );
  });

  test("the rotation path: a strong secret and the weak one trusted together, then the weak one dropped", async () => {
    const weak = await hs256(SHORT_SECRET, { id: 1, exp: T + 600 });
    const strong = await hs256(STRONG, { id: 2, exp: T + 600 });
    const both = authorizer({
      issuers: [{ secret: [STRONG, SHORT_SECRET], allowInsecureShortSecret: true }],
      principalClaim: "id",
    });
    assert.equal((await call(both, weak)).allowed, true);
    assert.equal((await call(both, strong)).allowed, true);
    const after = authorizer({ issuers: [{ secret: STRONG }], principalClaim: "id" });
    assert.equal((await call(after, weak)).reason, "ERR_JWT_SIGNATURE_INVALID");
    assert.equal((await call(after, strong)).allowed, true);
    assert.equal(after.logger.lines.filter((l) => l.event === "insecure_short_secret").length, 0);
  });

  test("the opt-in left on after the rotation is reported, and it needs a shared secret", () => {
    const h = authorizer({ issuers: [{ secret: STRONG, allowInsecureShortSecret: true }] });
    const line = h.logger.lines.find((l) => l.event === "insecure_short_secret_unused");
    assert.ok(line, "no notice that the opt-in can go");
    assert.throws(
      () =>
        createAuthorizer({
          issuers: [
            {
              issuer: "https://a.test/",
              audience: null,
              jwks: { keys: [testKey("RS256").publicJwk] },
              allowInsecureShortSecret: true,
            },
          ],
        }),
      (e: unknown) => e instanceof ConfigError && e.field === "issuers[0].allowInsecureShortSecret",
    );
  });
});

describe("legacy: messages that lead somewhere", () => {
  test("exp-less tokens are refused by default and the message names requireExp", async () => {
    const h = authorizer({ issuers: [{ secret: STRONG }], principalClaim: "id" });
    const result = await call(h, await hs256(STRONG, { id: 42 }));
    assert.equal(result.reason, "ERR_JWT_CLAIM_MISSING");
    assert.match(result.detail!, /no exp claim/);
    assert.match(result.detail!, /requireExp/);
    const lax = authorizer({ issuers: [{ secret: STRONG, requireExp: false }], principalClaim: "id" });
    assert.equal((await call(lax, await hs256(STRONG, { id: 42 }))).allowed, true);
  });

  test("ERR_KEY_NOT_FOUND lists the known kids", async () => {
    const a = testKey("RS256", 0);
    const b = testKey("ES256", 0);
    const h = authorizer({
      issuers: [{ issuer: "https://id.test/", audience: null, jwks: { keys: [a.publicJwk, b.publicJwk] } }],
    });
    const token = await joseSign(
      a,
      { iss: "https://id.test/", sub: "u", exp: T + 600 },
      { kid: "retired-1" },
    );
    const result = await call(h, token);
    assert.equal(result.reason, "ERR_KEY_NOT_FOUND");
    assert.match(result.detail!, new RegExp(`known kids: ${a.kid}, ${b.kid}`));
  });

  test("ERR_KEY_NOT_FOUND's list of kids is bounded", async () => {
    const key = testKey("RS256", 0);
    const keys = Array.from({ length: 30 }, (_, i) => ({
      ...key.publicJwk,
      kid: `kid-${i}-${"k".repeat(200)}`,
    }));
    const h = authorizer({ issuers: [{ issuer: "https://id.test/", audience: null, jwks: { keys } }] });
    const token = await joseSign(key, { iss: "https://id.test/", sub: "u", exp: T + 600 }, { kid: "nope" });
    const result = await call(h, token);
    assert.equal(result.reason, "ERR_KEY_NOT_FOUND");
    assert.ok(result.detail!.length < 1000, `too long: ${result.detail!.length}`);
    assert.match(result.detail!, /and 2\d more/);
  });

  test("ERR_JWKS_UNAVAILABLE names the URL (without its query)", async () => {
    const key = testKey("RS256", 0);
    const failing = (async () => {
      throw new Error("connect ECONNREFUSED");
    }) as unknown as typeof fetch;
    const h = authorizer(
      {
        issuers: [
          {
            issuer: "https://id.test/",
            audience: null,
            jwksUri: "https://keys.id.test/.well-known/jwks.json?token=abc",
          },
        ],
      },
      { fetch: failing },
    );
    const result = await call(h, await joseSign(key, { iss: "https://id.test/", sub: "u", exp: T + 600 }));
    assert.equal(result.reason, "ERR_JWKS_UNAVAILABLE");
    assert.match(result.detail!, /https:\/\/keys\.id\.test\/\.well-known\/jwks\.json/);
    assert.doesNotMatch(result.detail!, /token=abc/);
  });

  test("an issuer that differs only by a trailing slash says so", async () => {
    const h = authorizer({ issuers: [{ issuer: "https://id.test", secret: STRONG }] });
    const result = await call(h, await hs256(STRONG, { iss: "https://id.test/", sub: "u", exp: T + 600 }));
    assert.equal(result.reason, "ERR_JWT_ISSUER_INVALID");
    assert.match(result.detail!, /only by a trailing slash/);
    const h2 = authorizer({ issuers: [{ issuer: "https://id.test/", secret: STRONG }] });
    const result2 = await call(h2, await hs256(STRONG, { iss: "https://id.test", sub: "u", exp: T + 600 }));
    assert.match(result2.detail!, /only by a trailing slash/);
  });

  test("an unknown configuration field suggests the closest known one", () => {
    const cases: Array<[Record<string, unknown>, string, string]> = [
      [{ issuers: [{ secret: STRONG, audiance: ["x"] }] }, "issuers[0].audiance", "audience"],
      [{ issuers: [{ secret: STRONG }], principalClaims: "id" }, "principalClaims", "principalClaim"],
      [
        { issuers: [{ secret: STRONG, allowInsecureShortSecrets: true }] },
        "issuers[0].allowInsecureShortSecrets",
        "allowInsecureShortSecret",
      ],
      [{ issuers: [{ secret: STRONG }], context: { claim: ["email"] } }, "context.claim", "claims"],
    ];
    for (const [config, field, suggestion] of cases) {
      assert.throws(
        () => createAuthorizer(config),
        (e: unknown) =>
          e instanceof ConfigError &&
          e.field === field &&
          e.message.includes(`did you mean "${suggestion}"?`),
        field,
      );
    }
    // Nothing close: no suggestion.
    assert.throws(
      () => createAuthorizer({ issuers: [{ secret: STRONG }], zzzzzzzz: 1 }),
      (e: unknown) => e instanceof ConfigError && !e.message.includes("did you mean"),
    );
  });
});
