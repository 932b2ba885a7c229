/**
 * e2e: usage plans keyed by the authorizer (`apiKeySource: AUTHORIZER`), emulated by `gatepass dev`
 * over real HTTP on 127.0.0.1. gatepass's authorizer returns the token's `client_id` as
 * `usageIdentifierKey`; the gateway meters it per key: a token bucket (burst, then 429
 * `{"message":"Too Many Requests"}`), a quota (429 `{"message":"Limit Exceeded"}`), and a key in
 * no plan (403 `{"message":"Forbidden"}`). The clock is manual: no request depends on timing.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { quotaPeriod } from "../../src/dev/usage-plans.js";
import { ConfigError } from "../../src/errors.js";
import { parseConfig } from "../../src/lambda/config.js";
import { bearer, call, manualClock, startTestServer, type TestServer } from "../fixtures/dev/harness.js";

const ACME = "acme-key-0123456789abcd";
const BETA = "beta-key-0123456789abcd";
const QUOTA = "quota-key-0123456789abcd";
const BURST = 3;

const config = (dev: Record<string, unknown>) => ({
  usageIdentifierClaim: "client_id",
  dev: {
    api: "rest-token",
    resultTtlSeconds: 300,
    usagePlans: [
      { keys: [ACME, BETA], throttle: { rateLimit: 0.01, burstLimit: BURST } },
      { keys: [QUOTA], quota: { limit: 2, period: "DAY" } },
    ],
    ...dev,
  },
});

describe("gatepass dev: usage plans keyed by the authorizer's usageIdentifierKey", {
  timeout: 60_000,
}, () => {
  const clock = manualClock(Date.UTC(2026, 0, 5, 12));
  let t: TestServer;
  let off: TestServer;
  const token = (server: TestServer, clientId?: string) =>
    bearer(
      server.server.mintToken({
        sub: "svc",
        ...(clientId === undefined ? {} : { claims: { client_id: clientId } }),
      }).access_token,
    );
  before(async () => {
    t = await startTestServer({ config: config({ apiKeyRequired: true }), now: clock.now });
    off = await startTestServer({ config: config({}), now: clock.now });
  });
  after(async () => {
    await t.close();
    await off.close();
  });

  it("allows a burst of N, answers the N+1th 429 Too Many Requests, per key, and refills at the rate", async () => {
    const acme = token(t, ACME);
    for (let i = 0; i < BURST; i++)
      assert.equal((await call(`${t.url}/orders/${i}`, { headers: acme })).status, 200, `request ${i + 1}`);
    const throttled = await call(`${t.url}/orders/9`, { headers: acme });
    assert.equal(throttled.status, 429);
    assert.equal(throttled.text, '{"message":"Too Many Requests"}');
    assert.equal(throttled.headers["content-type"], "application/json");
    assert.ok(throttled.headers["x-amzn-requestid"], "the request id header of REST APIs");
    assert.equal(t.requests().at(-1)!.outcome, "throttled");
    // Another key of the same plan has a bucket of its own.
    assert.equal((await call(`${t.url}/orders/1`, { headers: token(t, BETA) })).status, 200);
    // 0.01 request per second: one more request after 100 s, and not two.
    clock.advance(100_000);
    assert.equal((await call(`${t.url}/orders/1`, { headers: acme })).status, 200);
    assert.equal((await call(`${t.url}/orders/1`, { headers: acme })).status, 429);
  });

  it("answers 429 Limit Exceeded past the quota, until the next UTC day", async () => {
    const q = token(t, QUOTA);
    assert.equal((await call(`${t.url}/a`, { headers: q })).status, 200);
    assert.equal((await call(`${t.url}/b`, { headers: q })).status, 200);
    const over = await call(`${t.url}/c`, { headers: q });
    assert.equal(over.status, 429);
    assert.equal(over.text, '{"message":"Limit Exceeded"}');
    assert.equal(t.requests().at(-1)!.outcome, "quota-exceeded");
    clock.advance(86_400_000);
    assert.equal((await call(`${t.url}/d`, { headers: token(t, QUOTA) })).status, 200);
  });

  it("answers 403 Forbidden for a key in no usage plan", async () => {
    const stranger = await call(`${t.url}/orders/1`, { headers: token(t, "stranger-key-0123456789") });
    assert.equal(stranger.status, 403);
    assert.equal(stranger.text, '{"message":"Forbidden"}');
    assert.equal(t.requests().at(-1)!.outcome, "invalid-api-key");
  });

  it("answers 401 when the token has no usage identifier claim (the authorizer refuses it)", async () => {
    const none = await call(`${t.url}/orders/1`, { headers: token(t) });
    assert.equal(none.status, 401);
    assert.equal(none.text, '{"message":"Unauthorized"}');
  });

  it("passes the metered key to a Lambda backend as requestContext.identity.apiKey", async () => {
    const backend = await startTestServer({
      config: config({ apiKeyRequired: true }),
      now: clock.now,
      lambda: async (event: unknown) => ({
        statusCode: 200,
        body: JSON.stringify((event as { requestContext: { identity: unknown } }).requestContext.identity),
      }),
    });
    try {
      const answer = await call(`${backend.url}/orders/1`, { headers: token(backend, BETA) });
      assert.equal(answer.status, 200);
      assert.equal((answer.json() as { apiKey: unknown }).apiKey, BETA);
    } finally {
      await backend.close();
    }
  });

  it("meters nothing when the API does not require API keys", async () => {
    const acme = token(off, ACME);
    for (let i = 0; i < BURST + 3; i++)
      assert.equal((await call(`${off.url}/orders/${i}`, { headers: acme })).status, 200, `request ${i + 1}`);
  });
});

describe("dev.usagePlans: configuration and periods", () => {
  const doc = (usagePlans: unknown) => ({ issuers: [{ secret: "s".repeat(32) }], dev: { usagePlans } });

  it("refuses a key in two plans, a bad throttle and an unknown period, naming the field", () => {
    const cases: [unknown, RegExp][] = [
      [[{ keys: ["k1"] }, { keys: ["k1"] }], /dev\.usagePlans\[1\]\.keys\[0\]/],
      [
        [{ keys: ["k1"], throttle: { rateLimit: 0, burstLimit: 1 } }],
        /dev\.usagePlans\[0\]\.throttle\.rateLimit/,
      ],
      [[{ keys: ["k1"], throttle: { rateLimit: 1 } }], /dev\.usagePlans\[0\]\.throttle\.burstLimit/],
      [[{ keys: ["k1"], quota: { limit: 1, period: "YEAR" } }], /dev\.usagePlans\[0\]\.quota\.period/],
      [[{ keys: [] }], /dev\.usagePlans\[0\]\.keys/],
      [[{ keys: ["k1"], rate: 1 }], /dev\.usagePlans\[0\]/],
    ];
    for (const [plans, field] of cases)
      assert.throws(
        () => parseConfig(doc(plans)),
        (e: unknown) => e instanceof ConfigError && field.test(e.message),
        JSON.stringify(plans),
      );
    assert.deepEqual(parseConfig(doc([{ keys: ["k1"], quota: { limit: 5 } }])).dev.usagePlans, [
      { keys: ["k1"], quota: { limit: 5, period: "DAY" } },
    ]);
  });

  it("counts quotas per UTC day, week from Monday, and month", () => {
    const sunday = Date.UTC(2026, 0, 4, 23, 59, 59);
    const monday = Date.UTC(2026, 0, 5, 0, 0, 0);
    const nextSunday = Date.UTC(2026, 0, 11, 23, 59, 59);
    assert.notEqual(quotaPeriod("WEEK", sunday), quotaPeriod("WEEK", monday));
    assert.equal(quotaPeriod("WEEK", monday), quotaPeriod("WEEK", nextSunday));
    assert.notEqual(quotaPeriod("DAY", sunday), quotaPeriod("DAY", monday));
    assert.equal(quotaPeriod("MONTH", monday), quotaPeriod("MONTH", Date.UTC(2026, 0, 31, 23)));
    assert.notEqual(quotaPeriod("MONTH", monday), quotaPeriod("MONTH", Date.UTC(2026, 1, 1)));
  });
});
