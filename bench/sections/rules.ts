/**
 * Section 8: rule compilation. `compileRules` at cold start (validation, the route matcher and the
 * IAM overlap analysis) for 1, 10, 100 and 1,000 route rules of two shapes (`bench/lib/rule-shapes.ts`):
 * a realistic API (many top-level resources) and a REST tree nested under one root
 * (`/a/{aId}/b1/{bId}/…`), where every rule's IAM resource covers the routes below it. Each figure is
 * the median of rounds, one compilation per round, unmatched routes denied (the form with the most
 * warnings). A rule set whose overlap analysis would exceed its work budget is refused
 * (`ConfigError`); the time to refuse it is reported like a compilation.
 */
import { compilePolicyRules } from "../lib/gatepass.js";
import { stats } from "../lib/harness.js";
import { RULE_SHAPES } from "../lib/rule-shapes.js";
import type { BenchContext, Section, SectionResult, TargetResult } from "../lib/section.js";
import { markdownTable, withRange } from "../lib/table.js";

/** Any 1,000 rules compile within this, or are refused. */
export const RULE_COMPILE_BUDGET_MS = 100;

const SIZES = [1, 10, 100, 1000];

export const rulesSection: Section = {
  id: "rules",
  title: "8. Rule compilation",
  async run(context: BenchContext): Promise<SectionResult> {
    const rounds = context.quick ? 2 : 15;
    const rows: string[][] = [];
    const targets: TargetResult[] = [];
    for (const shape of RULE_SHAPES) {
      for (const n of SIZES) {
        context.progress(`rules: ${shape.name}, ${n}`);
        const routes = shape.rules(n);
        const compile = () => compilePolicyRules({ routes, unmatchedRoutes: "deny" });
        // The first compilation warms up and says what the rule set gives.
        let outcome = "";
        try {
          outcome = `${compile().warnings.length.toLocaleString("en-US")} warnings`;
        } catch (error) {
          outcome = `refused: ${(error as { detail?: string }).detail?.split(";")[0] ?? String(error)}`;
        }
        const samples: number[] = [];
        for (let r = 0; r < rounds; r++) {
          const start = process.hrtime.bigint();
          try {
            compile();
          } catch {
            // a refusal is timed like a compilation
          }
          samples.push(Number(process.hrtime.bigint() - start) / 1e6);
        }
        const s = stats(samples);
        rows.push([shape.name, n.toLocaleString("en-US"), withRange(s, " ms"), outcome]);
        if (n === 1000) {
          targets.push({
            target: `1,000 ${shape.name} rules compile, or are refused, in ≤ ${RULE_COMPILE_BUDGET_MS} ms`,
            measured: `${withRange(s, " ms")}, ${outcome}`,
            met: s.median <= RULE_COMPILE_BUDGET_MS,
          });
        }
      }
    }
    const body = [
      `\`compileRules\` from \`dist/\`, ${rounds} rounds per row (median, min–max), unmatched routes denied.`,
      "",
      markdownTable(
        [{ title: "shape" }, { title: "rules", align: "right" }, { title: "compile" }, { title: "outcome" }],
        rows,
      ),
    ].join("\n");
    return { title: this.title, body, targets };
  },
};
