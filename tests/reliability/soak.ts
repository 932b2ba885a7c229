/**
 * The long reliability runs (`npm run soak`; not part of `npm test`). Bounded: about 80 seconds in
 * all, loopback only, every server stopped at the end. Prints a Markdown summary and exits non-zero
 * when any answer differs from its expectation, any 5xx is seen, or anything crashes.
 *
 * 1. Gateway load: 60 s of autocannon on the local gateway with valid, expired, forged, unknown-kid
 *    and missing tokens while the JWKS rotates (see gateway-load.ts).
 * 2. Handler loop: 100,000 invocations of `createAuthorizer` on a simulated clock (10 ms per call,
 *    about 17 simulated minutes) against a local JWKS server that fails half the time — 20 s outages
 *    with a different fault each time (500, 429, reset, invalid JSON, 10 MiB body, redirect, hang,
 *    connection refused), all shorter than the stale window, then one 60 s outage that outlasts it.
 *    Every answer is checked against the model below; heap and RSS are sampled after warm-up and at
 *    the end (the caches are bounded, so the heap must not keep growing).
 *
 * Options: `--seconds N` for the gateway part (default 60), `--invocations N` (default 100000).
 */
import { createAuthorizer } from "../../src/lambda/authorizer.js";
import { createLogger } from "../../src/log.js";
import { craftToken } from "../helpers/keys.js";
import { runGatewayLoad } from "./gateway-load.js";
import { loadKeys } from "./make-hostile-corpus.js";
import { installCrashGuard, json, type MemorySample, sampleMemory, startCountingServer } from "./support.js";

const argument = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  const value = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  return Number.isFinite(value) && value > 0 ? value : fallback;
};
const GATEWAY_SECONDS = argument("--seconds", 60);
const INVOCATIONS = argument("--invocations", 100_000);

const keys = loadKeys();
const guard = installCrashGuard();
const out: string[] = [];
let failed = false;
const fail = (message: string) => {
  failed = true;
  out.push(`- **FAILED**: ${message}`);
};
const progress = (message: string) => process.stderr.write(`soak: ${message}\n`);

// ---------------------------------------------------------------------------------------------
// 1. Gateway load

progress(`gateway load for ${GATEWAY_SECONDS} s…`);
const load = await runGatewayLoad({ keys, durationS: GATEWAY_SECONDS, connections: 8 });
out.push("## 1. Local gateway under load, JWKS rotating", "");
out.push(
  "| figure | value |",
  "|---|---|",
  `| duration | ${load.durationS} s, 8 connections, authorizer cache off (TTL 0) |`,
  `| requests | ${load.requests} (${load.requestsPerSecond}/s; p50 ${load.latencyP50Ms} ms, p99 ${load.latencyP99Ms} ms) |`,
  `| statuses (gateway log) | ${Object.entries(load.statuses)
    .map(([s, n]) => `${s}: ${n}`)
    .join(", ")} |`,
  `| 5xx / client errors / timeouts | ${load.fiveXx} / ${load.errors} / ${load.timeouts} |`,
  `| distinct tokens | ${load.tokensTried} |`,
  `| key rotations at the JWKS / JWKS requests | ${load.rotations} / ${load.jwksRequests} |`,
  `| answers not as expected | ${load.mismatchCount} |`,
  `| heap before → after | ${load.memoryBefore.heapUsedMB} → ${load.memoryAfter.heapUsedMB} MiB |`,
  `| RSS before → after | ${load.memoryBefore.rssMB} → ${load.memoryAfter.rssMB} MiB |`,
  "",
  "| token class | sent | as expected | reasons |",
  "|---|---|---|---|",
  ...Object.entries(load.perClass).map(
    ([cls, t]) =>
      `| ${cls} | ${t.sent} | ${t.ok} | ${Object.entries(load.reasons[cls] ?? {})
        .map(([r, n]) => `${r} ${n}`)
        .join(", ")} |`,
  ),
  "",
);
if (load.fiveXx > 0) fail(`${load.fiveXx} 5xx answers under load`);
if (load.errors + load.timeouts > 0) fail(`${load.errors} errors, ${load.timeouts} timeouts under load`);
if (load.mismatchCount > 0)
  fail(`${load.mismatchCount} answers differ: ${load.mismatches.slice(0, 5).join("; ")}`);
