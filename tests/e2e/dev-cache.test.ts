/**
 * e2e: API Gateway's authorizer result cache, emulated — keyed by the identity source values,
 * reused for every route, its policy evaluated against each new request's ARN. The classic bug
 * (a policy for exactly `methodArn` → 403 on the second route) shows up locally; gatepass's own
 * authorizer, whose policies cover the whole API, does not have it.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import * as unsafe from "../fixtures/dev/cache-unsafe-authorizer.mjs";
import {
  bearer,
  call,
  fixture,
  manualClock,
  startTestServer,
  type TestServer,
} from "../fixtures/dev/harness.js";

describe("gatepass dev: a cache-unsafe authorizer", () => {
  const clock = manualClock();
  let cached: TestServer;
  let uncached: TestServer;
  before(async () => {
    cached = await startTestServer({
      authorizer: fixture("cache-unsafe-authorizer.mjs"),
      dev: { api: "rest-token", resultTtlSeconds: 300 },
      now: clock.now,
    });
    uncached = await startTestServer({
      authorizer: fixture("cache-unsafe-authorizer.mjs"),
      dev: { api: "rest-token", resultTtlSeconds: 0 },
    });
  });
  after(async () => {
    await cached.close();
    await uncached.close();
  });

  it("gets 403 on the second route with the same token while the result is cached", async () => {
    const calls = unsafe.calls.length;
    const first = await call(`${cached.url}/orders/1`, { headers: bearer("token-a") });
    assert.equal(first.status, 200);
    const second = await call(`${cached.url}/orders/2`, { headers: bearer("token-a") });
    assert.equal(second.status, 403);
    assert.deepEqual(second.json(), { Message: "User is not authorized to access this resource" });
    assert.equal(unsafe.calls.length, calls + 1, "the second request was answered from the cache");
    const lines = cached.requests().slice(-2);
    assert.deepEqual(
      lines.map((l) => [l.status, l.cache]),
      [
        [200, "miss"],
        [403, "hit"],
      ],
    );
    // The same route again still matches the cached policy.
    assert.equal((await call(`${cached.url}/orders/1`, { headers: bearer("token-a") })).status, 200);
  });

  it("keys the cache by the token: another token is a miss", async () => {
    assert.equal((await call(`${cached.url}/orders/2`, { headers: bearer("token-b") })).status, 200);
    assert.equal(cached.requests().at(-1)!.cache, "miss");
  });

  it("calls the authorizer again once the TTL has passed", async () => {
    assert.equal((await call(`${cached.url}/orders/3`, { headers: bearer("token-a") })).status, 403);
    clock.advance(300_001);
    assert.equal((await call(`${cached.url}/orders/3`, { headers: bearer("token-a") })).status, 200);
    assert.equal(cached.requests().at(-1)!.cache, "miss");
  });

  it("works on every route with the cache off (TTL 0), which is why the bug hides until deployment", async () => {
    assert.equal((await call(`${uncached.url}/orders/1`, { headers: bearer("token-a") })).status, 200);
    assert.equal((await call(`${uncached.url}/orders/2`, { headers: bearer("token-a") })).status, 200);
    assert.equal(uncached.requests().at(-1)!.cache, "off");
  });
});

describe("gatepass dev: gatepass's own authorizer with the cache on", () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer(); // the embedded default: rest-token, TTL 300, demo routes
  });
  after(() => t.close());

  it("answers every route correctly from one cached policy", async () => {
    const { access_token } = t.server.mintToken({ sub: "cache-user", scope: "orders:read" });
    const auth = bearer(access_token);
    const hello = await call(`${t.url}/hello`, { headers: auth });
    assert.equal(hello.status, 200, hello.text);
    assert.equal((await call(`${t.url}/orders/42`, { headers: auth })).status, 200);
    const admin = await call(`${t.url}/admin/users`, { headers: auth });
    assert.equal(admin.status, 403);
    assert.deepEqual(admin.json(), {
      Message: "User is not authorized to access this resource with an explicit deny",
    });
    assert.equal((await call(`${t.url}/orders/43`, { headers: auth })).status, 200);
    assert.deepEqual(
      t
        .requests()
        .slice(-4)
        .map((l) => l.cache),
      ["miss", "hit", "hit", "hit"],
    );
  });

  it("gives an admin the admin routes, and a token without the scope a 403 on orders only", async () => {
    const admin = t.server.mintToken({ sub: "root", claims: { groups: ["admin"] } }).access_token;
    assert.equal((await call(`${t.url}/admin/users`, { headers: bearer(admin) })).status, 200);
    const noScope = t.server.mintToken({ sub: "plain" }).access_token;
    assert.equal((await call(`${t.url}/hello`, { headers: bearer(noScope) })).status, 200);
    assert.equal((await call(`${t.url}/orders/1`, { headers: bearer(noScope) })).status, 403);
  });

  it("answers 401 for a bad token, and the request line carries the authorizer's reason", async () => {
    const res = await call(`${t.url}/hello`, { headers: bearer("not.a.jwt") });
    assert.equal(res.status, 401);
    const line = t.requests().at(-1)!;
    assert.equal(line.outcome, "unauthorized");
    assert.match(String(line.authorizer), /^ERR_/);
  });
});

describe("gatepass dev: a cached simple response applies to every route", () => {
  let t: TestServer;
  let calls = 0;
  before(async () => {
    t = await startTestServer({
      // Decides per route — which the cache defeats, as on AWS.
      authorizer: async (event: unknown) => {
        calls++;
        return {
          isAuthorized: (event as { routeKey: string }).routeKey === "GET /public",
          context: { n: calls },
        };
      },
      config: {
        routes: [
          { route: "GET /public", allow: true },
          { route: "GET /private", allow: true },
        ],
        // The token alone as identity source: one cached answer for every route.
        dev: { api: "http-v2-simple", resultTtlSeconds: 60, identitySources: ["header:authorization"] },
      },
    });
  });
  after(() => t.close());

  it("reuses true for a route the authorizer would refuse, and false for one it would allow", async () => {
    assert.equal((await call(`${t.url}/public`, { headers: bearer("one") })).status, 200);
    assert.equal((await call(`${t.url}/private`, { headers: bearer("one") })).status, 200);
    assert.equal((await call(`${t.url}/private`, { headers: bearer("two") })).status, 403);
    assert.equal((await call(`${t.url}/public`, { headers: bearer("two") })).status, 403);
    assert.equal(calls, 2);
  });
});

/**
 * HTTP API simple responses are cached per identity-source values and reused for every request
 * with the same values: for the same token, a cached answer must equal a fresh one, on every route.
 * Each scenario primes the cache with one request, then compares the answer for a second request
 * with the answer a server without cache gives for it.
 */
