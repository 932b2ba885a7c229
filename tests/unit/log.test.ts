/**
 * The log line's envelope, in the shape of Powertools for AWS Lambda's Logger (field names and the
 * `_X_AMZN_TRACE_ID` parsing as its `getXRayTraceIdFromEnv`), and which lines pass which levels.
 */
import assert from "node:assert/strict";
import { afterEach, describe, test } from "node:test";
import { createLogger, type LogLevel, startInvocation } from "../../src/log.js";

function capture(level: LogLevel, env: Record<string, string | undefined> = {}) {
  const lines: string[] = [];
  const logger = createLogger(level, (line) => lines.push(line), env);
  return { logger, lines, parsed: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

const savedTrace = process.env._X_AMZN_TRACE_ID;
afterEach(() => {
  if (savedTrace === undefined) delete process.env._X_AMZN_TRACE_ID;
  else process.env._X_AMZN_TRACE_ID = savedTrace;
});

describe("log envelope", () => {
  test("a line is level (upper case), message, timestamp, service, cold_start, function name, request id, trace id, then the fields", () => {
    process.env._X_AMZN_TRACE_ID =
      "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=557abcec3ee5a047;Sampled=1";
    startInvocation("c6af9ac6-7b61-11e6-9a41-93e812345678");
    const { logger, lines, parsed } = capture("info", { AWS_LAMBDA_FUNCTION_NAME: "orders-authorizer" });
    logger.warn("jwks_fetch_failed", { uri: "https://id.example.com/jwks", servingStale: true });
    const [line] = parsed();
    assert.deepEqual(Object.keys(line!).slice(0, 9), [
      "level",
      "message",
      "timestamp",
      "service",
      "cold_start",
      "function_name",
      "function_request_id",
      "xray_trace_id",
      "event",
    ]);
    assert.equal(line!.level, "WARN");
    assert.equal(line!.message, "jwks_fetch_failed");
    assert.equal(line!.event, "jwks_fetch_failed", "the event name stays where it was");
    assert.equal(new Date(String(line!.timestamp)).toISOString(), line!.timestamp);
    assert.ok(Math.abs(Date.parse(String(line!.timestamp)) - Date.now()) < 5_000);
    assert.equal(line!.service, "gatepass");
    assert.equal(typeof line!.cold_start, "boolean");
    assert.equal(line!.function_name, "orders-authorizer");
    assert.equal(line!.function_request_id, "c6af9ac6-7b61-11e6-9a41-93e812345678");
    assert.equal(line!.xray_trace_id, "1-5759e988-bd862e3fe1be46a994272793");
    assert.equal(line!.uri, "https://id.example.com/jwks");
    assert.equal(line!.servingStale, true);
    assert.equal(lines[0]!.includes("\n"), false, "one line");
  });

  test("POWERTOOLS_SERVICE_NAME names the service; without a function name or trace header those keys are absent", () => {
    delete process.env._X_AMZN_TRACE_ID;
    const { logger, parsed } = capture("info", { POWERTOOLS_SERVICE_NAME: "orders-api-auth" });
    logger.info("decision");
    const [line] = parsed();
    assert.equal(line!.service, "orders-api-auth");
    assert.equal("function_name" in line!, false);
    assert.equal("xray_trace_id" in line!, false);
  });

  test("_X_AMZN_TRACE_ID without '=' is the trace id itself, as Powertools reads it", () => {
    process.env._X_AMZN_TRACE_ID = "1-5759e988-bd862e3fe1be46a994272793";
    const { logger, parsed } = capture("info");
    logger.info("x");
    assert.equal(parsed()[0]!.xray_trace_id, "1-5759e988-bd862e3fe1be46a994272793");
    process.env._X_AMZN_TRACE_ID = "Parent=557abcec3ee5a047;Sampled=1";
    logger.info("y");
    assert.equal("xray_trace_id" in parsed()[1]!, false, "no Root: no trace id");
  });

  test("a field named like an envelope key never replaces it", () => {
    const { logger, parsed } = capture("debug");
    logger.info("decision", {
      level: "ERROR",
      message: "forged",
      timestamp: "1970-01-01T00:00:00.000Z",
      service: "other",
      cold_start: "x",
      function_request_id: "forged",
      xray_trace_id: "forged",
      event: "forged",
      outcome: "allow",
    });
    const line = parsed()[0]!;
    assert.equal(line.level, "INFO");
    assert.equal(line.message, "decision");
    assert.equal(line.event, "decision");
    assert.equal(line.service, "gatepass");
    assert.notEqual(line.timestamp, "1970-01-01T00:00:00.000Z");
    assert.notEqual(line.function_request_id, "forged");
    assert.notEqual(line.xray_trace_id, "forged");
    assert.equal(line.outcome, "allow");
  });
});

describe("log levels: gatepass's logLevel and AWS_LAMBDA_LOG_LEVEL, the stricter wins", () => {
  const written = (level: LogLevel, lambda: string | undefined) => {
    const { logger, parsed } = capture(level, { AWS_LAMBDA_LOG_LEVEL: lambda });
    logger.debug("d");
    logger.info("i");
    logger.warn("w");
    logger.error("e");
    return parsed().map((l) => l.level);
  };
  test("without AWS_LAMBDA_LOG_LEVEL, logLevel decides", () => {
    assert.deepEqual(written("info", undefined), ["INFO", "WARN", "ERROR"]);
    assert.deepEqual(written("debug", undefined), ["DEBUG", "INFO", "WARN", "ERROR"]);
    assert.deepEqual(written("silent", undefined), []);
  });
  test("AWS_LAMBDA_LOG_LEVEL=WARN drops INFO lines and keeps ERROR lines (Lambda would drop the former itself)", () => {
    assert.deepEqual(written("info", "WARN"), ["WARN", "ERROR"]);
    assert.deepEqual(written("debug", "warn"), ["WARN", "ERROR"]);
    assert.deepEqual(written("info", "ERROR"), ["ERROR"]);
  });
  test("a more verbose AWS_LAMBDA_LOG_LEVEL does not lower gatepass's own level", () => {
    assert.deepEqual(written("warn", "DEBUG"), ["WARN", "ERROR"]);
    assert.deepEqual(written("info", "TRACE"), ["INFO", "WARN", "ERROR"]);
  });
  test("an unknown AWS_LAMBDA_LOG_LEVEL is ignored", () => {
    assert.deepEqual(written("info", "LOUD"), ["INFO", "WARN", "ERROR"]);
  });
});

describe("cold_start", () => {
  test("is false once a second invocation has started in this environment", () => {
    startInvocation("one");
    startInvocation("two");
    const { logger, parsed } = capture("info");
    logger.info("x");
    assert.equal(parsed()[0]!.cold_start, false);
    assert.equal(parsed()[0]!.function_request_id, "two");
  });
});
