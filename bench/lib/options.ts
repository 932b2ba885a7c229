/** Command-line flags of `npm run bench`. */

export interface BenchOptions {
  /** Tiny iteration counts, to prove the benchmark runs (CI). */
  readonly quick: boolean;
  /** Section ids (or numbers) to run; empty: all. */
  readonly only: readonly string[];
  /** Rewrite BENCHMARKS.md with this run's report. */
  readonly write: boolean;
}

export const USAGE = `Usage: npm run bench -- [--quick] [--only <section>[,<section>…]] [--write]

  --quick           tiny iteration counts: proves every section works in a few seconds, measures nothing
  --only <section>  run only these sections (by id or number): verify, handler, cache, cold-start, jwks,
                    gateway, memory, rules, scaling
  --write           write the report to BENCHMARKS.md (not with --quick)
`;

export function parseOptions(argv: readonly string[]): BenchOptions {
  let quick = false;
  let write = false;
  const only: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--quick") quick = true;
    else if (arg === "--write") write = true;
    else if (arg === "--only" || arg.startsWith("--only=")) {
      const value = arg === "--only" ? argv[++i] : arg.slice("--only=".length);
      if (!value) throw new Error("--only needs a section name");
      only.push(
        ...value
          .split(",")
          .map((s) => s.trim())
          .filter(Boolean),
      );
    } else if (arg === "--help" || arg === "-h") {
      process.stdout.write(USAGE);
      process.exit(0);
    } else {
      throw new Error(`unknown option ${arg}\n\n${USAGE}`);
    }
  }
  if (write && quick) throw new Error("--write records real figures; it cannot be combined with --quick");
  return { quick, only, write };
}
