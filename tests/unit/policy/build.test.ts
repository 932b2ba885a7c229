import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { APIGatewayAuthorizerResult } from "aws-lambda";
import fc from "fast-check";
import { arnTarget, parseArn } from "../../../src/policy/arn.js";
import {
  type AuthorizerPolicyResponse,
  type BuildPolicyInput,
  buildDenyPolicy,
  buildPolicyResult,
} from "../../../src/policy/build.js";
import { encodeContext } from "../../../src/policy/context.js";
import { validateAuthorizerResponse } from "../../../src/policy/evaluate.js";
import { compilePolicyRules } from "../../../src/policy/rule-policy.js";
import type { RulesInput } from "../../../src/rules/rules.js";
import { referenceEvaluate } from "../../helpers/iam-reference.js";

/** The authorizer response `buildPolicyResult` builds. */
const buildPolicy = <C extends Record<string, unknown> = Record<string, unknown>>(
  input: BuildPolicyInput<C>,
): AuthorizerPolicyResponse<C> => buildPolicyResult(input).response;

const PREFIX = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/dev/";
const arnOf = (tail: string) => {
  const parts = parseArn(PREFIX + tail);
  assert.ok(parts, tail);
  return parts;
};

/** The cached policy built for request `a`, evaluated for request `b`, next to the fresh decision for `b`. */
function cachedVersusFresh(input: RulesInput, claims: Record<string, unknown>, a: string, b: string) {
  const ruleSet = compilePolicyRules(input);
  const policy = buildPolicy({ principalId: "u", arn: arnOf(a), ruleSet, claims });
  const cached = referenceEvaluate(policy.policyDocument, PREFIX + b);
  const fresh = ruleSet.decide(claims, arnTarget(arnOf(b)));
  return { cached, fresh: fresh.allowed, policy, ruleSet };
}

describe("buildPolicy: shape", () => {
  const ruleSet = compilePolicyRules({
    routes: [
      { route: "DELETE /orders/{id}", scopes: ["orders:admin"] },
      { route: "ANY /admin/{proxy+}", claims: { groups: ["admin"] } },
    ],
  });

  it("allows the stage per method and denies the rules the principal fails", () => {
    const policy = buildPolicy({
      principalId: "u1",
      arn: arnOf("GET/orders/7"),
      ruleSet,
      claims: { sub: "u1" },
      context: { sub: "u1" },
    });
    assert.deepEqual(policy, {
      principalId: "u1",
      policyDocument: {
        Version: "2012-10-17",
        Statement: [
          {
            Action: "execute-api:Invoke",
            Effect: "Allow",
            Resource: ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
              .map((m) => `${PREFIX}${m}/*`)
              .concat(`${PREFIX}$connect`),
          },
          {
            Action: "execute-api:Invoke",
            Effect: "Deny",
            Resource: [
              `${PREFIX}DELETE/orders/*`,
              ...["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"].map(
                (m) => `${PREFIX}${m}/admin/*`,
              ),
            ],
          },
        ],
      },
      context: { sub: "u1" },
    });
  });

  it("is an APIGatewayAuthorizerResult with a flat context (checked by the compiler)", () => {
    const { context } = encodeContext({ sub: "u1", groups: ["a"] }, ["sub", "groups"]);
    const result: APIGatewayAuthorizerResult = buildPolicy({
      principalId: "u1",
      arn: arnOf("GET/"),
      ruleSet,
      claims: {},
      context,
    });
    assert.deepEqual(result.context, { sub: "u1", groups: '["a"]', "gatepass:json": '["groups"]' });
  });

  it("has no Deny statement when the principal passes every rule", () => {
    const policy = buildPolicy({
      principalId: "u1",
      arn: arnOf("GET/"),
      ruleSet,
      claims: { scope: "orders:admin", groups: ["admin"] },
    });
    assert.equal(policy.policyDocument.Statement.length, 1);
    assert.equal(policy.policyDocument.Statement[0]!.Effect, "Allow");
    assert.equal("context" in policy, false);
  });

  it("builds every resource from the request ARN's own partition, region, account, API and stage", () => {
    const arn = parseArn("arn:aws-cn:execute-api:cn-north-1:210987654321:zyxw987654/$default/GET/x")!;
    const policy = buildPolicy({ principalId: "u1", arn, ruleSet, claims: {} });
    for (const statement of policy.policyDocument.Statement) {
      for (const resource of statement.Resource)
        assert.ok(
          resource.startsWith("arn:aws-cn:execute-api:cn-north-1:210987654321:zyxw987654/$default/"),
          resource,
        );
    }
  });

  it("with unmatched routes denied, allows only the rules the principal passes", () => {
    const strict = compilePolicyRules({
      routes: [
        { route: "GET /orders/{id}", scopes: ["orders:read"] },
        { route: "POST /orders", scopes: ["orders:write"] },
      ],
      unmatchedRoutes: "deny",
    });
    const policy = buildPolicy({
      principalId: "u1",
      arn: arnOf("GET/orders/7"),
      ruleSet: strict,
      claims: { scope: "orders:read" },
    });
    assert.deepEqual(policy.policyDocument.Statement, [
      { Action: "execute-api:Invoke", Effect: "Allow", Resource: [`${PREFIX}GET/orders/*`] },
      // What GET/orders/* adds to GET /orders/{id}: an empty id, and ids spanning "/".
      {
        Action: "execute-api:Invoke",
        Effect: "Deny",
        Resource: [`${PREFIX}GET/orders/*/*`, `${PREFIX}GET/orders/`],
      },
    ]);
  });

  it("denies the whole stage when the principal may call nothing", () => {
    const strict = compilePolicyRules({
      routes: [{ route: "GET /a", scopes: ["a"] }],
      unmatchedRoutes: "deny",
    });
    const policy = buildPolicy({ principalId: "u1", arn: arnOf("GET/a"), ruleSet: strict, claims: {} });
    assert.deepEqual(policy.policyDocument.Statement, [
      { Action: "execute-api:Invoke", Effect: "Deny", Resource: [`${PREFIX}*`] },
    ]);
    assert.deepEqual(buildDenyPolicy("u1", arnOf("GET/a")).policyDocument, policy.policyDocument);
  });

  it("allows $connect for WebSocket rules", () => {
    const ws = compilePolicyRules({
      routes: [{ route: "$connect", scopes: ["chat"] }],
      unmatchedRoutes: "deny",
    });
    const arn = arnOf("$connect");
    assert.equal(
      referenceEvaluate(
        buildPolicy({ principalId: "u", arn, ruleSet: ws, claims: { scope: "chat" } }).policyDocument,
        arn.arn,
      ),
      "allow",
    );
    assert.equal(
      referenceEvaluate(
        buildPolicy({ principalId: "u", arn, ruleSet: ws, claims: {} }).policyDocument,
        arn.arn,
      ),
      "explicit-deny",
    );
  });

  it("refuses an empty principalId", () => {
    assert.throws(() => buildPolicy({ principalId: "", arn: arnOf("GET/"), ruleSet, claims: {} }), TypeError);
  });

  it("reuses a decision it is given", () => {
    const policy = buildPolicy({
      principalId: "u",
      arn: arnOf("GET/x"),
      ruleSet,
      claims: {},
      decision: { allowed: false, route: null, reason: "ERR_ROUTE_NOT_ALLOWED" },
    });
    assert.notEqual(referenceEvaluate(policy.policyDocument, `${PREFIX}GET/x`), "allow");
  });
});

