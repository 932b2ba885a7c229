import type { Outcome, Verdict } from "./gateway.js";
import type { DevRequest } from "./request.js";

/** What the request line reports as `outcome`: the gateway's verdict, or who else answered. */
export type LineOutcome = Outcome | "issuer" | "metadata" | "preflight" | "refused" | "no-route";

/**
 * The request line: `level`, `event`, the request, the outcome, the verdict's reason, cache state
 * and principal, `upgrade`, the duration, and the authorizer's explanation — exactly what
 * `JSON.stringify` of one flat object with those fields gives (absent ones omitted), written out
 * by hand: it runs on every request, and the object plus the generic serializer cost more.
 */
export function requestLine(
  request: DevRequest,
  status: number,
  outcome: LineOutcome,
  verdict: Verdict | undefined,
  upgrade: true | undefined,
  durationMs: number,
  explained: string | undefined,
): string {
  // The request id (a UUID), the outcome and the cache state are the gateway's own words: nothing to escape.
  let line = `{"level":"info","event":"request","requestId":"${request.requestId}","method":${jsonString(request.method)},"path":${jsonString(request.path)},"status":${jsonNumber(status)},"outcome":"${outcome}"`;
  if (verdict !== undefined) {
    line += `,"reason":${jsonString(verdict.reason)},"cache":"${verdict.cache}"`;
    if (verdict.allowed) {
      const principal = verdict.caller.principalId;
      line += `,"principal":${principal === null ? "null" : jsonString(principal)}`;
    }
  }
  if (upgrade) line += ',"upgrade":true';
  line += `,"durationMs":${jsonNumber(durationMs)}`;
  if (explained !== undefined) line += `,"authorizer":${jsonString(explained)}`;
  return `${line}}`;
}

/** Characters `JSON.stringify` escapes in a string (quote, backslash, controls, lone surrogates). */
const JSON_ESCAPED = /["\\\u0000-\u001f\ud800-\udfff]/;

/** `JSON.stringify(text)`; the common case (nothing to escape) without the serializer. */
const jsonString = (text: string): string => (JSON_ESCAPED.test(text) ? JSON.stringify(text) : `"${text}"`);

/** `JSON.stringify(n)` (`null` for NaN and infinities). */
const jsonNumber = (n: number): string => (Number.isFinite(n) ? String(n) : "null");
