/**
 * Section 6: the local gateway. Requests/s and latency of `GET /orders/42` through `gatepass dev`
 * (gatepass's own authorizer on every request: an ES256 token from the dev issuer, keys through
 * discovery, the demo rules), against the same upstream called directly and through a bare Node
 * reverse proxy. autocannon runs in a worker thread, the upstream in its own process; the targets
 * take turns, round after round, for a bounded time each. The gateway runs the embedded demo's
 * configuration three times: caches on; the authorizer result cache off; the result cache and the
 * verified-token cache off (every request's JWT verified).
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
      // The three gateways run the same configuration document (the embedded demo's: its routes,
      // context claims and principal, the dev issuer through discovery); each row turns off one more
      // cache. The authorizer result cache is the gateway's (API Gateway's `resultTtlSeconds`); the
      // verified-token cache is the authorizer's own (`tokenCache`, `maxEntries: 0` turns it off).
      const dev = async (resultTtlSeconds: number, tokenCache: Record<string, unknown> | undefined) => {
        const server = await startDevServer({
          port: 0,
          upstream: upstream.url,
          keysDir,
          log: quiet,
          dev: { resultTtlSeconds },
          config: {
            principalClaim: "sub",
            tokenSources: ["header:authorization"],
            routes: DEMO_ROUTES.map((r) => structuredClone(r)),
            unmatchedRoutes: "allow",
            context: { claims: ["sub", "scope", "groups", "email", "client_id"] },
            ...(tokenCache ? { tokenCache } : {}),
          },
        });
        started.push(server);
        const token = server.mintToken({ sub: "bench-user", scope: "orders:read" }).access_token;
        return { url: server.url, headers: { authorization: `Bearer ${token}` } };
      };
      const cached = await dev(300, undefined);
      const resultCacheOff = await dev(0, undefined);
      const bothOff = await dev(0, { maxEntries: 0 });
      const targets: Target[] = [
        { name: "upstream directly", url: upstream.url, headers: {} },
        { name: "bare Node reverse proxy", url: proxy.url, headers: {} },
        { name: "gatepass dev, caches on (result cache TTL 300 s, verified-token cache)", ...cached },
        { name: "gatepass dev, result cache off (TTL 0; verified-token cache on)", ...resultCacheOff },
        {
          name: "gatepass dev, result cache and verified-token cache off (every request verified)",
          ...bothOff,
        },
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
      const cachedShare = share(2);
      const resultOffShare = share(3);
      const bothOffShare = share(4);
      const body = [
        `\`GET /orders/42\` on loopback, ${connections} connections, ${context.quick ? "300 requests" : `${seconds} s`} per run, ${rounds} round(s)${context.quick ? "" : ` after a ${warmUpSeconds} s warm-up per target`}, the targets`,
        "taking turns (autocannon in a worker thread, the upstream in its own process, the gateway and",
        "the proxy in the benchmark's process). req/s: median of the rounds (min–max); p50/p99: medians",
        "of the rounds (autocannon records whole milliseconds); share: of the bare proxy's req/s in the",
        "same round. The gateway and the proxy keep their upstream connections alive. The three gateway",
        "rows run the same configuration and differ only in the caches they turn off: the authorizer",
        "result cache (`dev.resultTtlSeconds: 0`), then also the verified-token cache",
        "(`tokenCache.maxEntries: 0`), so that every request's JWT is verified (ES256).",
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
            target: `the local gateway verifying every request (result and verified-token caches off) ≥ ${GATEWAY_TARGET_SHARE * 100}% of the bare proxy's requests/s`,
            measured:
              `${Math.round(bothOffShare * 100)}% with both caches off; ${Math.round(resultOffShare * 100)}% with ` +
              `the result cache off; ${Math.round(cachedShare * 100)}% with both on`,
            met: bothOffShare >= GATEWAY_TARGET_SHARE,
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
