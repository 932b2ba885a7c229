/**
 * The cache property at the handler level (ARCHITECTURE §2.2, apigw-contract §4): API Gateway caches
 * the policy returned for request A and evaluates it for the next request B with the same token.
 * For rules without IAM warnings, that cached answer must equal the fresh decision for B (allow vs
 * deny), for any routes A and B of the stage and any principal; for B outside A's stage (another
 * stage, API, account, region or partition) it must deny. For rules with warnings, only the safe
 * direction is promised: a cached Allow is never wrong.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { compileRules } from "../../src/rules/rules.js";
import {
  assertDecisionLog,
  assertValidResponse,
  contractConfig,
  invoke,
  makeHandler,
  mint,
  restEventFor,
  secretsOf,
  stagePrefix,
  type TestHandler,
} from "../contract/helpers.js";
import { referenceEvaluate } from "../helpers/iam-reference.js";

const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"] as const;
const SCOPES = ["orders:read", "orders:write", "reports:read", "items:read", "users:manage"];
const GROUPS = ["admin", "ops", "staff"];

/** Scopes, claims (string and array forms), ANY, {param}, {proxy+}, an open rule: no IAM warnings. */
const EXACT_RULES = [
  { route: "GET /orders/{id}", scopes: ["orders:read"] },
  { route: "POST /orders", scopes: ["orders:write"] },
  { route: "DELETE /orders/{id}", claims: { groups: "admin" } },
  { route: "ANY /admin/{proxy+}", claims: { groups: ["admin", "ops"] } },
  { route: "GET /reports/{proxy+}", scopes: ["reports:read"] },
  { route: "GET /public/{proxy+}", allow: true },
  { route: "ANY /users/{id}", scopes: ["users:manage", "orders:write"], scopesMode: "any" },
];
/** Adds a route IAM globs cannot separate from `GET /orders/{id}`: warnings, so only safety holds. */
const WARNED_RULES = [...EXACT_RULES, { route: "GET /orders/{id}/items", scopes: ["items:read"] }];

const A_STAGE = "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/prod/";
const ELSEWHERE = [
  "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/dev/",
  "arn:aws:execute-api:eu-west-1:123456789012:zz9yy8xx7w/prod/",
  "arn:aws:execute-api:eu-west-1:210987654321:a1b2c3d4e5/prod/",
  "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod/",
  "arn:aws-cn:execute-api:eu-west-1:123456789012:a1b2c3d4e5/prod/",
];

const segment = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom("orders", "42", "items", "admin", "reports", "public", "users", "7"),
  },
  { weight: 2, arbitrary: fc.stringMatching(/^[A-Za-z0-9._~-]{1,6}$/) },
  { weight: 1, arbitrary: fc.constantFrom("a*b", "*", "%2F", "$connect", "{id}", "x?y") },
);
const joinPath = ([segments, slash]: [string[], boolean]) =>
  `/${segments.join("/")}${slash && segments.length > 0 ? "/" : ""}`;
/** Mostly paths under a rule's first segment (so rules decide), sometimes anything. */
const path = fc.oneof(
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        fc.constantFrom("orders", "admin", "reports", "public", "users"),
        fc.array(segment, { maxLength: 3 }),
        fc.boolean(),
      )
      .map(([head, rest, slash]) => joinPath([[head, ...rest], slash])),
  },
  { weight: 1, arbitrary: fc.tuple(fc.array(segment, { maxLength: 4 }), fc.boolean()).map(joinPath) },
);
const request = fc.record({
  kind: fc.constantFrom("rest-token" as const, "rest-request" as const),
  method: fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom("GET", "POST", "DELETE") },
    fc.constantFrom(...METHODS),
  ),
  path,
});
const principal = fc.record({
  sub: fc.constantFrom("alice", "bob", "carol"),
  scopes: fc.subarray(SCOPES),
  groups: fc.subarray(GROUPS),
  groupsAsString: fc.boolean(),
});
type Principal = { sub: string; scopes: string[]; groups: string[]; groupsAsString: boolean };

const tokens = new Map<string, string>();
function tokenOf(p: Principal): string {
  const claims: Record<string, unknown> = { sub: p.sub };
  if (p.scopes.length > 0) claims.scope = p.scopes.join(" ");
  if (p.groups.length > 0) claims.groups = p.groupsAsString && p.groups.length === 1 ? p.groups[0] : p.groups;
  const key = JSON.stringify(claims);
  let token = tokens.get(key);
  if (token === undefined) {
    token = mint("HS256", claims);
    tokens.set(key, token);
  }
  return token;
}

type Req = { kind: "rest-token" | "rest-request"; method: string; path: string };

/** The policy API Gateway would cache for A, and B's fresh answer (200 or 403). */
/**
 * `exactLog: false` only counts the decision lines: with IAM warnings the policy may answer 403 where
 * the rules allow (the Deny-side fallback; the decision line reports the policy's answer, see
 * tests/contract/logging.test.ts), which the warned properties are not about.
 */
