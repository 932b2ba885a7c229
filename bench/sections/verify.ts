/**
 * Section 1: verification per algorithm. The same token (same claims, a `kid`) and the same checks
 * (`alg`, signature, `iss`, `aud`, `exp`) for every verifier; the floor first, then gatepass with
 * its verified-token cache off, then the peers. Each operation gets a fresh token string, as a
 * parsed Lambda event would give.
 */
import { checkVerifier, microTiming } from "../lib/checks.js";
import {
  AUDIENCE,
  BENCH_ALGORITHMS,
  benchKey,
  ISSUER,
  issuerConfig,
  signJwt,
  standardClaims,
} from "../lib/fixtures.js";
import { createFloorVerifier } from "../lib/floor.js";
import { createVerifier } from "../lib/gatepass.js";
import { type Candidate, freshStrings, measure, ratio } from "../lib/harness.js";
import { createPeerVerifiers } from "../lib/peer-verifiers.js";
import type { BenchContext, Section, SectionResult, TargetResult } from "../lib/section.js";
import { markdownTable, num, opsPerSecond, ratioText, withRange } from "../lib/table.js";

/** The architecture's target: gatepass within this factor of the floor, for every algorithm (was 1.15). */
export const VERIFY_TARGET_RATIO = 1.05;

export const verifySection: Section = {
  id: "verify",
  title: "1. Verification per algorithm",
  async run(context: BenchContext): Promise<SectionResult> {
    const rows: string[][] = [];
    const targets: TargetResult[] = [];
    const slowerThanPeer: string[] = [];
    for (const alg of BENCH_ALGORITHMS) {
      context.progress(`verify: ${alg}`);
      const key = benchKey(alg);
      const token = signJwt(standardClaims(), key);
      const next = freshStrings(token);
      const floor = createFloorVerifier({ alg, key: key.verifyKey, issuer: ISSUER, audience: AUDIENCE });
      const gatepass = createVerifier(
        { issuers: [issuerConfig(key)], tokenCache: { maxEntries: 0 } },
        { sharedKeyCache: false },
      );
      const peers = await createPeerVerifiers(key);
      const candidates: Candidate[] = [];
      const add = async (name: string, verify: (token: string) => unknown) => {
        await checkVerifier(`${name} (${alg})`, verify, token);
        candidates.push({ name, run: () => verify(next()) });
      };
      await add("floor (node:crypto)", floor);
      await add("gatepass", (t) => gatepass.verify(t));
      for (const peer of peers) if (peer.verify) await add(peer.name, peer.verify);
      const results = await measure(candidates, microTiming(context));
      const floorResult = results[0]!;
      const gatepassResult = results[1]!;
      for (const result of results) {
        const r = ratio(result, floorResult);
        rows.push([
          alg,
          result.name,
          withRange(result.stats),
          opsPerSecond(result.stats.median),
          result === floorResult ? "1.00×" : ratioText(r),
        ]);
      }
      for (const peer of peers) {
        if (!peer.verify) rows.push([alg, peer.name, "n/a", "", peer.unsupported ?? ""]);
      }
      const toFloor = ratio(gatepassResult, floorResult).median;
      for (const result of results.slice(2)) {
        const peer = peers.find((p) => p.name === result.name);
        if (peer?.cached) continue;
        const vsPeer = ratio(gatepassResult, result).median;
        if (vsPeer >= 1)
          slowerThanPeer.push(`${alg}: ${result.name} (gatepass ${vsPeer.toFixed(2)}× its time)`);
      }
      targets.push({
        target: `gatepass ${alg} verification ≤ ${VERIFY_TARGET_RATIO}× the floor`,
        measured: `${toFloor.toFixed(2)}× (${num(gatepassResult.stats.median)} vs ${num(floorResult.stats.median)} µs)`,
        met: toFloor <= VERIFY_TARGET_RATIO,
      });
    }
    targets.push({
      target: "gatepass faster than every peer's uncached verification, every algorithm",
      measured: slowerThanPeer.length === 0 ? "faster than all" : `slower than ${slowerThanPeer.join("; ")}`,
      met: slowerThanPeer.length === 0,
    });
    const body = [
      "Same token (iss, aud, sub, scope, email, groups, iat, exp; header alg, typ, kid) and the same checks",
      "(alg, signature, iss, aud, exp) for every verifier; keys imported once; gatepass with its",
      "verified-token cache off (`tokenCache.maxEntries: 0`). µs/op: median of the rounds (min–max);",
      "× floor: the ratio to the floor in the same round, median (min–max). RSA keys are 2048-bit.",
      "",
      markdownTable(
        [
          { title: "alg" },
          { title: "verifier" },
          { title: "µs/op", align: "right" },
          { title: "ops/s", align: "right" },
          { title: "× floor", align: "right" },
        ],
        rows,
      ),
    ].join("\n");
    return { title: this.title, body, targets };
  },
};
