/**
 * Claim boundaries, with an injected clock (milliseconds): exp, nbf, iat, maxTokenAgeSeconds,
 * registered-claim types, iss exact match and issuer selection, aud any-of and type confusion,
 * typ, requiredClaims. Most cases use an HS256 secret issuer (fast); issuer selection mixes sources.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { AuthErrorCodes } from "../../../src/errors.js";
import { MAX_NUMERIC_DATE, validateClaims } from "../../../src/token/claims.js";
import { createVerifier } from "../../../src/token/verifier.js";
import {
  assertAuthError,
  craftToken,
  issuerConfig,
  joseSign,
  TEST_AUDIENCE,
  TEST_ISSUER,
  testKey,
} from "../../helpers/keys.js";

const T = 1_700_000_000; // seconds
const hs = testKey("HS256");

/** A verifier over the HS256 test secret, with the verified-token cache off, at `clockSeconds`. */
function verifierAt(
  clockSeconds: number,
  extra: Record<string, unknown> = {},
  top: Record<string, unknown> = {},
) {
  return createVerifier(
    { issuers: [issuerConfig(hs, "secret", extra)], tokenCache: { maxEntries: 0 }, ...top },
    { now: () => clockSeconds * 1000, sharedKeyCache: false },
  );
}

/** An HS256 token over `payload` (object or raw JSON text) with the standard iss/aud unless given. */
function token(payload: Record<string, unknown> | string, header: Record<string, unknown> = {}): string {
  const body = typeof payload === "string" ? payload : { iss: TEST_ISSUER, aud: TEST_AUDIENCE, ...payload };
  return craftToken({ alg: "HS256", typ: "JWT", ...header }, body, { key: hs });
}

const ok = async <R extends { payload: Record<string, unknown> }>(p: Promise<R>): Promise<R> => {
  const result = await p;
  assert.equal(typeof result.payload, "object");
  return result;
};

describe("exp", () => {
  test("with clockToleranceSeconds 0: valid 1 ms before exp, expired exactly at exp and after", async () => {
    const t = token({ exp: T });
    await ok(verifierAt(T - 0.001, { clockToleranceSeconds: 0 }).verify(t));
    await assertAuthError(verifierAt(T, { clockToleranceSeconds: 0 }).verify(t), AuthErrorCodes.EXPIRED);
    await assertAuthError(verifierAt(T + 1, { clockToleranceSeconds: 0 }).verify(t), AuthErrorCodes.EXPIRED);
  });

  test("with the default tolerance (5 s): valid within it, expired at exp + 5 s and beyond", async () => {
    const t = token({ exp: T });
    await ok(verifierAt(T + 4.999).verify(t));
    await assertAuthError(verifierAt(T + 5).verify(t), AuthErrorCodes.EXPIRED);
    await assertAuthError(verifierAt(T + 5.001).verify(t), AuthErrorCodes.EXPIRED);
    await assertAuthError(verifierAt(T + 3600).verify(t), AuthErrorCodes.EXPIRED);
  });

  test("with clockToleranceSeconds 300 (the maximum)", async () => {
    const t = token({ exp: T });
    await ok(verifierAt(T + 299.999, { clockToleranceSeconds: 300 }).verify(t));
    await assertAuthError(
      verifierAt(T + 300, { clockToleranceSeconds: 300 }).verify(t),
      AuthErrorCodes.EXPIRED,
    );
  });

  test("a fractional exp is compared exactly", async () => {
    const t = token({ exp: T + 0.5 });
    await ok(verifierAt(T + 0.499, { clockToleranceSeconds: 0 }).verify(t));
    await assertAuthError(
      verifierAt(T + 0.5, { clockToleranceSeconds: 0 }).verify(t),
      AuthErrorCodes.EXPIRED,
    );
  });

  test("exp 0 is a valid NumericDate, long expired", async () => {
    await assertAuthError(verifierAt(T).verify(token({ exp: 0 })), AuthErrorCodes.EXPIRED);
  });

  test("exp at the largest accepted NumericDate (9999-12-31) is valid", async () => {
    await ok(verifierAt(T).verify(token({ exp: MAX_NUMERIC_DATE })));
  });

  test("missing exp is refused by default (ERR_JWT_CLAIM_MISSING)", async () => {
    await assertAuthError(verifierAt(T).verify(token({ iat: T })), AuthErrorCodes.CLAIM_MISSING);
  });

  test("missing exp is accepted with requireExp: false", async () => {
    await ok(verifierAt(T, { requireExp: false }).verify(token({ iat: T })));
  });

  test("requireExp: false still refuses an expired exp", async () => {
    await assertAuthError(
      verifierAt(T, { requireExp: false }).verify(token({ exp: T - 60 })),
      AuthErrorCodes.EXPIRED,
    );
  });

  const invalidExp: Array<[string, unknown]> = [
    ["a numeric string", String(T + 60)],
    ["a string", "tomorrow"],
    ['the string "NaN"', "NaN"],
    ["negative", -1],
    ["huge (1e300)", 1e300],
    ["one past 9999-12-31", MAX_NUMERIC_DATE + 1],
    ["null", null],
    ["true", true],
    ["an array", [T + 60]],
    ["an object", { value: T + 60 }],
  ];
  for (const [what, value] of invalidExp) {
    test(`exp ${what} is refused (ERR_JWT_CLAIM_INVALID)`, async () => {
      await assertAuthError(verifierAt(T).verify(token({ exp: value })), AuthErrorCodes.CLAIM_INVALID);
    });
  }

  test("exp 1e400 (JSON.parse gives Infinity) is refused (ERR_JWT_CLAIM_INVALID)", async () => {
    const t = token(`{"iss":"${TEST_ISSUER}","aud":"${TEST_AUDIENCE}","exp":1e400}`);
    await assertAuthError(verifierAt(T).verify(t), AuthErrorCodes.CLAIM_INVALID);
  });

  test("exp -0 and 1e-7 are valid NumericDates (long expired)", async () => {
    const t = token(`{"iss":"${TEST_ISSUER}","aud":"${TEST_AUDIENCE}","exp":-0}`);
    await assertAuthError(verifierAt(T).verify(t), AuthErrorCodes.EXPIRED);
    await assertAuthError(verifierAt(T).verify(token({ exp: 1e-7 })), AuthErrorCodes.EXPIRED);
  });
});

