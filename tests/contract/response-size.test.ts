/**
 * Contract: every authorizer response stays within API Gateway's documented limits for its API type
 * (WebSocket: 8 KB authorizer result; every API: 512-character policy resources), and a response
 * that would not fit degrades to a correct, narrower answer.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { evaluatePolicy } from "../../src/policy/evaluate.js";
import {
  assertValidResponse,
  contractConfig,
  eventArn,
  fixtureEvent,
  invoke,
  makeHandler,
  mint,
} from "./helpers.js";

/** Thirteen `ANY` rules the principal fails, each with a longish path: the field report's case. */
const THIRTEEN_ANY_RULES = Array.from({ length: 13 }, (_, i) => ({
  route: `ANY /internal/service-number-${String(i).padStart(2, "0")}/administration/{proxy+}`,
  scopes: ["internal:admin"],
}));

const bytesOf = (value: unknown) => Buffer.byteLength(JSON.stringify(value), "utf8");

describe("response size: WebSocket $connect", () => {
  it("answers $connect within 8 KB for a principal failing 13 ANY rules, and allows it", async () => {
    const { handler, logger } = makeHandler(
      contractConfig({ routes: THIRTEEN_ANY_RULES, unmatchedRoutes: "allow" }),
    );
    const token = mint("RS256", { sub: "u1", scope: "orders:read" });
    const event = fixtureEvent("websocket-connect", token);
    const outcome = await invoke(handler, event);
    assert.ok("response" in outcome && outcome.response !== undefined, "a response, not a 401");
    const size = bytesOf(outcome.response);
    assert.ok(size <= 8192, `the $connect answer is ${size} bytes (API Gateway's limit: 8192)`);
    assert.equal(outcome.status, 200, "$connect is not covered by any rule: allowed");
    assertValidResponse(outcome.response, event);
    assert.equal(logger.lines.filter((l) => l.level === "ERROR").length, 0);
  });

  it("denies $connect within 8 KB when a $connect rule refuses, with 13 ANY rules failed too", async () => {
    const routes = [...THIRTEEN_ANY_RULES, { route: "$connect", scopes: ["ws:connect"] }];
    const { handler } = makeHandler(contractConfig({ routes, unmatchedRoutes: "allow" }));
    const event = fixtureEvent("websocket-connect", mint("RS256", { sub: "u1" }));
    const outcome = await invoke(handler, event);
    assert.ok("response" in outcome && outcome.response !== undefined);
    assert.ok(bytesOf(outcome.response) <= 8192);
    assert.equal(outcome.status, 403);
    assert.notEqual(
      evaluatePolicy((outcome.response as { policyDocument: unknown }).policyDocument, eventArn(event)),
      "allow",
    );
  });
});
