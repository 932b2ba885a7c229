import type { TokenSource } from "../config/types.js";
import { AuthErrorCodes } from "../errors.js";
import { MAX_TOKEN_BYTES_LIMIT } from "../token/decode.js";

/**
 * Token extraction: where the JWT sits in a request (configured `tokenSources`), and how a value
 * becomes a token (RFC 6750 `Bearer`, or a bare compact JWT). No crypto and no decoding here: a
 * value that merely looks right goes to the verifier, which decides.
 *
 * Runs on every invocation, so it allocates little: regular expressions are compiled once, the
 * problem sentences are built only on the failure path.
 */

/**
 * Largest header, cookie or query value inspected, in UTF-16 code units [16384]. API Gateway caps
 * all header values of a request at 10240 bytes, so a larger value did not come from a real request;
 * refusing it early avoids scanning attacker-sized input. (The verifier has its own, smaller,
 * `maxTokenBytes`.)
 */
export const MAX_SOURCE_CHARS = MAX_TOKEN_BYTES_LIMIT;

/**
 * Read access to one request's values, implemented per event shape. Each method returns the
 * value, `undefined` when absent, or `null` when present but longer than {@link MAX_SOURCE_CHARS}
 * (not inspected).
 */
export interface TokenLookup {
  /** Header `name`, compared case-insensitively; repeated headers joined with `,` (as HTTP APIs do). */
  header(name: string): string | null | undefined;
  /** Cookie `name` (case-sensitive), from the `Cookie` header or the HTTP 2.0 `cookies` array; the first one wins. */
  cookie(name: string): string | null | undefined;
  /** Query parameter `name` (case-sensitive); repeated parameters joined with `,`. */
  query(name: string): string | null | undefined;
}

/**
 * Why a request has no usable token, as a reason code: an oversized credential is
 * `ERR_JWT_TOO_LARGE`, any other absence of a usable token `ERR_JWT_MISSING`.
 */
export type TokenProblemCode = typeof AuthErrorCodes.MISSING | typeof AuthErrorCodes.TOO_LARGE;

/**
 * The outcome of extraction: a token, or why there is none: a short sentence that never echoes a
 * value (`problem`, for the log's `detail`) and its reason code (`code`).
 */
export type ExtractedToken =
  | { readonly token: string; readonly problem: null; readonly code: null }
  | { readonly token: null; readonly problem: string; readonly code: TokenProblemCode };

// RFC 6750 §2.1: credentials = "Bearer" 1*SP b64token, b64token = 1*(ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/") *"=".
// The scheme is case-insensitive (RFC 9110 §11.1). We accept exactly one space: a second space, a
// tab, or anything after the token means a client or proxy we do not understand, so we refuse
// rather than guess. The character classes are disjoint, so matching is linear.
const BEARER = /^bearer [A-Za-z0-9\-._~+/]+=*$/i;
const BEARER_PREFIX_LENGTH = 7;

// Three base64url segments (RFC 7515 §7.1 compact serialization). The signature may be empty so
// that an unsecured (`alg: none`) token reaches the verifier and is refused there with its own
// reason code, which is more useful in logs than "not a JWT".
const COMPACT_JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** How a source's value may hold the token. */
const Accept = {
  /** `Authorization` header: RFC 6750 says the credential has a scheme; only `Bearer`. */
  Bearer: 0,
  /** A custom header or a TOKEN event's `authorizationToken`: `Bearer …` or the bare JWT. */
  BearerOrJwt: 1,
  /** A cookie or query parameter: the bare JWT. */
  Jwt: 2,
} as const;
type Accept = (typeof Accept)[keyof typeof Accept];

// Problem codes: small integers so the hot path returns `string | number` without allocating.
const EMPTY = 1;
const TOO_LARGE = 2;
const NOT_BEARER = 3;
const BAD_BEARER = 4;
const NOT_JWT = 5;
type Problem = typeof EMPTY | typeof TOO_LARGE | typeof NOT_BEARER | typeof BAD_BEARER | typeof NOT_JWT;

/** The token in `value`, or the problem code. */
function readCredential(value: string, accept: Accept): string | Problem {
  if (value.length === 0) return EMPTY;
  if (value.length > MAX_SOURCE_CHARS) return TOO_LARGE;
  if (accept !== Accept.Jwt) {
    if (BEARER.test(value)) return value.slice(BEARER_PREFIX_LENGTH);
    if (hasBearerScheme(value)) return BAD_BEARER;
  }
  if (accept !== Accept.Bearer && COMPACT_JWT.test(value)) return value;
  return accept === Accept.Jwt ? NOT_JWT : NOT_BEARER;
}

/** `Bearer` as the scheme (any case) but not a well-formed credential: no token, two spaces, a tab… */
function hasBearerScheme(value: string): boolean {
  if (value.length < 6 || value.slice(0, 6).toLowerCase() !== "bearer") return false;
  if (value.length === 6) return true;
  const next = value.charCodeAt(6);
  return next === 32 /* SP */ || next === 9 /* HTAB */;
}