describe("nbf", () => {
  test("with tolerance 0: valid exactly at nbf, not yet valid 1 ms before", async () => {
    const t = token({ nbf: T, exp: T + 600 });
    await ok(verifierAt(T, { clockToleranceSeconds: 0 }).verify(t));
    await assertAuthError(
      verifierAt(T - 0.001, { clockToleranceSeconds: 0 }).verify(t),
      AuthErrorCodes.NOT_YET_VALID,
    );
  });

  test("with the default tolerance (5 s): valid 5 s early, not valid 5.001 s early", async () => {
    const t = token({ nbf: T, exp: T + 600 });
    await ok(verifierAt(T - 5).verify(t));
    await assertAuthError(verifierAt(T - 5.001).verify(t), AuthErrorCodes.NOT_YET_VALID);
    await assertAuthError(verifierAt(T - 3600).verify(t), AuthErrorCodes.NOT_YET_VALID);
  });

  for (const [what, value] of [
    ["a string", String(T)],
    ["negative", -10],
    ["huge", 1e20],
    ["null", null],
  ] as Array<[string, unknown]>) {
    test(`nbf ${what} is refused (ERR_JWT_CLAIM_INVALID)`, async () => {
      await assertAuthError(
        verifierAt(T).verify(token({ nbf: value, exp: T + 60 })),
        AuthErrorCodes.CLAIM_INVALID,
      );
    });
  }
});

