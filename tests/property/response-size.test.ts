/**
 * Property: for random rule sets, claims and context settings, through every event fixture, every
 * response gatepass returns fits API Gateway's result size for its API type (WebSocket: 8 KB;
 * REST and HTTP: a 6 MB Lambda response) and still answers the request as the rules say.
 *
 * The expected decision comes from the rule shapes, not from the rule engine: every generated HTTP
 * rule lives under `/internal/…`, where no fixture request goes, so a fixture's HTTP request is
 * decided by `unmatchedRoutes` (and, for a route-independent simple response, by every rule too),
 * and `$connect` by its own rule (scope `ws:connect`) when there is one.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  assertValidResponse,
  contractConfig,
  FIXTURE_NAMES,
  fixtureEvent,
  invoke,
  makeHandler,
  mint,
} from "../contract/helpers.js";

const RUNS = Number(process.env.FUZZ_RUNS ?? 150);
const WEBSOCKET_LIMIT = 8192;
const LAMBDA_LIMIT = 6 * 1024 * 1024;

const segment = fc.stringMatching(/^[a-z][a-z0-9-]{0,79}$/);
const httpRule = fc.record({
  method: fc.constantFrom("ANY", "GET", "POST", "DELETE"),
  path: fc.array(segment, { minLength: 1, maxLength: 3 }),
  tail: fc.constantFrom("", "/{id}", "/{proxy+}", "/{id}/items"),
  scope: fc.constantFrom("internal:admin", "internal:read"),
});
/** A claim value: long strings (some needing JSON escapes), numbers, arrays. */
const claimValue = fc.oneof(
  fc.string({ maxLength: 2500 }),
  fc.string({ unit: fc.constantFrom("a", "é", "\u0001", '"', "😀"), maxLength: 1000 }),
  fc.integer(),
  fc.array(fc.string({ maxLength: 200 }), { maxLength: 10 }),
);
const CONTEXT_CLAIMS = ["sub", "c1", "c2", "c3", "c4", "c5"];

const scenario = fc.record({
  // WebSocket, where the limit is tight, one run in two.
  fixture: fc.oneof(fc.constant("websocket-connect" as const), fc.constantFrom(...FIXTURE_NAMES)),
  rules: fc.array(httpRule, { maxLength: 40 }),
  connectRule: fc.boolean(),
  unmatchedRoutes: fc.constantFrom("allow" as const, "deny" as const),
  httpApi: fc.constantFrom("simple" as const, "iam" as const),
  maxContextBytes: fc.constantFrom(64, 4096, 16384, 65536),
  scopes: fc.subarray(["internal:admin", "internal:read", "ws:connect"]),
  sub: fc.string({ minLength: 1, maxLength: 300 }),
  extra: fc.record(
    { c1: claimValue, c2: claimValue, c3: claimValue, c4: claimValue, c5: claimValue },
    { requiredKeys: [] },
  ),
});

describe("response size (property)", () => {
  test("every response fits its API type's limit and answers the request as the rules say", async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const routes: Array<Record<string, unknown>> = s.rules.map((r) => ({
          route: `${r.method} /internal/${r.path.join("/")}${r.tail}`,
          scopes: [r.scope],
        }));
        if (s.connectRule) routes.push({ route: "$connect", scopes: ["ws:connect"] });
        let handler: ReturnType<typeof makeHandler>;
        try {
          handler = makeHandler(
            contractConfig({
              routes,
              unmatchedRoutes: s.unmatchedRoutes,
              httpApi: { response: s.httpApi },
              context: { claims: CONTEXT_CLAIMS, maxBytes: s.maxContextBytes },
              maxTokenBytes: 16384,
            }),
          );
        } catch {
          fc.pre(false); // duplicate routes: not a configuration
          return;
        }
        const token = mint("RS256", { sub: s.sub, scope: s.scopes.join(" "), ...s.extra });
        fc.pre(token.length <= 16000);
        const event = fixtureEvent(s.fixture, token);
        const outcome = await invoke(handler.handler, event);
        assert.ok("response" in outcome && outcome.response !== undefined, "a response, not a 401");
        const isConnect = s.fixture === "websocket-connect";
        const bytes = Buffer.byteLength(JSON.stringify(outcome.response), "utf8");
        const limit = isConnect ? WEBSOCKET_LIMIT : LAMBDA_LIMIT;
        assert.ok(bytes <= limit, `${s.fixture}: ${bytes} bytes (limit ${limit})`);
        // A 2.0 simple response whose identity sources lack the route key (this fixture: the token
        // alone) is cached for every route, so it is route-independent: allowed only when every
        // rule and the unmatched-route answer allow.
        const routeIndependent = s.fixture === "http-v2-default-stage" && s.httpApi === "simple";
        const expected = isConnect
          ? s.connectRule
            ? s.scopes.includes("ws:connect")
            : s.unmatchedRoutes === "allow"
          : s.unmatchedRoutes === "allow" &&
            (!routeIndependent || s.rules.every((r) => s.scopes.includes(r.scope)));
        assert.equal(outcome.status, expected ? 200 : 403, s.fixture);
        assertValidResponse(outcome.response, event, { httpApi: s.httpApi, maxContextBytes: 65536 + 3092 });
      }),
      { numRuns: RUNS },
    );
  });
});
