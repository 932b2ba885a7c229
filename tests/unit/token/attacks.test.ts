/**
 * Every known attack class on JWT verifiers, one named test each: unsigned tokens, RS→HS key
 * confusion, embedded and remote key headers, hostile kid values, crit/b64, non-canonical and
 * malformed encodings, size and nesting bombs, non-object and duplicate-member JSON, prototype
 * keys, ECDSA encoding tricks, truncated/extended signatures, and weak keys in configuration.
 * Every refused token must be refused with an `AuthError` and a specific code.
 */
import assert from "node:assert/strict";
import { createHmac, createSecretKey } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { AuthErrorCodes, ConfigError } from "../../../src/errors.js";
import { decodeToken } from "../../../src/token/decode.js";
import { createVerifier, type Verifier } from "../../../src/token/verifier.js";
import {
  assertAuthError,
  b64url,
  craftToken,
  joseSign,
  keyPair,
  rawSignature,
  TEST_AUDIENCE,
  TEST_ISSUER,
  type TestAlgorithm,
  testKey,
} from "../../helpers/keys.js";

const NOW = 1_700_000_000;
const opts = { now: () => NOW * 1000, sharedKeyCache: false };
const claims = { sub: "victim", iss: TEST_ISSUER, aud: TEST_AUDIENCE, iat: NOW, exp: NOW + 600 };

const rs = testKey("RS256");
const es = testKey("ES256");
const hs = testKey("HS256");
const attackerRs = testKey("RS256", 1);

const pemVerifier = () =>
  createVerifier(
    { issuers: [{ issuer: TEST_ISSUER, audience: TEST_AUDIENCE, publicKey: rs.publicPem }] },
    opts,
  );
const jwksVerifier = () =>
  createVerifier(
    {
      issuers: [
        { issuer: TEST_ISSUER, audience: TEST_AUDIENCE, jwks: { keys: [rs.publicJwk, es.publicJwk] } },
      ],
    },
    opts,
  );
const secretVerifier = () =>
  createVerifier({ issuers: [{ issuer: TEST_ISSUER, audience: TEST_AUDIENCE, secret: hs.secret }] }, opts);
const catchAllVerifier = () => createVerifier({ issuers: [{ secret: hs.secret }] }, opts);

const VERIFIERS: Array<[string, () => Verifier]> = [
  ["a PEM issuer", pemVerifier],
  ["an inline-JWKS issuer", jwksVerifier],
  ["a secret issuer", secretVerifier],
  ["a catch-all secret issuer (no iss check)", catchAllVerifier],
];

/** `h.p.sig` with `sig` computed over the literal segments (which may be non-canonical). */
function signSegments(h: string, p: string, alg: TestAlgorithm = "HS256", key = hs.signingKey): string {
  return `${h}.${p}.${rawSignature(alg, key, `${h}.${p}`).toString("base64url")}`;
}

const hsToken = (payload: object | string = claims, header: object | string = { alg: "HS256", typ: "JWT" }) =>
  craftToken(header, payload, { key: hs });

describe("alg none (unsigned tokens)", () => {
  const valid = hsToken();
  const realSignature = valid.split(".")[2]!;
  for (const none of ["none", "None", "NONE", "nOnE"]) {
    const h = b64url({ alg: none, typ: "JWT" });
    const p = b64url(claims);
    for (const [where, make] of VERIFIERS) {
      test(`alg ${none} with an empty signature after the trailing dot is refused by ${where}`, async () => {
        await assertAuthError(make().verify(`${h}.${p}.`), AuthErrorCodes.MALFORMED);
      });
      test(`alg ${none} without the trailing dot is refused by ${where}`, async () => {
        await assertAuthError(make().verify(`${h}.${p}`), AuthErrorCodes.MALFORMED);
      });
      test(`alg ${none} with a signature segment is refused by ${where} (ERR_JWT_ALGORITHM_NOT_ALLOWED)`, async () => {
        await assertAuthError(
          make().verify(`${h}.${p}.${realSignature}`),
          AuthErrorCodes.ALGORITHM_NOT_ALLOWED,
        );
        await assertAuthError(make().verify(`${h}.${p}.AA`), AuthErrorCodes.ALGORITHM_NOT_ALLOWED);
      });
    }
  }

  for (const [what, alg] of [
    ["missing", undefined],
    ["empty", ""],
    ["null", null],
    ["an array", ["HS256"]],
    ["an object", { name: "HS256" }],
    ["lower case", "hs256"],
    ["with a trailing space", "HS256 "],
    ["with a Cyrillic homoglyph", "HЅ256"],
    ["a JWE algorithm", "dir"],
    ["an inherited property name", "toString"],
    ["__proto__", "__proto__"],
  ] as Array<[string, unknown]>) {
    test(`alg ${what} is refused (ERR_JWT_ALGORITHM_NOT_ALLOWED)`, async () => {
      const h = b64url(alg === undefined ? { typ: "JWT" } : { alg, typ: "JWT" });
      const t = signSegments(h, b64url(claims));
      await assertAuthError(secretVerifier().verify(t), AuthErrorCodes.ALGORITHM_NOT_ALLOWED);
    });
  }
});

