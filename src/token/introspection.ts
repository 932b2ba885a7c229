import type { IntrospectionConfig, IssuerConfig } from "../config/types.js";
import { AuthError, AuthErrorCodes } from "../errors.js";
import { describeUrl, FetchJsonError, fetchJson } from "../keys/jwks/fetch-json.js";
import { type Logger, silentLogger } from "../log.js";
import { nodeCrypto } from "../util/builtins.js";
import type { JsonObject } from "../util/json.js";
import { validateClaims } from "./resource-audience.js";

/**
 * Token introspection (RFC 7662) at one issuer's endpoint (`issuers[].introspection`):
 *
 * - the request (§2.1): `POST`, `application/x-www-form-urlencoded`, `token` and
 *   `token_type_hint=access_token`, the client authenticated with HTTP Basic as RFC 6749 §2.3.1
 *   says (`client_secret_basic`: client id and secret each form-urlencoded, then joined by `:` and
 *   base64-encoded); the secret comes from an environment variable, read at cold start;
 * - the answer (§2.2): a JSON object whose `active` is a boolean. `false` (or anything but `true`
 *   with `active` present as a boolean) is a 401 `ERR_TOKEN_INACTIVE`; `true` gives the answer's
 *   members as the token's claims, checked by the issuer's claim rules (`exp`, `nbf`, `iat`, `aud`,
 *   required claims, client id) as a JWT's are, and `iss`, when present, must be the issuer;
 * - every failure (timeout, connection, HTTP status other than 200, redirect, oversized or invalid
 *   answer, `active` not a boolean, no secret) is a 401 `ERR_INTROSPECTION_UNAVAILABLE`: fail closed;
 * - answers are cached (§4) by the SHA-256 of the token (the token itself is never kept), for at
 *   most `cacheMaxSeconds` and never past the token's `exp`; concurrent calls for one token share
 *   one request. Failures are not cached.
 */

/** Effects introspection may use, injected so tests control time, the network and the environment. */
export interface IntrospectionDeps {
  readonly now: () => number;
  readonly fetch: typeof fetch | undefined;
  readonly logger?: Logger;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** A cached answer: the claims of an active token, or `null` for an inactive one. */
interface Entry {
  readonly claims: JsonObject | null;
  readonly until: number;
}

/** `application/x-www-form-urlencoded` encoding of one value (RFC 6749 Appendix B). */
const formEncode = (value: string) => new URLSearchParams([["", value]]).toString().slice(1);

/** The `Authorization` header of `client_secret_basic` (RFC 6749 §2.3.1). */
export function basicCredentials(clientId: string, secret: string): string {
  return `Basic ${Buffer.from(`${formEncode(clientId)}:${formEncode(secret)}`, "utf8").toString("base64")}`;
}

/** The introspection of one issuer. */
export class Introspector {
  private readonly config: IntrospectionConfig;
  private readonly issuer: IssuerConfig;
  /** The `iss` values an answer may carry: the issuer, and the other forms of its configured entry. */
  private readonly issuers: ReadonlySet<string>;
  private readonly deps: IntrospectionDeps;
  private readonly logger: Logger;
  private readonly where: string;
  private readonly authorization: string | undefined;
  private readonly cache = new Map<string, Entry>();
  private readonly inflight = new Map<string, Promise<JsonObject | null>>();
  /** Requests sent (tests and operators: one per uncached token, shared by concurrent calls). */
  requests = 0;

  constructor(issuer: IssuerConfig, issuers: ReadonlySet<string>, deps: IntrospectionDeps) {
    this.config = issuer.introspection!;
    this.issuer = issuer;
    this.issuers = issuers;
    this.deps = deps;
    this.logger = deps.logger ?? silentLogger;
    this.where = describeUrl(this.config.endpoint);
    const secret = (deps.env ?? process.env)[this.config.clientSecretEnv];
    if (secret === undefined || secret === "") {
      // Logged at cold start, named, never the value; every introspection then fails closed.
      this.logger.error("introspection_secret_missing", {
        uri: this.where,
        variable: this.config.clientSecretEnv,
        detail: "the environment variable holding the introspection client secret is not set",
      });
    } else this.authorization = basicCredentials(this.config.clientId, secret);
  }

