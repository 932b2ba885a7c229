/**
 * Section 2: one handler invocation per event type, the full path a Lambda runs per request:
 * event detection and token extraction, verification (token cache off), rules, policy and
 * context, and the decision log line, written to stdout by the default logger as in Lambda (the
 * section runs in a child process whose stdout is /dev/null: `bench/lib/child-section.ts`).
 * HS256, ES256 and RS256, each next to the floor's verification of the same token in the same rounds.
 */
import { microTiming } from "../lib/checks.js";
import { runSectionInChild } from "../lib/child-section.js";
import { authorizerConfig, BENCH_EVENTS, isAllowed, loadEvent } from "../lib/events.js";
import {
  AUDIENCE,
  type BenchAlgorithm,
  benchKey,
  ISSUER,
  issuerConfig,
  signJwt,
  standardClaims,
} from "../lib/fixtures.js";
import { createFloorVerifier } from "../lib/floor.js";
import { createAuthorizer, createVerifier } from "../lib/gatepass.js";
import {
  type Candidate,
  freshStrings,
  type Measurement,
  measure,
  ratio,
  type Stats,
  stats,
} from "../lib/harness.js";
import type { BenchContext, Section, SectionResult, TargetResult } from "../lib/section.js";
import { markdownTable, num, opsPerSecond, ratioText, withRange } from "../lib/table.js";

/** The issue's target: one REST TOKEN invocation with RS256 within this factor of the floor's RS256 verification. */
export const HANDLER_TARGET_RATIO = 1.3;
/** The architecture's target: one REST TOKEN invocation costs at most this much over the floor's verification, µs. */
export const HANDLER_TARGET_OVER_FLOOR_US = 1;

const ALGORITHMS: readonly BenchAlgorithm[] = ["HS256", "ES256", "RS256"];

/** `a − b` computed round by round (same round, same conditions), in µs: its median and range. */
export function difference(a: Measurement, b: Measurement): Stats {
  return stats(a.samples.map((value, i) => value - b.samples[i]!));
}

const signedUs = (us: number) => `${us >= 0 ? "+" : ""}${num(us)}`;

export const handlerSection: Section = {
  id: "handler",
  title: "2. One handler invocation per event type",
  run: (context) => runSectionInChild("bench/sections/handler.ts", "handlerInChild", context),
};

/** The measurements, run in a child process whose stdout is /dev/null. */
export const handlerInChild: Section = {
  id: "handler",
  title: "2. One handler invocation per event type",
  async run(context: BenchContext): Promise<SectionResult> {
    const rows: string[][] = [];
    const targets: TargetResult[] = [];
    for (const alg of ALGORITHMS) {
      context.progress(`handler: ${alg}`);
      const key = benchKey(alg);
      const token = signJwt(standardClaims(), key);
      const next = freshStrings(token);
      const floor = createFloorVerifier({ alg, key: key.verifyKey, issuer: ISSUER, audience: AUDIENCE });
      const verifier = createVerifier(
        { issuers: [issuerConfig(key)], tokenCache: { maxEntries: 0 } },
        { sharedKeyCache: false },
      );
      // The default logger: one JSON line per decision, to the process's stdout.
      const handler = createAuthorizer(authorizerConfig(issuerConfig(key), 0), { sharedKeyCache: false });
      const candidates: Candidate[] = [
        { name: "floor: verification alone", run: () => floor(next()) },
        { name: "gatepass: verification alone", run: () => verifier.verify(next()) },
      ];
      for (const { name, fixture } of BENCH_EVENTS) {
        const event = loadEvent(fixture, token);
        const response = await handler(event);
        if (!isAllowed(response))
          throw new Error(`${name}: the handler does not allow the benchmark request`);
        candidates.push({ name: `handler: ${name}`, run: () => handler(event) });
      }
      // The same REST TOKEN invocation with the decision line not written (log level "warn"): the
      // difference to the row above is what building and writing that line costs.
      const quiet = createAuthorizer(
        { ...authorizerConfig(issuerConfig(key), 0), logLevel: "warn" },
        { sharedKeyCache: false },
      );
      const restEvent = loadEvent("rest-token", token);
      if (!isAllowed(await quiet(restEvent)))
        throw new Error("the quiet handler does not allow the benchmark request");
      candidates.push({
        name: "handler: REST TOKEN, no decision line (logLevel warn)",
        run: () => quiet(restEvent),
      });
      const results = await measure(candidates, microTiming(context));
      const floorResult = results[0]!;
      for (const result of results) {
        rows.push([
          alg,
          result.name,
          withRange(result.stats),
          opsPerSecond(result.stats.median),
          result === floorResult ? "1.00×" : ratioText(ratio(result, floorResult)),
          result === floorResult ? "0" : signedUs(difference(result, floorResult).median),
        ]);
      }
      const restToken = results[2]!;
      const r = ratio(restToken, floorResult).median;
      const over = difference(restToken, floorResult).median;
      targets.push({
        target: `one REST TOKEN handler invocation, ${alg} ≤ the floor's ${alg} verification + ${HANDLER_TARGET_OVER_FLOOR_US} µs`,
        measured: `${over >= 0 ? "+" : ""}${num(over)} µs, ${r.toFixed(2)}× (${num(restToken.stats.median)} vs ${num(floorResult.stats.median)} µs)`,
        met: over <= HANDLER_TARGET_OVER_FLOOR_US,
      });
      if (alg === "RS256") {
        targets.push({
          target: `one REST TOKEN handler invocation, RS256 ≤ ${HANDLER_TARGET_RATIO}× the floor's RS256 verification`,
          measured: `${r.toFixed(2)}× (${num(restToken.stats.median)} vs ${num(floorResult.stats.median)} µs)`,
          met: r <= HANDLER_TARGET_RATIO,
        });
      }
    }
    const body = [
      "`createAuthorizer` with 4 route rules and 4 context claims, token cache off",
      "(`tokenCache.maxEntries: 0`), tokens from the Authorization header or `access_token`; the events",
      "are the committed fixtures (`tests/fixtures/events/`) with a real token; every invocation is",
      "allowed and writes its decision log line with the default logger (a direct stdout write) to the process's",
      "stdout, which is /dev/null (the section runs in a child process). × floor: ratio to the floor's",
      "verification of the same token in the same round. The last row of each algorithm is the REST TOKEN",
      'handler with `logLevel: "warn"`, which writes no decision line: the difference to the REST TOKEN row',
      "is what building and writing that line costs.",
      "",
      markdownTable(
        [
          { title: "alg" },
          { title: "what" },
          { title: "µs/op", align: "right" },
          { title: "ops/s", align: "right" },
          { title: "× floor", align: "right" },
          { title: "over floor, µs", align: "right" },
        ],
        rows,
      ),
    ].join("\n");
    return { title: this.title, body, targets };
  },
};