describe("buildPolicy: the cache, case by case", () => {
  const rules = {
    routes: [
      { route: "GET /orders/{id}", scopes: ["orders:read"] },
      { route: "DELETE /orders/{id}", scopes: ["orders:delete"] },
      { route: "ANY /admin/{proxy+}", claims: { groups: ["admin"] } },
    ],
  };
  const reader = { scope: "orders:read" };

  it("a token allowed on one route is denied on a route it may not call", () => {
    const r = cachedVersusFresh(rules, reader, "GET/orders/1", "DELETE/orders/1");
    assert.equal(r.cached, "explicit-deny");
    assert.equal(r.fresh, false);
  });

  it("a token denied on one route is still allowed where it may call", () => {
    const r = cachedVersusFresh(rules, reader, "DELETE/orders/1", "GET/orders/2");
    assert.equal(r.cached, "allow");
    assert.equal(r.fresh, true);
  });

  it("the root path and unmatched routes follow unmatchedRoutes", () => {
    assert.deepEqual(
      [
        cachedVersusFresh(rules, reader, "GET/orders/1", "GET/").cached,
        cachedVersusFresh(rules, reader, "GET/orders/1", "POST/health").cached,
      ],
      ["allow", "allow"],
    );
    const strict = { ...rules, unmatchedRoutes: "deny" as const };
    assert.equal(cachedVersusFresh(strict, reader, "GET/orders/1", "GET/").cached, "implicit-deny");
  });

  it("never allows a request under a denied {proxy+} with a shorter path", () => {
    const r = cachedVersusFresh(rules, reader, "GET/orders/1", "GET/admin/");
    assert.equal(r.cached, "explicit-deny");
    assert.equal(r.fresh, false);
  });

  it("when IAM cannot separate two routes, the cached answer is a Deny, never a wrong Allow", () => {
    const input = {
      routes: [
        { route: "GET /orders/{id}", scopes: ["orders:read"] },
        { route: "GET /orders/mine", allow: true },
      ],
    };
    const r = cachedVersusFresh(input, {}, "GET/health", "GET/orders/mine");
    assert.equal(r.ruleSet.warnings.length, 1);
    assert.equal(r.fresh, true);
    assert.equal(r.cached, "explicit-deny");
    // The request that was authorized still gets its own, fresh answer.
    assert.equal(cachedVersusFresh(input, {}, "GET/orders/mine", "GET/orders/mine").cached, "allow");
    assert.notEqual(cachedVersusFresh(input, {}, "GET/orders/mine", "GET/orders/7").cached, "allow");
  });

  it("a request whose path holds a `:` gets its own, fresh answer (IAM's * inside a segment stops at `:`)", () => {
    // AWS: wildcards work "within the individual segments of an ARN (the parts separated by colons)",
    // so the Allow `…/GET/users/*/items` does not cover `…/GET/users/a:b/items`.
    const input = {
      unmatchedRoutes: "deny" as const,
      routes: [
        { route: "GET /users/{id}/items", allow: true },
        { route: "GET /orders/{id}", scopes: ["orders:read"] },
      ],
    };
    for (const claims of [{}, reader]) {
      const r = cachedVersusFresh(input, claims, "GET/users/a:b/items", "GET/users/a:b/items");
      assert.equal(r.fresh, true);
      assert.equal(r.cached, "allow", JSON.stringify(r.policy.policyDocument));
    }
    const r = cachedVersusFresh(input, reader, "GET/orders/a:b", "GET/orders/a:b");
    assert.equal(r.fresh, true);
    assert.equal(r.cached, "allow", JSON.stringify(r.policy.policyDocument));
  });

  it("keeps every resource under 512 characters, falling back to safe answers", () => {
    const long = "x".repeat(480);
    const input: RulesInput = {
      routes: [
        { route: `GET /${long}/{id}`, scopes: ["a"] },
        { route: `GET /${long}/{id}/b`, allow: true },
      ],
      unmatchedRoutes: "allow",
    };
    const ruleSet = compilePolicyRules(input);
    for (const [a, claims] of [
      [`GET/${long}/1/b`, {}],
      [`GET/${long}/1`, { scope: "a" }],
      ["GET/", {}],
    ] as const) {
      const policy = buildPolicy({ principalId: "u", arn: arnOf(a), ruleSet, claims });
      assert.deepEqual(validateAuthorizerResponse(policy, "iam", { flatContext: true }), []);
      for (const b of [`GET/${long}/2`, `GET/${long}/2/b`, `GET/${long}/2/c`, "GET/"]) {
        const fresh = ruleSet.decide(claims, arnTarget(arnOf(b))).allowed;
        if (referenceEvaluate(policy.policyDocument, PREFIX + b) === "allow")
          assert.equal(fresh, true, `${a} → ${b}`);
      }
    }
  });
});

