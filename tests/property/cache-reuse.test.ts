/**
 * The cache property at the handler level (README, "Why the policy is cache-safe"; AWS: api-gateway-lambda-authorizer-output.html): API Gateway caches
 * the policy returned for request A and evaluates it for the next request B with the same token.
 * For rules without IAM warnings, that cached answer must equal the fresh decision for B (allow vs
 * deny), for any routes A and B of the stage and any principal; for B outside A's stage (another
 * stage, API, account, region or partition) it must deny. For rules with warnings, only the safe
 * direction is promised: a cached Allow is never wrong.
 *
 * API Gateway's cache is modelled here, independently of gatepass: an IAM answer (REST, HTTP payload
 * 1.0, 2.0 in IAM mode) is a policy judged by the reference evaluator (tests/helpers/iam-reference.ts)
 * against the next request's ARN; an HTTP simple response is reused as it is for every request with
 * the same identity-source values (the token and `$context.routeKey`), the route key coming from the
 * reference route selection (tests/helpers/http-route-reference.ts) over the API's routes. WebSocket
 * results are not cached: the `$connect` answer must be valid and decide `$connect` by the rules.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { compilePolicyRules } from "../../src/policy/rule-policy.js";
import {
  assertDecisionLog,
  assertValidResponse,
  contractConfig,
  eventArn,
  fixtureEvent,
  invoke,
  makeHandler,
  mint,
  responseProblems,
  restEventFor,
  secretsOf,
  stagePrefix,
  type TestHandler,
} from "../contract/helpers.js";
import { selectRouteReference } from "../helpers/http-route-reference.js";
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
      assert.deepEqual(compilePolicyRules({ routes: EXACT_RULES, unmatchedRoutes }).warnings, []);
      const h = makeHandler(contractConfig({ routes: EXACT_RULES, unmatchedRoutes }));
      const seen = { allow: 0, "explicit-deny": 0, "implicit-deny": 0, invalid: 0 };
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
      assert.ok(compilePolicyRules({ routes: WARNED_RULES, unmatchedRoutes }).warnings.length > 0);
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

// ---------------------------------------------------------------------------------------------
// HTTP APIs and WebSocket

/** The API's routes: one per rule, `$default`, and sometimes a catch-all of its own. */
const apiRoutes = (rules: readonly { route: string }[], extra: readonly string[]) => [
  ...rules.map((r) => r.route),
  ...extra,
  "$default",
];
const EXTRA_ROUTES: readonly (readonly string[])[] = [
  [],
  ["ANY /{proxy+}"],
  ["GET /{proxy+}", "POST /orders/{id}"],
];

const V1_PREFIX = "arn:aws:execute-api:us-east-1:123456789012:abcdef123/test/";
const V2_PREFIX = "arn:aws:execute-api:eu-west-1:123456789012:lsw1ro4ipb/$default/";

type HttpKind = "http-v1" | "http-v2";
type HttpReq = { method: string; path: string };

/** The HTTP API fixture moved to `method path`, with the route key API Gateway selected for it. */
function httpEventFor(
  kind: HttpKind,
  token: string,
  req: HttpReq,
  routeKey: string,
): Record<string, unknown> {
  if (kind === "http-v1") {
    const event = fixtureEvent("http-v1", token);
    event.methodArn = `${V1_PREFIX}${req.method}${req.path}`;
    event.resource = routeKey === "$default" ? "$default" : routeKey.slice(routeKey.indexOf(" ") + 1);
    event.path = req.path;
    event.httpMethod = req.method;
    event.pathParameters = null;
    const context = event.requestContext as Record<string, unknown>;
    context.path = `/test${req.path}`;
    context.resourcePath = event.resource;
    context.httpMethod = req.method;
    return event;
  }
  const event = fixtureEvent("http-v2-default-stage", token);
  event.routeArn = `${V2_PREFIX}${req.method}${req.path}`;
  event.routeKey = routeKey;
  // Identity sources: the token and `$context.routeKey`, API Gateway's cache key for this answer.
  event.identitySource = [...(event.identitySource as string[]), routeKey];
  event.rawPath = req.path;
  const context = event.requestContext as Record<string, unknown>;
  context.routeKey = routeKey;
  const http = context.http as Record<string, unknown>;
  http.method = req.method;
  http.path = req.path;
  return event;
}