describe("iat and maxTokenAgeSeconds", () => {
  test("iat in the future within the tolerance is accepted, beyond it refused (ERR_JWT_IAT_INVALID)", async () => {
    await ok(verifierAt(T).verify(token({ iat: T + 5, exp: T + 600 })));
    await assertAuthError(
      verifierAt(T).verify(token({ iat: T + 5.001, exp: T + 600 })),
      AuthErrorCodes.IAT_INVALID,
    );
    await assertAuthError(
      verifierAt(T).verify(token({ iat: T + 3600, exp: T + 7200 })),
      AuthErrorCodes.IAT_INVALID,
    );
  });

  test("iat in the future with tolerance 0 is refused", async () => {
    await assertAuthError(
      verifierAt(T, { clockToleranceSeconds: 0 }).verify(token({ iat: T + 1, exp: T + 600 })),
      AuthErrorCodes.IAT_INVALID,
    );
  });

  for (const [what, value] of [
    ["a string", String(T)],
    ["negative", -1],
    ["an object", {}],
  ] as Array<[string, unknown]>) {
    test(`iat ${what} is refused (ERR_JWT_CLAIM_INVALID)`, async () => {
      await assertAuthError(
        verifierAt(T).verify(token({ iat: value, exp: T + 60 })),
        AuthErrorCodes.CLAIM_INVALID,
      );
    });
  }

  test("maxTokenAgeSeconds 60 (tolerance 0): age 60 s accepted, 60.001 s refused (ERR_JWT_IAT_INVALID)", async () => {
    const t = token({ iat: T, exp: T + 3600 });
    const rules = { maxTokenAgeSeconds: 60, clockToleranceSeconds: 0 };
    await ok(verifierAt(T + 60, rules).verify(t));
    await assertAuthError(verifierAt(T + 60.001, rules).verify(t), AuthErrorCodes.IAT_INVALID);
  });

  test("maxTokenAgeSeconds 60 with the default tolerance: age 65 s accepted, 65.001 s refused", async () => {
    const t = token({ iat: T, exp: T + 3600 });
    await ok(verifierAt(T + 65, { maxTokenAgeSeconds: 60 }).verify(t));
    await assertAuthError(
      verifierAt(T + 65.001, { maxTokenAgeSeconds: 60 }).verify(t),
      AuthErrorCodes.IAT_INVALID,
    );
  });

  test("maxTokenAgeSeconds needs iat (ERR_JWT_CLAIM_MISSING)", async () => {
    await assertAuthError(
      verifierAt(T, { maxTokenAgeSeconds: 60 }).verify(token({ exp: T + 60 })),
      AuthErrorCodes.CLAIM_MISSING,
    );
  });
});

describe("iss (exact match) and issuer selection", () => {
  test("the exact configured iss is accepted", async () => {
    const result = await ok(verifierAt(T).verify(token({ exp: T + 60 })));
    assert.equal(result.issuer, TEST_ISSUER);
  });

  const wrongIss: Array<[string, unknown]> = [
    ["without the trailing slash", TEST_ISSUER.slice(0, -1)],
    ["with a second trailing slash", `${TEST_ISSUER}/`],
    ["in upper case", TEST_ISSUER.toUpperCase()],
    ["with surrounding whitespace", ` ${TEST_ISSUER}`],
    ["with a path suffix", `${TEST_ISSUER}evil`],
    ["an unknown issuer", "https://evil.example/"],
    ["an empty string", ""],
  ];
  for (const [what, iss] of wrongIss) {
    test(`iss ${what} is refused (ERR_JWT_ISSUER_INVALID)`, async () => {
      await assertAuthError(verifierAt(T).verify(token({ iss, exp: T + 60 })), AuthErrorCodes.ISSUER_INVALID);
    });
  }

  for (const [what, iss] of [
    ["a number", 1],
    ["an array holding the issuer", [TEST_ISSUER]],
    ["null", null],
    ["an object", { iss: TEST_ISSUER }],
  ] as Array<[string, unknown]>) {
    test(`iss as ${what} is refused (ERR_JWT_ISSUER_INVALID)`, async () => {
      await assertAuthError(verifierAt(T).verify(token({ iss, exp: T + 60 })), AuthErrorCodes.ISSUER_INVALID);
    });
  }

  test("a missing iss is refused when every issuer is named (ERR_JWT_ISSUER_INVALID)", async () => {
    const t = token(`{"aud":"${TEST_AUDIENCE}","exp":${T + 60}}`);
    await assertAuthError(verifierAt(T).verify(t), AuthErrorCodes.ISSUER_INVALID);
  });

  describe("several issuers at once", () => {
    const rs = testKey("RS256");
    const es = testKey("ES256");
    const catchAll = testKey("HS512", 2);
    const A = "https://a.example/";
    const B = "https://b.example/";
    const verifier = () =>
      createVerifier(
        {
          issuers: [
            { issuer: A, audience: "api-a", publicKey: rs.publicPem },
            { issuer: B, audience: null, jwks: { keys: [es.publicJwk] } },
            { secret: catchAll.secret }, // no issuer: catches every other iss (and none)
          ],
          tokenCache: { maxEntries: 0 },
        },
        { now: () => T * 1000, sharedKeyCache: false },
      );
    const exp = T + 60;

    test("the token's iss selects its issuer (A by PEM, B by JWKS)", async () => {
      const v = verifier();
      const a = await v.verify(await joseSign(rs, { iss: A, aud: "api-a", exp }));
      assert.equal(a.issuer, A);
      const b = await v.verify(await joseSign(es, { iss: B, aud: "anything", exp }));
      assert.equal(b.issuer, B);
    });

    test("the issuer without iss check catches an unknown iss and a missing iss", async () => {
      const v = verifier();
      const other = await v.verify(await joseSign(catchAll, { iss: "https://other.example/", exp }));
      assert.equal(other.issuer, null);
      const none = await v.verify(await joseSign(catchAll, { exp }));
      assert.equal(none.issuer, null);
    });

    test("never two: iss A signed with the catch-all's secret is judged by A only (refused)", async () => {
      await assertAuthError(
        verifier().verify(await joseSign(catchAll, { iss: A, aud: "api-a", exp })),
        AuthErrorCodes.ALGORITHM_NOT_ALLOWED,
      );
    });

    test("never two: iss A signed with B's key is judged by A only (refused)", async () => {
      await assertAuthError(
        verifier().verify(await joseSign(es, { iss: A, aud: "api-a", exp })),
        AuthErrorCodes.ALGORITHM_NOT_ALLOWED,
      );
    });

    test("never two: iss A with A's alg but the catch-all cannot rescue a bad signature", async () => {
      const forged = await joseSign(testKey("RS256", 1), { iss: A, aud: "api-a", exp });
      await assertAuthError(verifier().verify(forged), AuthErrorCodes.SIGNATURE_INVALID);
    });

    test("an unknown iss signed with A's key goes to the catch-all and is refused", async () => {
      await assertAuthError(
        verifier().verify(await joseSign(rs, { iss: "https://c.example/", aud: "api-a", exp })),
        AuthErrorCodes.ALGORITHM_NOT_ALLOWED,
      );
    });

    test("A's audience check applies to A's tokens", async () => {
      await assertAuthError(
        verifier().verify(await joseSign(rs, { iss: A, aud: "api-b", exp })),
        AuthErrorCodes.AUDIENCE_INVALID,
      );
    });

    test("iss of a non-string type is refused even with a catch-all issuer", async () => {
      await assertAuthError(
        verifier().verify(await joseSign(catchAll, { iss: 42 as unknown as string, exp })),
        AuthErrorCodes.ISSUER_INVALID,
      );
    });
  });
});

