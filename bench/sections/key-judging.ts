/**
 * Section 8: key judging. Every imported RSA key is judged once (exponent, size, small factors,
 * ROCA fingerprint, one Miller-Rabin round, prime-power filter), then memoized by its material.
 * Measured: judging a 2048- and a 4096-bit key the first time (fresh keys, never seen) and again
 * (the memoized lookup), and what judging adds to a cold start with a 10-key inline JWKS:
 * `createAuthorizer` with ten keys never judged against the same call with the same ten keys,
 * already judged (judging is then a lookup; everything else the cold start does is the same).
 */
import { generateKeyPairSync, type JsonWebKey, type KeyObject } from "node:crypto";
import { createAuthorizer, judgeKey } from "../lib/gatepass.js";
import { median } from "../lib/harness.js";
import type { BenchContext, Section, SectionResult } from "../lib/section.js";
import { markdownTable, num } from "../lib/table.js";

const ms = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;

function rsaKeys(bits: number, count: number): KeyObject[] {
  return Array.from({ length: count }, () => generateKeyPairSync("rsa", { modulusLength: bits }).publicKey);
}

function jwksOf(keys: readonly KeyObject[]): { keys: JsonWebKey[] } {
  return {
    keys: keys.map((k, i) => ({ ...k.export({ format: "jwk" }), kid: `k${i}`, alg: "RS256", use: "sig" })),
  };
}

function firstAndMemoized(keys: readonly KeyObject[]): { first: number; again: number } {
  const first: number[] = [];
  for (const key of keys) {
    const start = process.hrtime.bigint();
    if (judgeKey(key) !== null) throw new Error("a generated key was refused");
    first.push(ms(start));
  }
  const again: number[] = [];
  for (let round = 0; round < 200; round++) {
    const key = keys[round % keys.length]!;
    const start = process.hrtime.bigint();
    judgeKey(key);
    again.push(ms(start));
  }
  return { first: median(first), again: median(again) };
}

function coldStart(jwks: { keys: JsonWebKey[] }): number {
  const start = process.hrtime.bigint();
  createAuthorizer(
    { issuers: [{ issuer: "https://issuer.bench/", audience: ["bench"], jwks }] },
    { sharedKeyCache: false },
  );
  return ms(start);
}

export const keyJudgingSection: Section = {
  id: "key-judging",
  title: "10. Key judging",
  async run(context: BenchContext): Promise<SectionResult> {
    const n2048 = context.quick ? 3 : 21;
    const n4096 = context.quick ? 1 : 7;
    const sets = context.quick ? 2 : 9;
    context.progress(`key-judging: generating ${n2048} + ${sets * 10} 2048-bit and ${n4096} 4096-bit keys`);
    const k2048 = rsaKeys(2048, n2048);
    const k4096 = rsaKeys(4096, n4096);
    const jwksSets = Array.from({ length: sets }, () => jwksOf(rsaKeys(2048, 10)));

    context.progress("key-judging: judging");
    const j2048 = firstAndMemoized(k2048);
    const j4096 = firstAndMemoized(k4096);

    context.progress("key-judging: cold starts");
    coldStart(jwksOf(rsaKeys(2048, 1))); // warm the code paths once
    const cold: number[] = [];
    const warm: number[] = [];
    for (const jwks of jwksSets) {
      cold.push(coldStart(jwks)); // ten keys never judged
      warm.push(coldStart(jwks)); // the same ten keys: judging is a lookup
    }
    const coldMedian = median(cold);
    const warmMedian = median(warm);
    const body = [
      `Fresh keys for every "first" sample (${n2048} of 2048 bits, ${n4096} of 4096 bits); 200 memoized lookups; ${sets} inline JWKS of ten fresh 2048-bit keys, each given to \`createAuthorizer\` twice. Medians, milliseconds.`,
      "",
      markdownTable(
        [{ title: "what" }, { title: "median (ms)", align: "right" }],
        [
          ["judge a 2048-bit RSA key, first time", num(j2048.first)],
          ["judge a 2048-bit RSA key, memoized", num(j2048.again, 4)],
          ["judge a 4096-bit RSA key, first time", num(j4096.first)],
          ["judge a 4096-bit RSA key, memoized", num(j4096.again, 4)],
          ["cold start, inline JWKS of 10 × 2048-bit keys, never judged", num(coldMedian)],
          ["cold start, the same 10 keys already judged (judging a lookup)", num(warmMedian)],
          ["what judging adds to that cold start", num(coldMedian - warmMedian)],
        ],
      ),
    ].join("\n");
    return { title: this.title, body, targets: [] };
  },
};
