import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { checkAuthorizerResponse } from "../../../src/dev/policy-check.js";
import { parseArn } from "../../../src/policy/arn.js";
import { buildPolicyResult } from "../../../src/policy/build.js";
import { encodeContext } from "../../../src/policy/context.js";
import { evaluatePolicy } from "../../../src/policy/evaluate.js";
import { MAX_CONTEXT_DEPTH, maxResultBytes, nestsDeeperThan } from "../../../src/policy/limits.js";
import { compilePolicyRules } from "../../../src/policy/rule-policy.js";

const PREFIX = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/dev/";
const arnOf = (tail: string) => {
  const parts = parseArn(PREFIX + tail);
  assert.ok(parts, tail);
  return parts;
};
const bytesOf = (value: unknown) => Buffer.byteLength(JSON.stringify(value), "utf8");

/** `levels` nested arrays around a number. */
const nested = (levels: number): unknown => {
  let value: unknown = 1;
  for (let i = 0; i < levels; i++) value = [value];
  return value;
};

describe("limits: API Gateway's numbers", () => {
  it("8 KB for WebSocket results, a 6 MB Lambda response for the others", () => {
    assert.equal(maxResultBytes("websocket"), 8192);
    for (const kind of ["rest", "rest-token", "rest-request", "http-v1", "http-v2", "http-v2-iam"])
      assert.equal(maxResultBytes(kind), 6 * 1024 * 1024, kind);
  });

  it("nestsDeeperThan counts levels of arrays and objects", () => {
    assert.equal(nestsDeeperThan(1, 0), false);
    assert.equal(nestsDeeperThan([], 0), true);
    assert.equal(nestsDeeperThan([], 1), false);
    assert.equal(nestsDeeperThan({ a: [{}] }, 2), true);
    assert.equal(nestsDeeperThan({ a: [{}] }, 3), false);
    assert.equal(nestsDeeperThan(nested(64), 64), false);
    assert.equal(nestsDeeperThan(nested(65), 64), true);
    assert.equal(nestsDeeperThan(nested(100_000), 64), true, "a hostile depth costs nothing");
  });
});

