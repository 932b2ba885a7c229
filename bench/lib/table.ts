/** Markdown tables and number formatting for the benchmark report. */

export type Align = "left" | "right";

export interface Column {
  readonly title: string;
  readonly align?: Align;
}

/** A GitHub-flavoured Markdown table; cells are escaped for `|`. */
export function markdownTable(columns: readonly Column[], rows: ReadonlyArray<readonly string[]>): string {
  const escapeCell = (cell: string) => cell.replace(/\|/g, "\\|");
  const header = `| ${columns.map((c) => escapeCell(c.title)).join(" | ")} |`;
  const rule = `|${columns.map((c) => (c.align === "right" ? "---:" : "---")).join("|")}|`;
  const body = rows.map((row) => `| ${row.map(escapeCell).join(" | ")} |`);
  return [header, rule, ...body].join("\n");
}

/** A number with a precision suited to its size: 1.23, 12.3, 123, 1,234. */
export function num(value: number, digits = 3): string {
  if (!Number.isFinite(value)) return "n/a";
  const abs = Math.abs(value);
  if (abs >= 1000) return Math.round(value).toLocaleString("en-US");
  const decimals = abs >= 100 ? 0 : Math.max(0, digits - 1 - Math.floor(Math.log10(abs || 1)));
  return value.toFixed(Math.min(decimals, 3));
}

/** `12.3 (11.9–13.0)`: a median with its range. */
export function withRange(s: { median: number; min: number; max: number }, unit = ""): string {
  return `${num(s.median)}${unit} (${num(s.min)}–${num(s.max)})`;
}

export const ratioText = (s: { median: number; min: number; max: number }) =>
  `${s.median.toFixed(2)}× (${s.min.toFixed(2)}–${s.max.toFixed(2)})`;

export const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

export const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

export const opsPerSecond = (microsPerOp: number) => Math.round(1e6 / microsPerOp).toLocaleString("en-US");
