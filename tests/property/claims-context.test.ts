/**
 * Arbitrary claim values, signed into valid tokens (fast-check), through every event fixture:
 * the response stays valid, a REST/WebSocket/HTTP 1.0 context only ever holds scalars (arrays and
 * objects as their JSON text), a 2.0 context keeps the JSON values, every claim asked for is either
 * delivered or reported as dropped, and `principalId` is the principal claim or the answer is 401.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { readAuthorizerContext } from "../../src/backend/read-authorizer-context.js";
import { CONTEXT_JSON_KEYS } from "../../src/policy/context.js";
import {
  assertValidResponse,
  contractConfig,
  FIXTURE_NAMES,
  type FixtureName,
  fixtureEvent,
  invoke,
  isHttpV2Event,
  makeHandler,
  mint,
  secretsOf,
  type TestHandler,
} from "../contract/helpers.js";

const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
const MAX_TOKEN = 8192;

const FREE_CLAIMS = [
  "email",
  "groups",
  "scope",
  "scp",
  "data",
  "n",
  "flag",
  "claims",
  "principalId",
  "integrationLatency",
  "cognito:groups",
  "https://example.com/roles",
  "",
  "con\ntrol",
];
const CONTEXT_CLAIMS = ["sub", ...FREE_CLAIMS.filter((c) => c !== "")];
const FLAT_RESERVED = ["principalId", "integrationLatency", "claims"];

const rules = [
  { route: "GET /orders/{id}", scopes: ["orders:read"] },
  { route: "ANY /admin/{proxy+}", claims: { groups: ["admin"], "cognito:groups": { contains: "ops" } } },
  { route: "$connect", claims: { flag: { equals: true } } },
];
const handlers: Record<string, TestHandler> = {
  open: makeHandler(contractConfig({ context: { claims: CONTEXT_CLAIMS } })),
  "open, httpApi iam": makeHandler(
    contractConfig({ context: { claims: CONTEXT_CLAIMS }, httpApi: { response: "iam" } }),
  ),
  ruled: makeHandler(contractConfig({ context: { claims: CONTEXT_CLAIMS }, routes: rules })),
};
/** Handler names, not handlers, so that a counterexample prints short. */
const handlerName = fc.constantFrom(...Object.keys(handlers));

const value = fc.oneof(
  fc.jsonValue({ maxDepth: 3, stringUnit: "binary" }),
  fc.constantFrom<unknown>(null, -0, 1e308, -1e-308, 2 ** 53 + 1, "", "[1,2]", '{"a":1}', "\u0000", "\ud800"),
  fc.array(fc.string({ unit: "grapheme", maxLength: 8 }), { maxLength: 6 }),
);
const claimsArb = fc.record(Object.fromEntries(FREE_CLAIMS.map((c) => [c, value])), { requiredKeys: [] });

/** What the token carries: the value after a JSON round trip (`-0` → `0`, lone surrogates kept). */
const roundTrip = (v: unknown) => JSON.parse(JSON.stringify(v)) as unknown;

async function run(h: TestHandler, fixture: FixtureName, claims: Record<string, unknown>) {
  const token = mint("HS256", { sub: "ctx-user", ...claims });
  const event = fixtureEvent(fixture, token);
  const from = h.logger.lines.length;
  const outcome = await invoke(h.handler, event);
  return { token, event, outcome, lines: h.logger.lines.slice(from) };
}

