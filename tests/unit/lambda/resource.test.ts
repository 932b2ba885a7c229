/**
 * The protected resource (`resource`: RFC 9728, RFC 8707, RFC 6750 §3) through the handler, with the
 * real API Gateway event shapes (`tests/fixtures/events/`) and tokens signed by `jose`:
 * - every token must name `resource.uri` in `aud` (401 `ERR_JWT_AUDIENCE_INVALID` otherwise);
 * - a REST policy answer that denies some route carries the `insufficient_scope` challenge in its
 *   context (`wwwAuthenticate`), for the `ACCESS_DENIED` Gateway Response; an answer allowing the
 *   whole stage carries none; HTTP API and WebSocket answers carry none and log one warning.
 * The expected challenges are written out literally, and the cached-policy property is judged by the
 * independent IAM reference (`tests/helpers/iam-reference.ts`).
 */
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import { createAuthorizer } from "../../../src/lambda/authorizer.js";
import { createMemoryLogger } from "../../../src/log.js";
import { referenceEvaluate } from "../../helpers/iam-reference.js";
import { type FixtureName, loadEvent } from "../adapters/fixtures.js";

const ISSUER = "https://as.example.test/";
const OTHER_ISSUER = "https://other.example.test/";
const RESOURCE = "https://api.example.com/mcp";
const METADATA = "https://api.example.com/.well-known/oauth-protected-resource/mcp";
const SECRET = "resource-test-shared-secret-of-32-bytes-or-more!";
const OPTS = { timeout: 20_000 };
const PREFIX = "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/prod/";

const RULES = [
  { route: "GET /orders/{id}", scopes: ["orders:read"] },
  { route: "POST /orders", scopes: ["orders:read", "orders:write"] },
  { route: "DELETE /orders/{id}", claims: { groups: "admin" } },
  { route: "GET /reports/{proxy+}", scopes: ["reports:read"] },
  { route: "ANY /users/{id}", scopes: ["users:manage", "orders:write"], scopesMode: "any" },
];

let esPrivate: Awaited<ReturnType<typeof generateKeyPair>>["privateKey"];
let esPublic: JWK;
before(async () => {
  const pair = await generateKeyPair("ES256", { extractable: true });
  esPrivate = pair.privateKey;
  esPublic = { ...(await exportJWK(pair.publicKey)), kid: "es-1", alg: "ES256" };
});

function config(extra: Record<string, unknown> = {}, issuer: Record<string, unknown> = {}) {
  return {
    issuers: [{ issuer: ISSUER, audience: ["orders-api"], secret: SECRET, ...issuer }],
    tokenSources: ["header:authorization", "query:access_token"],
    routes: RULES,
    resource: { uri: RESOURCE, authorizationServers: [ISSUER], scopesSupported: ["orders:read"] },
    ...extra,
  };
}

function authorizer(cfg: Record<string, unknown>) {
  const logger = createMemoryLogger();
  return { handler: createAuthorizer(cfg, { logger }), logger };
}

async function hsToken(claims: Record<string, unknown>, aud: string | string[] | null): Promise<string> {
  const jwt = new SignJWT({ sub: "client-7", ...claims })
    .setProtectedHeader({ alg: "HS256" })
    .setIssuer(ISSUER)
    .setIssuedAt()
    .setExpirationTime("5m");
  if (aud !== null) jwt.setAudience(aud);
  return jwt.sign(new TextEncoder().encode(SECRET));
}

async function esToken(iss: string, aud: string | string[] | null, scope = "orders:read"): Promise<string> {
  const jwt = new SignJWT({ sub: "client-9", scope })
    .setProtectedHeader({ alg: "ES256", kid: "es-1" })
    .setIssuer(iss)
    .setIssuedAt()
    .setExpirationTime("5m");
  if (aud !== null) jwt.setAudience(aud);
  return jwt.sign(esPrivate);
}

/** A REST event of `name` for `METHOD /path` (its ARN rewritten, `path`/`httpMethod` too when present). */
function restEvent(name: FixtureName, jwt: string, method = "GET", path = "/orders/42") {
  const e = loadEvent(name, jwt);
  e.methodArn = `${PREFIX}${method}${path}`;
  if ("path" in e) e.path = path;
  if ("httpMethod" in e) e.httpMethod = method;
  return e;
}

