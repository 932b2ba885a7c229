/**
 * Section 4: cold start. Each authorizer is bundled the same way (esbuild, minified ESM, target
 * node22; gatepass by its own `gatepass bundle`), then started again and again in a fresh Node
 * process (`bench/peers/invoke-once.mjs`): import the bundle, answer one REST TOKEN event (RS256,
 * keys from a JWKS endpoint on loopback), exit. The time is from spawn to the answer on stdout,
 * minus the same for an empty Node process; the candidates take turns, round after round.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";
import { restTokenEvent } from "../lib/events.js";
import { AUDIENCE, benchKey, ISSUER, signJwt, standardClaims } from "../lib/fixtures.js";
import { median, stats } from "../lib/harness.js";
import { startJwksServer } from "../lib/jwks-server.js";
import { cleanEnv, ROOT, runNode, timeToLine } from "../lib/processes.js";
import type { BenchContext, Section, SectionResult, TargetResult } from "../lib/section.js";
import { kb, markdownTable, num } from "../lib/table.js";

/** The issue's targets. */
export const BUNDLE_BUDGET_BYTES = 30 * 1024;
export const COLD_START_BUDGET_MS = 15;
/** The architecture's target: a bundle configured from the environment within this factor of the best peer. */
export const COLD_START_ENV_RATIO = 1.2;

const signed = (ms: number) => `${ms >= 0 ? "+" : ""}${num(ms)}`;

const RUNNER = join(ROOT, "bench", "peers", "invoke-once.mjs");
const MARKER = "BENCH_ANSWER";

interface Candidate {
  readonly name: string;
  /** The bundle to import, or `--empty`. */
  readonly target: string;
  readonly env: Record<string, string>;
  readonly bytes?: number;
  readonly gzipBytes?: number;
  /** How the keys arrive: fetched from the JWKS endpoint at init, or inline. */
  readonly group?: "fetch" | "inline";
  /** gatepass's configuration: embedded by `bundle --config`, or from the environment. */
  readonly gatepass?: "config" | "env";
}

/** The peers of the verification table, each as a minimal authorizer (`bench/peers/`). */
const PEERS: ReadonlyArray<{ name: string; entry: string; dir: string; lazy?: boolean }> = [
  { name: "jose", entry: "jose.ts", dir: "jose" },
  { name: "fast-jwt", entry: "fast-jwt.ts", dir: "fast-jwt" },
  { name: "aws-jwt-verify", entry: "aws-jwt-verify.ts", dir: "aws-jwt-verify" },
  { name: "jsonwebtoken + jwks-rsa", entry: "jsonwebtoken-jwks-rsa.ts", dir: "jsonwebtoken", lazy: true },
];

/** Bundles a peer authorizer exactly as the issue says: esbuild, minified ESM, node22. */
async function bundlePeer(
  entry: string,
  outDir: string,
): Promise<{ file: string; bytes: number; gzipBytes: number }> {
  const file = join(outDir, "index.mjs");
  await build({
    entryPoints: [join(ROOT, "bench", "peers", entry)],
    bundle: true,
    minify: true,
    format: "esm",
    platform: "node",
    target: "node22",
    outfile: file,
    legalComments: "none",
    logLevel: "silent",
    // jsonwebtoken, jwks-rsa and their dependencies are CommonJS and `require()` Node built-ins,
    // which an ESM bundle cannot do without this (the usual banner for ESM Lambda bundles).
    banner: {
      js: 'import { createRequire as __cr } from "node:module"; const require = __cr(import.meta.url);',
    },
  });
  const code = readFileSync(file);
  return { file, bytes: code.length, gzipBytes: gzipSync(code, { level: 9 }).length };
}

/** `gatepass bundle --out DIR [--config FILE]` (from the sources, through tsx), and its report. */
async function bundleGatepass(
  outDir: string,
  config?: string,
): Promise<{ file: string; bytes: number; gzipBytes: number }> {
  const embed = config === undefined ? [] : ["--config", config];
  const result = await runNode([
    "--import",
    "tsx",
    "src/cli/main.ts",
    "bundle",
    "--out",
    outDir,
    ...embed,
    "--json",
  ]);
  if (result.code !== 0)
    throw new Error(`gatepass bundle failed: ${result.stderr.trim() || result.stdout.trim()}`);
  const report = JSON.parse(result.stdout.trim().split("\n").pop() ?? "{}") as {
    bytes: number;
    gzipBytes: number;
  };
  return { file: join(outDir, "index.mjs"), bytes: report.bytes, gzipBytes: report.gzipBytes };
}

function isAllow(line: string): boolean {
  try {
    const answer = JSON.parse(line) as { policyDocument?: { Statement?: Array<{ Effect?: string }> } };
    return answer.policyDocument?.Statement?.some((s) => s.Effect === "Allow") === true;
  } catch {
    return false;
  }
}