describe("aud", () => {
  const multi = { audience: ["orders-api", "billing-api"] };

  test("a string aud equal to a configured audience is accepted", async () => {
    await ok(verifierAt(T, multi).verify(token({ aud: "billing-api", exp: T + 60 })));
  });

  test("an array aud is accepted when any member is configured", async () => {
    await ok(verifierAt(T, multi).verify(token({ aud: ["other", "billing-api"], exp: T + 60 })));
  });

  test("a string audience in the configuration works like a one-element array", async () => {
    await ok(
      verifierAt(T, { audience: "orders-api" }).verify(token({ aud: ["x", "orders-api"], exp: T + 60 })),
    );
  });

  const refused: Array<[string, unknown]> = [
    ["an array without a configured member", ["other", "another"]],
    ["a different string", "orders"],
    ["a case variant", "ORDERS-API"],
    ["an empty string", ""],
    ["an empty array", []],
    ["a number", 1],
    ["an object with the audience as key", { "orders-api": true }],
    ["an object with the audience as value", { 0: "orders-api" }],
    ["an array mixing a configured string and a number", ["orders-api", 1]],
    ["a nested array", [["orders-api"]]],
    ["null", null],
    ["true", true],
  ];
  for (const [what, aud] of refused) {
    test(`aud as ${what} is refused (ERR_JWT_AUDIENCE_INVALID)`, async () => {
      await assertAuthError(
        verifierAt(T, multi).verify(token({ aud, exp: T + 60 })),
        AuthErrorCodes.AUDIENCE_INVALID,
      );
    });
  }

  test("a missing aud is refused when an audience is configured", async () => {
    const t = token(`{"iss":"${TEST_ISSUER}","exp":${T + 60}}`);
    await assertAuthError(verifierAt(T).verify(t), AuthErrorCodes.AUDIENCE_INVALID);
  });

  test("audience null skips the check on purpose", async () => {
    await ok(verifierAt(T, { audience: null }).verify(token({ aud: "whatever", exp: T + 60 })));
    await ok(verifierAt(T, { audience: null }).verify(token(`{"iss":"${TEST_ISSUER}","exp":${T + 60}}`)));
  });
});