/** A request under one of the API's routes (its variables filled in), just past one, or anywhere. */
const httpRequest = (routes: readonly string[]) =>
  fc.oneof(
    {
      weight: 3,
      arbitrary: fc
        .tuple(
          fc.constantFrom(...routes),
          fc.constantFrom(...METHODS),
          fc.array(segment, { minLength: 1, maxLength: 3 }),
          fc.array(segment, { maxLength: 2 }),
          fc.boolean(),
        )
        .map(([route, anyMethod, values, rest, beyond]): HttpReq => {
          if (route === "$default")
            return { method: anyMethod, path: joinPath([[...values, ...rest], false]) };
          const [method, template] = route.split(" ") as [string, string];
          let next = 0;
          const value = () => values[next++ % values.length]!;
          const parts = template
            .split("/")
            .slice(1)
            .flatMap((part) =>
              part.endsWith("+}") ? [value(), ...rest] : part.startsWith("{") ? [value()] : [part],
            );
          // Sometimes just past the route (`/orders/1/x` for `GET /orders/{id}`): another route's.
          if (beyond && !template.endsWith("+}")) parts.push(...rest);
          return { method: method === "ANY" ? anyMethod : method, path: `/${parts.join("/")}` };
        }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        method: fc.constantFrom(...METHODS),
        path: fc.array(segment, { maxLength: 4 }).map((s) => joinPath([s, false])),
      }),
    },
  );

async function httpCall(h: TestHandler, kind: HttpKind, token: string, req: HttpReq, routeKey: string) {
  const event = httpEventFor(kind, token, req, routeKey);
  const from = h.logger.lines.length;
  const outcome = await invoke(h.handler, event);
  assert.notEqual(outcome.status, 401, "a valid token must never get a 401");
  if (outcome.status === 401) throw new Error("unreachable");
  assertValidResponse(outcome.response, event, { httpApi: h.httpApi, secrets: secretsOf(token) });
  assertDecisionLog(h.logger.lines, from, outcome, secretsOf(token));
  return { event, outcome };
}

describe("cache reuse on HTTP APIs: an answer reused from the cache equals a fresh answer", () => {
  for (const unmatchedRoutes of ["allow", "deny"] as const) {
    for (const kind of ["http-v1", "http-v2"] as const) {
      test(`${kind} with IAM policies (identity source: the token), unmatchedRoutes ${unmatchedRoutes}: cached(A→B) = fresh(B)`, async () => {
        const h = makeHandler(
          contractConfig({ routes: EXACT_RULES, unmatchedRoutes, httpApi: { response: "iam" } }),
        );
        const seen = { allow: 0, deny: 0 };
        await fc.assert(
          fc.asyncProperty(
            principal,
            fc.constantFrom(...EXTRA_ROUTES).chain((extra) => {
              const routes = apiRoutes(EXACT_RULES, extra);
              return fc.tuple(fc.constant(routes), httpRequest(routes), httpRequest(routes));
            }),
            async (p, [routes, a, b]) => {
              const token = tokenOf(p);
              const keyA = selectRouteReference(routes, a.method, a.path);
              const keyB = selectRouteReference(routes, b.method, b.path);
              assert.ok(keyA !== null && keyB !== null, "with $default every request has a route");
              const outA = (await httpCall(h, kind, token, a, keyA)).outcome;
              if ("isAuthorized" in outA.response) throw new Error("unreachable");
              const { event: eventB, outcome: outB } = await httpCall(h, kind, token, b, keyB);
              const cached = referenceEvaluate(outA.response.policyDocument, eventArn(eventB));
              seen[cached === "allow" ? "allow" : "deny"]++;
              assert.equal(cached === "allow", outB.status === 200, `cached ${cached}, fresh ${outB.status}`);
            },
          ),
          { numRuns: 200 },
        );
        assert.ok(seen.allow >= 20 && seen.deny >= 20, JSON.stringify(seen));
      });
    }

    // Before simple responses were decided on the route key, this failed with unmatchedRoutes
    // "allow": under `$default`, `HEAD /users/orders/x` (inside the IAM resource of `ANY /users/{id}`)
    // was denied and `GET /` allowed, and the answer cached for the route key answered the other.
    test(`http-v2 simple responses (identity sources: the token and $context.routeKey), unmatchedRoutes ${unmatchedRoutes}: cached(A) = fresh(B) for the same route key`, async () => {
      const h = makeHandler(contractConfig({ routes: EXACT_RULES, unmatchedRoutes }));
      assert.equal(h.httpApi, "simple");
      let reused = 0;
      await fc.assert(
        fc.asyncProperty(
          principal,
          fc.constantFrom(...EXTRA_ROUTES).chain((extra) => {
            const routes = apiRoutes(EXACT_RULES, extra);
            return fc.tuple(fc.constant(routes), httpRequest(routes), httpRequest(routes));
          }),
          async (p, [routes, a, b]) => {
            const token = tokenOf(p);
            const keyA = selectRouteReference(routes, a.method, a.path);
            const keyB = selectRouteReference(routes, b.method, b.path);
            assert.ok(keyA !== null && keyB !== null, "with $default every request has a route");
            const outA = (await httpCall(h, "http-v2", token, a, keyA)).outcome;
            const outB = (await httpCall(h, "http-v2", token, b, keyB)).outcome;
            if (keyA !== keyB) return; // another cache entry
            reused++;
            // What API Gateway answers B from the cache: A's `isAuthorized`, as it is.
            assert.equal(
              outA.status,
              outB.status,
              `${keyA}: ${a.method} ${a.path} → ${outA.status}, ${b.method} ${b.path} → ${outB.status}`,
            );
          },
        ),
        { numRuns: 300 },
      );
      assert.ok(reused >= 30, `only ${reused} pairs shared a route key`);
    });
  }
});

