/**
 * The memory section's child process (run with `--expose-gc`): N invocations with distinct tokens,
 * through the verifier alone or the whole handler, with the default caches (token cache: 1,000
 * entries). At checkpoints it collects garbage and records heap and RSS. Prints one JSON line.
 *
 *   node --expose-gc --import tsx bench/sections/memory-child.ts handler 100000
 */
import { authorizerConfig, restTokenEvent } from "../lib/events.js";
import { benchKey, issuerConfig, signJwt, standardClaims } from "../lib/fixtures.js";
import { createAuthorizer, createLogger, createVerifier } from "../lib/gatepass.js";

export interface MemoryCheckpoint {
  readonly invocations: number;
  readonly heapUsed: number;
  readonly rss: number;
}

const mode = process.argv[2] === "verifier" ? "verifier" : "handler";
const total = Number(process.argv[3] ?? 100_000);
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error("run with --expose-gc");

const key = benchKey("HS256");
const issuer = issuerConfig(key);
const discard = createLogger("info", () => {});
let invoke: (token: string) => Promise<unknown>;
if (mode === "handler") {
  const handler = createAuthorizer(authorizerConfig(issuer, 1000), {
    logger: discard,
    sharedKeyCache: false,
  });
  invoke = (token) => handler(restTokenEvent(token));
} else {
  const verifier = createVerifier(
    { issuers: [issuer], tokenCache: { maxEntries: 1000 } },
    { sharedKeyCache: false },
  );
  invoke = (token) => verifier.verify(token);
}

function checkpoint(invocations: number): MemoryCheckpoint {
  gc!();
  gc!();
  const usage = process.memoryUsage();
  return { invocations, heapUsed: usage.heapUsed, rss: usage.rss };
}

// Warm up the code paths (and the caches' first entries) before the baseline.
for (let i = 0; i < 200; i++) await invoke(signJwt(standardClaims({ jti: `warm-${i}` }), key));
const checkpoints: MemoryCheckpoint[] = [checkpoint(0)];
const step = Math.max(1, Math.floor(total / 10));
for (let i = 1; i <= total; i++) {
  // Distinct tokens: a new jti and subject each time, signed on the fly (never kept here).
  await invoke(signJwt(standardClaims({ jti: `t-${i}`, sub: `user-${i}` }), key));
  if (i % step === 0 || i === total) checkpoints.push(checkpoint(i));
}
process.stdout.write(`${JSON.stringify({ mode, total, checkpoints })}\n`);