type PolicyAnswer = {
  principalId: string;
  policyDocument: { Statement: Array<{ Effect: string; Resource: string[] }> };
  context?: Record<string, unknown>;
};

async function refusedWith(run: ReturnType<typeof authorizer>, event: unknown, reason: string) {
  await assert.rejects(run.handler(event as never), (err: Error) => err.message === "Unauthorized");
  const decision = run.logger.lines.find((l) => l.message === "decision" || l.event === "decision");
  assert.equal(decision?.reason, reason);
  assert.equal(decision?.outcome, "unauthorized");
}

const challenge = (scope?: string) =>
  `Bearer resource_metadata="${METADATA}", error="insufficient_scope"${scope === undefined ? "" : `, scope="${scope}"`}`;

describe("resource: aud must name the resource (RFC 8707)", () => {
  for (const name of ["rest-token", "rest-request"] as const) {
    test(`${name}: aud holding the resource and the issuer's audience is allowed`, OPTS, async () => {
      const run = authorizer(config());
      const jwt = await hsToken({ scope: "orders:read" }, ["orders-api", RESOURCE]);
      const answer = (await run.handler(restEvent(name, jwt) as never)) as PolicyAnswer;
      assert.equal(answer.policyDocument.Statement[0]!.Effect, "Allow");
    });

    test(`${name}: aud without the resource is refused (401, ERR_JWT_AUDIENCE_INVALID)`, OPTS, async () => {
      const run = authorizer(config());
      const jwt = await hsToken({ scope: "orders:read" }, "orders-api");
      await refusedWith(run, restEvent(name, jwt), "ERR_JWT_AUDIENCE_INVALID");
      const line = run.logger.lines.find((l) => l.message === "decision");
      assert.match(String(line?.detail), /resource\.uri/);
      assert.ok(!JSON.stringify(run.logger.lines).includes(jwt), "the token is logged");
    });
  }

  test("the resource alone does not satisfy the issuer's own audience", OPTS, async () => {
    const run = authorizer(config());
    const jwt = await hsToken({ scope: "orders:read" }, RESOURCE);
    await refusedWith(run, restEvent("rest-token", jwt), "ERR_JWT_AUDIENCE_INVALID");
  });

  test("compared exactly: another case, a trailing slash or a prefix is refused", OPTS, async () => {
    for (const aud of [
      "https://API.example.com/mcp",
      `${RESOURCE}/`,
      "https://api.example.com",
      ["orders-api", `${RESOURCE}#x`],
    ]) {
      const run = authorizer(config());
      const jwt = await hsToken({ scope: "orders:read" }, Array.isArray(aud) ? aud : ["orders-api", aud]);
      await refusedWith(run, restEvent("rest-token", jwt), "ERR_JWT_AUDIENCE_INVALID");
    }
  });

  test("a token without aud is refused", OPTS, async () => {
    const run = authorizer(config({}, { audience: null }));
    const jwt = await hsToken({ scope: "orders:read" }, null);
    await refusedWith(run, restEvent("rest-token", jwt), "ERR_JWT_AUDIENCE_INVALID");
  });

  test("audience null skips the issuer's check, not the resource's", OPTS, async () => {
    const run = authorizer(config({}, { audience: null }));
    const ok = await hsToken({ scope: "orders:read" }, RESOURCE);
    const answer = (await run.handler(restEvent("rest-token", ok) as never)) as PolicyAnswer;
    assert.equal(answer.policyDocument.Statement[0]!.Effect, "Allow");
    const other = await hsToken({ scope: "orders:read" }, "https://elsewhere.example.com/");
    await refusedWith(
      authorizer(config({}, { audience: null })),
      restEvent("rest-token", other),
      "ERR_JWT_AUDIENCE_INVALID",
    );
  });

  test(
    "a public-key issuer listed in authorizationServers may omit audience: its audience is the resource",
    OPTS,
    async () => {
      const cfg = {
        issuers: [{ issuer: ISSUER, jwks: { keys: [esPublic] } }],
        resource: { uri: RESOURCE, authorizationServers: [ISSUER] },
      };
      const ok = await esToken(ISSUER, RESOURCE);
      const answer = (await authorizer(cfg).handler(restEvent("rest-token", ok) as never)) as PolicyAnswer;
      assert.equal(answer.policyDocument.Statement[0]!.Effect, "Allow");
      const other = await esToken(ISSUER, "orders-api");
      await refusedWith(authorizer(cfg), restEvent("rest-token", other), "ERR_JWT_AUDIENCE_INVALID");
    },
  );

  test("an issuer not listed in authorizationServers must still name the resource", OPTS, async () => {
    const cfg = {
      issuers: [
        { issuer: ISSUER, audience: null, secret: SECRET },
        { issuer: OTHER_ISSUER, audience: ["legacy-api"], jwks: { keys: [esPublic] } },
      ],
      resource: { uri: RESOURCE, authorizationServers: [ISSUER] },
    };
    const ok = await esToken(OTHER_ISSUER, ["legacy-api", RESOURCE]);
    const answer = (await authorizer(cfg).handler(restEvent("rest-token", ok) as never)) as PolicyAnswer;
    assert.equal(answer.policyDocument.Statement[0]!.Effect, "Allow");
    const legacy = await esToken(OTHER_ISSUER, "legacy-api");
    await refusedWith(authorizer(cfg), restEvent("rest-token", legacy), "ERR_JWT_AUDIENCE_INVALID");
  });

  for (const name of ["http-v2", "http-v1", "websocket-connect"] as const) {
    test(`${name}: the resource audience is checked too`, OPTS, async () => {
      const jwt = await hsToken({ scope: "orders:read" }, "orders-api");
      await refusedWith(authorizer(config()), loadEvent(name, jwt), "ERR_JWT_AUDIENCE_INVALID");
    });
  }

  test("without resource, a token without the resource URI is accepted as before", OPTS, async () => {
    const cfg = config();
    delete (cfg as Record<string, unknown>).resource;
    const jwt = await hsToken({ scope: "orders:read" }, "orders-api");
    const answer = (await authorizer(cfg).handler(restEvent("rest-token", jwt) as never)) as PolicyAnswer;
    assert.equal(answer.policyDocument.Statement[0]!.Effect, "Allow");
    assert.equal(answer.context?.wwwAuthenticate, undefined);
  });
});

