/**
 * The decision log as operators meet it (README, "Every API Gateway event type"): one structured JSON line per
 * invocation on stdout, with outcome, reason code, principal, issuer, route and duration, that tells
 * the truth about the answer, and never holds the token or the secret.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createAuthorizer } from "../../src/lambda/authorizer.js";
import {
  assertDecisionLog,
  contractConfig,
  eventWithoutToken,
  FIXTURE_NAMES,
  fixtureEvent,
  flipSignatureBit,
  invoke,
  type LogLine,
  makeHandler,
  mint,
  NOW,
  restEventFor,
  secretsOf,
} from "./helpers.js";

/**
 * Runs `action` with `console.log` captured (the default logger writes there, as Lambda expects; it
 * takes `console.log` when the handler is created, so the handler is created inside).
 */
async function captureStdout(action: (lines: string[]) => Promise<void>): Promise<void> {
  const lines: string[] = [];
  const original = console.log;
  console.log = (...args: unknown[]) => {
    lines.push(args.map(String).join(" "));
  };
  try {
    await action(lines);
  } finally {
    console.log = original;
  }
}

describe("decision log", () => {
  test("the default logger writes exactly one JSON decision line per invocation to stdout, never the token", async () => {
    await captureStdout(async (lines) => {
      const handler = createAuthorizer(contractConfig(), { now: NOW, sharedKeyCache: false });
      const good = mint("RS256", { sub: "log-user", email: "l@example.com" });
      const tokens = [good, flipSignatureBit(good), mint("HS256", { sub: "x" }, { now: 1 })];
      for (const fixture of FIXTURE_NAMES) {
        for (const token of [...tokens, null]) {
          const event = token === null ? eventWithoutToken(fixture) : fixtureEvent(fixture, token);
          const from = lines.length;
          const outcome = await invoke(handler, event);
          const parsed = lines.slice(from).map((l) => JSON.parse(l) as LogLine);
          for (const line of parsed) {
            assert.equal(typeof line.level, "string");
            assert.equal(typeof line.event, "string");
          }
          const decision = assertDecisionLog(parsed, 0, outcome, secretsOf(token));
          assert.equal(decision.requestId, "contract-test", "the Lambda request id is logged");
          assert.equal(typeof decision.kind, "string");
        }
      }
      assert.ok(lines.length >= FIXTURE_NAMES.length * 4);
    });
  });

  test("events that are no authorizer event get one unauthorized line naming what is missing", async () => {
    const h = makeHandler(contractConfig());
    for (const event of [null, 42, "GET /", [], {}, { type: "TOKEN" }, { version: "2.0", routeArn: 7 }]) {
      const from = h.logger.lines.length;
      const outcome = await invoke(h.handler, event);
      assert.equal(outcome.status, 401);
      const line = assertDecisionLog(h.logger.lines, from, outcome, []);
      assert.match(String(line.reason), /^ERR_EVENT_/);
    }
  });

  test("the decision line's outcome is what API Gateway answers (a path with * under rules with IAM warnings)", async () => {
    // GET /orders/{id} and GET /orders/{id}/items cannot be told apart by IAM globs (a warning), so
    // with unmatchedRoutes "deny" the policy for GET /orders/a*b falls back to a Deny of the stage
    // (policy/build.ts documents this); the request is then answered 403. The log must say "deny".
    const h = makeHandler(
      contractConfig({
        routes: [
          { route: "GET /orders/{id}", scopes: ["orders:read"] },
          { route: "GET /orders/{id}/items", scopes: ["items:read"] },
        ],
        unmatchedRoutes: "deny",
      }),
    );
    const token = mint("HS256", { sub: "alice", scope: "orders:read items:read" });
    const event = restEventFor("rest-token", token, "GET", "/orders/a*b");
    const from = h.logger.lines.length;
    const outcome = await invoke(h.handler, event);
    assertDecisionLog(h.logger.lines, from, outcome, secretsOf(token));
  });
});
