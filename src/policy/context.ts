import { type ClaimPath, claimPath, readClaimPath } from "../util/json-pointer.js";
import { MAX_CONTEXT_DEPTH, nestsDeeperThan } from "./limits.js";

/**
 * The authorizer `context`: chosen claims handed to the backend (contract §2.2–2.3).
 *
 * Which form each API gets ({@link contextStyleFor}):
 * - REST (TOKEN, REQUEST), WebSocket and HTTP payload 1.0: **flat**, values only strings, numbers or
 *   booleans; API Gateway refuses objects and arrays (500) and stringifies everything downstream.
 *   Arrays and objects go as JSON text, and the key {@link CONTEXT_JSON_KEYS} lists every key whose
 *   value is JSON text rather than a plain string (numbers, booleans, arrays, objects), so that
 *   `readAuthorizerContext` restores each value's type exactly while direct readers
 *   (`$context.authorizer.email`) still see plain strings as they are.
 * - HTTP payload 2.0, simple and IAM responses: **natural JSON**: arrays and objects kept, types kept
 *   (delivered under `requestContext.authorizer.lambda`).
 */

/** The API / payload kinds of contract §2.2. */
export type AuthorizerApiKind = "rest" | "websocket" | "http-v1" | "http-v2-simple" | "http-v2-iam";

/**
 * `true` (flat) for REST, WebSocket and HTTP payload 1.0; `false` (natural JSON) for HTTP payload 2.0.
 *
 * @example
 * encodeContext(claims, names, { flat: contextStyleFor("rest") })
 */
export function contextStyleFor(kind: AuthorizerApiKind): boolean {
  return kind !== "http-v2-simple" && kind !== "http-v2-iam";
}

/** Options of {@link encodeContext}. */
export interface EncodeContextOptions {
  /** Flat values only (see {@link contextStyleFor}) [true]. */
  readonly flat?: boolean;
  /** Largest size of the context as JSON, in UTF-8 bytes [4096]. */
  readonly maxBytes?: number;
  /**
   * Values added after the claims (the `context` hook of `createAuthorizer`): strings, finite
   * numbers and booleans only, under the same size cap. A key is left out (listed in `dropped`) when
   * it is unusable as a claim key is, names one of `claimNames` (present in the token or not), or
   * starts with `/` (the keys of claim pointers): they never replace what gatepass itself passes.
   */
  readonly extra?: Readonly<Record<string, unknown>>;
}

/** A flat context: what REST, WebSocket and HTTP payload 1.0 accept. */
export type FlatContext = Record<string, string | number | boolean>;

/** The encoded context, and the names of present claims left out of it. */
export interface EncodedContext<C extends Record<string, unknown> = Record<string, unknown>> {
  /** Flat form: only string, number and boolean values. Natural form: JSON values. */
  readonly context: C;
  /**
   * Claims that hold a value but were left out: beyond `maxBytes`, or under a key that cannot be
   * used (reserved, empty, control characters, `__proto__`). Absent, `null` and non-finite values are
   * not values and are not listed.
   */
  readonly dropped: string[];
}

/**
 * The context key gatepass reserves, in flat contexts, for the list of keys whose value is JSON text:
 * its value is a JSON array of key names (`["groups","age"]`). Numbers and booleans are listed (API
 * Gateway hands them to the backend as `"7"` and `"true"`), and so are arrays and objects (sent as
 * their JSON text); a key not listed holds a plain string, even one like `'["admin"]'` or `"true"`.
 * Present only when some key is listed, and counted in `maxBytes`. No claim can use this key, in
 * either form.
 */
export const CONTEXT_JSON_KEYS = "gatepass:json";

/** The default size cap of a context, in bytes of JSON. */
const DEFAULT_CONTEXT_MAX_BYTES = 4096;

/**
 * Keys API Gateway itself puts next to the context in flat form (`$context.authorizer.principalId`,
 * `integrationLatency`), and the placeholder HTTP payload 1.0 reserves (`claims`). Natural (2.0) contexts
 * live in their own `lambda` object and reserve nothing.
 */
export const RESERVED_FLAT_CONTEXT_KEYS: readonly string[] = ["principalId", "integrationLatency", "claims"];