async function cachedAndFresh(
  h: TestHandler,
  p: Principal,
  a: Req,
  b: Req,
  prefixB: string,
  exactLog = true,
) {
  const log = (from: number, outcome: Awaited<ReturnType<typeof invoke>>, token: string) => {
    if (exactLog) assertDecisionLog(h.logger.lines, from, outcome, secretsOf(token));
    else assert.equal(h.logger.lines.slice(from).filter((l) => l.event === "decision").length, 1);
  };
  const token = tokenOf(p);
  const eventA = restEventFor(a.kind, token, a.method, a.path, A_STAGE);
  let from = h.logger.lines.length;
  const outA = await invoke(h.handler, eventA);
  assert.notEqual(outA.status, 401, "a valid token must never get a 401");
  if (outA.status === 401 || "isAuthorized" in outA.response) throw new Error("unreachable");
  assertValidResponse(outA.response, eventA, { secrets: secretsOf(token) });
  log(from, outA, token);
  const eventB = restEventFor(b.kind, token, b.method, b.path, prefixB);
  from = h.logger.lines.length;
  const outB = await invoke(h.handler, eventB);
  assert.notEqual(outB.status, 401);
  log(from, outB, token);
  const arnB = eventB.methodArn as string;
  const decided = h.logger.lines.slice(from).find((l) => l.event === "decision")?.outcome;
  return {
    cached: referenceEvaluate(outA.response.policyDocument, arnB),
    fresh: outB.status,
    /** What the rules decided for B (the decision line), whatever the policy says. */
    decided,
  };
}

const RUNS = 400;

describe("cache reuse: the policy for A answers B as a fresh call would", () => {
  for (const unmatchedRoutes of ["allow", "deny"] as const) {
    test(`rules without warnings, unmatchedRoutes ${unmatchedRoutes}: cached(A→B) = fresh(B); outside A's stage: deny`, async () => {
      assert.deepEqual(compileRules({ routes: EXACT_RULES, unmatchedRoutes }).warnings, []);
      const h = makeHandler(contractConfig({ routes: EXACT_RULES, unmatchedRoutes }));
      const seen = { allow: 0, "explicit-deny": 0, "implicit-deny": 0 };
      await fc.assert(
        fc.asyncProperty(principal, request, request, async (p, a, b) => {
          const { cached, fresh } = await cachedAndFresh(h, p, a, b, A_STAGE);
          seen[cached]++;
          assert.equal(cached === "allow", fresh === 200, `cached ${cached}, fresh ${fresh}`);
        }),
        { numRuns: RUNS },
      );
      // The generators reach both answers, so the equality is not vacuous.
      assert.ok(seen.allow >= RUNS / 10, JSON.stringify(seen));
      assert.ok(seen["explicit-deny"] + seen["implicit-deny"] >= RUNS / 10, JSON.stringify(seen));
      await fc.assert(
        fc.asyncProperty(
          principal,
          request,
          request,
          fc.constantFrom(...ELSEWHERE),
          async (p, a, b, other) => {
            const { cached } = await cachedAndFresh(h, p, a, b, other);
            assert.notEqual(cached, "allow", `A's policy allows ${other}`);
          },
        ),
        { numRuns: 100 },
      );
    });

    test(`rules with IAM warnings, unmatchedRoutes ${unmatchedRoutes}: a cached Allow is never wrong`, async () => {
      assert.ok(compileRules({ routes: WARNED_RULES, unmatchedRoutes }).warnings.length > 0);
      const h = makeHandler(contractConfig({ routes: WARNED_RULES, unmatchedRoutes }));
      await fc.assert(
        fc.asyncProperty(principal, request, request, async (p, a, b) => {
          const { cached, decided } = await cachedAndFresh(h, p, a, b, A_STAGE, false);
          if (cached === "allow") assert.equal(decided, "allow", "a cached Allow where the rules deny");
        }),
        { numRuns: 200 },
      );
    });
  }

  test("the property can fail: a policy of only A's own methodArn (the classic pitfall) is caught", async () => {
    const h = makeHandler(contractConfig({ routes: EXACT_RULES }));
    const result = await fc.check(
      fc.asyncProperty(principal, request, request, async (p, a, b) => {
        const token = tokenOf(p);
        const eventA = restEventFor(a.kind, token, a.method, a.path, A_STAGE);
        const outA = await invoke(h.handler, eventA);
        const naive = {
          Version: "2012-10-17",
          Statement: [
            {
              Action: "execute-api:Invoke",
              Effect: outA.status === 200 ? "Allow" : "Deny",
              Resource: [eventA.methodArn],
            },
          ],
        };
        const eventB = restEventFor(b.kind, token, b.method, b.path, A_STAGE);
        const fresh = await invoke(h.handler, eventB);
        assert.equal(referenceEvaluate(naive, eventB.methodArn as string) === "allow", fresh.status === 200);
      }),
      { numRuns: RUNS, seed: 42 },
    );
    assert.equal(result.failed, true, "the naive policy was not caught");
  });

  test("the stage prefix of A is the one the property uses", () => {
    assert.equal(stagePrefix(`${A_STAGE}GET/`), A_STAGE);
  });
});
