/**
 * Load on the local gateway (`startDevServer`, gatepass's own authorizer in-process) with a mix of
 * valid, expired, forged, unknown-kid and missing tokens, while the identity provider's JWKS
 * (a local server) rotates its keys mid-run. Used by `load.test.ts` (a few seconds, in `npm test`)
 * and `soak.ts` (a minute, `npm run soak`).
 *
 * Every request's path names its token class and the status it must get
 * (`/load/<class>/<status>/<n>`), chosen when the request is built from the rotation phase at that
 * moment; the gateway's own request log line (path, status, authorizer reason) is then checked
 * against it, so each single answer is verified, not only the totals. Classes are never sent in the
 * short windows where either answer is legitimate (a key just published or just retired).
 *
 * Rotation (fractions of the run): keys {A} → at 20 % {A, B} published → B tokens from 20 % + 2
 * refresh periods + 1 s → at 50 % {B} only (A retired; A tokens stop 0.5 s before) → A tokens again from
 * 50 % + 2 refresh periods + 1 s, now expected 401 — including the ones the token cache had verified.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type DevServer, startDevServer } from "../../src/dev/server.js";
import { craftToken } from "../helpers/keys.js";
import type { HostileKeys } from "./make-hostile-corpus.js";
import {
  type CountingServer,
  json,
  type MemorySample,
  sampleMemory,
  startCountingServer,
} from "./support.js";

interface AutocannonResult {
  requests: { total: number; average: number };
  latency: { p50: number; p99: number; max: number };
  statusCodeStats: Record<string, { count: number }>;
  non2xx: number;
  errors: number;
  timeouts: number;
  duration: number;
}
type Autocannon = (options: Record<string, unknown>) => Promise<AutocannonResult>;
// autocannon ships no types; its promise API is all this file uses.
const autocannon = createRequire(import.meta.url)("autocannon") as Autocannon;

export const LOAD_ISSUER = "https://idp.load.test/";
export const LOAD_AUDIENCE = "load-api";

export type TokenClass =
  | "valid-a"
  | "valid-b"
  | "retired-a"
  | "expired"
  | "forged"
  | "unknown-kid"
  | "no-token";
const CLASSES: readonly TokenClass[] = [
  "valid-a",
  "valid-b",
  "retired-a",
  "expired",
  "forged",
  "unknown-kid",
  "no-token",
];

export interface GatewayLoadOptions {
  keys: HostileKeys;
  /** Whole seconds of load (autocannon's clock ticks in seconds). */
  durationS: number;
  connections?: number;
  /** JWKS freshness; short, so the rotation is picked up during the run [0.5]. */
  maxAgeSeconds?: number;
}

export interface GatewayLoadReport {
  readonly durationS: number;
  readonly requests: number;
  readonly requestsPerSecond: number;
  readonly latencyP50Ms: number;
  readonly latencyP99Ms: number;
  readonly statuses: Record<string, number>;
  /** 5xx answers counted by autocannon (the gateway's own log is in `statuses`). */
  readonly fiveXx: number;
  readonly errors: number;
  readonly timeouts: number;
  /** Requests per class, and how many got the status their path demanded. */
  readonly perClass: Record<string, { sent: number; ok: number }>;
  /** Authorizer reasons seen per class (from the gateway's request log). */
  readonly reasons: Record<string, Record<string, number>>;
  /** Requests whose answer differed from the path's expectation (first 20). */
  readonly mismatches: string[];
  readonly mismatchCount: number;
  /** Distinct tokens sent. */
  readonly tokensTried: number;
  /** Key-set changes published at the JWKS endpoint during the run. */
  readonly rotations: number;
  readonly jwksRequests: number;
  readonly memoryBefore: MemorySample;
  readonly memoryAfter: MemorySample;
}

