/**
 * The local gateway under load (the short version, part of `npm test`): autocannon on
 * `startDevServer` with gatepass's own authorizer, the authorizer result cache off
 * (`dev.resultTtlSeconds: 0`, so every request reaches the authorizer), a mix of valid, expired,
 * forged, unknown-kid and missing tokens, and the JWKS rotating mid-run (see gateway-load.ts).
 *
 * Every single answer is checked against the status its token class demands at that moment; no
 * 5xx, no client error or timeout; memory sampled before and after. `npm run soak` runs the long
 * version (tests/reliability/soak.ts).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { runGatewayLoad } from "./gateway-load.js";
import { loadKeys } from "./make-hostile-corpus.js";
import { installCrashGuard } from "./support.js";

test("gateway under load while the JWKS rotates: valid → 200, every other token → 401, no 5xx", async (t) => {
  const guard = installCrashGuard();
  try {
    const report = await runGatewayLoad({ keys: loadKeys(), durationS: 6, connections: 8 });
    t.diagnostic(
      `requests: ${report.requests} (${report.requestsPerSecond}/s, p50 ${report.latencyP50Ms} ms, p99 ${report.latencyP99Ms} ms); statuses ${JSON.stringify(report.statuses)}`,
    );
    t.diagnostic(`per class: ${JSON.stringify(report.perClass)}`);
    t.diagnostic(`reasons: ${JSON.stringify(report.reasons)}`);
    t.diagnostic(
      `tokens: ${report.tokensTried}; key rotations: ${report.rotations}; JWKS requests: ${report.jwksRequests}; 5xx: ${report.fiveXx}`,
    );
    t.diagnostic(
      `memory before/after: heap ${report.memoryBefore.heapUsedMB} → ${report.memoryAfter.heapUsedMB} MiB, rss ${report.memoryBefore.rssMB} → ${report.memoryAfter.rssMB} MiB`,
    );
    assert.equal(report.fiveXx, 0, "no 5xx");
    assert.ok(
      Object.keys(report.statuses).every((s) => s === "200" || s === "401"),
      JSON.stringify(report.statuses),
    );
    assert.equal(report.errors, 0, "no connection errors");
    assert.equal(report.timeouts, 0, "no timeouts");
    assert.deepEqual(report.mismatches, [], `${report.mismatchCount} answers differ from their expectation`);
    for (const [cls, tally] of Object.entries(report.perClass)) {
      // Every class is exercised; how often depends on the machine's load, so only a floor.
      assert.ok(tally.sent >= 5, `class ${cls} was sent ${tally.sent} times`);
      assert.equal(tally.ok, tally.sent, `class ${cls}`);
    }
    const logged = Object.values(report.statuses).reduce((a, b) => a + b, 0);
    assert.ok(
      logged >= report.requests * 0.99,
      `the gateway logged ${logged} of ${report.requests} requests`,
    );
    assert.equal(report.rotations, 2);
    // Fresh for 0.5 s, cooldown 0.5 s: about two fetches a second at most, whatever the unknown-kid storm.
    assert.ok(report.jwksRequests <= 2 * (6 / 0.5) + 4, `${report.jwksRequests} JWKS requests`);
    assert.ok(
      report.memoryAfter.heapUsedMB - report.memoryBefore.heapUsedMB < 40,
      `heap grew from ${report.memoryBefore.heapUsedMB} to ${report.memoryAfter.heapUsedMB} MiB`,
    );
  } finally {
    guard.uninstall();
  }
  assert.deepEqual(guard.problems, [], "no unhandled rejection or uncaught exception");
});
