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
  let depth = 0;
  let count = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
      continue;
    }
    if (c === 34) {
      // A string opening at depth 1 right after `{` or `,` is a member name.
      if (depth === 1 && isMemberStart(text, i)) count++;
      inString = true;
    } else if (c === 123 /* { */ || c === 91 /* [ */) depth++;
    else if (c === 125 /* } */ || c === 93 /* ] */) depth--;
  }
  return count;
}

function isMemberStart(text: string, quote: number): boolean {
  for (let j = quote - 1; j >= 0; j--) {
    const c = text.charCodeAt(j);
    if (c === 32 || c === 9 || c === 10 || c === 13) continue;
    return c === 123 || c === 44; // { or ,
  }
  return false;
}

/** A JSON.parse failure described by position only: its message quotes the text, which may hold a secret. */
export function jsonErrorPosition(error: unknown): string {
  const match = /position (\d+)/.exec(error instanceof Error ? error.message : "");
  return match ? `at position ${match[1]}` : "syntax error";
}
