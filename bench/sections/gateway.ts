/**
 * Section 6: the local gateway. Requests/s and latency of `GET /orders/42` through `gatepass dev`
 * (gatepass's own authorizer on every request: an ES256 token from the dev issuer, keys through
 * discovery, the demo rules), against the same upstream called directly and through a bare Node
 * reverse proxy. autocannon runs in a worker thread, the upstream in its own process; the targets
 * take turns, round after round, for a bounded time each. The gateway runs its embedded demo
 * configuration (same upstream, same token for every target).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEMO_ROUTES, type DevServer, startDevServer } from "../lib/gatepass.js";
import { median, stats } from "../lib/harness.js";
import { type Stoppable, startBareProxy, startUpstream } from "../lib/http-targets.js";
import type { BenchContext, Section, SectionResult } from "../lib/section.js";
import { markdownTable } from "../lib/table.js";

/** The issue's target: the gateway with the authorizer on keeps this share of the bare proxy's requests/s. */
export const GATEWAY_TARGET_SHARE = 0.7;

interface AutocannonResult {
  requests: { total: number };
  /** Seconds, as measured by autocannon. */
  duration: number;
  latency: { p50: number; p99: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}
type Autocannon = (options: Record<string, unknown>) => Promise<AutocannonResult>;

// autocannon ships no types; its promise API is all this section uses.
const autocannon = createRequire(import.meta.url)("autocannon") as Autocannon;

interface Target {
  readonly name: string;
  readonly url: string;
  readonly headers: Record<string, string>;
}

export const gatewaySection: Section = {
  id: "gateway",
  title: "6. The local gateway",
  async run(context: BenchContext): Promise<SectionResult> {
    const seconds = 2;
    // Five short rounds rather than three long ones: on a shared machine the median (and the
    // round-by-round share) is steadier with more, closer-spaced pairs of runs.
    const rounds = context.quick ? 1 : 5;
    const warmUpSeconds = 1;
    const connections = 10;
    const quiet = () => {};
    const keysDir = mkdtempSync(join(tmpdir(), "gatepass-bench-gw-"));
    const started: Array<Stoppable | DevServer> = [];
    try {
      const upstream = await startUpstream();
      started.push(upstream);
      const proxy = await startBareProxy(upstream.url);
      started.push(proxy);
      const dev = async (ttl: number, config?: Record<string, unknown>) => {
        const server = await startDevServer({
          port: 0,
          upstream: upstream.url,
          keysDir,
          log: quiet,
          dev: { resultTtlSeconds: ttl },
          ...(config ? { config } : {}),
        });
        started.push(server);
        const token = server.mintToken({ sub: "bench-user", scope: "orders:read" }).access_token;
        return { url: server.url, headers: { authorization: `Bearer ${token}` } };
      };
      const uncached = await dev(0);
      const noCaches = await dev(0, {
        routes: DEMO_ROUTES.map((r) => structuredClone(r)),
        context: { claims: ["sub", "scope", "groups", "email", "client_id"] },
        tokenCache: { maxEntries: 0 },
      });
      const cached = await dev(300);
      const targets: Target[] = [
        { name: "upstream directly", url: upstream.url, headers: {} },
        { name: "bare Node reverse proxy", url: proxy.url, headers: {} },
        { name: "gatepass dev, authorizer on, cache off (TTL 0)", ...uncached },
        { name: "gatepass dev, authorizer on, cache off, verifier token cache off too", ...noCaches },
        { name: "gatepass dev, authorizer on, cache on (TTL 300 s)", ...cached },
      ];
      for (const target of targets) {
        const check = await fetch(`${target.url}/orders/42`, { headers: target.headers });
        await check.arrayBuffer();
        if (check.status !== 200) throw new Error(`${target.name}: expected 200, got ${check.status}`);
      }
      const load = (target: Target, duration: number) =>
        autocannon({
          url: `${target.url}/orders/42`,
          connections,
          // autocannon's clock ticks in whole seconds: a quick run sends a fixed number of requests instead.
          ...(context.quick ? { amount: 300 } : { duration }),
          headers: target.headers,
          ...(context.quick ? {} : { workers: 1 }),
        });
      if (!context.quick) {
        // Unmeasured: every target's code is optimized and its connections are open before the first
        // measured run (otherwise whichever target runs first in round 1 pays for its own warm-up).
        for (const target of targets) {
          context.progress(`gateway: warm-up, ${target.name}`);
          await load(target, warmUpSeconds);
        }
      }
      const results: AutocannonResult[][] = targets.map(() => []);
      for (let round = 0; round < rounds; round++) {
        for (let k = 0; k < targets.length; k++) {
          const i = (round + k) % targets.length;
          const target = targets[i]!;
          context.progress(`gateway: round ${round + 1}/${rounds}, ${target.name}`);
          results[i]!.push(await load(target, seconds));
        }
      }
      const proxyIndex = 1;
      const rpsOf = (r: AutocannonResult) => r.requests.total / r.duration;
      const share = (i: number) =>
        median(results[i]!.map((r, round) => rpsOf(r) / rpsOf(results[proxyIndex]![round]!)));
      const rows = targets.map((target, i) => {
        const rps = stats(results[i]!.map(rpsOf));
        const failures = results[i]!.reduce((n, r) => n + r.non2xx + r.errors + r.timeouts, 0);
        return [
          target.name,
          `${Math.round(rps.median).toLocaleString("en-US")} (${Math.round(rps.min).toLocaleString("en-US")}–${Math.round(rps.max).toLocaleString("en-US")})`,
          String(median(results[i]!.map((r) => r.latency.p50))),
          String(median(results[i]!.map((r) => r.latency.p99))),
          `${Math.round(share(i) * 100)}%`,
          String(failures),
        ];
      });
      const uncachedShare = share(2);
      const body = [
        `\`GET /orders/42\` on loopback, ${connections} connections, ${context.quick ? "300 requests" : `${seconds} s`} per run, ${rounds} round(s)${context.quick ? "" : ` after a ${warmUpSeconds} s warm-up per target`}, the targets`,
        "taking turns (autocannon in a worker thread, the upstream in its own process, the gateway and",
        "the proxy in the benchmark's process). req/s: median of the rounds (min–max); p50/p99: medians",
        "of the rounds (autocannon records whole milliseconds); share: of the bare proxy's req/s in the",
        "same round. The gateway and the proxy keep their upstream connections alive.",
        "",
        markdownTable(
          [
            { title: "target" },
            { title: "req/s", align: "right" },
            { title: "p50 ms", align: "right" },
            { title: "p99 ms", align: "right" },
            { title: "× bare proxy", align: "right" },
            { title: "non-2xx + errors", align: "right" },
          ],
          rows,
        ),
      ].join("\n");
      return {
        title: this.title,
        body,
        targets: [
          {
            target: `the local gateway with the authorizer on ≥ ${GATEWAY_TARGET_SHARE * 100}% of the bare proxy's requests/s`,
            measured: `${Math.round(uncachedShare * 100)}% with the gateway cache off; ${Math.round(share(4) * 100)}% with it on`,
            met: uncachedShare >= GATEWAY_TARGET_SHARE,
          },
        ],
      };
    } finally {
      for (const item of started.reverse()) {
        if ("close" in item) await item.close();
        else await item.stop();
      }
      rmSync(keysDir, { recursive: true, force: true });
    }
  },
};
