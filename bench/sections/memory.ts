/**
 * Section 7: memory. 100,000 invocations with distinct tokens (HS256, so that signing them is
 * cheap; the caches hold the same entries whatever the algorithm), in a fresh process per mode:
 * the verifier alone and the whole handler (REST TOKEN, rules and context on), default caches.
 * Heap and RSS after a full GC at each tenth. Once the token cache is full (1,000 entries), the
 * heap must stop growing.
 */
import { join } from "node:path";
import { cleanEnv, ROOT, runNode } from "../lib/processes.js";
import type { BenchContext, Section, SectionResult, TargetResult } from "../lib/section.js";
import { markdownTable, mb } from "../lib/table.js";
import type { MemoryCheckpoint } from "./memory-child.js";

/** Heap growth allowed between the middle and the end of the run: GC noise, not a leak. */
export const MAX_LATE_GROWTH_BYTES = 1024 * 1024;

const CHILD = join(ROOT, "bench", "sections", "memory-child.ts");

export const memorySection: Section = {
  id: "memory",
  title: "7. Memory",
  async run(context: BenchContext): Promise<SectionResult> {
    const total = context.quick ? 3000 : 100_000;
    const rows: string[][] = [];
    const targets: TargetResult[] = [];
    for (const mode of ["verifier", "handler"] as const) {
      context.progress(`memory: ${total} ${mode} invocations`);
      const result = await runNode(["--expose-gc", "--import", "tsx", CHILD, mode, String(total)], {
        env: cleanEnv(),
        timeoutMs: 240_000,
      });
      if (result.code !== 0) throw new Error(`memory child (${mode}) failed: ${result.stderr.slice(0, 500)}`);
      const { checkpoints } = JSON.parse(result.stdout.trim().split("\n").pop()!) as {
        checkpoints: MemoryCheckpoint[];
      };
      const first = checkpoints[0]!;
      const middle = checkpoints[Math.floor(checkpoints.length / 2)]!;
      const last = checkpoints[checkpoints.length - 1]!;
      for (const point of [first, checkpoints[1]!, middle, last]) {
        rows.push([
          mode,
          point.invocations.toLocaleString("en-US"),
          mb(point.heapUsed),
          mb(point.rss),
          `${point.heapUsed >= first.heapUsed ? "+" : ""}${mb(point.heapUsed - first.heapUsed)}`,
        ]);
      }
      const lateGrowth = last.heapUsed - middle.heapUsed;
      targets.push({
        target: `memory (${mode}): no heap growth once the caches are full (${middle.invocations.toLocaleString("en-US")} → ${last.invocations.toLocaleString("en-US")} invocations)`,
        measured: `${lateGrowth >= 0 ? "+" : ""}${(lateGrowth / 1024).toFixed(0)} KB heap; ${mb(last.heapUsed)} heap, ${mb(last.rss)} RSS at the end`,
        met: lateGrowth <= MAX_LATE_GROWTH_BYTES,
      });
    }
    const body = [
      `${total.toLocaleString("en-US")} invocations with distinct HS256 tokens (a new \`jti\` and \`sub\` each), default`,
      "caches (verified-token cache: 1,000 entries), a fresh process per mode; figures after a full",
      "GC. The token cache fills within the first tenth; after that the heap must stay flat.",
      "",
      markdownTable(
        [
          { title: "mode" },
          { title: "invocations", align: "right" },
          { title: "heap used", align: "right" },
          { title: "RSS", align: "right" },
          { title: "heap vs start", align: "right" },
        ],
        rows,
      ),
    ].join("\n");
    return { title: this.title, body, targets };
  },
};