describe("resource: the insufficient_scope challenge in a REST Deny's context (RFC 6750 §3)", () => {
  const AUD = ["orders-api", RESOURCE];

  for (const name of ["rest-token", "rest-request"] as const) {
    test(`${name}: a Deny carries the challenge with the scopes of every failing rule`, OPTS, async () => {
      const run = authorizer(config());
      const jwt = await hsToken({ scope: "profile" }, AUD);
      const answer = (await run.handler(restEvent(name, jwt) as never)) as PolicyAnswer;
      assert.equal(referenceEvaluate(answer.policyDocument, `${PREFIX}GET/orders/42`), "explicit-deny");
      assert.equal(
        answer.context?.wwwAuthenticate,
        challenge("orders:read orders:write reports:read users:manage"),
      );
    });

    test(
      `${name}: an Allow whose policy denies other routes carries it too (the cache reuses it)`,
      OPTS,
      async () => {
        const jwt = await hsToken({ scope: "orders:read" }, AUD);
        const answer = (await authorizer(config()).handler(restEvent(name, jwt) as never)) as PolicyAnswer;
        assert.equal(referenceEvaluate(answer.policyDocument, `${PREFIX}GET/orders/42`), "allow");
        assert.notEqual(referenceEvaluate(answer.policyDocument, `${PREFIX}POST/orders`), "allow");
        // Held and known (orders:read) plus what the failing rules name.
        assert.equal(
          answer.context?.wwwAuthenticate,
          challenge("orders:read orders:write reports:read users:manage"),
        );
        assert.equal(answer.context?.sub, "client-7");
      },
    );

    test(`${name}: an Allow of the whole stage carries no challenge`, OPTS, async () => {
      const jwt = await hsToken(
        { scope: "orders:read orders:write reports:read users:manage", groups: ["admin"] },
        AUD,
      );
      const answer = (await authorizer(config()).handler(restEvent(name, jwt) as never)) as PolicyAnswer;
      assert.deepEqual(
        answer.policyDocument.Statement.map((s) => s.Effect),
        ["Allow"],
      );
      assert.equal(answer.context?.wwwAuthenticate, undefined);
      assert.ok(answer.context !== undefined && !("wwwAuthenticate" in answer.context));
    });
  }

  test("a denial not about scopes: the challenge names no scope", OPTS, async () => {
    const jwt = await hsToken({ scope: "orders:read orders:write reports:read users:manage" }, AUD);
    const answer = (await authorizer(config()).handler(
      restEvent("rest-token", jwt, "DELETE", "/orders/42") as never,
    )) as PolicyAnswer;
    assert.notEqual(referenceEvaluate(answer.policyDocument, `${PREFIX}DELETE/orders/42`), "allow");
    assert.equal(answer.context?.wwwAuthenticate, challenge());
  });

  test("unmatchedRoutes deny: an allow-list policy carries the challenge", OPTS, async () => {
    const jwt = await hsToken(
      { scope: "orders:read orders:write reports:read users:manage", groups: "admin" },
      AUD,
    );
    const answer = (await authorizer(config({ unmatchedRoutes: "deny" })).handler(
      restEvent("rest-token", jwt) as never,
    )) as PolicyAnswer;
    assert.equal(referenceEvaluate(answer.policyDocument, `${PREFIX}GET/nowhere`), "implicit-deny");
    assert.equal(answer.context?.wwwAuthenticate, challenge());
  });

  test("metadataUrl, when set, is the URL the challenge names", OPTS, async () => {
    const metadataUrl =
      "https://abc123.execute-api.eu-west-1.amazonaws.com/prod/.well-known/oauth-protected-resource";
    const cfg = config({
      resource: { uri: RESOURCE, authorizationServers: [ISSUER], metadataUrl },
    });
    const jwt = await hsToken({ scope: "profile" }, AUD);
    const answer = (await authorizer(cfg).handler(restEvent("rest-token", jwt) as never)) as PolicyAnswer;
    assert.match(
      String(answer.context?.wwwAuthenticate),
      new RegExp(`^Bearer resource_metadata="${metadataUrl}", `),
    );
  });

  test(
    "sizes: the challenge stays within 2048 bytes and wins over the claims in context.maxBytes",
    OPTS,
    async () => {
      const many = Array.from({ length: 400 }, (_, i) => `scope:number:${i}`);
      const cfg = config({
        routes: [{ route: "GET /orders/{id}", scopes: many }],
        context: { claims: ["sub", "email"], maxBytes: 64 },
      });
      const jwt = await hsToken({ scope: "profile", email: "someone@example.com".repeat(4) }, AUD);
      const run = authorizer(cfg);
      const answer = (await run.handler(restEvent("rest-token", jwt) as never)) as PolicyAnswer;
      const value = String(answer.context?.wwwAuthenticate);
      // 400 scopes do not fit: the challenge keeps the metadata URL and the error, without scope.
      assert.equal(value, challenge());
      assert.ok(Buffer.byteLength(value) <= 2048);
      assert.equal(answer.context?.email, undefined);
      assert.ok(run.logger.lines.some((l) => l.message === "context_truncated"));
    },
  );

  test("sizes: a scope list that fits is kept whole", OPTS, async () => {
    const some = Array.from({ length: 40 }, (_, i) => `s${String(i).padStart(2, "0")}`);
    const cfg = config({ routes: [{ route: "GET /orders/{id}", scopes: some }] });
    const jwt = await hsToken({ scope: "s00" }, AUD);
    const answer = (await authorizer(cfg).handler(restEvent("rest-token", jwt) as never)) as PolicyAnswer;
    assert.equal(answer.context?.wwwAuthenticate, challenge(some.join(" ")));
  });

  test("scopes that are not RFC 6749 scope-tokens are left out of the challenge", OPTS, async () => {
    const cfg = config({
      routes: [{ route: "GET /orders/{id}", scopes: ["orders:read", 'bad"scope', "é"] }],
    });
    const jwt = await hsToken({ scope: "profile" }, AUD);
    const answer = (await authorizer(cfg).handler(restEvent("rest-token", jwt) as never)) as PolicyAnswer;
    assert.equal(answer.context?.wwwAuthenticate, challenge("orders:read"));
  });

  for (const name of ["http-v2", "http-v1", "websocket-connect"] as const) {
    test(
      `${name}: no challenge, one resource_challenge_unavailable warning, the decision unchanged`,
      OPTS,
      async () => {
        const run = authorizer(config({ httpApi: { response: "iam" } }));
        const denied = await hsToken({ scope: "profile" }, AUD);
        for (let i = 0; i < 3; i++) {
          const answer = (await run.handler(loadEvent(name, denied) as never)) as PolicyAnswer;
          assert.equal(answer.context?.wwwAuthenticate, undefined);
        }
        const warnings = run.logger.lines.filter((l) => l.message === "resource_challenge_unavailable");
        assert.equal(warnings.length, 1);
        assert.equal(warnings[0]!.level, "WARN");
      },
    );
  }

  test("http-v2 simple responses: the warning too, and the decision unchanged", OPTS, async () => {
    const run = authorizer(config());
    const jwt = await hsToken({ scope: "orders:read" }, AUD);
    const answer = (await run.handler(loadEvent("http-v2", jwt) as never)) as unknown as {
      isAuthorized: boolean;
      context: Record<string, unknown>;
    };
    assert.equal(answer.isAuthorized, true);
    assert.equal(answer.context.wwwAuthenticate, undefined);
    assert.equal(run.logger.lines.filter((l) => l.message === "resource_challenge_unavailable").length, 1);
  });
});