for (const [cls, t] of Object.entries(load.perClass)) if (t.sent === 0) fail(`class ${cls} never sent`);

// ---------------------------------------------------------------------------------------------
// 2. The handler in a loop, the JWKS failing half the time

const ISSUER = "https://idp.soak.test/";
const AUDIENCE = "soak-api";
const ARN = "arn:aws:execute-api:us-east-1:123456789012:s0akap1xyz/prod/GET/orders/7";
const MAX_AGE = 10;
const COOLDOWN = 2;
const STALE = 30;
const TIMEOUT_MS = 100;
const STEP_MS = 10;
const T0 = 1_700_000_000_000;

type Fault = "500" | "429" | "reset" | "invalid-json" | "huge" | "redirect" | "hang" | "refused";
const FAULTS: Fault[] = ["500", "429", "reset", "invalid-json", "huge", "redirect", "hang", "refused"];

/** The outage schedule in simulated seconds since T0: 20 s up, 20 s down, …, then one long outage. */
const SPAN_S = (INVOCATIONS * STEP_MS) / 1000;
const LONG_START = Math.max(80, SPAN_S - 200);
const LONG_END = LONG_START + 60;
function faultAt(t: number): Fault | null {
  if (t >= LONG_START && t < LONG_END) return "500";
  if (t >= LONG_START - 20) return null; // up before the long outage, and after it
  const cycle = Math.floor(t / 40);
  return t % 40 >= 20 ? FAULTS[cycle % FAULTS.length]! : null;
}

const state = { fault: null as Fault | null, faultsAnswered: 0 };
const A = keys.trustedEc.publicJwk;
const jwks = await startCountingServer((req, res) => {
  const fault = state.fault;
  if (fault === null) return json(res, { keys: [A] });
  state.faultsAnswered += 1;
  switch (fault) {
    case "500":
    case "429":
      res.writeHead(Number(fault));
      res.end("{}");
      return;
    case "reset":
      req.socket.destroy();
      return;
    case "invalid-json":
      return json(res, '{"keys": [');
    case "redirect":
      res.writeHead(302, { location: req.url ?? "/" });
      res.end();
      return;
    case "hang":
      return; // the client gives up after timeoutMs; the socket is closed at the end
    case "huge": {
      res.writeHead(200, { "content-type": "application/json" });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      let sent = 0;
      const pump = () => {
        while (!res.destroyed && sent < 10 * 1024 * 1024) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once("drain", pump);
        }
        if (!res.destroyed) res.end();
      };
      pump();
      return;
    }
    default:
      res.destroy();
  }
});

const clock = { t: T0 };
const decision = { reason: null as string | null };
const tally = new Map<string, number>();
const count = (key: string) => tally.set(key, (tally.get(key) ?? 0) + 1);
const logger = createLogger("info", (text) => {
  // Nothing is kept per line: the loop must not grow the heap by itself.
  const line = JSON.parse(text) as { event: string; reason?: string; level: string };
  if (line.event === "decision") decision.reason = line.reason ?? null;
  else count(`log:${line.event}${line.reason ? ` (${line.reason.replace(/\d+ ms|\d+ bytes/, "…")})` : ""}`);
});
const handler = createAuthorizer(
  {
    issuers: [
      {
        issuer: ISSUER,
        audience: [AUDIENCE],
        algorithms: ["ES256"],
        jwksUri: `${jwks.url}/.well-known/jwks.json`,
        jwksCache: {
          maxAgeSeconds: MAX_AGE,
          cooldownSeconds: COOLDOWN,
          timeoutMs: TIMEOUT_MS,
          staleIfErrorSeconds: STALE,
        },
      },
    ],
    tokenCache: { maxEntries: 1000, ttlSeconds: 300 },
  },
  { now: () => clock.t, logger, sharedKeyCache: false },
);

