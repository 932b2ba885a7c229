/**
 * Unit: what the dev console computes for a request record — credentials found and replaced
 * (never a whole token nor a signature), the outcome groups, reason codes, the deciding
 * statement's sentence, and the bounded ring of records.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { generateKeyPair, SignJWT } from "jose";
import { decidingStatement } from "../../../../src/dev/console/decision.js";
import { buildView, outcomeGroup, RequestRecorder } from "../../../../src/dev/console/records.js";
import { createRedactor, credentialsOf } from "../../../../src/dev/console/redact.js";
import type { Verdict } from "../../../../src/dev/gateway.js";
import type { DevRequest } from "../../../../src/dev/request.js";

const { privateKey } = await generateKeyPair("ES256");
const token = await new SignJWT({ scope: "orders:read", groups: ["staff"] })
  .setProtectedHeader({ alg: "ES256", typ: "JWT", kid: "k1" })
  .setIssuer("http://127.0.0.1:4000")
  .setSubject("alice")
  .setAudience("gatepass-dev")
  .setExpirationTime("1h")
  .setIssuedAt()
  .sign(privateKey);
const signature = token.split(".")[2]!;

const ARN = "arn:aws:execute-api:us-east-1:123456789012:gatepass01/dev/GET/orders/42";

function devRequest(headers: string[], rawQuery = ""): DevRequest {
  return {
    method: "GET",
    path: "/orders/42",
    rawQuery,
    rawHeaders: headers,
    sourceIp: "127.0.0.1",
    protocol: "HTTP/1.1",
    requestId: "7d7f7c1e-0000-4000-8000-000000000001",
    timeEpoch: Date.UTC(2026, 0, 2, 3, 4, 5),
  };
}

const identity = { headers: new Set(["authorization", "x-token"]), query: new Set(["access"]) };
const recorderOptions = { identity, arnOf: () => ARN, backendDescription: "demo" };

const allow = (reason: string): Verdict => ({
  allowed: true,
  outcome: "allow",
  caller: { principalId: "alice", context: {}, latencyMs: 3 },
  reason,
  cache: "miss",
});

describe("console records: credentials", () => {
  it("finds the bearer token, its Bearer value, a cookie value and a credential-named query value", () => {
    const found = credentialsOf(
      devRequest(
        [
          "Host",
          "127.0.0.1",
          "Authorization",
          `Bearer ${token}`,
          "Cookie",
          "session=s3cr3t-cookie; theme=dark",
        ],
        "access=opaque-token-123&page=2",
      ),
      identity,
    );
    assert.deepEqual(found.tokens, [token]);
    for (const secret of [`Bearer ${token}`, token, "s3cr3t-cookie", "opaque-token-123"])
      assert.ok(found.secrets.includes(secret), secret);
    assert.ok(!found.secrets.includes("2"));
  });

  it("replaces every credential in an authorizer event, headers, multi-value headers and identity sources alike", () => {
    const headers = ["Authorization", `Bearer ${token}`, "X-Token", "opaque-value-xyz"];
    const { secrets } = credentialsOf(devRequest(headers), identity);
    const redacted = JSON.stringify(
      createRedactor(secrets)({
        type: "REQUEST",
        authorizationToken: `Bearer ${token}`,
        headers: { Authorization: `Bearer ${token}`, "X-Token": "opaque-value-xyz" },
        multiValueHeaders: { Authorization: [`Bearer ${token}`] },
        identitySource: [`Bearer ${token}`],
        nested: { deeper: [`prefix ${token} suffix`] },
      }),
    );
    assert.ok(!redacted.includes(signature), "no signature");
    assert.ok(
      !redacted.includes(token.split(".").slice(0, 2).join(".")),
      "no token without its signature either",
    );
    assert.ok(!redacted.includes("opaque-value-xyz"));
    assert.match(redacted, /signature elided/);
  });

  it("replaces a JWT found anywhere, even one the request did not carry (a backend echoing one)", () => {
    const out = createRedactor([])({ body: `{"echo":"${token}"}` }) as { body: string };
    assert.ok(!out.body.includes(signature));
  });
});

describe("console records: the view of a request", () => {
  it("decodes the token with the signature elided, and no string of the record holds the signature", () => {
    const view = buildView(
      1,
      {
        request: devRequest(["Authorization", `Bearer ${token}`]),
        status: 200,
        outcome: "allow",
        verdict: allow(`an Allow matches ${ARN}`),
        durationMs: 4.2,
        explained: "rule GET /orders/{id}",
        backend: { event: { headers: { Authorization: `Bearer ${token}` } }, answer: { statusCode: 200 } },
      },
      {
        event: { type: "TOKEN", authorizationToken: `Bearer ${token}`, methodArn: ARN },
        answer: {
          principalId: "alice",
          policyDocument: {
            Version: "2012-10-17",
            Statement: [
              { Effect: "Allow", Action: "execute-api:Invoke", Resource: `${ARN.replace("/42", "/*")}` },
            ],
          },
        },
        cached: false,
      },
      recorderOptions,
    );
    const text = JSON.stringify(view);
    assert.ok(!text.includes(signature), "no signature anywhere in the record");
    assert.ok(!text.includes(token));
    assert.equal(view.tokens.length, 1);
    assert.equal((view.tokens[0]!.payload as Record<string, unknown>).sub, "alice");
    assert.equal(view.tokens[0]!.signature, "elided");
    assert.equal(view.principal, "alice");
    assert.equal(view.group, "allow");
    assert.equal(view.time, "2026-01-02T03:04:05.000Z");
    assert.equal(view.decision?.index, 0);
    assert.equal(view.backend?.description, "demo");
  });

  it("takes the reason code from gatepass's explanation", () => {
    const view = buildView(
      2,
      {
        request: devRequest(["Authorization", "Bearer nope"]),
        status: 401,
        outcome: "unauthorized",
        verdict: {
          allowed: false,
          outcome: "unauthorized",
          response: { status: 401, headers: {}, body: "" },
          reason: "the authorizer failed with Unauthorized",
          cache: "miss",
        },
        durationMs: 1,
        explained: "ERR_JWT_MALFORMED: The token is malformed.",
      },
      undefined,
      recorderOptions,
    );
    assert.equal(view.reasonCode, "ERR_JWT_MALFORMED");
    assert.equal(view.reason, "the authorizer failed with Unauthorized");
    assert.equal(view.group, "unauthorized");
    assert.equal(view.principal, null);
  });

  it("names the principal of a refused request from the authorizer's answer", () => {
    const view = buildView(
      3,
      {
        request: devRequest([]),
        status: 403,
        outcome: "deny",
        verdict: {
          allowed: false,
          outcome: "deny",
          response: { status: 403, headers: {}, body: "" },
          reason: `an explicit Deny matches ${ARN}`,
          cache: "hit",
        },
        durationMs: 1,
        explained: undefined,
      },
      {
        answer: { principalId: "alice", policyDocument: { Version: "2012-10-17", Statement: [] } },
        cached: true,
      },
      recorderOptions,
    );
    assert.equal(view.principal, "alice");
  });

  it("groups outcomes as the console filters them", () => {
    assert.equal(outcomeGroup("allow"), "allow");
    for (const o of [
      "deny",
      "implicit-deny",
      "forbidden",
      "throttled",
      "quota-exceeded",
      "invalid-api-key",
    ] as const)
      assert.equal(outcomeGroup(o), "deny", o);
    assert.equal(outcomeGroup("unauthorized"), "unauthorized");
    assert.equal(outcomeGroup("error"), "error");
    for (const o of ["issuer", "preflight", "refused"] as const) assert.equal(outcomeGroup(o), "other", o);
  });
});

describe("console records: the deciding statement", () => {
  const policy = (...Statement: unknown[]) => ({
    principalId: "alice",
    policyDocument: { Version: "2012-10-17", Statement },
  });
  const base = "arn:aws:execute-api:us-east-1:123456789012:gatepass01/dev";

  it("names the explicit Deny and its matching resource, even after an Allow that matches too", () => {
    const decided = decidingStatement(
      policy(
        { Effect: "Allow", Action: "execute-api:Invoke", Resource: `${base}/*` },
        {
          Effect: "Deny",
          Action: "execute-api:Invoke",
          Resource: [`${base}/POST/*`, `${base}/GET/orders/*`],
        },
      ),
      `${base}/GET/orders/42`,
    );
    assert.equal(decided?.effect, "explicit-deny");
    assert.equal(decided?.index, 1);
    assert.equal(
      decided?.why,
      `an explicit Deny matches ${base}/GET/orders/42: Statement[1], Resource "${base}/GET/orders/*"; a Deny wins over every Allow`,
    );
  });

  it("names the Allow that matched", () => {
    const decided = decidingStatement(
      policy(
        { Effect: "Allow", Action: "execute-api:Invoke", Resource: `${base}/GET/hello` },
        {
          Effect: "Allow",
          Action: "execute-api:Invoke",
          Resource: [`${base}/POST/*`, `${base}/GET/orders/*`],
        },
      ),
      `${base}/GET/orders/42`,
    );
    assert.equal(decided?.index, 1);
    assert.equal(
      decided?.why,
      `an Allow matches ${base}/GET/orders/42: Statement[1], Resource "${base}/GET/orders/*", and no Deny does`,
    );
  });

  it("says no Allow matches, and what the Allows cover", () => {
    const decided = decidingStatement(
      policy({ Effect: "Allow", Action: "execute-api:Invoke", Resource: `${base}/GET/hello` }),
      `${base}/GET/orders/42`,
    );
    assert.equal(decided?.effect, "implicit-deny");
    assert.equal(decided?.index, null);
    assert.equal(
      decided?.why,
      `no Allow statement matches ${base}/GET/orders/42; the Allow statements cover "${base}/GET/hello"`,
    );
  });

  it("explains a simple response", () => {
    assert.equal(decidingStatement({ isAuthorized: false }, "x")?.effect, "implicit-deny");
    assert.match(decidingStatement({ isAuthorized: true }, "x")!.why, /isAuthorized: true/);
    assert.equal(decidingStatement("nonsense", "x"), null);
  });
});

describe("console records: the ring", () => {
  it("keeps the last N records, oldest first, tells subscribers, and takes the authorizer call by request id", () => {
    const recorder = new RequestRecorder({ ...recorderOptions, capacity: 3 });
    const seen: number[] = [];
    const stop = recorder.subscribe((view) => seen.push(view.id));
    for (let i = 0; i < 5; i++) {
      const request = { ...devRequest([]), requestId: `id-${i}` };
      recorder.invoked(request.requestId, { type: "TOKEN" }, { ok: false, error: "boom" });
      recorder.record({
        request,
        status: 500,
        outcome: "error",
        verdict: undefined,
        durationMs: 1,
        explained: undefined,
      });
    }
    stop();
    recorder.record({
      request: devRequest([]),
      status: 200,
      outcome: "issuer",
      verdict: undefined,
      durationMs: 1,
      explained: undefined,
    });
    assert.deepEqual(seen, [1, 2, 3, 4, 5]);
    const views = recorder.views();
    assert.deepEqual(
      views.map((v) => v.id),
      [4, 5, 6],
    );
    assert.equal(views[0]!.authorizer?.error, "boom");
    assert.equal(views[2]!.authorizer, null);
  });

  it("gives the explainer a record's token by id, and nothing for a record without one", () => {
    const recorder = new RequestRecorder(recorderOptions);
    recorder.record({
      request: devRequest(["Authorization", `Bearer ${token}`]),
      status: 200,
      outcome: "allow",
      verdict: allow("ok"),
      durationMs: 1,
      explained: undefined,
    });
    recorder.record({
      request: devRequest([]),
      status: 401,
      outcome: "unauthorized",
      verdict: undefined,
      durationMs: 1,
      explained: undefined,
    });
    assert.equal(recorder.tokenOf(1), token);
    assert.equal(recorder.tokenOf(2), undefined);
    assert.equal(recorder.tokenOf(99), undefined);
  });
});
