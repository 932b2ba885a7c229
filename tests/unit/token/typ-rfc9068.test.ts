/**
 * RFC 9068 access tokens: the issuer's `typ` setting, as a user meets it through `createAuthorizer`
 * and real API Gateway events, plus the comparison rules under it.
 *
 * - RFC 9068 §2.1: access tokens carry `typ: "at+jwt"`; §4: a resource server "MUST verify that the
 *   typ header value is at+jwt or application/at+jwt and reject tokens carrying any other value".
 * - RFC 7515 §4.1.9: `typ` is a media type; the `application/` prefix may be left out only when no
 *   other `/` appears; media types compare case-insensitively (RFC 2045 §5.1: ASCII case only).
 * - RFC 8725 §3.11: explicit typing, so one kind of JWT cannot pass for another.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ConfigError } from "../../../src/errors.js";
import { createAuthorizer } from "../../../src/lambda/authorizer.js";
import { createMemoryLogger } from "../../../src/log.js";
import { createVerifier } from "../../../src/token/verifier.js";
import {
  assertAuthError,
  issuerConfig,
  joseSign,
  TEST_AUDIENCE,
  TEST_ISSUER,
  testKey,
} from "../../helpers/keys.js";
import { loadEvent } from "../adapters/fixtures.js";

const hs = testKey("HS256");
const now = Math.floor(Date.now() / 1000);
const claims = { iss: TEST_ISSUER, aud: TEST_AUDIENCE, sub: "u1", exp: now + 600, iat: now };

function authorizer(typ: string | null) {
  const logger = createMemoryLogger();
  const handler = createAuthorizer(
    {
      issuers: [issuerConfig(hs, "secret", { typ })],
      tokenSources: ["header:authorization", "query:access_token"],
      tokenCache: { maxEntries: 0 },
    },
    { logger, sharedKeyCache: false },
  );
  return { handler, logger };
}

const verifier = (typ: string) =>
  createVerifier(
    { issuers: [issuerConfig(hs, "secret", { typ })], tokenCache: { maxEntries: 0 } },
    { sharedKeyCache: false },
  );

describe("RFC 9068 typ through createAuthorizer and real events", { timeout: 30_000 }, () => {
  for (const typ of ["at+jwt", "application/at+jwt", "AT+JWT", "Application/AT+jwt"]) {
    test(`typ "at+jwt" configured: a token with typ ${JSON.stringify(typ)} is allowed (REST TOKEN, HTTP 2.0)`, async () => {
      const { handler } = authorizer("at+jwt");
      const token = await joseSign(hs, claims, { typ });
      const rest = (await handler(loadEvent("rest-token", token) as unknown)) as {
        policyDocument: { Statement: { Effect: string }[] };
      };
      assert.ok(rest.policyDocument.Statement.some((s) => s.Effect === "Allow"));
      const http = (await handler(loadEvent("http-v2", token) as unknown)) as { isAuthorized: boolean };
      assert.equal(http.isAuthorized, true);
    });
  }

  for (const [what, typ] of [
    ["JWT", "JWT"],
    ["application/jwt", "application/jwt"],
    ["no typ at all", undefined],
  ] as const) {
    test(`typ "at+jwt" configured: a token with ${what} is 401 (ERR_JWT_TYPE_INVALID)`, async () => {
      const { handler, logger } = authorizer("at+jwt");
      const token = await joseSign(hs, claims, typ === undefined ? {} : { typ });
      for (const name of ["rest-token", "rest-request", "http-v2", "websocket-connect"] as const) {
        await assert.rejects(handler(loadEvent(name, token) as unknown), { message: "Unauthorized" });
      }
      const reasons = logger.lines.filter((l) => l.event === "decision").map((l) => l.reason);
      assert.deepEqual(reasons, Array(4).fill("ERR_JWT_TYPE_INVALID"));
    });
  }

  test("typ not configured: any typ, and none, is accepted (RFC 9068 is opt-in per issuer)", async () => {
    const { handler } = authorizer(null);
    for (const header of [{}, { typ: "JWT" }, { typ: "at+jwt" }]) {
      const http = (await handler(loadEvent("http-v2", await joseSign(hs, claims, header)) as unknown)) as {
        isAuthorized: boolean;
      };
      assert.equal(http.isAuthorized, true);
    }
  });
});

describe("typ comparison: ASCII case only, and the application/ prefix only as RFC 7515 §4.1.9 allows", () => {
  test("a non-ASCII letter that lower-cases to an ASCII one does not match (KELVIN SIGN is not K)", async () => {
    // "\u212A".toLowerCase() === "k": a Unicode case fold would take it for "kb+jwt".
    const token = await joseSign(hs, claims, { typ: "\u212Ab+jwt" });
    await assertAuthError(verifier("kb+jwt").verify(token), "ERR_JWT_TYPE_INVALID");
    await verifier("kb+jwt").verify(await joseSign(hs, claims, { typ: "KB+JWT" }));
  });

  test("application/ is implied only for a typ without another slash", async () => {
    const full = await joseSign(hs, claims, { typ: "application/example/at+jwt" });
    await assertAuthError(verifier("example/at+jwt").verify(full), "ERR_JWT_TYPE_INVALID");
    const bare = await joseSign(hs, claims, { typ: "example/at+jwt" });
    await verifier("example/at+jwt").verify(bare);
  });

  for (const typ of ["application/", " at+jwt", "at+jwt\n", "at jwt", "\uFF41t+jwt", "a/b/c", ""]) {
    test(`a typ setting that can never match a media type is a ConfigError: ${JSON.stringify(typ)}`, () => {
      assert.throws(
        () => createAuthorizer({ issuers: [issuerConfig(hs, "secret", { typ })] }),
        (error: unknown) => error instanceof ConfigError && error.field === "issuers[0].typ",
      );
    });
  }
});