  /**
   * The claims of an active token; rejects with an `AuthError`: `ERR_TOKEN_INACTIVE`,
   * `ERR_INTROSPECTION_UNAVAILABLE`, or a claim check's code.
   */
  async introspect(token: string): Promise<JsonObject> {
    const key = nodeCrypto.createHash("sha256").update(token).digest("base64url");
    const nowMs = this.deps.now();
    const hit = this.cache.get(key);
    let claims: JsonObject | null;
    if (hit !== undefined && nowMs < hit.until) claims = hit.claims;
    else {
      if (hit !== undefined) this.cache.delete(key);
      let pending = this.inflight.get(key);
      if (pending === undefined) {
        pending = this.ask(token, key).finally(() => this.inflight.delete(key));
        this.inflight.set(key, pending);
      }
      claims = await pending;
    }
    if (claims === null)
      throw new AuthError(
        AuthErrorCodes.INACTIVE,
        "The introspection endpoint says the token is not active.",
      );
    // Every call, cached or not: a cached answer must not outlive `exp` by more than the tolerance.
    validateClaims(claims, this.issuer, this.deps.now() / 1000);
    return claims;
  }

  /** One request; resolves the claims (`null`: inactive) and caches them, or rejects with an `AuthError`. */
  private async ask(token: string, key: string): Promise<JsonObject | null> {
    if (this.authorization === undefined)
      throw new AuthError(
        AuthErrorCodes.INTROSPECTION_UNAVAILABLE,
        `Introspection at ${this.where} has no client secret (${this.config.clientSecretEnv} is not set).`,
      );
    this.requests += 1;
    let answer: JsonObject;
    try {
      answer = await fetchJson(this.config.endpoint, {
        timeoutMs: this.config.timeoutMs,
        maxResponseBytes: this.config.maxResponseBytes,
        fetch: this.deps.fetch,
        post: {
          body: `token=${formEncode(token)}&token_type_hint=access_token`,
          headers: {
            authorization: this.authorization,
            "content-type": "application/x-www-form-urlencoded",
          },
        },
      });
    } catch (error) {
      const reason = error instanceof FetchJsonError ? error.reason : "request failed";
      return this.failed(reason, error);
    }
    if (typeof answer.active !== "boolean") return this.failed('the answer has no boolean "active"');
    let claims: JsonObject | null = null;
    if (answer.active) {
      const { active: _, ...rest } = answer;
      claims = rest;
      const iss = claims.iss;
      if (
        iss !== undefined &&
        this.issuer.issuer !== null &&
        (typeof iss !== "string" || !this.issuers.has(iss))
      )
        throw new AuthError(
          AuthErrorCodes.ISSUER_INVALID,
          "The introspection answer names an issuer other than the one asked.",
        );
    }
    this.remember(key, claims);
    return claims;
  }

  /** Caches an answer for at most `cacheMaxSeconds`, never past `exp`. */
  private remember(key: string, claims: JsonObject | null): void {
    const maxMs = this.config.cacheMaxSeconds * 1000;
    if (maxMs <= 0) return;
    const nowMs = this.deps.now();
    let until = nowMs + maxMs;
    const exp = claims?.exp;
    if (typeof exp === "number") until = Math.min(until, exp * 1000);
    if (!(until > nowMs)) return;
    if (this.cache.size >= this.config.cacheMaxEntries) {
      // The oldest entry goes first (a Map iterates in insertion order).
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    this.cache.set(key, { claims, until });
  }

  private failed(reason: string, cause?: unknown): never {
    this.logger.error("introspection_failed", { uri: this.where, reason });
    throw new AuthError(
      AuthErrorCodes.INTROSPECTION_UNAVAILABLE,
      `The introspection endpoint ${this.where} failed (${reason}).`,
      cause === undefined ? undefined : { cause },
    );
  }
}