describe("limits: context depth, one rule for the encoder and the local gateway", () => {
  it("a 2.0 context keeps claims up to 64 levels deep and drops deeper ones", () => {
    const claims = { d64: nested(64), d65: nested(65), obj: { a: nested(63) } };
    const { context, dropped } = encodeContext(claims, ["d64", "d65", "obj"], {
      flat: false,
      maxBytes: 65536,
    });
    assert.deepEqual(Object.keys(context), ["d64", "obj"]);
    assert.deepEqual(dropped, ["d65"]);
    assert.equal(MAX_CONTEXT_DEPTH, 64);
  });

  it("a flat context keeps deep claims as JSON text", () => {
    const { context, dropped } = encodeContext({ d: nested(80) }, ["d"], { flat: true });
    assert.equal(typeof context.d, "string");
    assert.deepEqual(dropped, []);
  });

  it("whatever the depth, the local gateway accepts the context gatepass encodes (2.0 simple and IAM)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 90 }),
        fc.boolean(),
        fc.constantFrom("simple" as const, "policy" as const),
        (depth, inObject, kind) => {
          const value = inObject ? { k: nested(Math.max(0, depth - 1)) } : nested(depth);
          const { context } = encodeContext({ v: value }, ["v"], { flat: false, maxBytes: 65536 });
          const response =
            kind === "simple"
              ? { isAuthorized: true, context }
              : {
                  principalId: "u",
                  policyDocument: {
                    Version: "2012-10-17",
                    Statement: [{ Action: "execute-api:Invoke", Effect: "Allow", Resource: `${PREFIX}*` }],
                  },
                  context,
                };
          const checked = checkAuthorizerResponse(response, kind, { flatContext: false });
          assert.ok(checked.ok, checked.ok ? "" : checked.reason);
          assert.equal("v" in context, !nestsDeeperThan(value, 64));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("limits: buildPolicyResult within maxBytes", () => {
  const segment = fc.stringMatching(/^[a-z][a-z0-9]{0,30}$/);
  const rulesArb = fc.uniqueArray(
    fc.record({
      method: fc.constantFrom("ANY", "GET", "POST"),
      path: fc.array(segment, { minLength: 1, maxLength: 3 }),
      tail: fc.constantFrom("", "/{id}", "/{proxy+}"),
      scope: fc.constantFrom("a", "b"),
    }),
    { selector: (r) => `${r.method} ${r.path.join("/")}${r.tail}`, maxLength: 30 },
  );
  const tailArb = fc.oneof(
    fc.constant("$connect"),
    fc
      .tuple(fc.constantFrom("GET", "POST", "DELETE"), fc.array(segment, { maxLength: 4 }))
      .map(([m, p]) => `${m}/${p.join("/")}`),
  );

  it("fits, reports its exact size, and never allows what the unlimited policy denies", () => {
    fc.assert(
      fc.property(
        rulesArb,
        fc.constantFrom("allow" as const, "deny" as const),
        fc.subarray(["a", "b"]),
        tailArb,
        tailArb,
        fc.integer({ min: 300, max: 9000 }),
        (rules, unmatchedRoutes, scopes, a, b, maxBytes) => {
          const ruleSet = compilePolicyRules({
            routes: rules.map((r) => ({
              route: `${r.method} /${r.path.join("/")}${r.tail}`,
              scopes: [r.scope],
            })),
            unmatchedRoutes,
          });
          const claims = { sub: "u", scope: scopes.join(" ") };
          const input = { principalId: "u", arn: arnOf(a), ruleSet, claims };
          const full = buildPolicyResult(input);
          const fitted = buildPolicyResult({ ...input, maxBytes });
          assert.equal(fitted.bytes, bytesOf(fitted.response));
          assert.equal(full.bytes, bytesOf(full.response));
          assert.ok(fitted.bytes <= maxBytes, `${fitted.bytes} > ${maxBytes}`);
          assert.equal(fitted.narrowed, full.bytes > maxBytes);
          if (!fitted.narrowed) assert.deepEqual(fitted.response, full.response);
          // The request's own answer: the same, or a Deny; never an Allow the full policy lacks.
          const own = evaluatePolicy(fitted.response.policyDocument, PREFIX + a) === "allow";
          assert.equal(own, fitted.allowsRequest);
          if (own) assert.ok(full.allowsRequest);
          if (fitted.narrowed && full.allowsRequest) assert.ok(own, "A is allowed exactly");
          // Any other request: allowed only if the full policy allows it too.
          if (evaluatePolicy(fitted.response.policyDocument, PREFIX + b) === "allow")
            assert.equal(evaluatePolicy(full.response.policyDocument, PREFIX + b), "allow", b);
        },
      ),
      { numRuns: 1500 },
    );
  });

  it("throws a RangeError when not even a Deny fits (the authorizer then answers 401)", () => {
    const ruleSet = compilePolicyRules({ routes: [] });
    assert.throws(
      () => buildPolicyResult({ principalId: "u", arn: arnOf("GET/x"), ruleSet, claims: {}, maxBytes: 100 }),
      RangeError,
    );
  });

  it("leaves out a context that does not fit with the policy, and says so", () => {
    const ruleSet = compilePolicyRules({ routes: [] });
    const input = { principalId: "u", arn: arnOf("GET/x"), ruleSet, claims: {} };
    const small = buildPolicyResult({ ...input, context: { a: "b" }, maxBytes: 8192 });
    assert.deepEqual(small.response.context, { a: "b" });
    const big = buildPolicyResult({ ...input, context: { a: "x".repeat(9000) }, maxBytes: 8192 });
    assert.equal(big.response.context, undefined);
    assert.ok(bytesOf(big.response) <= 8192);
  });

  it("a $connect policy holds only $connect resources, whatever the HTTP rules", () => {
    const routes = Array.from({ length: 13 }, (_, i) => ({
      route: `ANY /internal/service-${i}/{proxy+}`,
      scopes: ["admin"],
    }));
    const ruleSet = compilePolicyRules({ routes, unmatchedRoutes: "allow" });
    const { response, allowsRequest } = buildPolicyResult({
      principalId: "u",
      arn: arnOf("$connect"),
      ruleSet,
      claims: { sub: "u" },
    });
    assert.equal(allowsRequest, true);
    assert.deepEqual(response.policyDocument.Statement, [
      { Action: "execute-api:Invoke", Effect: "Allow", Resource: [`${PREFIX}$connect`] },
    ]);
  });
});