describe("WebSocket $connect: a valid answer that decides $connect by the rules", () => {
  // Before the `$connect` policy was built for `$connect` alone, it carried a Deny for every HTTP
  // rule the principal may not call, and enough rules pushed it past the 8 KB limit.
  test("with many HTTP rules: the $connect answer still fits API Gateway's 8 KB limit", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 200 }),
        fc.constantFrom("allow", "deny"),
        fc.boolean(),
        async (count, unmatchedRoutes, granted) => {
          const rules = [
            { route: "$connect", scopes: ["ws:connect"] },
            ...Array.from({ length: count }, (_, i) => ({
              route: `${METHODS[i % METHODS.length]} /resource-number-${i}/{id}/items/{proxy+}`,
              scopes: [`scope:${i}`],
            })),
          ];
          const h = makeHandler(contractConfig({ routes: rules, unmatchedRoutes }));
          const token = tokenOf({
            sub: "alice",
            scopes: granted ? ["ws:connect"] : [],
            groups: [],
            groupsAsString: false,
          });
          const outcome = await invoke(h.handler, fixtureEvent("websocket-connect", token));
          if (outcome.status === 401) throw new Error("a valid token must never get a 401");
          assert.equal(outcome.status === 200, granted);
          const bytes = Buffer.byteLength(JSON.stringify(outcome.response), "utf8");
          assert.ok(bytes <= 8192, `${count} rules: ${bytes} bytes`);
        },
      ),
      { numRuns: 40 },
    );
  });

  const WS_PREFIX = "arn:aws:execute-api:us-east-1:123456789012:abcdef123/default/";
  const wsPrincipal = fc.record({
    sub: fc.constantFrom("alice", "bob"),
    scopes: fc.subarray([...SCOPES, "ws:connect"]),
    groups: fc.subarray(GROUPS),
    groupsAsString: fc.boolean(),
  });
  const withConnect = [...EXACT_RULES, { route: "$connect", scopes: ["ws:connect"] }];
  for (const unmatchedRoutes of ["allow", "deny"] as const) {
    for (const [label, rules] of [
      ["with a $connect rule", withConnect],
      ["without one", EXACT_RULES],
    ] as const) {
      /** Independent of gatepass: the `$connect` rule's scope, else `unmatchedRoutes`. */
      const expected = (p: Principal) =>
        rules === withConnect ? p.scopes.includes("ws:connect") : unmatchedRoutes === "allow";
      const connect = async (h: TestHandler, p: Principal) => {
        const token = tokenOf(p);
        const event = fixtureEvent("websocket-connect", token);
        assert.equal(event.methodArn, `${WS_PREFIX}$connect`);
        const from = h.logger.lines.length;
        const outcome = await invoke(h.handler, event);
        assert.notEqual(outcome.status, 401);
        if (outcome.status === 401) throw new Error("unreachable");
        assertDecisionLog(h.logger.lines, from, outcome, secretsOf(token));
        return { event, outcome, token };
      };

      test(`${label}, unmatchedRoutes ${unmatchedRoutes}: valid, and 200 exactly when the rules allow`, async () => {
        const h = makeHandler(contractConfig({ routes: rules, unmatchedRoutes }));
        await fc.assert(
          fc.asyncProperty(wsPrincipal, async (p) => {
            const { event, outcome, token } = await connect(h, p);
            const problems = responseProblems(outcome.response, event, { secrets: secretsOf(token) }).filter(
              (problem) => !problem.includes("over 8 KB"),
            );
            assert.deepEqual(problems, []);
            assert.equal(outcome.status === 200, expected(p), `status ${outcome.status}`);
          }),
          { numRuns: 60 },
        );
      });

      test(`${label}, unmatchedRoutes ${unmatchedRoutes}: the answer fits API Gateway's 8 KB WebSocket limit`, async () => {
        const h = makeHandler(contractConfig({ routes: rules, unmatchedRoutes }));
        await fc.assert(
          fc.asyncProperty(wsPrincipal, async (p) => {
            const { outcome } = await connect(h, p);
            const bytes = Buffer.byteLength(JSON.stringify(outcome.response), "utf8");
            assert.ok(bytes <= 8192, `${bytes} bytes`);
          }),
          { numRuns: 30 },
        );
      });
    }
  }
});
