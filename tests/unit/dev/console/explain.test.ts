/**
 * Unit: what the console's explainer, routes table and page compute — the verification as checks
 * (passed, failed with the reason, not reached), times in words, route rules and answers, the
 * page's filters, and the API's refusal of cross-site requests. Tokens are signed with `jose`.
 */
import assert from "node:assert/strict";
import type { IncomingMessage } from "node:http";
import { describe, it } from "node:test";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { matchesFilter, reasonText, routeLine, visibleRecords } from "../../../../console/view.js";
import { checkConsolePrefix, crossSiteRefusal } from "../../../../src/dev/console/handler.js";
import { ruleText, sampleRequest } from "../../../../src/dev/console/routes.js";
import { inspectToken } from "../../../../src/inspect/inspect-token.js";
import { humanSpan, timesOf } from "../../../../src/inspect/times.js";
import { parseConfig } from "../../../../src/lambda/config.js";

const ISSUER = "https://id.example.com";
const { privateKey, publicKey } = await generateKeyPair("ES256");
const jwk = { ...(await exportJWK(publicKey)), kid: "k1", alg: "ES256", use: "sig" };
const config = parseConfig({
  issuers: [{ issuer: ISSUER, audience: ["orders-api"], jwks: { keys: [jwk] } }],
  routes: [
    { route: "GET /orders/{id}", scopes: ["orders:read"] },
    { route: "ANY /admin/{proxy+}", claims: { groups: ["admin"] } },
  ],
});
const NOW = 1_800_000_000;

function sign(claims: Record<string, unknown>, times: { iat: number; exp: number }): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "ES256", typ: "JWT", kid: "k1" })
    .setIssuer(ISSUER)
    .setSubject("alice")
    .setAudience("orders-api")
    .setIssuedAt(times.iat)
    .setExpirationTime(times.exp)
    .sign(privateKey);
}

const environment = { now: () => NOW * 1000 };

describe("console explainer: checks and times (the inspect core)", () => {
  it("an expired token: the time check fails with the expiry in words, earlier checks pass, later ones are not reached", async () => {
    const token = await sign({ scope: "orders:read" }, { iat: NOW - 3600, exp: NOW - 14 * 60 });
    const report = await inspectToken(token, config, { environment });
    assert.equal(report.verification.valid, false);
    assert.equal(report.verification.code, "ERR_JWT_EXPIRED");
    const status = Object.fromEntries(report.checks.map((c) => [c.name, c.status]));
    assert.deepEqual(status, {
      decode: "passed",
      issuer: "passed",
      header: "passed",
      key: "passed",
      signature: "passed",
      time: "failed",
      claims: "not reached",
      principal: "not reached",
    });
    const time = report.checks.find((c) => c.name === "time")!;
    assert.equal(
      time.detail,
      `The token expired 14 minutes ago (exp ${new Date((NOW - 840) * 1000).toISOString()}).`,
    );
    assert.equal(report.times.exp?.relative, "expired 14 minutes ago");
    assert.equal(report.times.iat?.relative, "issued 1 hour ago");
  });

  it("a valid token: every check passes, and the route answer says what is missing", async () => {
    const token = await sign({ scope: "orders:read" }, { iat: NOW - 60, exp: NOW + 14 * 60 + 30 });
    const report = await inspectToken(token, config, {
      environment,
      route: { method: "DELETE", path: "/admin/users" },
    });
    assert.ok(report.checks.every((c) => c.status === "passed"));
    assert.equal(report.times.exp?.relative, "expires in 14 minutes");
    assert.equal(report.route?.status, 403);
    assert.equal(report.route?.reason, "ERR_CLAIM_MISMATCH");
  });

  it("a token of another issuer fails at the issuer check", async () => {
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: "ES256", kid: "k1" })
      .setIssuer("https://elsewhere.example")
      .setExpirationTime(NOW + 60)
      .sign(privateKey);
    const report = await inspectToken(token, config, { environment });
    assert.deepEqual(
      report.checks.slice(0, 3).map((c) => c.status),
      ["passed", "failed", "not reached"],
    );
  });

  it("without a configuration every check is skipped with the reason", async () => {
    const token = await sign({}, { iat: NOW, exp: NOW + 60 });
    const report = await inspectToken(token, null, { environment, noConfiguration: "not gatepass's" });
    assert.ok(report.checks.every((c) => c.status === "skipped" && c.detail === "not gatepass's"));
  });

  it("spans in words", () => {
    assert.equal(humanSpan(0.4), "less than a second");
    assert.equal(humanSpan(59), "59 seconds");
    assert.equal(humanSpan(60), "1 minute");
    assert.equal(humanSpan(-7200), "2 hours");
    assert.equal(humanSpan(3 * 86400), "3 days");
    assert.equal(timesOf({ nbf: NOW + 120 }, NOW).nbf?.relative, "not valid for another 2 minutes");
  });
});

