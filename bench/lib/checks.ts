/**
 * Sanity checks run before timing: every candidate must accept the benchmark token and reject a
 * forged one, so no candidate is fast because it skips work.
 */

import type { MeasureOptions } from "./harness.js";
import type { BenchContext } from "./section.js";

/** The same token with its payload changed and its signature kept: any real verifier refuses it. */
export function forge(token: string, change: Record<string, unknown> = { sub: "mallory" }): string {
  const [h, p, s] = token.split(".") as [string, string, string];
  const payload = { ...JSON.parse(Buffer.from(p, "base64url").toString("utf8")), ...change };
  return `${h}.${Buffer.from(JSON.stringify(payload)).toString("base64url")}.${s}`;
}

/** Throws unless `verify(token)` succeeds and `verify(forged)` fails. */
export async function checkVerifier(
  name: string,
  verify: (token: string) => unknown,
  token: string,
): Promise<void> {
  try {
    await verify(token);
  } catch (error) {
    throw new Error(`${name} rejects the benchmark token: ${(error as Error).message}`);
  }
  let accepted = false;
  try {
    await verify(forge(token));
    accepted = true;
  } catch {
    // expected
  }
  if (accepted) throw new Error(`${name} accepts a forged token; it cannot be benchmarked`);
}

/** Timing parameters for micro-benchmarks: tiny in quick mode. */
export function microTiming(context: BenchContext): MeasureOptions {
  return context.quick ? { rounds: 3, warmupMs: 3, batchMs: 1 } : { rounds: 15, warmupMs: 150, batchMs: 20 };
}