function acceptOf(source: TokenSource): Accept {
  if (source.kind !== "header") return Accept.Jwt;
  return source.name.toLowerCase() === "authorization" ? Accept.Bearer : Accept.BearerOrJwt;
}

/** `x-api-token` → `X-Api-Token`: header names as people write them, for messages only. */
function displayHeader(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase());
}

function labelOf(source: TokenSource): string {
  switch (source.kind) {
    case "header":
      return `${displayHeader(source.name.toLowerCase())} header`;
    case "cookie":
      return `cookie "${source.name}"`;
    case "query":
      return `query parameter "${source.name}"`;
    default:
      return "token source";
  }
}

function describe(problem: Problem, label: string, schemeOwner: string): string {
  switch (problem) {
    case EMPTY:
      return `${label} is empty`;
    case TOO_LARGE:
      return `${label} too large`;
    case BAD_BEARER:
      return `${label} has a malformed Bearer credential`;
    case NOT_JWT:
      return `${label} is not a JWT`;
    default:
      return schemeOwner
        ? `${schemeOwner} scheme is not Bearer`
        : `${label} is neither a Bearer credential nor a JWT`;
  }
}

function codeOf(problem: Problem): TokenProblemCode {
  return problem === TOO_LARGE ? AuthErrorCodes.TOO_LARGE : AuthErrorCodes.MISSING;
}

function found(token: string): ExtractedToken {
  return { token, problem: null, code: null };
}

function missing(problem: string): ExtractedToken {
  return { token: null, problem, code: AuthErrorCodes.MISSING };
}

function failureFor(problem: Problem, source: TokenSource): ExtractedToken {
  const bearerOnly = source.kind === "header" && acceptOf(source) === Accept.Bearer;
  const sentence = describe(
    problem,
    labelOf(source),
    bearerOnly ? displayHeader(source.name.toLowerCase()) : "",
  );
  return { token: null, problem: sentence, code: codeOf(problem) };
}

function isSource(source: unknown): source is TokenSource {
  return (
    typeof source === "object" &&
    source !== null &&
    typeof (source as { name?: unknown }).name === "string" &&
    typeof (source as { kind?: unknown }).kind === "string"
  );
}

function read(source: TokenSource, lookup: TokenLookup): string | null | undefined {
  switch (source.kind) {
    case "header":
      return lookup.header(source.name);
    case "cookie":
      return lookup.cookie(source.name);
    case "query":
      return lookup.query(source.name);
    default:
      return undefined;
  }
}

/**
 * Finds the token in a request: the first source that is present decides (a malformed value there
 * is a problem, not a reason to try the next source, so two sources can never disagree silently).
 * An empty value counts as absent, as API Gateway itself treats empty identity sources.
 *
 * - `header:authorization`: RFC 6750 `Bearer <token>` only.
 * - other `header:NAME`: `Bearer <token>` or the bare JWT.
 * - `cookie:NAME`, `query:NAME`: the bare JWT.
 *
 * @example
 * extractToken([{ kind: "header", name: "authorization" }, { kind: "cookie", name: "session" }], lookup)
 * // { token: "eyJ...", problem: null } or { token: null, problem: "no Authorization header, no cookie \"session\"" }
 */
export function extractToken(sources: readonly TokenSource[], lookup: TokenLookup): ExtractedToken {
  if (!Array.isArray(sources) || sources.length === 0) return missing("no token source configured");
  let firstEmpty: TokenSource | undefined;
  for (const source of sources) {
    if (!isSource(source)) continue;
    const value = read(source, lookup);
    if (value === undefined) continue;
    if (value === "") {
      firstEmpty ??= source;
      continue;
    }
    const result = typeof value === "string" ? readCredential(value, acceptOf(source)) : TOO_LARGE;
    if (typeof result === "string") return found(result);
    return failureFor(result, source);
  }
  if (firstEmpty) return failureFor(EMPTY, firstEmpty);
  let absent = "";
  for (const source of sources) {
    if (isSource(source)) absent += `${absent ? ", " : ""}no ${labelOf(source)}`;
  }
  return missing(absent || "no token source configured");
}

/**
 * The token of a REST `TOKEN` event: `authorizationToken` is the raw value of the configured
 * header (API Gateway does not strip a `Bearer ` prefix), so accept `Bearer <token>` or the bare JWT.
 *
 * @example
 * tokenFromAuthorizationToken("Bearer eyJ...") // { token: "eyJ...", problem: null }
 */
export function tokenFromAuthorizationToken(value: unknown): ExtractedToken {
  if (typeof value !== "string") return missing("no authorizationToken");
  const result = readCredential(value, Accept.BearerOrJwt);
  if (typeof result === "string") return found(result);
  return { token: null, problem: describe(result, "authorizationToken", ""), code: codeOf(result) };
}