// Generators for the cache properties: small alphabets so that rules, paths and principals collide often.
const pathPattern = fc
  .tuple(fc.array(fc.constantFrom("a", "b", "c", "{p}"), { maxLength: 3 }), fc.boolean())
  .map(([segs, proxy]) => {
    const named = segs.map((s, i) => (s === "{p}" ? `{p${i}}` : s));
    if (proxy) named.push("{proxy+}");
    return `/${named.join("/")}`;
  });
const requirement = fc.oneof(
  fc
    .subarray(["s1", "s2"], { minLength: 1 })
    .chain((scopes) => fc.constantFrom("all", "any").map((scopesMode) => ({ scopes, scopesMode }))),
  fc.subarray(["g1", "g2"], { minLength: 1 }).map((groups) => ({ claims: { groups } })),
  fc.constant({ allow: true }),
);
const rule = fc
  .tuple(fc.constantFrom("GET", "POST", "ANY"), pathPattern, requirement)
  .map(([method, path, req]) => ({ route: `${method} ${path}`, ...req }));
const rulesInput = fc
  .record({
    routes: fc.uniqueArray(rule, { selector: (r) => r.route.replace(/\{[^}+]+\}/g, "{}"), maxLength: 6 }),
    extra: fc.subarray([
      { route: "$connect", scopes: ["s1"] },
      { route: "$default", scopes: ["s2"] },
      { route: "GET /d/{x}", claims: { groups: { allOf: ["g1", "g2"] } } },
    ]),
    unmatchedRoutes: fc.constantFrom("allow" as const, "deny" as const),
  })
  .map(({ routes, extra, unmatchedRoutes }) => ({ routes: [...routes, ...extra], unmatchedRoutes }));