describe("console routes table", () => {
  it("says a rule in words", () => {
    assert.equal(ruleText({ route: "GET /a", scopes: ["orders:read"] }), "scope orders:read");
    assert.equal(ruleText({ route: "GET /a", scopes: ["a", "b"], scopesMode: "any" }), "scope any of a or b");
    assert.equal(
      ruleText({ route: "GET /a", claims: { groups: ["admin", "ops"] } }),
      "claim groups: admin or ops",
    );
    assert.equal(ruleText({ route: "GET /a", allow: true }), "any authenticated caller");
    assert.equal(ruleText({ route: "GET /a" }), "a valid token");
  });

  it("turns a route key into a concrete request", () => {
    assert.deepEqual(sampleRequest("ANY /admin/{proxy+}"), { method: "GET", path: "/admin/example" });
    assert.deepEqual(sampleRequest("POST /orders/{id}/items"), {
      method: "POST",
      path: "/orders/example/items",
    });
    assert.equal(sampleRequest("$connect"), null);
  });

  it("says a route answer in one line", () => {
    assert.equal(
      routeLine({ request: "GET /orders/42", status: 403, why: "ERR_SCOPE_MISSING: needs orders:write" }),
      "GET /orders/42 → 403: ERR_SCOPE_MISSING: needs orders:write",
    );
    assert.equal(routeLine({ request: "GET /hello", status: 200, why: "" }), "GET /hello → 200");
  });
});

describe("console page: filters and texts", () => {
  const rows = [
    { id: 1, group: "allow", path: "/orders/42" },
    { id: 2, group: "deny", path: "/admin/users" },
    { id: 3, group: "unauthorized", path: "/orders/7" },
  ] as const;

  it("filters by outcome group and by part of the path, case-insensitively, newest first", () => {
    assert.ok(matchesFilter(rows[0], { group: "", path: "" }));
    assert.ok(!matchesFilter(rows[0], { group: "deny", path: "" }));
    assert.ok(matchesFilter(rows[1], { group: "deny", path: "ADMIN" }));
    const visible = visibleRecords(rows as never, { group: "", path: "/orders" });
    assert.deepEqual(
      visible.map((r) => r.id),
      [3, 1],
    );
  });

  it("shows the reason code with its sentence, else the gateway's reason", () => {
    assert.equal(
      reasonText({
        reasonCode: "ERR_JWT_EXPIRED",
        authorizerReason: "ERR_JWT_EXPIRED: The token expired.",
        reason: "x",
      }),
      "ERR_JWT_EXPIRED: The token expired.",
    );
    assert.equal(
      reasonText({ reasonCode: null, authorizerReason: null, reason: "identity source missing" }),
      "identity source missing",
    );
  });
});

describe("console API: cross-site requests and the prefix", () => {
  const req = (headers: Record<string, string>) =>
    ({ headers: { host: "127.0.0.1:4000", ...headers } }) as unknown as IncomingMessage;

  it("refuses another site's page, another origin, and a body that is not JSON", () => {
    assert.match(crossSiteRefusal(req({ "sec-fetch-site": "cross-site" }), "GET")!, /own page only/);
    assert.match(crossSiteRefusal(req({ "sec-fetch-site": "same-site" }), "POST")!, /own page only/);
    assert.match(
      crossSiteRefusal(req({ origin: "http://evil.example", "content-type": "application/json" }), "POST")!,
      /Origin/,
    );
    assert.match(crossSiteRefusal(req({ "content-type": "text/plain" }), "POST")!, /application\/json/);
    assert.match(
      crossSiteRefusal(req({ "content-type": "application/x-www-form-urlencoded" }), "POST")!,
      /json/,
    );
  });

  it("answers its own page and local tools", () => {
    assert.equal(
      crossSiteRefusal(
        req({
          "sec-fetch-site": "same-origin",
          origin: "http://127.0.0.1:4000",
          "content-type": "application/json",
        }),
        "POST",
      ),
      undefined,
    );
    assert.equal(
      crossSiteRefusal(req({ "content-type": "application/json; charset=utf-8" }), "POST"),
      undefined,
    );
    assert.equal(crossSiteRefusal(req({}), "GET"), undefined);
  });

  it("takes a path as prefix, and refuses anything else", () => {
    assert.equal(checkConsolePrefix("/_gatepass/"), "/_gatepass");
    assert.equal(checkConsolePrefix("/dev/console"), "/dev/console");
    for (const bad of ["", "/", "_gatepass", "/a b", "/../x", "/a?b"])
      assert.throws(() => checkConsolePrefix(bad), /console prefix/, bad);
  });
});