describe("arbitrary claim values in valid tokens", () => {
  test("never a non-scalar REST context, never an invalid response, nothing asked for silently lost", async () => {
    await fc.assert(
      fc.asyncProperty(
        handlerName,
        fc.constantFrom(...FIXTURE_NAMES),
        claimsArb,
        async (handlerKey, fixture, claims) => {
          const h = handlers[handlerKey]!;
          const { token, event, outcome, lines } = await run(h, fixture, claims);
          if (token.length > MAX_TOKEN) {
            assert.equal(outcome.status, 401);
            return;
          }
          assert.notEqual(outcome.status, 401, JSON.stringify(lines));
          if (outcome.status === 401) return;
          assertValidResponse(outcome.response, event, { httpApi: h.httpApi, secrets: secretsOf(token) });
          const context = (outcome.response.context ?? {}) as Record<string, unknown>;
          const v2 = isHttpV2Event(event);
          const dropped = lines
            .filter((l) => l.event === "context_truncated")
            .flatMap((l) => l.dropped as string[]);
          for (const name of CONTEXT_CLAIMS) {
            if (!Object.hasOwn(claims, name) && name !== "sub") continue;
            const sent = roundTrip(name === "sub" ? "ctx-user" : claims[name]);
            const unusable = name.includes("\n") || (!v2 && FLAT_RESERVED.includes(name));
            if (sent === null || unusable || dropped.includes(name)) {
              if (!(v2 && name === "principalId"))
                assert.ok(!Object.hasOwn(context, name), `${name} should not be in the context`);
              continue;
            }
            assert.ok(Object.hasOwn(context, name), `${name} was silently lost`);
            if (v2) {
              if (name !== "principalId") assert.deepEqual(context[name], sent, name);
            } else if (typeof sent === "object") {
              assert.equal(context[name], JSON.stringify(sent), name);
            } else {
              assert.equal(context[name], sent, name);
            }
          }
          for (const [k, v] of Object.entries(context)) {
            if (!v2) assert.ok(["string", "number", "boolean"].includes(typeof v), `${k}: ${typeof v}`);
            if (typeof v === "number") assert.ok(Number.isFinite(v));
          }
          // A backend reads the claims back (REST values arrive stringified).
          const delivered = v2
            ? { requestContext: { authorizer: { lambda: context } } }
            : {
                requestContext: {
                  authorizer: {
                    principalId: (outcome.response as { principalId: string }).principalId,
                    ...Object.fromEntries(Object.entries(context).map(([k, v]) => [k, String(v)])),
                  },
                },
              };
          const read = readAuthorizerContext(delivered);
          // A 2.0 context carries the authorizer's principal (simple and IAM responses alike).
          if (v2) assert.equal(context.principalId, "ctx-user");
          assert.equal(read.principalId, "ctx-user");
          // principalId and integrationLatency are API Gateway's own keys there, not claims; nor is
          // the list of keys holding JSON text.
          for (const k of Object.keys(context))
            if (!FLAT_RESERVED.slice(0, 2).includes(k) && k !== CONTEXT_JSON_KEYS) {
              assert.ok(Object.hasOwn(read.claims, k), k);
              // …with the type it had in the token.
              assert.deepEqual(read.claims[k], roundTrip(k === "sub" ? "ctx-user" : claims[k]), k);
            }
        },
      ),
      { numRuns: RUNS },
    );
  });

  test("an arbitrary principal claim: principalId is its string form, or the answer is 401", async () => {
    const h = handlers.open!;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...FIXTURE_NAMES),
        fc.oneof(
          fc.jsonValue({ maxDepth: 2 }),
          fc.string({ unit: "binary", minLength: 1000, maxLength: 1100 }),
          fc.constantFrom<unknown>(-0, 1e21, 0.1, "", " ", 1e308),
        ),
        async (fixture, sub) => {
          const token = mint("HS256", { sub });
          const event = fixtureEvent(fixture, token);
          const from = h.logger.lines.length;
          const outcome = await invoke(h.handler, event);
          const sent = roundTrip(sub);
          const ok =
            (typeof sent === "string" && sent.length > 0 && sent.length <= 1024) ||
            (typeof sent === "number" && Number.isFinite(sent));
          if (!ok) {
            assert.equal(outcome.status, 401);
            assert.equal(
              h.logger.lines.slice(from).find((l) => l.event === "decision")?.reason,
              "ERR_JWT_CLAIM_MISSING",
            );
            return;
          }
          assert.equal(outcome.status, 200);
          if (outcome.status !== 200) return;
          assertValidResponse(outcome.response, event, { httpApi: h.httpApi, secrets: secretsOf(token) });
          const principal =
            "isAuthorized" in outcome.response
              ? outcome.response.context?.principalId
              : outcome.response.principalId;
          assert.equal(principal, String(sent));
        },
      ),
      { numRuns: RUNS },
    );
  });

  test("arbitrary claim names in context.claims never break the response", async () => {
    const name = fc.string({ unit: "binary", minLength: 1, maxLength: 10 });
    const reservedJwt = new Set(["iss", "aud", "exp", "iat", "nbf", "sub", "__proto__"]);
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(name, { maxLength: 6 }).map((names) => names.filter((n) => !reservedJwt.has(n))),
        fc.array(value, { minLength: 6, maxLength: 6 }),
        fc.constantFrom(...FIXTURE_NAMES),
        fc.constantFrom("simple" as const, "iam" as const),
        async (names, values, fixture, mode) => {
          const h = makeHandler(contractConfig({ context: { claims: names }, httpApi: { response: mode } }));
          const claims = Object.fromEntries(names.map((n, i) => [n, values[i]]));
          const { token, event, outcome } = await run(h, fixture, claims);
          if (token.length > MAX_TOKEN) return;
          assert.equal(outcome.status, 200);
          if (outcome.status !== 200) return;
          assertValidResponse(outcome.response, event, { httpApi: mode, secrets: secretsOf(token) });
        },
      ),
      { numRuns: 200 },
    );
  });
});
