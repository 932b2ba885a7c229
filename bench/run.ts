/**
 * `npm run bench`: gatepass against the floor and its peers, side by side in one run, printed as
 * Markdown (the report that BENCHMARKS.md keeps). Run by hand, never as a timed test; CI runs
 * `npm run bench -- --quick` once, to prove it still works.
 *
 *   npm run bench                         # everything, a few minutes
 *   npm run bench -- --quick              # everything, tiny counts, a few seconds
 *   npm run bench -- --only verify,cache  # some sections
 *   npm run bench -- --write              # also rewrite BENCHMARKS.md
 *
 * The report goes to stdout, progress to stderr. The exit code is non-zero when a section fails
 * to run (not when a performance target is missed: the report says which ones are).
 */
import { writeFileSync } from "node:fs";
import { cpus, loadavg, platform, release, totalmem } from "node:os";
import { fileURLToPath } from "node:url";
import { type BenchOptions, parseOptions } from "./lib/options.js";
import type { BenchContext, Section, SectionResult, TargetResult } from "./lib/section.js";
import { markdownTable } from "./lib/table.js";

interface SectionEntry {
  readonly id: string;
  readonly number: number;
  readonly title: string;
  /** Loaded on demand, so a section whose code under test is missing does not stop the others. */
  readonly load: () => Promise<Section>;
}

const SECTIONS: readonly SectionEntry[] = [
  {
    id: "verify",
    number: 1,
    title: "1. Verification per algorithm",
    load: async () => (await import("./sections/verify.js")).verifySection,
  },
  {
    id: "handler",
    number: 2,
    title: "2. One handler invocation per event type",
    load: async () => (await import("./sections/handler.js")).handlerSection,
  },
  {
    id: "cache",
    number: 3,
    title: "3. Repeated tokens (verified-token cache)",
    load: async () => (await import("./sections/cache.js")).cacheSection,
  },
  {
    id: "cold-start",
    number: 4,
    title: "4. Cold start",
    load: async () => (await import("./sections/cold-start.js")).coldStartSection,
  },
  {
    id: "jwks",
    number: 5,
    title: "5. JWKS under pressure",
    load: async () => (await import("./sections/jwks.js")).jwksSection,
  },
  {
    id: "gateway",
    number: 6,
    title: "6. The local gateway",
    load: async () => (await import("./sections/gateway.js")).gatewaySection,
  },
  {
    id: "memory",
    number: 7,
    title: "7. Memory",
    load: async () => (await import("./sections/memory.js")).memorySection,
  },
  {
    id: "rules",
    number: 8,
    title: "8. Rule compilation",
    load: async () => (await import("./sections/rules.js")).rulesSection,
  },
  {
    id: "scaling",
    number: 9,
    title: "9. Scaling with the configuration",
    load: async () => (await import("./sections/scaling.js")).scalingSection,
  },
  {
    id: "key-judging",
    number: 10,
    title: "10. Key judging",
    load: async () => (await import("./sections/key-judging.js")).keyJudgingSection,
  },
];

const BENCHMARKS_MD = fileURLToPath(new URL("../BENCHMARKS.md", import.meta.url));

function selected(options: BenchOptions): SectionEntry[] {
  if (options.only.length === 0) return [...SECTIONS];
  return options.only.map((name) => {
    const entry = SECTIONS.find((s) => s.id === name || String(s.number) === name);
    if (!entry)
      throw new Error(
        `unknown section ${JSON.stringify(name)} (one of ${SECTIONS.map((s) => s.id).join(", ")})`,
      );
    return entry;
  });
}

export function machineDescription(): string[] {
  const cpu = cpus();
  return [
    `- Machine: ${cpu[0]?.model.trim() ?? "unknown CPU"}, ${cpu.length} cores, ${(totalmem() / 1024 ** 3).toFixed(1)} GB memory, ${platform()} ${release()}`,
    `- Node.js ${process.version}`,
    // The machine may be shared: its load says how much the figures (not the ratios) may be off.
    `- Load average at the start (1, 5, 15 min): ${loadavg()
      .map((l) => l.toFixed(2))
      .join(", ")}`,
    `- Date: ${new Date().toISOString().replace(/\.\d+Z$/, "Z")}`,
  ];
}

