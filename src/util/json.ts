/**
 * JSON from untrusted input. `JSON.parse` itself never touches prototypes (a `"__proto__"` key
 * becomes an own property), so the danger is in what code does next; gatepass never merges
 * untrusted objects, and additionally refuses such keys at the top level of a token, where every
 * claim lookup happens.
 */
export type JsonObject = Record<string, unknown>;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Parses text that must hold a JSON object; `undefined` for anything else (never throws). */
export function parseJsonObject(text: string): JsonObject | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  return isJsonObject(value) ? value : undefined;
}

/**
 * Counts the members of the outermost object in `text` (valid JSON, already parsed). Comparing the
 * count with the parsed object's key count detects duplicate member names, which `JSON.parse`
 * silently resolves to the last one (RFC 7515 §5.2 and RFC 7519 §4: reject or use the last one;
 * gatepass rejects, so two parties can never read different claims from one token).
 */
export function countTopLevelMembers(text: string): number {
  // Every member of the outer object has exactly one `:` at depth 1 outside strings. Strings are
  // skipped with indexOf (native), which is what makes this cheap on the per-request path.
  let depth = 0;
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      let end = text.indexOf('"', i + 1);
      while (end > 0 && isEscaped(text, end)) end = text.indexOf('"', end + 1);
      if (end < 0) return -1;
      i = end;
    } else if (c === 58 /* : */) {
      if (depth === 1) count++;
    } else if (c === 123 /* { */ || c === 91 /* [ */) depth++;
    else if (c === 125 /* } */ || c === 93 /* ] */) depth--;
  }
  return count;
}

/** True when the quote at `at` is preceded by an odd number of backslashes. */
function isEscaped(text: string, at: number): boolean {
  let n = 0;
  for (let j = at - 1; j >= 0 && text.charCodeAt(j) === 92; j--) n++;
  return (n & 1) === 1;
}

/** A JSON.parse failure described by position only: its message quotes the text, which may hold a secret. */
export function jsonErrorPosition(error: unknown): string {
  const match = /position (\d+)/.exec(error instanceof Error ? error.message : "");
  return match ? `at position ${match[1]}` : "syntax error";
}

/**
 * `JSON.parse` for files and variables that may hold secrets: a syntax error says where (when the
 * engine tells) and names `what`, never the text around the error, which V8's message quotes.
 */
export function parseJsonText(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new SyntaxError(`${what} is not valid JSON (${jsonErrorPosition(error)})`);
  }
}
