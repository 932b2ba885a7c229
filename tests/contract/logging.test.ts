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
 * Runs `action` with stdout captured (the default logger writes JSON lines there directly, not
 * through `console`, which Lambda's runtime reformats: see tests/e2e/lambda-runtime-logs.test.ts).
 */
async function captureStdout(action: (lines: string[]) => Promise<void>): Promise<void> {
  const lines: string[] = [];
  const original = process.stdout.write;
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const text = String(chunk);
    if (text.startsWith("{")) {
      lines.push(...text.split("\n").filter((l) => l.length > 0));
      return true;
    }
    return (original as (...args: unknown[]) => boolean).call(process.stdout, chunk, ...rest);
  }) as typeof process.stdout.write;
  try {
    await action(lines);
  } finally {
    process.stdout.write = original;
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

describe("logSampleRate", () => {
  test("samples allow decision lines only (each marked with sampling_rate); deny and 401 lines are always written", async (t) => {
    let draws = 0;
    // Every other allow line is drawn in (0.1 < 0.5), the others out (0.9).
    t.mock.method(Math, "random", () => (draws++ % 2 === 0 ? 0.1 : 0.9));
    const h = makeHandler(
      contractConfig({
        routes: [{ route: "GET /orders/{id}", scopes: ["orders:read"] }],
        logSampleRate: 0.5,
      }),
    );
    const reader = mint("HS256", { sub: "reader", scope: "orders:read" });
    const nobody = mint("HS256", { sub: "nobody", scope: "other" });
    const outcomes: string[] = [];
    for (let i = 0; i < 4; i += 1) {
      for (const token of [reader, nobody, flipSignatureBit(reader)]) {
        const outcome = await invoke(h.handler, restEventFor("rest-token", token, "GET", "/orders/1"));
        outcomes.push(outcome.status === 200 ? "allow" : outcome.status === 403 ? "deny" : "unauthorized");
      }
    }
    const decisions = h.logger.lines.filter((l) => l.event === "decision");
    const count = (o: string) => decisions.filter((l) => l.outcome === o).length;
    assert.equal(outcomes.filter((o) => o === "allow").length, 4);
    assert.equal(count("allow"), 2, "half the allow lines");
    assert.equal(count("deny"), 4, "every deny line");
    assert.equal(count("unauthorized"), 4, "every 401 line");
    for (const line of decisions)
      assert.equal(line.sampling_rate, line.outcome === "allow" ? 0.5 : undefined);
  });

  test("without logSampleRate every allow line is written, with no sampling_rate", async () => {
    const h = makeHandler(contractConfig());
    const token = mint("HS256", { sub: "reader" });
    for (let i = 0; i < 5; i += 1)
      await invoke(h.handler, restEventFor("rest-token", token, "GET", "/orders/1"));
    const allows = h.logger.lines.filter((l) => l.event === "decision" && l.outcome === "allow");
    assert.equal(allows.length, 5);
    assert.ok(allows.every((l) => !("sampling_rate" in l)));
  });
});