describe("RS256 → HS256 key confusion", () => {
  const pem = rs.publicPem!;
  const hmacKeys: Array<[string, string | Buffer]> = [
    ["the PEM text", pem],
    ["the PEM text with leading whitespace", `  \n${pem}`],
    ["the PEM text without its final newline", pem.trimEnd()],
    ["the PEM text with CRLF line ends", pem.replace(/\n/g, "\r\n")],
    ["the public JWK JSON text", JSON.stringify(rs.publicJwk)],
    ["the JWKS JSON text", JSON.stringify({ keys: [rs.publicJwk] })],
    ["the SPKI DER bytes", rs.verifyKey.export({ type: "spki", format: "der" })],
    ["the PKCS#1 PEM text", rs.verifyKey.export({ type: "pkcs1", format: "pem" }).toString()],
  ];
  for (const [what, secret] of hmacKeys) {
    const key = createSecretKey(typeof secret === "string" ? Buffer.from(secret, "utf8") : secret);
    for (const hsAlg of ["HS256", "HS384", "HS512"] as const) {
      test(`${hsAlg} signed with ${what} is refused by a PEM issuer (ERR_JWT_ALGORITHM_NOT_ALLOWED)`, async () => {
        const t = craftToken({ alg: hsAlg, typ: "JWT" }, claims, { key, alg: hsAlg });
        await assertAuthError(pemVerifier().verify(t), AuthErrorCodes.ALGORITHM_NOT_ALLOWED);
      });
    }
    test(`HS256 signed with ${what} is refused by an inline-JWKS issuer, with and without the RSA kid`, async () => {
      const withKid = craftToken({ alg: "HS256", kid: rs.kid }, claims, { key, alg: "HS256" });
      const withoutKid = craftToken({ alg: "HS256" }, claims, { key, alg: "HS256" });
      await assertAuthError(jwksVerifier().verify(withKid), AuthErrorCodes.ALGORITHM_NOT_ALLOWED);
      await assertAuthError(jwksVerifier().verify(withoutKid), AuthErrorCodes.ALGORITHM_NOT_ALLOWED);
    });
  }

  test("a JWKS mixing an oct key and an RSA key is refused at construction (Wycheproof jws_mixedSymmetryKeyset)", () => {
    assert.throws(
      () =>
        createVerifier(
          {
            issuers: [
              { issuer: TEST_ISSUER, audience: TEST_AUDIENCE, jwks: { keys: [rs.publicJwk, hs.publicJwk] } },
            ],
          },
          opts,
        ),
      /issuers\[0\]\.jwks: mixes shared secrets \(kty "oct"\) with public keys.*"secret"/,
    );
  });

  test("the same keys as a public set and a secret: HS256 naming the RSA kid is refused, not checked with the PEM", async () => {
    const verifier = createVerifier(
      {
        issuers: [
          { issuer: TEST_ISSUER, audience: TEST_AUDIENCE, jwks: { keys: [rs.publicJwk] } },
          { issuer: "https://other.example/", audience: TEST_AUDIENCE, jwks: { keys: [hs.publicJwk] } },
        ],
      },
      opts,
    );
    const key = createSecretKey(Buffer.from(pem, "utf8"));
    await assertAuthError(
      verifier.verify(craftToken({ alg: "HS256", kid: rs.kid }, claims, { key, alg: "HS256" })),
      AuthErrorCodes.ALGORITHM_NOT_ALLOWED,
    );
    // Without kid the issuer's set has no HS256 key at all.
    await assertAuthError(
      verifier.verify(craftToken({ alg: "HS256" }, claims, { key, alg: "HS256" })),
      AuthErrorCodes.ALGORITHM_NOT_ALLOWED,
    );
    // The PEM-signed MAC does not match the other issuer's secret either; its legitimate tokens verify.
    const other = { ...claims, iss: "https://other.example/" };
    await assertAuthError(
      verifier.verify(craftToken({ alg: "HS256" }, other, { key, alg: "HS256" })),
      AuthErrorCodes.SIGNATURE_INVALID,
    );
    assert.equal(
      (await verifier.verify(craftToken({ alg: "HS256", kid: hs.kid }, other, { key: hs }))).payload.sub,
      "victim",
    );
  });

  test("configuring the PEM text as a secret is a ConfigError, so the confusion cannot be configured either", () => {
    assert.throws(() => createVerifier({ issuers: [{ secret: pem }] }, opts), ConfigError);
    assert.throws(() => createVerifier({ issuers: [{ secret: `   ${pem}` }] }, opts), ConfigError);
    assert.throws(
      () => createVerifier({ issuers: [{ secret: JSON.stringify(rs.publicJwk) }] }, opts),
      ConfigError,
    );
  });
});