describe("gatepass dev http-v2-simple: a cached simple response equals a fresh one", () => {
  const TENANT_CONFIG = {
    routes: [
      { route: "GET /{tenant}/reports/export", scopes: ["admin"] },
      { route: "GET /public/{section}/{page}", allow: true },
    ],
    unmatchedRoutes: "deny",
  };
  const servers: TestServer[] = [];
  const start = async (options: Parameters<typeof startTestServer>[0]) => {
    const t = await startTestServer(options);
    servers.push(t);
    return t;
  };
  after(async () => {
    for (const t of servers) await t.close();
  });

  it("demo: a token that called /anything ($default) is still refused on GET /admin/", async () => {
    const cached = await start({ dev: { api: "http-v2-simple" } });
    const fresh = await start({ dev: { api: "http-v2-simple", resultTtlSeconds: 0 } });
    const token = cached.server.mintToken({ sub: "demo-user", scope: "orders:read" }).access_token;
    const freshToken = fresh.server.mintToken({ sub: "demo-user", scope: "orders:read" }).access_token;
    const auth = bearer(token);
    await call(`${cached.url}/anything`, { headers: auth });
    const reused = await call(`${cached.url}/admin/`, { headers: auth });
    const direct = await call(`${fresh.url}/admin/`, { headers: bearer(freshToken) });
    assert.equal(direct.status, 403);
    assert.equal(reused.status, 403, "the cached answer of /anything was reused on /admin/");
  });

  it("demo stays useful: an allowed, a forbidden and an unauthenticated route", async () => {
    const t = await start({ dev: { api: "http-v2-simple" } });
    const auth = bearer(t.server.mintToken({ sub: "demo-user", scope: "orders:read" }).access_token);
    assert.equal((await call(`${t.url}/hello`, { headers: auth })).status, 200);
    assert.equal((await call(`${t.url}/orders/42`, { headers: auth })).status, 200);
    assert.equal((await call(`${t.url}/admin/users`, { headers: auth })).status, 403);
    assert.equal((await call(`${t.url}/hello`)).status, 401);
    const admin = bearer(t.server.mintToken({ sub: "root", claims: { groups: ["admin"] } }).access_token);
    assert.equal((await call(`${t.url}/admin/users`, { headers: admin })).status, 200);
  });

  it("tenant rules: priming /public/reports/export does not open /acme/reports/export", async () => {
    const dev = {
      api: "http-v2-simple" as const,
      identitySources: ["header:authorization", "context:routeKey"],
    };
    const cached = await start({ config: { ...TENANT_CONFIG, dev: { ...dev, resultTtlSeconds: 300 } } });
    const fresh = await start({ config: { ...TENANT_CONFIG, dev: { ...dev, resultTtlSeconds: 0 } } });
    const token = cached.server.mintToken({ sub: "reader", scope: "reports" }).access_token;
    const freshToken = fresh.server.mintToken({ sub: "reader", scope: "reports" }).access_token;
    await call(`${cached.url}/public/reports/export`, { headers: bearer(token) });
    const reused = await call(`${cached.url}/acme/reports/export`, { headers: bearer(token) });
    const direct = await call(`${fresh.url}/acme/reports/export`, { headers: bearer(freshToken) });
    assert.equal(direct.status, 403);
    assert.equal(reused.status, 403, "the answer cached for /public/reports/export was reused");
  });

  it("routes /public/reports/export to GET /public/{section}/{page}, as the rules decide it", async () => {
    const t = await start({
      config: { ...TENANT_CONFIG, dev: { api: "http-v2-simple", resultTtlSeconds: 0 } },
      lambda: async (event: unknown) => ({
        statusCode: 200,
        body: JSON.stringify({ routeKey: (event as { routeKey?: string }).routeKey }),
      }),
    });
    const auth = bearer(t.server.mintToken({ sub: "reader" }).access_token);
    const res = await call(`${t.url}/public/reports/export`, { headers: auth });
    assert.equal(res.status, 200);
    assert.deepEqual(res.json(), { routeKey: "GET /public/{section}/{page}" });
  });
});
