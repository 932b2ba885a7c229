/** What every benchmark section receives and returns. */

export interface BenchContext {
  /** Tiny iteration counts: proves the benchmark works, measures nothing. */
  readonly quick: boolean;
  /** Progress on stderr (the report itself goes to stdout). */
  readonly progress: (message: string) => void;
}

/** One target from the issue, checked by the section that measures it. */
export interface TargetResult {
  readonly target: string;
  readonly measured: string;
  /** `null`: could not be measured in this run (the reason is in `measured`). */
  readonly met: boolean | null;
}

export interface SectionResult {
  readonly title: string;
  /** Markdown: a sentence on the method, then the table(s). */
  readonly body: string;
  readonly targets: readonly TargetResult[];
}

export interface Section {
  /** Short name for `--only`. */
  readonly id: string;
  readonly title: string;
  run(context: BenchContext): Promise<SectionResult>;
}
