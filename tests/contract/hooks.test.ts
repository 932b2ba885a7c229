/**
 * The library hooks for what configuration cannot say: `check(payload, header)` (createVerifier and
 * createAuthorizer; like aws-jwt-verify's `customJwtCheck`) and `context(payload)` (createAuthorizer),
 * through real API Gateway events. Oracles: API Gateway's answers (an Allow for the event's ARN, or
 * `Unauthorized` → 401), the decision log line's `reason`, and what `readAuthorizerContext` reads.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { readAuthorizerContext } from "../../src/backend/read-authorizer-context.js";
import { ConfigError } from "../../src/errors.js";
import { type AuthorizerOptions, buildAuthorizer, createAuthorizer } from "../../src/lambda/authorizer.js";
import { parseConfig, rulesFor } from "../../src/lambda/config.js";
import { createMemoryLogger } from "../../src/log.js";
import { createVerifier } from "../../src/token/verifier.js";
import {
  assertAuthError,
  issuerConfig,
  joseSign,
  TEST_AUDIENCE,
  TEST_ISSUER,
  testKey,
} from "../helpers/keys.js";
import { loadEvent } from "../unit/adapters/fixtures.js";

const key = testKey("HS256");
const now = Math.floor(Date.now() / 1000);
const claims = {
  iss: TEST_ISSUER,
  aud: TEST_AUDIENCE,
  sub: "u1",
  exp: now + 600,
  tenant: "acme",
  email: "a@x",
};

type Policy = {
  principalId: string;
  policyDocument: { Statement: { Effect: string }[] };
  context?: Record<string, unknown>;
};

function setup(options: AuthorizerOptions, cache = true) {
  const logger = createMemoryLogger();
  const handler = createAuthorizer(
    {
      issuers: [issuerConfig(key, "secret")],
      context: { claims: ["sub", "email", "/tenant"] },
      tokenCache: { maxEntries: cache ? 100 : 0 },
    },
    { logger, sharedKeyCache: false, ...options },
  );
  const decisions = () => logger.lines.filter((l) => l.event === "decision");
  return { handler, logger, decisions };
}

const allowed = (answer: Policy) => answer.policyDocument.Statement.some((s) => s.Effect === "Allow");

describe("check hook", { timeout: 30_000 }, () => {
  test("accepts with undefined or true, sync or async; gets the verified payload, header and issuer", async () => {
    const seen: unknown[] = [];
    for (const check of [
      () => undefined,
      () => true,
      async () => undefined,
      async () => true,
      (
        payload: Readonly<Record<string, unknown>>,
        header: Readonly<Record<string, unknown>>,
        token: { issuer: string | null },
      ) => {
        seen.push(payload.tenant, header.alg, token.issuer);
      },
    ]) {
      const { handler } = setup({ check });
      const token = await joseSign(key, claims);
      assert.equal(allowed((await handler(loadEvent("rest-token", token) as unknown)) as Policy), true);
    }
    assert.deepEqual(seen, ["acme", "HS256", TEST_ISSUER]);
  });

  test("false refuses: 401 with ERR_CHECK_REFUSED, on every event kind", async () => {
    const { handler, decisions } = setup({ check: (p) => p.tenant === "other" });
    const token = await joseSign(key, claims);
    for (const name of ["rest-token", "rest-request", "http-v1", "http-v2"] as const) {
      await assert.rejects(handler(loadEvent(name, token) as unknown), { message: "Unauthorized" });
    }
    assert.deepEqual(
      decisions().map((l) => [l.outcome, l.reason]),
      Array(4).fill(["unauthorized", "ERR_CHECK_REFUSED"]),
    );
  });

  test("an ERR_* code of its own refuses with that code as the reason (sync and async)", async () => {
    for (const check of [
      () => "ERR_TENANT_SUSPENDED" as const,
      async () => "ERR_TENANT_SUSPENDED" as const,
    ]) {
      const { handler, decisions } = setup({ check });
      await assert.rejects(handler(loadEvent("http-v2", await joseSign(key, claims)) as unknown), {
        message: "Unauthorized",
      });
      assert.equal(decisions()[0]!.reason, "ERR_TENANT_SUSPENDED");
      assert.equal(decisions()[0]!.level, "INFO");
    }
  });

  test("runs on every request, cached tokens included (a cached verification never skips it)", async () => {
    let suspended = false;
    const { handler } = setup({ check: () => (suspended ? "ERR_TENANT_SUSPENDED" : true) }, true);
    const token = await joseSign(key, claims);
    assert.equal(allowed((await handler(loadEvent("rest-token", token) as unknown)) as Policy), true);
    suspended = true;
    await assert.rejects(handler(loadEvent("rest-token", token) as unknown), { message: "Unauthorized" });
  });

  test("fails closed: a throw, a rejection, or an answer it may not give is 401 ERR_HOOK_FAILED at level error", async () => {
    const bad: Array<[string, () => unknown]> = [
      [
        "throws",
        () => {
          throw new Error("db down");
        },
      ],
      [
        "throws a non-error",
        () => {
          throw "nope";
        },
      ],
      [
        "rejects",
        async () => {
          throw new TypeError("boom");
        },
      ],
      ["answers null", () => null],
      ["answers a number", () => 0],
      ["answers an object", () => ({ ok: true })],
      ["answers a lower-case code", () => "err_x"],
      ["answers a rule code (a 403 code)", () => "ERR_SCOPE_MISSING"],
      [
        "answers a thenable that throws",
        () => ({
          // biome-ignore lint/suspicious/noThenProperty: a hostile thenable is the case under test
          get then() {
            throw new Error("x");
          },
        }),
      ],
    ];
    for (const [what, check] of bad) {
      const { handler, decisions } = setup({ check: check as never });
      const token = await joseSign(key, claims);
      await assert.rejects(
        handler(loadEvent("rest-token", token) as unknown),
        { message: "Unauthorized" },
        what,
      );
      const line = decisions()[0]!;
      assert.equal(line.reason, "ERR_HOOK_FAILED", what);
      assert.equal(line.level, "ERROR", what);
      assert.ok(!JSON.stringify(line).includes(token), "the token is never logged");
    }
  });

  test("the payload it gets is frozen: a hook cannot change what the rules read", async () => {
    const { handler, decisions } = setup(
      {
        check: (payload) => {
          (payload as Record<string, unknown>).tenant = "hacked";
        },
      },
      false,
    );
    await assert.rejects(handler(loadEvent("rest-token", await joseSign(key, claims)) as unknown), {
      message: "Unauthorized",
    });
    assert.equal(decisions()[0]!.reason, "ERR_HOOK_FAILED");
  });

  test("createVerifier: verify rejects with an AuthError, code ERR_CHECK_REFUSED and the hook's reason", async () => {
    const verifier = createVerifier(
      { issuers: [issuerConfig(key, "secret")] },
      { sharedKeyCache: false, check: () => "ERR_NOT_ONBOARDED" },
    );
    const error = (await assertAuthError(
      verifier.verify(await joseSign(key, claims)),
      "ERR_CHECK_REFUSED",
    )) as unknown as Error & {
      reason: string;
    };
    assert.equal(error.reason, "ERR_NOT_ONBOARDED");
    const ok = createVerifier(
      { issuers: [issuerConfig(key, "secret")] },
      { sharedKeyCache: false, check: () => true },
    );
    assert.equal((await ok.verify(await joseSign(key, claims))).payload.sub, "u1");
  });

  test("a given verifier gets the check too; a hook that is not a function is a ConfigError", async () => {
    const verifier = createVerifier({ issuers: [issuerConfig(key, "secret")] }, { sharedKeyCache: false });
    const { handler } = setup({ verifier, check: () => false });
    await assert.rejects(handler(loadEvent("rest-token", await joseSign(key, claims)) as unknown), {
      message: "Unauthorized",
    });
    assert.throws(() => setup({ check: "x" as never }), ConfigError);
    // The internal builder (what the Lambda bundles use) never drops a hook silently.
    const cfg = parseConfig({ issuers: [issuerConfig(key, "secret")] });
    assert.throws(() => buildAuthorizer(cfg, rulesFor(cfg), { check: () => false }), ConfigError);
    assert.throws(() => setup({ context: 1 as never }), ConfigError);
  });
});

describe("context hook", { timeout: 30_000 }, () => {
  test("adds values after the claims, types restored by readAuthorizerContext (REST) and kept (HTTP 2.0)", async () => {
    const { handler } = setup({
      context: (payload) => ({
        plan: "gold",
        seats: 5,
        trial: false,
        tenantUpper: String(payload.tenant).toUpperCase(),
      }),
    });
    const token = await joseSign(key, claims);
    const rest = (await handler(loadEvent("rest-token", token) as unknown)) as Policy;
    assert.equal(allowed(rest), true);
    const authorizer: Record<string, string> = { principalId: rest.principalId };
    for (const [k, v] of Object.entries(rest.context!)) authorizer[k] = String(v);
    const read = readAuthorizerContext({ requestContext: { authorizer } });
    assert.deepEqual(
      {
        plan: read.claims.plan,
        seats: read.claims.seats,
        trial: read.claims.trial,
        t: read.claims.tenantUpper,
      },
      { plan: "gold", seats: 5, trial: false, t: "ACME" },
    );
    assert.equal(read.claims.sub, "u1");
    assert.equal(read.claims["/tenant"], "acme");
    const http = (await handler(loadEvent("http-v2", token) as unknown)) as {
      context: Record<string, unknown>;
    };
    assert.equal(http.context.seats, 5);
    assert.equal(http.context.principalId, "u1");
  });

  test("never overrides gatepass's own keys; other types and oversize values are left out and logged", async () => {
    const { handler, logger } = setup({
      context: async () => ({
        sub: "evil",
        email: "evil@x",
        "/tenant": "evil",
        "/other": "x",
        principalId: "evil",
        claims: "x",
        integrationLatency: 1,
        "gatepass:json": "[]",
        __proto__: "x",
        nested: { a: 1 } as never,
        list: [1] as never,
        nan: Number.NaN,
        big: "x".repeat(10_000),
        fine: "yes",
      }),
    });
    const token = await joseSign(key, claims);
    const rest = (await handler(loadEvent("rest-token", token) as unknown)) as Policy;
    assert.equal(rest.principalId, "u1");
    assert.equal(rest.context!.sub, "u1");
    assert.equal(rest.context!.email, "a@x");
    assert.equal(rest.context!["/tenant"], "acme");
    assert.equal(rest.context!.fine, "yes");
    for (const k of ["/other", "principalId", "claims", "integrationLatency", "nested", "list", "nan", "big"])
      assert.equal(Object.hasOwn(rest.context!, k), false, k);
    assert.equal(rest.context!["gatepass:json"], undefined);
    const truncated = logger.lines.find((l) => l.event === "context_truncated");
    assert.ok(truncated);
    for (const k of ["sub", "/other", "principalId", "nested", "big"])
      assert.ok((truncated.dropped as string[]).includes(k), k);
    const http = (await handler(loadEvent("http-v2", token) as unknown)) as {
      context: Record<string, unknown>;
    };
    assert.equal(http.context.principalId, "u1");
    assert.equal(({} as Record<string, unknown>).x, undefined);
  });

  test("fails closed: a throw or an answer that is not an object is 401 ERR_HOOK_FAILED", async () => {
    for (const context of [
      () => {
        throw new Error("lookup failed");
      },
      async () => Promise.reject(new Error("x")),
      () => "x",
      () => [1],
      () => null,
      () =>
        new Proxy(
          {},
          {
            ownKeys: () => {
              throw new Error("trap");
            },
          },
        ),
    ]) {
      const { handler, decisions } = setup({ context: context as never });
      await assert.rejects(handler(loadEvent("http-v2", await joseSign(key, claims)) as unknown), {
        message: "Unauthorized",
      });
      assert.equal(decisions()[0]!.reason, "ERR_HOOK_FAILED");
    }
  });

  test("answering undefined adds nothing", async () => {
    const { handler } = setup({ context: () => undefined });
    const rest = (await handler(loadEvent("rest-token", await joseSign(key, claims)) as unknown)) as Policy;
    assert.deepEqual(Object.keys(rest.context!).sort(), ["/tenant", "email", "sub"]);
  });
});