/** Runs the load and returns what was seen; never throws for a mismatch (the caller asserts). */
export async function runGatewayLoad(options: GatewayLoadOptions): Promise<GatewayLoadReport> {
  const { keys, durationS } = options;
  const maxAge = options.maxAgeSeconds ?? 0.5;
  const settle = 2 * maxAge + 1; // a published or retired key is certainly picked up after this (with event-loop lag)
  const A = keys.trustedEc.publicJwk; // kid ec-1
  const B = { ...keys.trustedEc2.publicJwk, kid: "ec-2" };
  let keySet: { keys: unknown[] } = { keys: [A] };
  let rotations = 0;
  let jwks: CountingServer | undefined;
  let server: DevServer | undefined;
  const keysDir = mkdtempSync(join(tmpdir(), "gatepass-load-"));

  // Pools of tokens, minted once (the token cache sees repeats, as in production).
  const nowS = Math.floor(Date.now() / 1000);
  let serial = 0;
  const mint = (kid: string, key = keys.trustedEc.privateKey, ttl = 3600) => {
    serial += 1;
    return craftToken(
      { alg: "ES256", kid, typ: "JWT" },
      {
        iss: LOAD_ISSUER,
        aud: LOAD_AUDIENCE,
        sub: `load-${serial}`,
        iat: nowS - 5,
        exp: nowS + ttl,
        jti: `${serial}`,
      },
      { key, alg: "ES256" },
    );
  };
  const range = (n: number) => Array.from({ length: n }, (_, i) => i);
  const pools: Record<Exclude<TokenClass, "no-token">, string[]> = {
    "valid-a": range(200).map(() => mint("ec-1")),
    "valid-b": range(200).map(() => mint("ec-2", keys.trustedEc2.privateKey)),
    "retired-a": [],
    expired: [
      ...range(50).map(() => mint("ec-1", keys.trustedEc.privateKey, -120)),
      ...range(50).map(() => mint("ec-2", keys.trustedEc2.privateKey, -120)),
    ],
    forged: [
      ...range(50).map(() => mint("ec-1", keys.attackerEc.privateKey)),
      ...range(50).map(() => mint("ec-2", keys.attackerEc.privateKey)),
    ],
    "unknown-kid": range(500).map((i) => mint(`unknown-${i}`, keys.attackerEc.privateKey)),
  };
  pools["retired-a"] = pools["valid-a"]; // the same tokens, after their key is gone
  const tokensTried = new Set(Object.values(pools).flat()).size;

  const perClass: Record<string, { sent: number; ok: number }> = {};
  const reasons: Record<string, Record<string, number>> = {};
  const statuses: Record<string, number> = {};
  const mismatches: string[] = [];
  let mismatchCount = 0;
  for (const c of CLASSES) {
    perClass[c] = { sent: 0, ok: 0 };
    reasons[c] = {};
  }

  /** Tallies one gateway request log line against the expectation in its path. */
  const onLog = (text: string) => {
    let line: Record<string, unknown>;
    try {
      line = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return;
    }
    if (line.event !== "request" || typeof line.path !== "string") return;
    const match = /^\/load\/([a-z-]+)\/(\d{3})\//.exec(line.path);
    if (!match) return;
    const cls = match[1]!;
    const expected = Number(match[2]);
    const status = Number(line.status);
    statuses[status] = (statuses[status] ?? 0) + 1;
    const tally = perClass[cls];
    if (!tally) return;
    tally.sent += 1;
    // The authorizer's explanation is "ERR_CODE: sentence"; the code is what is tallied.
    const reason =
      /^ERR_[A-Z_]+/.exec(String(line.authorizer ?? ""))?.[0] ??
      (line.outcome === "allow"
        ? "allow"
        : /not invoked/.test(String(line.reason))
          ? "no identity source (authorizer not invoked)"
          : String(line.outcome));
    const byReason = reasons[cls]!;
    byReason[reason] = (byReason[reason] ?? 0) + 1;
    if (status === expected) tally.ok += 1;
    else {
      mismatchCount += 1;
      if (mismatches.length < 20)
        mismatches.push(`${line.path}: ${status} (${reason}), expected ${expected}`);
    }
  };

  try {
    jwks = await startCountingServer((_req, res) => json(res, keySet));
    server = await startDevServer({
      port: 0,
      issuer: false,
      keysDir,
      log: onLog,
      config: {
        issuers: [
          {
            issuer: LOAD_ISSUER,
            audience: [LOAD_AUDIENCE],
            algorithms: ["ES256"],
            jwksUri: `${jwks.url}/.well-known/jwks.json`,
            jwksCache: {
              maxAgeSeconds: maxAge,
              cooldownSeconds: maxAge,
              timeoutMs: 1000,
              staleIfErrorSeconds: 60,
            },
          },
        ],
        routes: [],
        unmatchedRoutes: "allow",
        dev: { api: "rest-token", stage: "prod", resultTtlSeconds: 0, cors: null },
      },
    });
    const memoryBefore = sampleMemory();

    const started = performance.now();
    const elapsed = () => (performance.now() - started) / 1000;
    const publishAt = durationS * 0.2;
    const retireAt = durationS * 0.5;
    const timers = [
      setTimeout(() => {
        keySet = { keys: [A, B] };
        rotations += 1;
      }, publishAt * 1000),
      setTimeout(() => {
        keySet = { keys: [B] };
        rotations += 1;
      }, retireAt * 1000),
    ];
    /** What class `cls` must get now, or null when it is not sent now (an ambiguous window). */
    const expectation = (cls: TokenClass, t: number): number | null => {
      switch (cls) {
        case "valid-a":
          return t < retireAt - 0.5 ? 200 : null;
        case "valid-b":
          return t >= publishAt + settle ? 200 : null;
        case "retired-a":
          return t >= retireAt + settle ? 401 : null;
        default:
          return 401;
      }
    };
    let turn = 0;
    const counters = new Map<TokenClass, number>();
    const setupRequest = (req: Record<string, unknown>) => {
      const t = elapsed();
      for (let tries = 0; tries < CLASSES.length; tries++) {
        const cls = CLASSES[turn++ % CLASSES.length]!;
        const expected = expectation(cls, t);
        if (expected === null) continue;
        const n = (counters.get(cls) ?? 0) + 1;
        counters.set(cls, n);
        const headers: Record<string, string> = {};
        if (cls !== "no-token") {
          const pool = pools[cls];
          headers.authorization = `Bearer ${pool[n % pool.length]}`;
        }
        return { ...req, method: "GET", path: `/load/${cls}/${expected}/${n}`, headers };
      }
      return { ...req, method: "GET", path: "/load/no-token/401/0", headers: {} };
    };

    let result: AutocannonResult;
    try {
      result = await autocannon({
        url: server.url,
        connections: options.connections ?? 8,
        duration: durationS,
        requests: [{ setupRequest }],
        timeout: 10,
      });
    } finally {
      for (const timer of timers) clearTimeout(timer);
    }
    const memoryAfter = sampleMemory();
    const fiveXx = Object.entries(result.statusCodeStats ?? {})
      .filter(([code]) => Number(code) >= 500)
      .reduce((n, [, s]) => n + s.count, 0);
    return {
      durationS: result.duration,
      requests: result.requests.total,
      requestsPerSecond: Math.round(result.requests.total / result.duration),
      latencyP50Ms: result.latency.p50,
      latencyP99Ms: result.latency.p99,
      statuses,
      fiveXx,
      errors: result.errors,
      timeouts: result.timeouts,
      perClass,
      reasons,
      mismatches,
      mismatchCount,
      tokensTried,
      rotations,
      jwksRequests: jwks.requests,
      memoryBefore,
      memoryAfter,
    };
  } finally {
    await server?.close();
    await jwks?.close();
    rmSync(keysDir, { recursive: true, force: true });
  }
}
