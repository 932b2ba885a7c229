import { type DecodedView, decodeForDisplay } from "../../inspect/inspect-token.js";
import type { DevRequest } from "../request.js";

/**
 * What the console shows of credentials: a token decoded (header and claims) with its signature
 * elided, never a whole bearer token. Every string the console sends (events, answers, backend
 * events) goes through a {@link Redactor}: each JWT-shaped run of characters, and each value of a
 * header or query parameter that carries credentials, is replaced by a placeholder.
 */

/** A compact JWS or JWE: a base64url JSON header (`{"` → `eyJ`), then dot-separated base64url parts. */
const JWT_LIKE = /eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)?/g;

/** Headers whose values are credentials, whatever their shape. */
const CREDENTIAL_HEADERS = new Set([
  "authorization",
  "proxy-authorization",
  "cookie",
  "x-api-key",
  "x-amz-security-token",
]);

/** Query parameters whose values are credentials, by name. */
const CREDENTIAL_QUERY = /token|auth|key|secret|password|signature|code|jwt|session/i;

/** What replaces a JWT: the decoded parts are shown apart. */
export const TOKEN_PLACEHOLDER = "<JWT: decoded under Token, signature elided>";
/** What replaces any other credential. */
export const SECRET_PLACEHOLDER = "<credential elided>";

/** Shorter values are not worth hunting for in text (they would match unrelated words). */
const MIN_SECRET_LENGTH = 6;

/** The identity sources' header names (lower-case) and query parameter names. */
export interface IdentityNames {
  readonly headers: ReadonlySet<string>;
  readonly query: ReadonlySet<string>;
}

export interface Credentials {
  /** Credential values as sent (whole header values, their `Bearer` parts, cookie values), longest first. */
  readonly secrets: readonly string[];
  /** The JWTs sent, in order of appearance, without duplicates. */
  readonly tokens: readonly string[];
}

/** Adds `value` and, for `Scheme credentials`, the credentials part. */
function addSecret(out: Set<string>, value: string): void {
  const trimmed = value.trim();
  if (trimmed.length >= MIN_SECRET_LENGTH) out.add(trimmed);
  const scheme = /^[A-Za-z][A-Za-z0-9._~+-]*\s+(\S.*)$/.exec(trimmed);
  if (scheme && scheme[1]!.length >= MIN_SECRET_LENGTH) out.add(scheme[1]!.trim());
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, " "));
  } catch {
    return text;
  }
}

/**
 * The credentials a request carries: values of credential headers and of the configured identity
 * source headers, cookie values, credential-named query values, and every JWT anywhere in a
 * header or the query.
 */
export function credentialsOf(request: DevRequest, identity: IdentityNames): Credentials {
  const secrets = new Set<string>();
  const tokens: string[] = [];
  const scanTokens = (text: string) => {
    for (const match of text.matchAll(JWT_LIKE)) if (!tokens.includes(match[0])) tokens.push(match[0]);
  };
  const raw = request.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const value = raw[i + 1]!;
    scanTokens(value);
    if (name === "cookie") {
      for (const part of value.split(";")) {
        const eq = part.indexOf("=");
        addSecret(secrets, eq === -1 ? part : part.slice(eq + 1));
      }
    }
    if (CREDENTIAL_HEADERS.has(name) || identity.headers.has(name)) addSecret(secrets, value);
  }
  for (const pair of request.rawQuery.split("&")) {
    if (pair.length === 0) continue;
    const eq = pair.indexOf("=");
    const name = safeDecode(eq === -1 ? pair : pair.slice(0, eq));
    const value = eq === -1 ? "" : pair.slice(eq + 1);
    scanTokens(value);
    scanTokens(safeDecode(value));
    if (CREDENTIAL_QUERY.test(name) || identity.query.has(name)) {
      addSecret(secrets, value);
      addSecret(secrets, safeDecode(value));
    }
  }
  for (const token of tokens) secrets.add(token);
  return { secrets: [...secrets].sort((a, b) => b.length - a.length), tokens };
}

/** Replaces credentials in every string of a JSON-like value (a copy; the input is not changed). */
export type Redactor = (value: unknown) => unknown;

/** Replaces JWTs and `secrets` in one string. */
export function redactText(text: string, secrets: readonly string[]): string {
  let out = text.replace(JWT_LIKE, TOKEN_PLACEHOLDER);
  for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join(SECRET_PLACEHOLDER);
  return out;
}

/** A {@link Redactor} for `secrets` (and every JWT). Depth-bounded: deeper values are cut. */
export function createRedactor(secrets: readonly string[]): Redactor {
  const walk = (value: unknown, depth: number): unknown => {
    if (typeof value === "string") return redactText(value, secrets);
    if (value === null || typeof value !== "object") return value;
    if (depth > 24) return "<nested too deep>";
    if (Array.isArray(value)) return value.map((v) => walk(v, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
      if (key === "__proto__") continue;
      out[redactText(key, secrets)] = walk(v, depth + 1);
    }
    return out;
  };
  return (value) => walk(value, 0);
}

/** A token as the console shows it: decoded header and claims, the signature elided. */
export interface TokenView extends DecodedView {
  readonly signature: "elided";
}

/** Decodes `token` for display; never returns the signature nor the token itself. */
export function tokenView(token: string): TokenView {
  return { ...decodeForDisplay(token), signature: "elided" };
}