const principal = fc.record({
  sub: fc.constant("u"),
  scope: fc.subarray(["s1", "s2"]).map((s) => s.join(" ")),
  groups: fc.subarray(["g1", "g2"]),
});
/** ARN tails API Gateway can send: a verb and a path (odd ones included), or $connect. */
const requestTail = fc.oneof(
  {
    weight: 12,
    arbitrary: fc
      .tuple(
        fc.constantFrom("GET", "POST", "PUT", "PROPFIND"),
        fc.array(fc.constantFrom("a", "b", "c", "d", "x", "", "*"), { maxLength: 4 }),
      )
      .map(([method, segs]) => `${method}/${segs.join("/")}`),
  },
  { weight: 1, arbitrary: fc.constant("$connect") },
);

describe("buildPolicy: cache properties", () => {
  it("SAFETY: the policy built for A never allows a request B that a fresh decision denies", () => {
    fc.assert(
      fc.property(rulesInput, principal, requestTail, requestTail, (input, claims, a, b) => {
        const r = cachedVersusFresh(input, claims, a, b);
        if (r.cached === "allow") assert.equal(r.fresh, true);
      }),
      { numRuns: 4000 },
    );
  });

  it("SELF: the policy built for A answers A as a fresh decision does", () => {
    fc.assert(
      fc.property(rulesInput, principal, requestTail, (input, claims, a) => {
        const r = cachedVersusFresh(input, claims, a, a);
        // The one allowed exception: A needs an exact Allow and its path holds "*" (an IAM wildcard).
        if (r.fresh && r.cached !== "allow") assert.ok(a.includes("*"), JSON.stringify(r.policy));
        if (!r.fresh) assert.notEqual(r.cached, "allow");
      }),
      { numRuns: 3000 },
    );
  });

  it("EXACTNESS: without warnings, the policy built for A answers every B as a fresh decision does", () => {
    let checked = 0;
    fc.assert(
      fc.property(rulesInput, principal, requestTail, requestTail, (input, claims, a, b) => {
        fc.pre(compilePolicyRules(input).warnings.length === 0);
        checked++;
        // A WebSocket API sends only $connect: a policy built for it answers $connect alone.
        if (a === "$connect") b = "$connect";
        const r = cachedVersusFresh(input, claims, a, b);
        assert.equal(r.cached === "allow", r.fresh, JSON.stringify({ input, claims, a, b }));
      }),
      { numRuns: 4000 },
    );
    assert.ok(checked >= 1000, `only ${checked} warning-free rule sets`);
  });

  it("EXACTNESS on rule routes: for disjoint, non-nested rules every rule route gets its fresh answer", () => {
    // Rules under distinct first segments never overlap, whatever their shapes.
    const disjoint = fc
      .uniqueArray(
        fc.tuple(
          fc.constantFrom("r1", "r2", "r3", "r4"),
          fc.constantFrom("", "/{id}", "/{id}/x", "/{proxy+}"),
        ),
        {
          selector: ([first]) => first,
          maxLength: 4,
        },
      )
      .chain((shapes) =>
        fc.tuple(
          fc.tuple(
            ...shapes.map(([first, rest]) =>
              requirement.map((req) => ({ route: `GET /${first}${rest}`, ...req })),
            ),
          ),
          fc.constantFrom("allow" as const, "deny" as const),
        ),
      );
    fc.assert(
      fc.property(
        disjoint,
        principal,
        fc.array(fc.constantFrom("r1", "r2", "r3", "r4", "7", "x", ""), { minLength: 1, maxLength: 4 }),
        requestTail,
        ([routes, unmatchedRoutes], claims, segs, a) => {
          const input = { routes, unmatchedRoutes };
          assert.deepEqual(compilePolicyRules(input).warnings, []);
          // A WebSocket API sends only $connect: a policy built for it answers $connect alone.
          const b = a === "$connect" ? a : `GET/${segs.join("/")}`;
          const r = cachedVersusFresh(input, claims, a, b);
          assert.equal(r.cached === "allow", r.fresh);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("every policy it builds passes the response validator", () => {
    fc.assert(
      fc.property(
        rulesInput,
        principal,
        requestTail,
        fc.string({ minLength: 1 }),
        (input, claims, a, principalId) => {
          const ruleSet = compilePolicyRules(input);
          const policy = buildPolicy({ principalId, arn: arnOf(a), ruleSet, claims, context: { sub: "u" } });
          assert.deepEqual(validateAuthorizerResponse(policy, "iam", { flatContext: true }), []);
          assert.ok(policy.policyDocument.Statement.length <= 2);
          const effects = policy.policyDocument.Statement.map((s) => s.Effect);
          assert.equal(new Set(effects).size, effects.length);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