export const coldStartSection: Section = {
  id: "cold-start",
  title: "4. Cold start",
  async run(context: BenchContext): Promise<SectionResult> {
    const runs = context.quick ? 2 : 30;
    const dir = mkdtempSync(join(tmpdir(), "gatepass-bench-cold-"));
    const key = benchKey("RS256");
    const server = await startJwksServer([key.publicJwk]);
    try {
      context.progress("cold-start: bundling");
      const gatepass = await bundleGatepass(join(dir, "gatepass"));
      const rsIssuer = { issuer: ISSUER, audience: [AUDIENCE], algorithms: ["RS256"] };
      const jwks = { keys: [key.publicJwk] };
      // The same configurations as the environment variables below, embedded at bundle time.
      const embed = async (name: string, config: Record<string, unknown>) => {
        const file = join(dir, `${name}.json`);
        writeFileSync(file, JSON.stringify(config));
        return bundleGatepass(join(dir, name), file);
      };
      const embedded = await embed("gatepass-embedded", { issuers: [{ ...rsIssuer, jwksUri: server.url }] });
      const embeddedInline = await embed("gatepass-embedded-inline", { issuers: [{ ...rsIssuer, jwks }] });
      const hs = benchKey("HS256");
      const secretOnly = await embed("gatepass-secret", {
        issuers: [{ issuer: ISSUER, audience: [AUDIENCE], algorithms: ["HS256"], secret: hs.secret }],
      });
      const event = JSON.stringify(restTokenEvent(signJwt(standardClaims(), key)));
      const hsEvent = JSON.stringify(restTokenEvent(signJwt(standardClaims(), hs)));
      const inlineConfig = JSON.stringify({ issuers: [{ ...rsIssuer, jwks }] });
      const fromBundle = (b: { file: string; bytes: number; gzipBytes: number }) => ({
        target: b.file,
        bytes: b.bytes,
        gzipBytes: b.gzipBytes,
      });
      const candidates: Candidate[] = [
        { name: "empty Node process", target: "--empty", env: {} },
        {
          name: "gatepass `bundle --config`, JWKS fetched at init",
          ...fromBundle(embedded),
          env: { BENCH_EVENT: event },
          group: "fetch",
          gatepass: "config",
        },
        {
          name: "gatepass `bundle` + GATEPASS_*, JWKS fetched at init",
          ...fromBundle(gatepass),
          env: {
            GATEPASS_JWKS_URI: server.url,
            GATEPASS_ISSUER: ISSUER,
            GATEPASS_AUDIENCE: AUDIENCE,
            GATEPASS_ALGORITHMS: "RS256",
            BENCH_EVENT: event,
          },
          group: "fetch",
          gatepass: "env",
        },
        {
          name: "gatepass `bundle --config`, JWKS inline",
          ...fromBundle(embeddedInline),
          env: { BENCH_EVENT: event },
          group: "inline",
          gatepass: "config",
        },
        {
          name: "gatepass `bundle` + GATEPASS_CONFIG, JWKS inline",
          ...fromBundle(gatepass),
          env: { GATEPASS_CONFIG: inlineConfig, BENCH_EVENT: event },
          group: "inline",
          gatepass: "env",
        },
        {
          name: "gatepass `bundle --config`, secret only (HS256)",
          ...fromBundle(secretOnly),
          env: { BENCH_EVENT: hsEvent },
        },
      ];
      for (const peer of PEERS) {
        mkdirSync(join(dir, peer.dir));
        const bundle = await bundlePeer(peer.entry, join(dir, peer.dir));
        const base = { ISSUER, AUDIENCE, BENCH_EVENT: event };
        candidates.push(
          {
            name: `${peer.name}, JWKS fetched at init${peer.lazy ? " (on the first request)" : ""}`,
            ...fromBundle(bundle),
            env: { ...base, JWKS_URI: server.url },
            group: "fetch",
          },
          {
            name: `${peer.name}, JWKS inline`,
            ...fromBundle(bundle),
            env: { ...base, JWKS: JSON.stringify(jwks) },
            group: "inline",
          },
        );
      }
      const samples: number[][] = candidates.map(() => []);
      for (let round = 0; round < runs; round++) {
        context.progress(`cold-start: round ${round + 1} of ${runs}`);
        for (let k = 0; k < candidates.length; k++) {
          const i = (round + k) % candidates.length;
          const candidate = candidates[i]!;
          const { ms, line } = await timeToLine([RUNNER, candidate.target], MARKER, cleanEnv(candidate.env));
          if (candidate.target !== "--empty" && !isAllow(line)) {
            throw new Error(
              `${candidate.name}: the first invocation did not answer Allow: ${line.slice(0, 300)}`,
            );
          }
          samples[i]!.push(ms);
        }
      }
      const empty = median(samples[0]!);
      const overEmpty = samples.map((list) => median(list) - empty);
      const rows = candidates.map((candidate, i) => {
        const s = stats(samples[i]!);
        return [
          candidate.name,
          candidate.bytes === undefined ? "" : kb(candidate.bytes),
          candidate.gzipBytes === undefined ? "" : kb(candidate.gzipBytes),
          `${num(s.median)} (${num(s.min)}–${num(s.max)})`,
          i === 0 ? "0" : `${signed(overEmpty[i]!)}`,
        ];
      });
      const indexOf = (group: "fetch" | "inline", who: "config" | "env" | "peer") =>
        candidates
          .map((c, i) => ({ c, i }))
          .filter(
            ({ c }) => c.group === group && (who === "peer" ? c.gatepass === undefined : c.gatepass === who),
          )
          .map(({ i }) => i);
      const best = (group: "fetch" | "inline") => {
        const peers = indexOf(group, "peer");
        const ms = Math.min(...peers.map((i) => overEmpty[i]!));
        return { ms, name: candidates[peers.find((i) => overEmpty[i] === ms)!]!.name };
      };
      const targets: TargetResult[] = [
        {
          target: `Lambda bundle (\`gatepass bundle\`) ≤ ${BUNDLE_BUDGET_BYTES / 1024} KB minified`,
          measured:
            `${kb(embedded.bytes)} with \`--config\` (${embedded.bytes.toLocaleString("en-US")} bytes; ` +
            `${kb(embedded.gzipBytes)} gzipped); ${kb(secretOnly.bytes)} secret only; ` +
            `${kb(gatepass.bytes)} configured from the environment`,
          met: embedded.bytes <= BUNDLE_BUDGET_BYTES,
        },
      ];
      for (const group of ["fetch", "inline"] as const) {
        const peer = best(group);
        const what = group === "fetch" ? "JWKS fetched at init" : "JWKS inline";
        const config = overEmpty[indexOf(group, "config")[0]!]!;
        const env = overEmpty[indexOf(group, "env")[0]!]!;
        targets.push(
          {
            target: `cold start to first answer, \`bundle --config\`, ${what} ≤ the best peer's`,
            measured: `${signed(config)} ms vs ${peer.name} ${signed(peer.ms)} ms (${(config / peer.ms).toFixed(2)}×) over an empty process`,
            met: config <= peer.ms,
          },
          {
            target: `cold start to first answer, configured from the environment, ${what} ≤ ${COLD_START_ENV_RATIO}× the best peer's`,
            measured: `${signed(env)} ms vs ${peer.name} ${signed(peer.ms)} ms (${(env / peer.ms).toFixed(2)}×) over an empty process`,
            met: env <= COLD_START_ENV_RATIO * peer.ms,
          },
        );
      }
      const gatepassOver = overEmpty[indexOf("fetch", "config")[0]!]!;
      targets.push({
        target: `cold start to first answer within ${COLD_START_BUDGET_MS} ms of an empty Node process`,
        measured:
          `${signed(gatepassOver)} ms (\`--config\`, JWKS fetched at init); ${signed(overEmpty[indexOf("fetch", "env")[0]!]!)} ms from the ` +
          `environment; ${signed(overEmpty[indexOf("inline", "config")[0]!]!)} ms with inline keys (\`--config\`); ` +
          `${signed(overEmpty[5]!)} ms secret only (\`--config\`)`,
        met: gatepassOver <= COLD_START_BUDGET_MS,
      });
      const body = [
        `A fresh \`node\` process imports the bundle, answers one REST TOKEN event (RS256; keys from a JWKS`,
        `endpoint on loopback, fetched during init where the library allows it) and exits; ${runs} runs each,`,
        "the candidates taking turns. Time: from spawn to the answer on stdout, median (min–max); the last",
        "column subtracts the empty process's median. Bundles: esbuild, minified ESM, target node22",
        "(gatepass through `gatepass bundle`, which does the same); the children get no `NODE_OPTIONS`.",
        "`gatepass bundle --config` embeds the configuration validated at bundle time (no schema, and no",
        "rule compiler when there are no rules, in the bundle); without it the bundle reads",
        "`GATEPASS_CONFIG` / `GATEPASS_*` at cold start and carries everything. Each peer is one bundle,",
        "given its keys either inline (`JWKS`) or as a JWKS endpoint (`JWKS_URI`) fetched during init",
        "(jsonwebtoken + jwks-rsa fetches on the first request: jwks-rsa has no init hook). The",
        "secret-only gatepass bundle answers an HS256 token (no key fetch, no key import).",
        "",
        markdownTable(
          [
            { title: "authorizer" },
            { title: "bundle", align: "right" },
            { title: "gzipped", align: "right" },
            { title: "spawn → first answer, ms", align: "right" },
            { title: "over empty, ms", align: "right" },
          ],
          rows,
        ),
      ].join("\n");
      return { title: this.title, body, targets };
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
