import { MAX_SOURCE_CHARS, type TokenLookup } from "./token-source.js";

/**
 * Safe reads from an event that is only known to be a JSON value. Every map may be `null`, an
 * array or a primitive; every value may have any type; keys such as `__proto__` may be own
 * properties. So: only own properties are read (never anything inherited from a prototype), only
 * strings are used as values, and nothing here throws for a JSON value.
 */

/** A plain object (not `null`, not an array). */
export type EventRecord = Record<string, unknown>;

export function isRecord(value: unknown): value is EventRecord {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `record[key]` when it is an own property; `undefined` otherwise (inherited keys never count). */
export function own(record: EventRecord, key: string): unknown {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/** The own property `key` when it is a string, else `null`. */
export function ownString(record: EventRecord, key: string): string | null {
  const value = own(record, key);
  return typeof value === "string" ? value : null;
}

/** The own property `key` when it is a plain object, else `null`. */
export function ownRecord(record: EventRecord, key: string): EventRecord | null {
  const value = own(record, key);
  return isRecord(value) ? value : null;
}

/** `a` equals `lower` (already lower case) ignoring ASCII case, without allocating. */
function equalsIgnoreCase(a: string, lower: string): boolean {
  if (a.length !== lower.length) return false;
  for (let i = 0; i < a.length; i++) {
    let c = a.charCodeAt(i);
    if (c >= 65 && c <= 90) c += 32;
    if (c !== lower.charCodeAt(i)) return false;
  }
  return true;
}

/** `out + separator + value`, or `null` once longer than the inspection cap. */
function join(out: string | undefined, value: string, separator: string): string | null {
  const next = out === undefined ? value : out + separator + value;
  return next.length > MAX_SOURCE_CHARS ? null : next;
}

/** Adds a map value (a string, or an array whose string elements count) to `out`. */
function append(out: string | undefined, value: unknown, separator: string): string | null | undefined {
  if (typeof value === "string") return join(out, value, separator);
  if (!Array.isArray(value)) return out;
  for (const item of value) {
    if (typeof item !== "string") continue;
    const next = join(out, item, separator);
    if (next === null) return null;
    out = next;
  }
  return out;
}

/**
 * Every value of `name` in `map`, joined with `separator`: `undefined` when absent, `null` when
 * longer than the cap. With `ignoreCase` (`name` then in lower case), keys compare case-insensitively and *every* matching key
 * counts, so `Authorization` plus `authorization` read as two values (ambiguous, hence refused
 * later) rather than whichever a loop happens to see first.
 */
function collect(
  map: EventRecord | null,
  name: string,
  ignoreCase: boolean,
  separator: string,
): string | null | undefined {
  if (map === null) return undefined;
  if (!ignoreCase) return Object.hasOwn(map, name) ? append(undefined, map[name], separator) : undefined;
  let out: string | undefined;
  for (const key in map) {
    if (!equalsIgnoreCase(key, name) || !Object.hasOwn(map, key)) continue;
    const next = append(out, map[key], separator);
    if (next === null) return null;
    out = next;
  }
  return out;
}

function isOws(c: number): boolean {
  return c === 32 || c === 9;
}

/**
 * The value of cookie `name` in a `Cookie` header (`a=1; b=2`, RFC 6265 §4.2), the first one when
 * repeated (browsers send the most specific path first), surrounding double quotes removed;
 * `undefined` when absent. Scans in place: no split, no array.
 */
function cookieFromHeader(header: string, name: string): string | undefined {
  if (name.length === 0) return undefined;
  const n = header.length;
  let i = 0;
  while (i < n) {
    while (i < n && isOws(header.charCodeAt(i))) i++;
    let end = header.indexOf(";", i);
    if (end === -1) end = n;
    if (header.startsWith(name, i)) {
      let j = i + name.length;
      while (j < end && isOws(header.charCodeAt(j))) j++;
      if (j < end && header.charCodeAt(j) === 61 /* = */) {
        let start = j + 1;
        let stop = end;
        while (start < stop && isOws(header.charCodeAt(start))) start++;
        while (stop > start && isOws(header.charCodeAt(stop - 1))) stop--;
        if (stop - start >= 2 && header.charCodeAt(start) === 34 && header.charCodeAt(stop - 1) === 34) {
          start++;
          stop--;
        }
        return header.slice(start, stop);
      }
    }
    i = end + 1;
  }
  return undefined;
}

/** Where an event keeps its request values; any of them may be missing or malformed. */
export interface EventMaps {
  readonly headers: unknown;
  readonly multiValueHeaders?: unknown;
  readonly queryStringParameters: unknown;
  readonly multiValueQueryStringParameters?: unknown;
  /** HTTP 2.0 only: the `Cookie` header split into `name=value` strings. */
  readonly cookies?: unknown;
}

/**
 * {@link TokenLookup} over an event's maps. REST, WebSocket and HTTP 1.0 events keep header names
 * as sent and add `multiValue*` maps holding every value; HTTP 2.0 lowercases header names, joins
 * repeats with commas and moves cookies to a `cookies` array. One lookup serves all: the
 * `multiValue*` map wins when it has the key, header names always compare case-insensitively, and
 * cookies come from `cookies` when it is an array, else from the `Cookie` header(s).
 */
export class EventLookup implements TokenLookup {
  readonly #headers: EventRecord | null;
  readonly #multiHeaders: EventRecord | null;
  readonly #query: EventRecord | null;
  readonly #multiQuery: EventRecord | null;
  readonly #cookies: readonly unknown[] | null;

  constructor(maps: EventMaps) {
    this.#headers = isRecord(maps.headers) ? maps.headers : null;
    this.#multiHeaders = isRecord(maps.multiValueHeaders) ? maps.multiValueHeaders : null;
    this.#query = isRecord(maps.queryStringParameters) ? maps.queryStringParameters : null;
    this.#multiQuery = isRecord(maps.multiValueQueryStringParameters)
      ? maps.multiValueQueryStringParameters
      : null;
    this.#cookies = Array.isArray(maps.cookies) ? maps.cookies : null;
  }

  header(name: string): string | null | undefined {
    return this.#header(name.toLowerCase(), ",");
  }

  cookie(name: string): string | null | undefined {
    const list = this.#cookies;
    if (list !== null) {
      for (const entry of list) {
        if (typeof entry !== "string") continue;
        if (entry.length > MAX_SOURCE_CHARS) {
          if (entry.trimStart().startsWith(`${name}=`)) return null;
          continue;
        }
        const value = cookieFromHeader(entry, name);
        if (value !== undefined) return value;
      }
      return undefined;
    }
    // Several Cookie header lines are one list (RFC 6265 §5.4 sends one; HTTP/2 may split it).
    const header = this.#header("cookie", "; ");
    return typeof header === "string" ? cookieFromHeader(header, name) : header;
  }

  query(name: string): string | null | undefined {
    const multi = collect(this.#multiQuery, name, false, ",");
    return multi !== undefined ? multi : collect(this.#query, name, false, ",");
  }

  #header(lowerName: string, separator: string): string | null | undefined {
    const multi = collect(this.#multiHeaders, lowerName, true, separator);
    return multi !== undefined ? multi : collect(this.#headers, lowerName, true, separator);
  }
}

/** The lookup over a REST `REQUEST` / HTTP 1.0 / WebSocket event's header and query maps (each possibly null). */
export function requestEventLookup(record: EventRecord): EventLookup {
  return new EventLookup({
    headers: own(record, "headers"),
    multiValueHeaders: own(record, "multiValueHeaders"),
    queryStringParameters: own(record, "queryStringParameters"),
    multiValueQueryStringParameters: own(record, "multiValueQueryStringParameters"),
  });
}