type Cls = "valid" | "expired" | "forged" | "unknown-kid" | "malformed";
const CLASSES: Cls[] = ["valid", "valid", "expired", "forged", "unknown-kid", "malformed"];
const PRIMARY: Record<Cls, string> = {
  valid: "allow",
  expired: "ERR_JWT_EXPIRED",
  forged: "ERR_JWT_SIGNATURE_INVALID",
  "unknown-kid": "ERR_KEY_NOT_FOUND",
  malformed: "ERR_JWT_MALFORMED",
};
let serial = 0;
const t0s = T0 / 1000;
const mint = (kid: string, key = keys.trustedEc.privateKey, exp = t0s + SPAN_S + 3600) => {
  serial += 1;
  return craftToken(
    { alg: "ES256", kid },
    { iss: ISSUER, aud: AUDIENCE, sub: `soak-${serial % 5000}`, iat: t0s - 10, exp, jti: `${serial}` },
    { key, alg: "ES256" },
  );
};
progress("minting tokens…");
// 5000 valid tokens cycled through a 1000-entry token cache: mostly misses, so keys are looked up.
const pools: Record<Cls, string[]> = {
  valid: Array.from({ length: 5000 }, () => mint("ec-1")),
  expired: Array.from({ length: 500 }, () => mint("ec-1", keys.trustedEc.privateKey, t0s - 100)),
  forged: Array.from({ length: 500 }, () => mint("ec-1", keys.attackerEc.privateKey)),
  "unknown-kid": Array.from({ length: 2000 }, (_, i) => mint(`unknown-${i}`, keys.attackerEc.privateKey)),
  malformed: Array.from({ length: 100 }, (_, i) => `eyJhbGciOiJFUzI1NiJ9.${"x".repeat(i + 1)}.AAAA=`),
};
const tokensTried = Object.values(pools).reduce((n, p) => n + p.length, 0);

/**
 * What class `cls` must get at simulated second `t` (since T0): exactly its primary answer, except
 * around the long outage, where keys are stale from at most MAX_AGE before it began, so they are
 * certainly usable for STALE seconds into it and certainly gone after MAX_AGE + STALE; in between,
 * and for a cooldown after it ends, "IdP down" is also a correct answer.
 */
function expected(cls: Cls, t: number): { certain: string[]; ambiguous: boolean } {
  const primary = PRIMARY[cls];
  const intoLong = t - LONG_START;
  const closedFrom = MAX_AGE + STALE + 1;
  if (cls === "malformed") return { certain: [primary], ambiguous: false };
  if (intoLong >= closedFrom && t < LONG_END) {
    return { certain: ["ERR_JWKS_UNAVAILABLE"], ambiguous: false };
  }
  if ((intoLong >= STALE - 1 && intoLong < closedFrom) || (t >= LONG_END && t < LONG_END + COOLDOWN + 2)) {
    return { certain: [primary, "ERR_JWKS_UNAVAILABLE"], ambiguous: true };
  }
  return { certain: [primary], ambiguous: false };
}

