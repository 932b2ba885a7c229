/**
 * HTTP API simple responses under API Gateway's authorizer cache, at the handler: the cache is
 * keyed by the event's `identitySource` values and its answer is reused for every request with the
 * same values. For the same token, the answer reused from the cache must equal a fresh answer.
 * Tokens are signed with `jose`; the cache is modelled here, from AWS's documented behaviour.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { SignJWT } from "jose";
import { createAuthorizer } from "../../src/lambda/authorizer.js";
import { createMemoryLogger } from "../../src/log.js";

const ISSUER = "https://simple-cache.issuer.test/";
const SECRET = new TextEncoder().encode("simple-cache-test-secret-of-32-bytes!!");
const T = 1_700_000_000;

const sign = (claims: Record<string, unknown>) =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: "HS256" })
    .setIssuer(ISSUER)
    .setAudience("api")
    .setIssuedAt(T)
    .setExpirationTime(T + 600)
    .sign(SECRET);

function handlerFor(routes: unknown[], unmatchedRoutes: "allow" | "deny") {
  const logger = createMemoryLogger();
  const handler = createAuthorizer(
    {
      issuers: [{ issuer: ISSUER, audience: ["api"], secret: new TextDecoder().decode(SECRET) }],
      routes,
      unmatchedRoutes,
      httpApi: { response: "simple" },
    },
    { now: () => T * 1000, logger, sharedKeyCache: false },
  );
  return { handler, logger };
}

/** A payload 2.0 event for `method path` routed to `routeKey`, with the given identity sources. */
function event(token: string, method: string, path: string, routeKey: string, withRouteKey: boolean) {
  const authorization = `Bearer ${token}`;
  return {
    version: "2.0",
    type: "REQUEST",
    routeArn: `arn:aws:execute-api:us-east-1:123456789012:abc123/$default/${method}${path}`,
    identitySource: withRouteKey ? [authorization, routeKey] : [authorization],
    routeKey,
    rawPath: path,
    rawQueryString: "",
    headers: { authorization },
    requestContext: {
      accountId: "123456789012",
      apiId: "abc123",
      http: { method, path, protocol: "HTTP/1.1", sourceIp: "198.51.100.7", userAgent: "t" },
      requestId: "r",
      routeKey,
      stage: "$default",
    },
  };
}

type Request = [method: string, path: string, routeKey: string];

/** API Gateway's cache in front of the handler: the answer for each request, and the fresh one. */
async function replay(
  handler: (e: unknown) => Promise<unknown>,
  token: string,
  requests: Request[],
  withRouteKey: boolean,
) {
  const cache = new Map<string, boolean>();
  for (const [method, path, routeKey] of requests) {
    const e = event(token, method, path, routeKey, withRouteKey);
    const fresh = ((await handler(e)) as { isAuthorized: boolean }).isAuthorized;
    const key = e.identitySource.join("\u0000");
    const reused = cache.get(key);
    if (reused === undefined) cache.set(key, fresh);
    else
      assert.equal(
        reused,
        fresh,
        `${method} ${path} (${routeKey}): cached ${reused}, fresh ${fresh}, identity ${withRouteKey ? "token + routeKey" : "token"}`,
      );
  }
}

const DEMO = [
  { route: "GET /hello", allow: true },
  { route: "GET /orders/{id}", scopes: ["orders:read"] },
  { route: "ANY /admin/{proxy+}", claims: { groups: ["admin"] } },
];
const TENANT = [
  { route: "GET /{tenant}/reports/export", scopes: ["admin"] },
  { route: "GET /public/{section}/{page}", allow: true },
];

describe("simple responses: a cached answer equals a fresh one", () => {
  test("demo rules: /anything ($default) then GET /admin/ ($default, inside the admin zone)", async () => {
    const { handler } = handlerFor(DEMO, "allow");
    const token = await sign({ sub: "u", scope: "orders:read" });
    for (const withRouteKey of [true, false]) {
      await replay(
        handler,
        token,
        [
          ["GET", "/anything", "$default"],
          ["GET", "/admin/", "$default"],
          ["GET", "/hello", "GET /hello"],
          ["GET", "/orders/1", "GET /orders/{id}"],
          ["GET", "/admin/users", "ANY /admin/{proxy+}"],
        ],
        withRouteKey,
      );
    }
  });

  test("tenant rules: /public/reports/export then /acme/reports/export on the same route key", async () => {
    const { handler } = handlerFor(TENANT, "deny");
    const token = await sign({ sub: "u", scope: "reports" });
    // Whichever route the gateway picked for /public/reports/export, both requests share its key.
    for (const routeKey of ["GET /{tenant}/reports/export", "GET /public/{section}/{page}"]) {
      const requests: Request[] = [
        ["GET", "/public/reports/export", routeKey],
        ["GET", "/acme/reports/export", "GET /{tenant}/reports/export"],
      ];
      for (const withRouteKey of [true, false]) await replay(handler, token, requests, withRouteKey);
    }
  });

  test("the demo stays useful with token + routeKey: allowed, forbidden and open routes", async () => {
    const { handler } = handlerFor(DEMO, "allow");
    const token = await sign({ sub: "u", scope: "orders:read" });
    const answer = async (method: string, path: string, routeKey: string) =>
      ((await handler(event(token, method, path, routeKey, true))) as { isAuthorized: boolean }).isAuthorized;
    assert.equal(await answer("GET", "/hello", "GET /hello"), true);
    assert.equal(await answer("GET", "/orders/1", "GET /orders/{id}"), true);
    assert.equal(await answer("GET", "/admin/users", "ANY /admin/{proxy+}"), false);
  });

  test("without the route key among the identity sources, the answer is route-independent, with a warning", async () => {
    const { handler, logger } = handlerFor(DEMO, "allow");
    const token = await sign({ sub: "u", scope: "orders:read" });
    const r = (await handler(event(token, "GET", "/hello", "GET /hello", false))) as {
      isAuthorized: boolean;
    };
    assert.equal(r.isAuthorized, false, "a principal failing the admin rule is refused everywhere");
    assert.ok(
      logger.lines.some((l) => l.event === "simple_response_route_independent" && l.level === "WARN"),
    );
  });
});