describe("typ", () => {
  test("not checked when not configured", async () => {
    await ok(verifierAt(T).verify(token({ exp: T + 60 }, { typ: "anything" })));
    await ok(
      verifierAt(T).verify(
        craftToken({ alg: "HS256" }, { iss: TEST_ISSUER, aud: TEST_AUDIENCE, exp: T + 60 }, { key: hs }),
      ),
    );
  });

  for (const typ of ["at+jwt", "AT+JWT", "application/at+jwt", "Application/At+Jwt", "APPLICATION/AT+JWT"]) {
    test(`configured "at+jwt" accepts typ ${JSON.stringify(typ)}`, async () => {
      await ok(verifierAt(T, { typ: "at+jwt" }).verify(token({ exp: T + 60 }, { typ })));
    });
  }

  test('configured "application/at+jwt" accepts typ "at+jwt"', async () => {
    await ok(verifierAt(T, { typ: "application/at+jwt" }).verify(token({ exp: T + 60 }, { typ: "at+jwt" })));
  });

  for (const typ of [
    "JWT",
    "at+jwt ",
    "application/jwt",
    "x-application/at+jwt",
    "application/application/at+jwt",
    7,
    null,
  ]) {
    test(`configured "at+jwt" refuses typ ${JSON.stringify(typ)} (ERR_JWT_TYPE_INVALID)`, async () => {
      await assertAuthError(
        verifierAt(T, { typ: "at+jwt" }).verify(token({ exp: T + 60 }, { typ })),
        AuthErrorCodes.TYPE_INVALID,
      );
    });
  }

  test('configured "at+jwt" refuses a token without typ (ERR_JWT_TYPE_INVALID)', async () => {
    const t = craftToken(
      { alg: "HS256" },
      { iss: TEST_ISSUER, aud: TEST_AUDIENCE, exp: T + 60 },
      { key: hs },
    );
    await assertAuthError(verifierAt(T, { typ: "at+jwt" }).verify(t), AuthErrorCodes.TYPE_INVALID);
  });
});

describe("requiredClaims", () => {
  const rules = { requiredClaims: ["email", "tenant"] };

  test("present claims (any value but null, even empty or false) are accepted", async () => {
    await ok(verifierAt(T, rules).verify(token({ email: "", tenant: false, exp: T + 60 })));
  });

  test("a missing required claim is refused (ERR_JWT_CLAIM_MISSING)", async () => {
    await assertAuthError(
      verifierAt(T, rules).verify(token({ email: "a@b", exp: T + 60 })),
      AuthErrorCodes.CLAIM_MISSING,
    );
  });

  test("a required claim that is null is refused (ERR_JWT_CLAIM_MISSING)", async () => {
    await assertAuthError(
      verifierAt(T, rules).verify(token({ email: "a@b", tenant: null, exp: T + 60 })),
      AuthErrorCodes.CLAIM_MISSING,
    );
  });

  test("names inherited from Object.prototype are not present claims", async () => {
    for (const name of ["constructor", "toString", "hasOwnProperty", "__proto__"]) {
      await assertAuthError(
        verifierAt(T, { requiredClaims: [name] }).verify(token({ exp: T + 60 })),
        AuthErrorCodes.CLAIM_MISSING,
      );
    }
  });
});

describe("validateClaims directly", () => {
  const rules = {
    audience: null,
    clockToleranceSeconds: 0,
    maxTokenAgeSeconds: null,
    requiredClaims: [],
    requireExp: true,
  };

  test("the checks run in a stable order: exp before aud", () => {
    assert.throws(
      () => validateClaims({ exp: T - 1, aud: 5 }, { ...rules, audience: ["x"] }, T),
      (e: { code: string }) => e.code === AuthErrorCodes.EXPIRED,
    );
  });

  test("messages are one line and never echo a long claim value in full", () => {
    const long = "x".repeat(500);
    try {
      validateClaims({ exp: T + 60, aud: long }, { ...rules, audience: ["orders-api"] }, T);
      assert.fail("expected a rejection");
    } catch (error) {
      const message = (error as Error).message;
      assert.ok(!message.includes("\n"));
      assert.ok(!message.includes(long));
    }
  });
});