await handler.hydrate();
let mismatches = 0;
const examples: string[] = [];
let ambiguous = 0;
let allowed = 0;
let unauthorized = 0;
let memoryWarm: MemorySample | undefined;
const memoryStart = sampleMemory();
const WARM_UP = Math.min(10_000, Math.floor(INVOCATIONS / 10));
const loopStarted = performance.now();
let refusedWhileDown = 0;
progress(`${INVOCATIONS} handler invocations…`);
for (let i = 0; i < INVOCATIONS; i++) {
  const t = (clock.t - T0) / 1000;
  const fault = faultAt(t);
  if (fault !== state.fault) {
    if (fault === "refused") await jwks.down();
    else if (state.fault === "refused") await jwks.up();
    state.fault = fault;
  }
  const cls = CLASSES[i % CLASSES.length]!;
  const pool = pools[cls];
  const token = pool[Math.floor(i / CLASSES.length) % pool.length]!;
  decision.reason = null;
  let got: string;
  try {
    const response = await handler({ type: "TOKEN", authorizationToken: `Bearer ${token}`, methodArn: ARN });
    got = "principalId" in response ? "allow" : "deny";
    allowed += 1;
  } catch (error) {
    got = (error as Error).message === "Unauthorized" ? (decision.reason ?? "?") : `threw ${String(error)}`;
    unauthorized += 1;
    if (got === "ERR_JWKS_UNAVAILABLE") refusedWhileDown += 1;
  }
  const want = expected(cls, t);
  if (want.ambiguous) ambiguous += 1;
  if (!want.certain.includes(got)) {
    mismatches += 1;
    if (examples.length < 10)
      examples.push(`#${i} t=${t}s ${cls}: ${got}, expected ${want.certain.join(" or ")}`);
  }
  count(`answer:${cls} → ${got}`);
  clock.t += STEP_MS;
  // Let background key refreshes and the server make progress, as real time would.
  if (i % 50 === 49) await new Promise((resolve) => setImmediate(resolve));
  if (i === WARM_UP) memoryWarm = sampleMemory();
}
const loopSeconds = (performance.now() - loopStarted) / 1000;
await handler.hydrate();
const memoryEnd = sampleMemory();
await jwks.close();

const failures = [...tally]
  .filter(([k]) => k.startsWith("log:jwks_fetch_failed"))
  .reduce((n, [, v]) => n + v, 0);
out.push("## 2. Handler loop, JWKS failing half the time", "");
out.push(
  "| figure | value |",
  "|---|---|",
  `| invocations | ${INVOCATIONS} in ${loopSeconds.toFixed(1)} s (${Math.round(INVOCATIONS / loopSeconds)}/s), ${SPAN_S} simulated seconds |`,
  `| distinct tokens | ${tokensTried} |`,
  `| outages | ${Math.floor((LONG_START - 20) / 40)} × 20 s (faults: ${FAULTS.join(", ")}), then one 60 s |`,
  `| JWKS requests seen / answered with a fault | ${jwks.requests} / ${state.faultsAnswered} |`,
  `| failed fetches logged (incl. connection refused) | ${failures} |`,
  `| allowed / 401 (of which ERR_JWKS_UNAVAILABLE) | ${allowed} / ${unauthorized} (${refusedWhileDown}) |`,
  `| answers in an ambiguous window (either answer correct) | ${ambiguous} |`,
  `| answers not as expected | ${mismatches} |`,
  `| heap start → after ${WARM_UP} warm-up → end | ${memoryStart.heapUsedMB} → ${memoryWarm?.heapUsedMB} → ${memoryEnd.heapUsedMB} MiB |`,
  `| RSS start → after warm-up → end | ${memoryStart.rssMB} → ${memoryWarm?.rssMB} → ${memoryEnd.rssMB} MiB |`,
  "",
  "| answer or log line | count |",
  "|---|---|",
  ...[...tally].sort((a, b) => a[0].localeCompare(b[0])).map(([k, v]) => `| ${k} | ${v} |`),
  "",
);
if (mismatches > 0) fail(`${mismatches} handler answers differ: ${examples.join("; ")}`);
if (memoryWarm && memoryEnd.heapUsedMB - memoryWarm.heapUsedMB > 20) {
  fail(`heap grew by ${(memoryEnd.heapUsedMB - memoryWarm.heapUsedMB).toFixed(1)} MiB after warm-up`);
}

guard.uninstall();
for (const problem of guard.problems) fail(problem.split("\n")[0]!);

console.log("# gatepass soak", "");
console.log(
  `- total tokens tried: ${load.tokensTried + tokensTried} distinct; requests: ${load.requests} over HTTP + ${INVOCATIONS} handler invocations`,
);
console.log(
  `- faults injected: ${state.faultsAnswered} faulty JWKS answers + ${failures} failed fetches logged; 2 key rotations under load`,
);
console.log(`- 5xx: ${load.fiveXx}; unhandled rejections/exceptions: ${guard.problems.length}`);
console.log(`- result: ${failed ? "FAILED" : "passed"}`, "");
console.log(out.join("\n"));
process.exitCode = failed ? 1 : 0;