function targetTable(targets: readonly TargetResult[], quick: boolean): string {
  const mark = (met: boolean | null) =>
    quick ? "not judged (--quick)" : met === null ? "not measured" : met ? "met" : "**not met**";
  return markdownTable(
    [{ title: "target" }, { title: "measured" }, { title: "" }],
    targets.map((t) => [t.target, t.measured, mark(t.met)]),
  );
}

async function main(): Promise<number> {
  let options: BenchOptions;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`bench: ${(error as Error).message}\n`);
    return 2;
  }
  const entries = selected(options);
  const started = performance.now();
  const context: BenchContext = {
    quick: options.quick,
    progress: (message) => process.stderr.write(`bench: ${message}\n`),
  };
  const out: string[] = [];
  const print = (text: string) => {
    out.push(text);
    process.stdout.write(`${text}\n`);
  };
  print(`## Results${options.quick ? " (--quick: tiny counts, figures are meaningless)" : ""}`);
  print("");
  print(machineDescription().join("\n"));
  print("");
  const targets: TargetResult[] = [];
  let failed = 0;
  for (const entry of entries) {
    const sectionStarted = performance.now();
    let result: SectionResult;
    try {
      const section = await entry.load();
      result = await section.run(context);
    } catch (error) {
      failed += 1;
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
      process.stderr.write(`bench: section ${entry.id} failed: ${message}\n`);
      result = {
        title: entry.title,
        body: `Failed to run: ${(error as Error)?.message?.split("\n")[0] ?? String(error)}`,
        targets: [],
      };
    }
    context.progress(`${entry.id} done in ${((performance.now() - sectionStarted) / 1000).toFixed(1)} s`);
    targets.push(...result.targets);
    print(`### ${result.title}`);
    print("");
    print(result.body);
    print("");
  }
  if (targets.length > 0) {
    print("### Targets");
    print("");
    print(targetTable(targets, options.quick));
    print("");
  }
  const seconds = (performance.now() - started) / 1000;
  print(`_Total benchmark time: ${seconds.toFixed(0)} s._`);
  if (options.write) {
    writeFileSync(BENCHMARKS_MD, renderBenchmarksMd(out.join("\n")));
    context.progress(`wrote ${BENCHMARKS_MD}`);
  }
  return failed === 0 ? 0 : 1;
}

function renderBenchmarksMd(report: string): string {
  return `# Benchmarks

gatepass measured side by side with a floor (the least work an honest verifier must do, on
\`node:crypto\`) and with its peers — \`aws-jwt-verify\`, \`fast-jwt\`, \`jsonwebtoken\`
(+ \`jwks-rsa\`), \`jose\` — in one run, on one machine. Every figure is a median of rounds, with
its min–max; every ratio is computed round by round (same round, same conditions), then its
median. Absolute numbers depend on the machine; the ratios are what to compare.

## How to reproduce

\`\`\`sh
npm ci
npm run bench                 # all sections, under 5 minutes
npm run bench -- --only verify,cache
npm run bench -- --write      # rewrite this file with the new figures
npm run bench -- --quick      # tiny counts: proves it works (CI), figures meaningless
\`\`\`

The benchmark lives in \`bench/\` (\`bench/run.ts\`, one file per section in \`bench/sections/\`, the
harness in \`bench/lib/\`, the minimal peer authorizers in \`bench/peers/\`). It is never run as a
timed test; \`tests/bench/bench-quick.test.ts\` only checks that \`--quick\` runs and prints its tables.
gatepass is measured as its users run it: the compiled package in \`dist/\` (\`npm run bench\` builds it
first), not the TypeScript sources through a loader; the peers run from their published code.

${report}
`;
}

process.exitCode = await main();
