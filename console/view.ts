/**
 * What the console page computes from the server's answers, kept free of the DOM so unit tests
 * can run it: the shapes it reads, filtering, and short texts.
 */

export type OutcomeGroup = "allow" | "deny" | "unauthorized" | "error" | "other";

/** A request record as the server sends it (see `src/dev/console/records.ts`). */
export interface RecordView {
  id: number;
  requestId: string;
  time: string;
  method: string;
  path: string;
  status: number;
  outcome: string;
  group: OutcomeGroup;
  reasonCode: string | null;
  reason: string;
  authorizerReason: string | null;
  principal: string | null;
  cache: string | null;
  durationMs: number;
  tokens: { header: unknown; payload: unknown; error?: { code: string; message: string } }[];
  authorizer: { event: unknown; answer: unknown; error: string | null; cached: boolean } | null;
  decision: { effect: string; index: number | null; statement: unknown; why: string } | null;
  backend: { description: string; event: unknown; answer: unknown } | null;
}

export interface RecordFilter {
  /** An outcome group, or "" for all. */
  group: OutcomeGroup | "";
  /** Part of the path, case-insensitive; "" for all. */
  path: string;
}

/** True when `record` passes `filter`. */
export function matchesFilter(record: Pick<RecordView, "group" | "path">, filter: RecordFilter): boolean {
  if (filter.group !== "" && record.group !== filter.group) return false;
  const part = filter.path.trim().toLowerCase();
  return part === "" || record.path.toLowerCase().includes(part);
}

/** The records that pass `filter`, newest first. */
export function visibleRecords(records: readonly RecordView[], filter: RecordFilter): RecordView[] {
  return records.filter((r) => matchesFilter(r, filter)).sort((a, b) => b.id - a.id);
}

/** `arn:aws:execute-api:us-east-1:123456789012:abc/dev/GET/x` → `…/GET/x`: the table has no room for the fixed part. */
export function shortArns(text: string): string {
  return text.replace(/arn:aws:execute-api:[^\s/]+\/[^\s/]+\//g, "…/");
}

/**
 * The reason column: the authorizer's code and sentence when it gave a code; else the gateway's
 * sentence (ARNs shortened), then what the authorizer said (the rule that decided).
 */
export function reasonText(record: Pick<RecordView, "reasonCode" | "reason" | "authorizerReason">): string {
  if (record.reasonCode !== null) {
    const rest = (record.authorizerReason ?? "").slice(record.reasonCode.length).replace(/^:\s*/, "");
    return rest.length > 0 ? `${record.reasonCode}: ${rest}` : record.reasonCode;
  }
  const said = record.authorizerReason ? ` (${record.authorizerReason})` : "";
  return `${shortArns(record.reason)}${said}`;
}

/** "14:02:07" of an ISO time, in the page's time zone. */
export function clockTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** What a screen reader hears when a row arrives. */
export function announcement(record: Pick<RecordView, "method" | "path" | "status" | "outcome">): string {
  return `${record.method} ${record.path}: ${record.status} ${record.outcome}`;
}

/** One route answer as a line: "GET /orders/42 → 403: ERR_SCOPE_MISSING: …". */
export function routeLine(answer: { request: string; status: number | null; why: string }): string {
  const status = answer.status === null ? "not asked" : String(answer.status);
  return `${answer.request} → ${status}${answer.why ? `: ${answer.why}` : ""}`;
}