describe("embedded key headers (jwk, jku, x5u, x5c) are ignored", () => {
  test("an embedded jwk header with the attacker's key is refused by a PEM issuer (ERR_JWT_SIGNATURE_INVALID)", async () => {
    const t = await joseSign(attackerRs, claims, { jwk: attackerRs.publicJwk, kid: null });
    await assertAuthError(pemVerifier().verify(t), AuthErrorCodes.SIGNATURE_INVALID);
  });

  test("an embedded jwk header is refused by an inline-JWKS issuer whatever the kid", async () => {
    const verifier = jwksVerifier();
    const jwk = attackerRs.publicJwk;
    await assertAuthError(
      verifier.verify(await joseSign(attackerRs, claims, { jwk, kid: null })),
      AuthErrorCodes.SIGNATURE_INVALID,
    );
    await assertAuthError(
      verifier.verify(await joseSign(attackerRs, claims, { jwk, kid: rs.kid })),
      AuthErrorCodes.SIGNATURE_INVALID,
    );
    await assertAuthError(
      verifier.verify(await joseSign(attackerRs, claims, { jwk, kid: attackerRs.kid })),
      AuthErrorCodes.KEY_NOT_FOUND,
    );
  });

  test("an embedded EdDSA jwk against issuers that do not use EdDSA is refused", async () => {
    const ed = testKey("EdDSA", 1);
    const t = await joseSign(ed, claims, { jwk: ed.publicJwk, kid: null });
    for (const make of [pemVerifier, jwksVerifier, secretVerifier]) {
      await assertAuthError(make().verify(t), AuthErrorCodes.ALGORITHM_NOT_ALLOWED);
    }
  });

  describe("jku, x5u and x5c pointing at a server: never fetched", () => {
    let server: Server;
    let requests = 0;
    let base = "";
    before(async () => {
      server = createServer((req, res) => {
        requests += 1;
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify({ keys: [attackerRs.publicJwk] }));
        req.resume();
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(() => new Promise<void>((resolve) => server.close(() => resolve())));

    test("attacker-signed tokens with jku/x5u/x5c are refused and the server sees 0 requests", async () => {
      let fetches = 0;
      const spyFetch = (async () => {
        fetches += 1;
        throw new Error("no network in this test");
      }) as unknown as typeof fetch;
      const der = attackerRs.verifyKey.export({ type: "spki", format: "der" }).toString("base64");
      const headers = [
        { jku: `${base}/jwks.json`, kid: attackerRs.kid },
        { jku: `${base}/jwks.json`, kid: null },
        { x5u: `${base}/cert.pem`, kid: null },
        { x5c: [der], kid: null },
        {
          x5u: `${base}/cert.pem`,
          x5c: [der],
          jku: `${base}/jwks.json`,
          jwk: attackerRs.publicJwk,
          kid: null,
        },
      ];
      for (const [name, make] of [
        [
          "pem",
          () =>
            createVerifier(
              { issuers: [{ issuer: TEST_ISSUER, audience: TEST_AUDIENCE, publicKey: rs.publicPem }] },
              { ...opts, fetch: spyFetch },
            ),
        ],
        [
          "jwks",
          () =>
            createVerifier(
              { issuers: [{ issuer: TEST_ISSUER, audience: TEST_AUDIENCE, jwks: { keys: [rs.publicJwk] } }] },
              { ...opts, fetch: spyFetch },
            ),
        ],
      ] as const) {
        const verifier = make();
        for (const header of headers) {
          const t = await joseSign(attackerRs, claims, header);
          await assertAuthError(verifier.verify(t), [
            AuthErrorCodes.SIGNATURE_INVALID,
            AuthErrorCodes.KEY_NOT_FOUND,
          ]).catch((error) => {
            throw new Error(`${name} ${JSON.stringify(Object.keys(header))}: ${(error as Error).message}`);
          });
        }
      }
      // Give any stray asynchronous fetch a chance to reach the server before counting.
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(requests, 0, "the key server was contacted");
      assert.equal(fetches, 0, "the injected fetch was called");
    });

    test("a legitimately signed token carrying a jku is accepted: the header is ignored, not fetched", async () => {
      const t = await joseSign(rs, claims, { jku: `${base}/jwks.json`, x5u: `${base}/x`, kid: null });
      assert.equal((await pemVerifier().verify(t)).payload.sub, "victim");
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(requests, 0);
    });
  });
});

describe("hostile kid values", () => {
  const kids: Array<[string, unknown, string[]]> = [
    ["with path characters", "../../dev/null", [AuthErrorCodes.KEY_NOT_FOUND]],
    ["an absolute path", "/etc/passwd", [AuthErrorCodes.KEY_NOT_FOUND]],
    ["SQL-ish", "' OR '1'='1' -- ", [AuthErrorCodes.KEY_NOT_FOUND]],
    ["of 300 characters", "k".repeat(300), [AuthErrorCodes.MALFORMED]],
    ["unicode", "ключ-🔑-鍵", [AuthErrorCodes.KEY_NOT_FOUND]],
    ["with a NUL byte", `${rs.kid}\u0000`, [AuthErrorCodes.KEY_NOT_FOUND]],
    ["empty", "", [AuthErrorCodes.KEY_NOT_FOUND]],
    ["__proto__", "__proto__", [AuthErrorCodes.KEY_NOT_FOUND]],
    ["constructor", "constructor", [AuthErrorCodes.KEY_NOT_FOUND]],
    ["a number", 1, [AuthErrorCodes.MALFORMED]],
    ["null", null, [AuthErrorCodes.MALFORMED]],
    ["an array holding the real kid", [rs.kid], [AuthErrorCodes.MALFORMED]],
    ["an object", { kid: rs.kid }, [AuthErrorCodes.MALFORMED]],
    ["the real kid in another case", rs.kid.toUpperCase(), [AuthErrorCodes.KEY_NOT_FOUND]],
  ];
  for (const [what, kid, codes] of kids) {
    test(`a kid ${what} is never accepted by an inline-JWKS issuer (attacker key and legitimate key)`, async () => {
      const verifier = jwksVerifier();
      const forged = craftToken({ alg: "RS256", kid }, claims, { key: attackerRs });
      await assertAuthError(verifier.verify(forged), codes);
      const legit = craftToken({ alg: "RS256", kid }, claims, { key: rs });
      await assertAuthError(verifier.verify(legit), codes);
    });
  }

  test("for a single configured key the kid selects nothing: an attacker's token is refused by its signature", async () => {
    for (const [, kid] of kids) {
      if (typeof kid !== "string" || kid.length > 256) continue;
      const forged = craftToken({ alg: "RS256", kid }, claims, { key: attackerRs });
      await assertAuthError(pemVerifier().verify(forged), AuthErrorCodes.SIGNATURE_INVALID);
    }
  });
});

describe("crit and b64", () => {
  test("crit naming an unknown extension is refused (ERR_JWT_CRIT_UNSUPPORTED)", async () => {
    await assertAuthError(
      secretVerifier().verify(
        hsToken(claims, { alg: "HS256", crit: ["urn:example:ext"], "urn:example:ext": 1 }),
      ),
      AuthErrorCodes.CRIT_UNSUPPORTED,
    );
    await assertAuthError(
      secretVerifier().verify(hsToken(claims, { alg: "HS256", crit: ["exp"], exp: NOW + 1 })),
      AuthErrorCodes.CRIT_UNSUPPORTED,
    );
  });

  test("crit naming a header that is absent is refused", async () => {
    await assertAuthError(
      secretVerifier().verify(hsToken(claims, { alg: "HS256", crit: ["http://example.com/absent"] })),
      [AuthErrorCodes.CRIT_UNSUPPORTED, AuthErrorCodes.MALFORMED],
    );
  });

  for (const [what, crit] of [
    ["empty", []],
    ["a string", "exp"],
    ["a list with a number", [1]],
    ["null", null],
  ] as Array<[string, unknown]>) {
    test(`crit ${what} is refused (ERR_JWT_MALFORMED)`, async () => {
      await assertAuthError(
        secretVerifier().verify(hsToken(claims, { alg: "HS256", crit })),
        AuthErrorCodes.MALFORMED,
      );
    });
  }

  test("b64:false with crit [b64] is refused (RFC 7797 unencoded payloads are not supported)", async () => {
    const header = { alg: "HS256", b64: false, crit: ["b64"] };
    // Encoded payload (what a confused verifier would read) ...
    await assertAuthError(secretVerifier().verify(hsToken(claims, header)), AuthErrorCodes.CRIT_UNSUPPORTED);
    // ... and a real RFC 7797 compact token, whose payload segment is the raw payload.
    const h = b64url(header);
    const raw = "$.02";
    const sig = createHmac("sha256", hs.signingKey).update(`${h}.${raw}`).digest("base64url");
    await assertAuthError(secretVerifier().verify(`${h}.${raw}.${sig}`), [
      AuthErrorCodes.CRIT_UNSUPPORTED,
      AuthErrorCodes.MALFORMED,
    ]);
  });

  test("b64:false without crit is refused too", async () => {
    await assertAuthError(
      secretVerifier().verify(hsToken(claims, { alg: "HS256", b64: false })),
      AuthErrorCodes.CRIT_UNSUPPORTED,
    );
  });
});

describe("encoding: whitespace, padding, alphabet, canonical bits, segment count", () => {
  // A token whose segments contain '-' or '_' (so the standard-alphabet variant differs).
  let urlSafe = hsToken();
  for (let i = 0; !/[-_]/.test(urlSafe.replace(/\./g, "")) || !/[-_]/.test(urlSafe.split(".")[2]!); i++) {
    urlSafe = hsToken({ ...claims, jti: `n${i}` });
  }
  const [h, p, s] = urlSafe.split(".") as [string, string, string];

  test("the base token verifies (control)", async () => {
    assert.equal((await secretVerifier().verify(urlSafe)).payload.sub, "victim");
  });

  const positions: Array<[string, (x: string) => string]> = [
    ["the header", (x) => `${h.slice(0, 5)}${x}${h.slice(5)}.${p}.${s}`],
    ["the payload", (x) => `${h}.${p.slice(0, 7)}${x}${p.slice(7)}.${s}`],
    ["the signature", (x) => `${h}.${p}.${s.slice(0, 9)}${x}${s.slice(9)}`],
    ["after a dot", (x) => `${h}.${x}${p}.${s}`],
    ["the token start", (x) => `${x}${urlSafe}`],
    ["the token end", (x) => `${urlSafe}${x}`],
  ];
  for (const [where, put] of positions) {
    for (const [what, x] of [
      ["a space", " "],
      ["a newline", "\n"],
      ["CRLF", "\r\n"],
      ["a tab", "\t"],
      ["a NUL", "\u0000"],
      ["a non-ASCII letter", "é"],
    ] as Array<[string, string]>) {
      test(`${what} inside ${where} is refused (ERR_JWT_MALFORMED)`, async () => {
        await assertAuthError(secretVerifier().verify(put(x)), AuthErrorCodes.MALFORMED);
      });
    }
  }

  for (const [what, make] of [
    ["'=' padding on the signature", () => `${h}.${p}.${s}=`],
    ["'==' padding on the signature", () => `${h}.${p}.${s}==`],
    ["'=' padding on the header", () => `${h}=.${p}.${s}`],
    ["'=' padding on the payload", () => `${h}.${p}=.${s}`],
    [
      "standard-alphabet '+' and '/' instead of '-' and '_'",
      () => urlSafe.replace(/-/g, "+").replace(/_/g, "/"),
    ],
    [
      "standard base64 of the signature with padding",
      () => `${h}.${p}.${Buffer.from(s, "base64url").toString("base64")}`,
    ],
    ["a '.' doubled", () => `${h}..${p}.${s}`],
  ] as Array<[string, () => string]>) {
    test(`${what} is refused (ERR_JWT_MALFORMED)`, async () => {
      await assertAuthError(secretVerifier().verify(make()), AuthErrorCodes.MALFORMED);
    });
  }

  /** Sets the lowest unused bit of a segment's last character (same bytes, different text). */
  function nonCanonical(segment: string): string {
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    assert.notEqual(segment.length % 4, 0, "segment has no unused bits");
    const last = alphabet.indexOf(segment.at(-1)!);
    const altered = `${segment.slice(0, -1)}${alphabet[last | 1]}`;
    assert.notEqual(altered, segment);
    assert.deepEqual(Buffer.from(altered, "base64url"), Buffer.from(segment, "base64url"));
    return altered;
  }

  /** A segment of `value` as JSON whose length is not a multiple of 4 (so it has unused bits). */
  function segmentWithSpareBits(value: Record<string, unknown>): string {
    for (let n = 0; ; n++) {
      const seg = b64url({ ...value, pad: "x".repeat(n) });
      if (seg.length % 4 !== 0) return seg;
    }
  }

  test("non-canonical trailing bits in the signature are refused, although the bytes are the valid signature", async () => {
    assert.notEqual(s.length % 4, 0);
    await assertAuthError(secretVerifier().verify(`${h}.${p}.${nonCanonical(s)}`), AuthErrorCodes.MALFORMED);
  });

  test("non-canonical trailing bits in the header are refused, even when the MAC covers the altered text", async () => {
    const hh = segmentWithSpareBits({ alg: "HS256", typ: "JWT" });
    await assertAuthError(
      secretVerifier().verify(signSegments(nonCanonical(hh), p)),
      AuthErrorCodes.MALFORMED,
    );
  });

  test("non-canonical trailing bits in the payload are refused, even when the MAC covers the altered text", async () => {
    const pp = segmentWithSpareBits(claims);
    assert.equal((await secretVerifier().verify(signSegments(h, pp))).payload.sub, "victim");
    await assertAuthError(
      secretVerifier().verify(signSegments(h, nonCanonical(pp))),
      AuthErrorCodes.MALFORMED,
    );
  });

  test("a segment whose length is 1 mod 4 is refused", async () => {
    const oneMod4 = (x: string) => x + "A".repeat((5 - (x.length % 4)) % 4);
    assert.equal(oneMod4(s).length % 4, 1);
    await assertAuthError(secretVerifier().verify(`${h}.${p}.${oneMod4(s)}`), AuthErrorCodes.MALFORMED);
    await assertAuthError(secretVerifier().verify(signSegments(oneMod4(h), p)), AuthErrorCodes.MALFORMED);
    await assertAuthError(secretVerifier().verify(signSegments(h, oneMod4(p))), AuthErrorCodes.MALFORMED);
    await assertAuthError(secretVerifier().verify(`${h}.${p}.A`), AuthErrorCodes.MALFORMED);
  });

  for (const [what, t] of [
    ["4 segments", `${urlSafe}.${s}`],
    ["5 segments (JWE compact shape)", `${h}.${p}.${s}.${s}.${s}`],
    ["2 segments", `${h}.${p}`],
    ["1 segment", h],
    ["an empty header", `.${p}.${s}`],
    ["an empty payload", `${h}..${s}`],
    ["an empty signature", `${h}.${p}.`],
    ["only dots", ".."],
    ["an empty string", ""],
    ["a trailing dot after the signature", `${urlSafe}.`],
  ] as Array<[string, string]>) {
    test(`${what} is refused (ERR_JWT_MALFORMED)`, async () => {
      await assertAuthError(secretVerifier().verify(t), AuthErrorCodes.MALFORMED);
    });
  }

  for (const [what, value] of [
    ["undefined", undefined],
    ["null", null],
    ["a number", 42],
    ["an object", { token: urlSafe }],
    ["a String object", new String(urlSafe)],
  ] as Array<[string, unknown]>) {
    test(`a token that is ${what} is refused (ERR_JWT_MALFORMED)`, async () => {
      await assertAuthError(secretVerifier().verify(value as string), AuthErrorCodes.MALFORMED);
    });
  }
});

describe("size and nesting", () => {
  test("a 1 MiB token is refused (ERR_JWT_TOO_LARGE), quickly", async () => {
    const big = `${"a".repeat(512 * 1024)}.${"b".repeat(512 * 1024 - 10)}.sig`;
    const started = performance.now();
    await assertAuthError(secretVerifier().verify(big), AuthErrorCodes.TOO_LARGE);
    assert.ok(performance.now() - started < 100, "size check should come before any parsing");
  });

  test("a validly signed token just over the 8192-byte default is refused, and accepted with a larger maxTokenBytes", async () => {
    let t = "";
    for (let n = 6000; t.length <= 8192; n += 50) t = hsToken({ ...claims, pad: "x".repeat(n) });
    await assertAuthError(secretVerifier().verify(t), AuthErrorCodes.TOO_LARGE);
    const larger = createVerifier(
      {
        issuers: [{ issuer: TEST_ISSUER, audience: TEST_AUDIENCE, secret: hs.secret }],
        maxTokenBytes: 16384,
      },
      opts,
    );
    assert.equal((await larger.verify(t)).payload.sub, "victim");
  });

  test("maxTokenBytes is inclusive: a token of exactly that size passes, one byte less is too large", async () => {
    const t = hsToken({ ...claims, pad: "x".repeat(400) });
    const at = (max: number) =>
      createVerifier(
        {
          issuers: [{ issuer: TEST_ISSUER, audience: TEST_AUDIENCE, secret: hs.secret }],
          maxTokenBytes: max,
        },
        opts,
      );
    assert.equal((await at(t.length).verify(t)).payload.sub, "victim");
    await assertAuthError(at(t.length - 1).verify(t), AuthErrorCodes.TOO_LARGE);
  });

  test("a payload of 100k nested arrays is refused by size and does not crash", async () => {
    const nested = `{"exp":${NOW + 60},"d":${"[".repeat(100_000)}${"]".repeat(100_000)}}`;
    const t = signSegments(b64url({ alg: "HS256" }), b64url(nested));
    await assertAuthError(secretVerifier().verify(t), AuthErrorCodes.TOO_LARGE);
  });

  test("deep nesting within the largest maxTokenBytes is handled without crashing", async () => {
    const depth = 6_000; // about 16 KiB once encoded
    const body = `{"iss":"${TEST_ISSUER}","aud":"${TEST_AUDIENCE}","exp":${NOW + 60},"sub":"victim","d":${"[".repeat(depth)}${"]".repeat(depth)}}`;
    const t = signSegments(b64url({ alg: "HS256" }), b64url(body));
    assert.ok(t.length <= 16384, `token is ${t.length} bytes`);
    const verifier = createVerifier(
      {
        issuers: [{ issuer: TEST_ISSUER, audience: TEST_AUDIENCE, secret: hs.secret }],
        maxTokenBytes: 16384,
      },
      opts,
    );
    try {
      const result = await verifier.verify(t);
      assert.equal(result.payload.sub, "victim");
    } catch (error) {
      assert.equal((error as Error).name, "AuthError");
    }
  });

  test("decodeToken on 100k nested arrays and objects (size cap lifted) returns or throws an AuthError, never crashes", () => {
    for (const [open, close] of [
      ["[", "]"],
      ['{"a":', "}"],
    ] as Array<[string, string]>) {
      const body = `{"d":${open.repeat(100_000)}1${close.repeat(100_000)}}`;
      const t = `${b64url({ alg: "HS256" })}.${b64url(body)}.AAAA`;
      try {
        decodeToken(t, 10_000_000);
      } catch (error) {
        assert.equal((error as Error).name, "AuthError", String(error));
      }
    }
  });
});

describe("JSON shape of header and payload", () => {
  for (const [what, json] of [
    ["an array", "[]"],
    ["an array holding an object", `[${JSON.stringify(claims)}]`],
    ["a string", '"hello"'],
    ["a number", "1"],
    ["null", "null"],
    ["true", "true"],
    ["invalid JSON", '{"exp":1,}'],
    ["not JSON at all", "hello"],
    ["empty", ""],
    ["two objects", `${JSON.stringify(claims)}${JSON.stringify(claims)}`],
  ] as Array<[string, string]>) {
    test(`a payload that is ${what} is refused (ERR_JWT_MALFORMED)`, async () => {
      const t =
        json === ""
          ? `${b64url({ alg: "HS256" })}..sig`
          : signSegments(b64url({ alg: "HS256" }), b64url(json));
      await assertAuthError(secretVerifier().verify(t), AuthErrorCodes.MALFORMED);
    });
    test(`a header that is ${what} is refused (ERR_JWT_MALFORMED)`, async () => {
      const t = json === "" ? `.${b64url(claims)}.sig` : signSegments(b64url(json), b64url(claims));
      await assertAuthError(secretVerifier().verify(t), AuthErrorCodes.MALFORMED);
    });
  }

  const payloadText = (extra: string) =>
    `{"iss":"${TEST_ISSUER}","aud":"${TEST_AUDIENCE}","sub":"victim",${extra}}`;

  for (const [what, header, payload] of [
    ["two exp in the payload (expired last)", '{"alg":"HS256"}', payloadText(`"exp":${NOW + 600},"exp":1`)],
    ["two exp in the payload (valid last)", '{"alg":"HS256"}', payloadText(`"exp":1,"exp":${NOW + 600}`)],
    [
      "two exp, the second spelled with an escape",
      '{"alg":"HS256"}',
      payloadText(`"exp":1,"\\u0065xp":${NOW + 600}`),
    ],
    ["two sub", '{"alg":"HS256"}', payloadText(`"exp":${NOW + 600},"sub":"admin"`)],
    ["two iss", '{"alg":"HS256"}', payloadText(`"exp":${NOW + 600},"iss":"https://evil.example/"`)],
    ["two alg in the header", '{"alg":"none","alg":"HS256"}', payloadText(`"exp":${NOW + 600}`)],
    [
      "two alg in the header (valid first)",
      '{"alg":"HS256","alg":"HS256"}',
      payloadText(`"exp":${NOW + 600}`),
    ],
    ["two kid in the header", `{"alg":"HS256","kid":"a","kid":"b"}`, payloadText(`"exp":${NOW + 600}`)],
    [
      "duplicates with whitespace around",
      '{ "alg" : "HS256" ,\r\n "alg" : "HS256" }',
      payloadText(`"exp":${NOW + 600}`),
    ],
  ] as Array<[string, string, string]>) {
    test(`${what} is refused (ERR_JWT_MALFORMED), although the MAC is valid`, async () => {
      await assertAuthError(
        secretVerifier().verify(signSegments(b64url(header), b64url(payload))),
        AuthErrorCodes.MALFORMED,
      );
    });
  }

  test("member names that only look alike are not duplicates (control)", async () => {
    const t = signSegments(
      b64url('{"alg":"HS256"}'),
      b64url(payloadText(`"exp":${NOW + 600},"Exp":1,"x":{"exp":1,"exp":2},"y":"\\",\\"exp\\":1"`)),
    );
    assert.equal((await secretVerifier().verify(t)).payload.sub, "victim");
  });

  for (const [what, header, payload] of [
    [
      "a __proto__ member in the payload",
      '{"alg":"HS256"}',
      payloadText(`"exp":${NOW + 600},"__proto__":{"admin":true}`),
    ],
    [
      "an escaped __proto__ member in the payload",
      '{"alg":"HS256"}',
      payloadText(`"exp":${NOW + 600},"\\u005f_proto__":{"admin":true}`),
    ],
    [
      "a __proto__ member in the header",
      '{"alg":"HS256","__proto__":{"alg":"none"}}',
      payloadText(`"exp":${NOW + 600}`),
    ],
  ] as Array<[string, string, string]>) {
    test(`${what} is refused (ERR_JWT_MALFORMED)`, async () => {
      await assertAuthError(
        secretVerifier().verify(signSegments(b64url(header), b64url(payload))),
        AuthErrorCodes.MALFORMED,
      );
      assert.equal(({} as Record<string, unknown>).admin, undefined);
    });
  }

  test("a nested __proto__ member does not pollute Object.prototype", async () => {
    const t = signSegments(
      b64url('{"alg":"HS256"}'),
      b64url(payloadText(`"exp":${NOW + 600},"profile":{"__proto__":{"polluted":true}}`)),
    );
    try {
      await secretVerifier().verify(t);
    } catch (error) {
      assert.equal((error as Error).name, "AuthError");
    }
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(Object.hasOwn(Object.prototype, "polluted"), false);
  });
});

describe("signature encoding tricks", () => {
  for (const alg of ["ES256", "ES384", "ES512"] as const) {
    const key = testKey(alg);
    const verifier = () =>
      createVerifier(
        { issuers: [{ issuer: TEST_ISSUER, audience: TEST_AUDIENCE, publicKey: key.publicPem }] },
        opts,
      );
    const size = { ES256: 32, ES384: 48, ES512: 66 }[alg];

    test(`${alg}: a DER-encoded signature (instead of raw r||s) is refused (ERR_JWT_SIGNATURE_INVALID)`, async () => {
      const t = craftToken({ alg }, claims, { key, ecdsaEncoding: "der" });
      await assertAuthError(verifier().verify(t), AuthErrorCodes.SIGNATURE_INVALID);
    });

    test(`${alg}: r = 0, s = 0 and r = s = 0 are refused (psychic signatures)`, async () => {
      const good = Buffer.from(craftToken({ alg }, claims, { key }).split(".")[2]!, "base64url");
      const input = `${b64url({ alg })}.${b64url(claims)}`;
      const zero = Buffer.alloc(size);
      for (const sig of [
        Buffer.concat([zero, good.subarray(size)]),
        Buffer.concat([good.subarray(0, size), zero]),
        Buffer.alloc(size * 2),
        Buffer.alloc(size * 2, 0xff),
      ]) {
        await assertAuthError(
          verifier().verify(`${input}.${sig.toString("base64url")}`),
          AuthErrorCodes.SIGNATURE_INVALID,
        );
      }
    });
  }

  for (const alg of ["HS256", "RS256", "PS256", "ES256", "ES512", "EdDSA"] as const) {
    const key = testKey(alg);
    const verifier = () =>
      createVerifier(
        {
          issuers: [
            alg.startsWith("HS")
              ? { issuer: TEST_ISSUER, audience: TEST_AUDIENCE, secret: key.secret }
              : { issuer: TEST_ISSUER, audience: TEST_AUDIENCE, publicKey: key.publicPem },
          ],
        },
        opts,
      );
    test(`${alg}: truncated and extended signatures are refused (ERR_JWT_SIGNATURE_INVALID)`, async () => {
      const t = craftToken({ alg }, claims, { key });
      const dot = t.lastIndexOf(".");
      const sig = Buffer.from(t.slice(dot + 1), "base64url");
      const input = t.slice(0, dot);
      const variants = [
        sig.subarray(0, sig.length - 1),
        sig.subarray(1),
        sig.subarray(0, Math.floor(sig.length / 2)),
        sig.subarray(0, 1),
        Buffer.concat([sig, Buffer.from([0])]),
        Buffer.concat([Buffer.from([0]), sig]),
        Buffer.concat([sig, sig]),
      ];
      for (const v of variants) {
        await assertAuthError(
          verifier().verify(`${input}.${v.toString("base64url")}`),
          AuthErrorCodes.SIGNATURE_INVALID,
        );
      }
      assert.equal((await verifier().verify(t)).payload.sub, "victim");
    });
  }

  test("RS256 header over a PS256 signature (and vice versa) is refused", async () => {
    const input = `${b64url({ alg: "RS256" })}.${b64url(claims)}`;
    const pss = rawSignature("PS256", rs.signingKey, input).toString("base64url");
    await assertAuthError(pemVerifier().verify(`${input}.${pss}`), AuthErrorCodes.SIGNATURE_INVALID);
    const input2 = `${b64url({ alg: "PS256" })}.${b64url(claims)}`;
    const pkcs = rawSignature("RS256", rs.signingKey, input2).toString("base64url");
    await assertAuthError(pemVerifier().verify(`${input2}.${pkcs}`), AuthErrorCodes.SIGNATURE_INVALID);
  });

  test("a signature over the token's JSON re-encoded differently does not carry over", async () => {
    const t = hsToken();
    const [, , sig] = t.split(".");
    const reencoded = `${b64url(`{ "alg": "HS256", "typ": "JWT" }`)}.${b64url(claims)}.${sig}`;
    await assertAuthError(secretVerifier().verify(reencoded), AuthErrorCodes.SIGNATURE_INVALID);
  });
});

describe("weak keys in configuration", () => {
  const weak = keyPair("rsa", 9, 1024);
  const pem = weak.publicKey.export({ type: "spki", format: "pem" }).toString();
  const jwk = { ...weak.publicKey.export({ format: "jwk" }), kid: "weak" };

  test("a 1024-bit RSA publicKey is a ConfigError", () => {
    assert.throws(
      () => createVerifier({ issuers: [{ issuer: TEST_ISSUER, audience: null, publicKey: pem }] }, opts),
      (e: unknown) => e instanceof ConfigError && /2048/.test(e.message) && e.field.startsWith("issuers[0]"),
    );
  });

  test("a 1024-bit RSA publicKey with an explicit RS256 allowlist is a ConfigError", () => {
    assert.throws(
      () =>
        createVerifier(
          { issuers: [{ issuer: TEST_ISSUER, audience: null, publicKey: pem, algorithms: ["RS256"] }] },
          opts,
        ),
      ConfigError,
    );
  });

  test("a 1024-bit RSA key in an inline JWKS is a ConfigError naming the key", () => {
    assert.throws(
      () =>
        createVerifier({ issuers: [{ issuer: TEST_ISSUER, audience: null, jwks: { keys: [jwk] } }] }, opts),
      (e: unknown) => e instanceof ConfigError && e.field === "issuers[0].jwks.keys[0]",
    );
  });

  test("an HS256 secret shorter than 32 bytes is a ConfigError", () => {
    assert.throws(() => createVerifier({ issuers: [{ secret: "x".repeat(31) }] }, opts), ConfigError);
  });
});