describe("resource: the cached answer's challenge is right for every route it denies (IAM reference)", () => {
  const SCOPES = ["orders:read", "orders:write", "reports:read", "users:manage"];
  const ROUTES: Array<[string, string]> = [
    ["GET", "/orders/42"],
    ["POST", "/orders"],
    ["GET", "/reports/2026/q1"],
    ["PUT", "/users/9"],
    ["GET", "/public/x"],
    ["DELETE", "/orders/1"],
  ];
  /** Scope-only routes: a token granted the challenged scopes must pass them. */
  const SCOPE_ONLY = new Set(["GET /orders/42", "POST /orders", "GET /reports/2026/q1", "PUT /users/9"]);
  const subsets = Array.from({ length: 1 << SCOPES.length }, (_, mask) =>
    SCOPES.filter((_, i) => mask & (1 << i)),
  );

  test("for every principal, route A and route B the cached policy of A denies", {
    timeout: 120_000,
  }, async () => {
    const handler = createAuthorizer(config(), { logger: createMemoryLogger() });
    const AUD = ["orders-api", RESOURCE];
    let checked = 0;
    for (const granted of subsets) {
      const jwt = await hsToken({ scope: granted.join(" ") }, AUD);
      for (const [m, p] of ROUTES) {
        const answer = (await handler(restEvent("rest-token", jwt, m, p) as never)) as PolicyAnswer;
        const deniedRoutes = ROUTES.filter(
          ([bm, bp]) => referenceEvaluate(answer.policyDocument, `${PREFIX}${bm}${bp}`) !== "allow",
        );
        const value = answer.context?.wwwAuthenticate as string | undefined;
        if (deniedRoutes.length === 0) continue;
        assert.ok(value !== undefined, `${granted} on ${m} ${p}: a policy denying routes has no challenge`);
        const scope = /, scope="([^"]*)"$/.exec(value)?.[1];
        for (const [bm, bp] of deniedRoutes) {
          if (!SCOPE_ONLY.has(`${bm} ${bp}`)) continue;
          assert.ok(
            scope !== undefined,
            `${granted}: ${bm} ${bp} is denied for scopes, the challenge names none`,
          );
          // The client re-authorizes with exactly the challenged scopes: B must then be allowed.
          const upgraded = await hsToken({ scope }, AUD);
          const fresh = (await handler(restEvent("rest-token", upgraded, bm, bp) as never)) as PolicyAnswer;
          assert.equal(
            referenceEvaluate(fresh.policyDocument, `${PREFIX}${bm}${bp}`),
            "allow",
            `${granted}: re-authorized with "${scope}", ${bm} ${bp} is still denied`,
          );
          // Nothing held and known is lost.
          for (const s of granted) assert.ok(scope.split(" ").includes(s), `"${scope}" drops the held ${s}`);
          checked++;
        }
      }
    }
    assert.ok(checked > 100, `only ${checked} cases checked`);
  });
});