// Keys are kept verbatim (so backends can read `cognito:groups` under its own name) unless unusable.
const UNUSABLE_KEY = /[\u0000-\u001f\u007f]/;

/** At most this many UTF-8 bytes in `JSON.stringify(s)`: each UTF-16 unit is at most 6 ("\uXXXX"), plus quotes. */
function jsonStringBound(s: string): number {
  return s.length * 6 + 2;
}

function jsonBytes(text: string): number {
  return Buffer.byteLength(text, "utf8");
}

/** The JSON of `value`, or `undefined` when it has none (functions, bigint, cycles). */
function toJson(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}

/**
 * Builds the authorizer context from claims, in the order of `claimNames` (configuration order).
 *
 * - Absent, `null` and `undefined` claims are omitted; so are non-finite numbers and values JSON cannot
 *   represent.
 * - `flat`: strings, finite numbers and booleans are kept; arrays and objects become their JSON text
 *   (`groups: ["a","b"]` → `"[\"a\",\"b\"]"`); every key that is not a plain string is listed under
 *   {@link CONTEXT_JSON_KEYS}. Otherwise values keep their JSON shape.
 * - Keys are the claim names, verbatim; a JSON Pointer name (`/realm_access/roles`, RFC 6901) reads
 *   the nested claim and keeps the pointer text as its key (it never collides with a top-level name,
 *   which cannot start with `/`). A key is skipped (and listed in `dropped`) when it is empty,
 *   holds control characters, is `__proto__` or {@link CONTEXT_JSON_KEYS}, or — in flat form — is one
 *   of {@link RESERVED_FLAT_CONTEXT_KEYS} (`principalId` is delivered by API Gateway anyway).
 * - Depth (natural form): a claim nesting more than `MAX_CONTEXT_DEPTH` levels of arrays and objects
 *   is skipped (listed in `dropped`).
 * - Size: the JSON of the whole context (with its {@link CONTEXT_JSON_KEYS} entry) stays within
 *   `maxBytes`; a claim that would overflow it is skipped (listed in `dropped`) and later, smaller
 *   claims may still fit.
 * - Prototype-safe: claims are read as own properties only, and the output is a plain object into which
 *   `__proto__` is never assigned.
 *
 * @example
 * encodeContext({ sub: "u1", groups: ["a", "b"], email: null }, ["sub", "groups", "email"], { flat: true })
 * // { context: { sub: "u1", groups: '["a","b"]', "gatepass:json": '["groups"]' }, dropped: [] }
 */
