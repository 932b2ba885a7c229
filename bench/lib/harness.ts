/**
 * The timing harness: warm-up, then several rounds in which every candidate runs one batch, in an
 * order that rotates from round to round, so that noise from a shared, busy machine (another
 * process, a frequency change, a GC) lands on all candidates alike. Each round gives one µs/op
 * sample per candidate; we report the median and the min–max of the rounds, and ratios computed
 * round by round (candidate ÷ reference in the same round), then their median.
 */

/** One thing to time. `run` performs one operation; when it returns a promise, it is awaited per operation. */
export interface Candidate {
  readonly name: string;
  readonly run: () => unknown;
}

export interface MeasureOptions {
  /** Rounds (samples per candidate). */
  readonly rounds: number;
  /** Warm-up per candidate before the rounds, in ms (also sizes the batches). */
  readonly warmupMs: number;
  /** Target duration of one batch, in ms. */
  readonly batchMs: number;
}

/** Median, minimum and maximum of a list of samples. */
export interface Stats {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

export interface Measurement {
  readonly name: string;
  /** µs per operation, one sample per round. */
  readonly samples: readonly number[];
  readonly stats: Stats;
  /** Operations per batch. */
  readonly batch: number;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function stats(values: readonly number[]): Stats {
  return { median: median(values), min: Math.min(...values), max: Math.max(...values) };
}

/** Keeps results alive so the optimizer cannot drop the work that produced them. */
export let sink: unknown;

const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  typeof value === "object" && value !== null && typeof (value as { then?: unknown }).then === "function";

function runSync(run: () => unknown, n: number): number {
  const start = process.hrtime.bigint();
  let last: unknown;
  for (let i = 0; i < n; i++) last = run();
  const elapsed = Number(process.hrtime.bigint() - start);
  sink = last;
  return elapsed;
}

async function runAsync(run: () => unknown, n: number): Promise<number> {
  const start = process.hrtime.bigint();
  let last: unknown;
  for (let i = 0; i < n; i++) last = await run();
  const elapsed = Number(process.hrtime.bigint() - start);
  sink = last;
  return elapsed;
}

/** Runs `run` repeatedly for about `ms` milliseconds; returns the number of operations done. */
async function runFor(run: () => unknown, isAsync: boolean, ms: number): Promise<number> {
  const deadline = performance.now() + ms;
  let ops = 0;
  let chunk = 1;
  do {
    if (isAsync) await runAsync(run, chunk);
    else runSync(run, chunk);
    ops += chunk;
    if (chunk < 4096) chunk *= 2;
  } while (performance.now() < deadline);
  return ops;
}

/**
 * Times `candidates` side by side. Every candidate is called once first, so a broken one throws
 * before any timing starts.
 */
export async function measure(
  candidates: readonly Candidate[],
  options: MeasureOptions,
): Promise<Measurement[]> {
  const kinds: boolean[] = [];
  for (const candidate of candidates) {
    const first = candidate.run();
    kinds.push(isThenable(first));
    if (isThenable(first)) await first;
  }
  const batches: number[] = [];
  for (const [i, candidate] of candidates.entries()) {
    const started = performance.now();
    const ops = await runFor(candidate.run, kinds[i]!, options.warmupMs);
    const perMs = ops / Math.max(performance.now() - started, 0.001);
    batches.push(Math.max(1, Math.round(perMs * options.batchMs)));
  }
  const samples: number[][] = candidates.map(() => []);
  const n = candidates.length;
  for (let round = 0; round < options.rounds; round++) {
    // Rotate the starting candidate and alternate the direction, so no candidate is always first or last.
    for (let k = 0; k < n; k++) {
      const step = (round + k) % n;
      const i = round % 2 === 0 ? step : n - 1 - step;
      const candidate = candidates[i]!;
      const ns = kinds[i] ? await runAsync(candidate.run, batches[i]!) : runSync(candidate.run, batches[i]!);
      samples[i]!.push(ns / batches[i]! / 1000);
    }
  }
  return candidates.map((candidate, i) => ({
    name: candidate.name,
    samples: samples[i]!,
    stats: stats(samples[i]!),
    batch: batches[i]!,
  }));
}

/** The ratio `a ÷ b` computed round by round (same round, same conditions); its median and range. */
export function ratio(a: Measurement, b: Measurement): Stats {
  const per = a.samples.map((value, i) => value / b.samples[i]!);
  return stats(per);
}

/**
 * Distinct string objects with the text of `token`, one per call: in a Lambda each invocation
 * parses its event anew, so the token is a fresh string whose hash V8 has not computed yet. Each
 * call concatenates two halves into a new (cons) string: O(1) to create; the first consumer that
 * needs its characters or its hash pays for flattening and hashing, as with a freshly parsed event.
 * The halves are read from an array, not from constants, so the optimizing compiler cannot fold
 * the concatenation into one constant string (whose hash would be computed once and cached).
 */
export function freshStrings(token: string): () => string {
  const cut = token.length >> 1;
  const heads = [token.slice(0, cut), token.slice(0, cut)];
  const tails = [token.slice(cut), token.slice(cut)];
  let i = 0;
  return () => {
    i = (i + 1) & 1;
    return heads[i]! + tails[i]!;
  };
}
