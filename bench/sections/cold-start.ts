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

const RUNNER = join(ROOT, "bench", "peers", "invoke-once.mjs");
const MARKER = "BENCH_ANSWER";

interface Candidate {
  readonly name: string;
  /** The bundle to import, or `--empty`. */
  readonly target: string;
  readonly env: Record<string, string>;
  readonly bytes?: number;
  readonly gzipBytes?: number;
  readonly peer?: boolean;
}

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
    const runs = context.quick ? 2 : 20;
    const dir = mkdtempSync(join(tmpdir(), "gatepass-bench-cold-"));
    const key = benchKey("RS256");
    const server = await startJwksServer([key.publicJwk]);
    try {
      context.progress("cold-start: bundling");
      const gatepass = await bundleGatepass(join(dir, "gatepass"));
      // The same configuration as the environment variables below, embedded at bundle time.
      const configFile = join(dir, "gatepass.json");
      writeFileSync(
        configFile,
        JSON.stringify({
          issuers: [{ issuer: ISSUER, audience: [AUDIENCE], algorithms: ["RS256"], jwksUri: server.url }],
        }),
      );
      const embedded = await bundleGatepass(join(dir, "gatepass-embedded"), configFile);
      mkdirSync(join(dir, "aws-jwt-verify"));
      mkdirSync(join(dir, "jsonwebtoken"));
      const aws = await bundlePeer("aws-jwt-verify.ts", join(dir, "aws-jwt-verify"));
      const jsonwebtoken = await bundlePeer("jsonwebtoken-jwks-rsa.ts", join(dir, "jsonwebtoken"));
      const event = JSON.stringify(restTokenEvent(signJwt(standardClaims(), key)));
      const peerEnv = { JWKS_URI: server.url, ISSUER, AUDIENCE, BENCH_EVENT: event };
      const inlineConfig = JSON.stringify({
        issuers: [
          { issuer: ISSUER, audience: [AUDIENCE], algorithms: ["RS256"], jwks: { keys: [key.publicJwk] } },
        ],
      });
      const candidates: Candidate[] = [
        { name: "empty Node process", target: "--empty", env: {} },
        {
          name: "gatepass (`gatepass bundle --config`), JWKS fetched at init",
          target: embedded.file,
          bytes: embedded.bytes,
          gzipBytes: embedded.gzipBytes,
          env: { BENCH_EVENT: event },
        },
        {
          name: "gatepass (`gatepass bundle`), JWKS fetched at init",
          target: gatepass.file,
          bytes: gatepass.bytes,
          gzipBytes: gatepass.gzipBytes,
          env: {
            GATEPASS_JWKS_URI: server.url,
            GATEPASS_ISSUER: ISSUER,
            GATEPASS_AUDIENCE: AUDIENCE,
            GATEPASS_ALGORITHMS: "RS256",
            BENCH_EVENT: event,
          },
        },
        {
          name: "gatepass, JWKS inline in GATEPASS_CONFIG (no fetch)",
          target: gatepass.file,
          bytes: gatepass.bytes,
          gzipBytes: gatepass.gzipBytes,
          env: { GATEPASS_CONFIG: inlineConfig, BENCH_EVENT: event },
        },
        {
          name: "aws-jwt-verify",
          target: aws.file,
          bytes: aws.bytes,
          gzipBytes: aws.gzipBytes,
          env: peerEnv,
          peer: true,
        },
        {
          name: "jsonwebtoken + jwks-rsa",
          target: jsonwebtoken.file,
          bytes: jsonwebtoken.bytes,
          gzipBytes: jsonwebtoken.gzipBytes,
          env: peerEnv,
          peer: true,
        },
      ];
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
          i === 0 ? "0" : `+${num(overEmpty[i]!)}`,
        ];
      });
      // Index 1: the configuration embedded by `gatepass bundle --config` (what the targets use);
      // 2: the same bundle configured from GATEPASS_* variables; 3: keys inline in GATEPASS_CONFIG.
      const gatepassOver = overEmpty[1]!;
      const envOver = overEmpty[2]!;
      const peerIndexes = candidates.map((c, i) => (c.peer ? i : -1)).filter((i) => i >= 0);
      const bestPeer = Math.min(...peerIndexes.map((i) => overEmpty[i]!));
      const bestPeerName = candidates[peerIndexes.find((i) => overEmpty[i] === bestPeer)!]!.name;
      const targets: TargetResult[] = [
        {
          target: `Lambda bundle (\`gatepass bundle\`) ≤ ${BUNDLE_BUDGET_BYTES / 1024} KB minified`,
          measured:
            `${kb(embedded.bytes)} with \`--config\` (${embedded.bytes.toLocaleString("en-US")} bytes; ` +
            `${kb(embedded.gzipBytes)} gzipped); ${kb(gatepass.bytes)} configured from the environment`,
          met: embedded.bytes <= BUNDLE_BUDGET_BYTES,
        },
        {
          target: "cold start to first answer ≤ the best peer authorizer's",
          measured:
            `gatepass +${num(gatepassOver)} ms (\`--config\`; +${num(envOver)} ms from the environment) ` +
            `vs ${bestPeerName} +${num(bestPeer)} ms over an empty process`,
          met: gatepassOver <= bestPeer,
        },
        {
          target: `cold start to first answer within ${COLD_START_BUDGET_MS} ms of an empty Node process`,
          measured:
            `+${num(gatepassOver)} ms (\`--config\`, JWKS fetched at init); +${num(envOver)} ms from the ` +
            `environment; +${num(overEmpty[3]!)} ms with inline keys`,
          met: gatepassOver <= COLD_START_BUDGET_MS,
        },
      ];
      const body = [
        `A fresh \`node\` process imports the bundle, answers one REST TOKEN event (RS256; keys from a JWKS`,
        `endpoint on loopback, fetched during init where the library allows it) and exits; ${runs} runs each,`,
        "the candidates taking turns. Time: from spawn to the answer on stdout, median (min–max); the last",
        "column subtracts the empty process's median. Bundles: esbuild, minified ESM, target node22",
        "(gatepass through `gatepass bundle`, which does the same); the children get no `NODE_OPTIONS`.",
        "`gatepass bundle --config` embeds the configuration validated at bundle time (no schema, and no",
        "rule compiler when there are no rules, in the bundle); without it the bundle reads",
        "`GATEPASS_CONFIG` / `GATEPASS_*` at cold start and carries everything.",
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