export function encodeContext(
  claims: Record<string, unknown>,
  claimNames: readonly (string | ClaimPath)[],
  options?: EncodeContextOptions & { readonly flat?: true },
): EncodedContext<FlatContext>;
export function encodeContext(
  claims: Record<string, unknown>,
  claimNames: readonly (string | ClaimPath)[],
  options: EncodeContextOptions,
): EncodedContext;
export function encodeContext(
  claims: Record<string, unknown>,
  claimNames: readonly (string | ClaimPath)[],
  options: EncodeContextOptions = {},
): EncodedContext {
  const flat = options.flat ?? true;
  const maxBytes = options.maxBytes ?? DEFAULT_CONTEXT_MAX_BYTES;
  const context: Record<string, unknown> = {};
  const dropped: string[] = [];
  // Flat form: the keys whose value is JSON text, written last under CONTEXT_JSON_KEYS.
  const jsonKeys: string[] = [];
  const isObject = typeof claims === "object" && claims !== null;
  // Sizes: a cheap upper bound while far from the cap; the exact UTF-8 size of the JSON once near it
  // (`exact` stays -1 until then). The outcome is the same as measuring every claim exactly.
  let bound = 2; // "{}"
  let exact = -1;
  let count = 0;

  /** Adds one value under `name` when it is a value, its key usable and there is room. */
  function add(name: string, raw: unknown, scalarOnly: boolean): void {
    if (raw === null || raw === undefined || (typeof raw === "number" && !Number.isFinite(raw))) return;
    if (Object.hasOwn(context, name) || dropped.includes(name)) return; // a name listed twice
    if (
      name.length === 0 ||
      name === "__proto__" ||
      name === CONTEXT_JSON_KEYS ||
      UNUSABLE_KEY.test(name) ||
      (flat && RESERVED_FLAT_CONTEXT_KEYS.includes(name)) ||
      (scalarOnly && typeof raw === "object")
    ) {
      dropped.push(name);
      return;
    }
    let value: unknown;
    let valueBound: number;
    let listed = false;
    if (typeof raw === "string") {
      value = raw;
      valueBound = jsonStringBound(raw);
    } else if (typeof raw === "number" || typeof raw === "boolean") {
      value = raw;
      valueBound = 24; // the longest JSON number or boolean
      listed = flat;
    } else if (typeof raw === "object") {
      // Deeper than API Gateway accepts in a 2.0 context (and than the local gateway checks).
      if (!flat && nestsDeeperThan(raw, MAX_CONTEXT_DEPTH)) {
        dropped.push(name);
        return;
      }
      const text = toJson(raw);
      if (text === undefined) return;
      value = flat ? text : raw;
      valueBound = flat ? jsonStringBound(text) : text.length * 3;
      listed = flat;
    } else {
      if (scalarOnly) dropped.push(name);
      return; // bigint, function, symbol: not JSON
    }
    const separator = count > 0 ? 1 : 0;
    const addedBound =
      separator +
      jsonStringBound(name) +
      1 +
      valueBound +
      (listed ? jsonKeysGrowthBound(name, jsonKeys.length === 0) : 0);
    if (exact < 0 && bound + addedBound <= maxBytes) {
      context[name] = value;
      if (listed) jsonKeys.push(name);
      bound += addedBound;
      count++;
      return;
    }
    if (exact < 0) exact = jsonBytes(JSON.stringify(context)) + jsonKeysBytes(jsonKeys);
    let added = separator + jsonBytes(JSON.stringify(name)) + 1 + jsonBytes(JSON.stringify(value));
    if (listed) added += jsonKeysBytes([...jsonKeys, name]) - jsonKeysBytes(jsonKeys);
    if (exact + added > maxBytes) {
      dropped.push(name);
      return;
    }
    context[name] = value;
    if (listed) jsonKeys.push(name);
    exact += added;
    count++;
  }

  if (isObject) {
    for (const entry of claimNames) {
      if (typeof entry === "string") {
        if (entry.charCodeAt(0) === 47 /* / */) add(entry, readClaimPath(claims, claimPath(entry)), false);
        else if (Object.hasOwn(claims, entry)) add(entry, claims[entry], false);
      } else if (typeof entry === "object" && entry !== null && typeof entry.name === "string") {
        add(entry.name, readClaimPath(claims, entry), false);
      }
    }
  }
  const extra = options.extra;
  if (typeof extra === "object" && extra !== null) {
    for (const name of Object.keys(extra)) {
      if (
        name.charCodeAt(0) === 47 /* / */ ||
        claimNames.some((entry) => (typeof entry === "string" ? entry : entry?.name) === name)
      ) {
        if (!dropped.includes(name)) dropped.push(name);
        continue;
      }
      add(name, extra[name], true);
    }
  }
  if (jsonKeys.length > 0) context[CONTEXT_JSON_KEYS] = JSON.stringify(jsonKeys);
  return { context, dropped };
}

/**
 * The bytes the {@link CONTEXT_JSON_KEYS} entry adds to a context's JSON (`,"gatepass:json":"[…]"`,
 * the list written as JSON text inside a JSON string); 0 for an empty list (no entry).
 */
function jsonKeysBytes(keys: readonly string[]): number {
  return keys.length === 0
    ? 0
    : 1 + JSON_KEYS_KEY_BYTES + 1 + jsonBytes(JSON.stringify(JSON.stringify(keys)));
}

const JSON_KEYS_KEY_BYTES = jsonBytes(JSON.stringify(CONTEXT_JSON_KEYS));

/**
 * At most the bytes listing `name` adds to the {@link CONTEXT_JSON_KEYS} entry (the whole entry when
 * it is the `first`). Written twice as JSON, each UTF-16 unit of a name takes at most 7 bytes (a lone
 * surrogate: `\udXXX`, its backslash escaped again); its quotes take 4 (`\"`), the comma 1.
 */
function jsonKeysGrowthBound(name: string, first: boolean): number {
  const item = 7 * name.length + 4;
  return first ? 1 + JSON_KEYS_KEY_BYTES + 1 + 4 + item : 1 + item;
}
