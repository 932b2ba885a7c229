import type { Algorithm } from "../keys/algorithms.js";
import { DiscoveryKeySource, discoveryUrl, isAllowedKeyUrl } from "../keys/discovery.js";
import type { KeySource } from "../keys/types.js";
import { type Logger, silentLogger } from "../log.js";
import { decodeToken } from "../token/decode.js";
import { verifySignature } from "../token/signature.js";
import type { JwtAuthorizerDefinition, NativeJwtAuthorizer, NativeJwtVerdict } from "./definition/model.js";

/**
 * AWS's own JWT authorizers, emulated: HTTP API `JWT` authorizers, REST API JWT authorizers and
 * REST `COGNITO_USER_POOLS` authorizers. Each rule below follows AWS's documentation (README,
 * "Native JWT authorizers", lists the pages); where AWS documents nothing, the choice is the strict
 * one and is said so here. Keys come through OIDC discovery (`{issuer}/.well-known/openid-configuration`
 * → `jwks_uri`) with gatepass's bounded key machinery (timeouts, size caps, single flight, cooldown).
 */

type Flavour = JwtAuthorizerDefinition["flavour"];

/**
 * Algorithms each flavour accepts. HTTP API: "only RSA-based algorithms are supported" (RS256,
 * RS384, RS512; RSA-PSS is not named by AWS and is refused). REST JWT authorizers: RS256–512 and
 * ES256–512 (`JwtConfigurationInput.defaultAlgorithms`). Cognito user pools sign with RS256.
 */
export const NATIVE_ALGORITHMS: Readonly<Record<Flavour, readonly Algorithm[]>> = {
  "http-api-jwt": ["RS256", "RS384", "RS512"],
  "rest-jwt": ["RS256", "RS384", "RS512", "ES256", "ES384", "ES512"],
  "cognito-user-pools": ["RS256"],
};

/** How long keys are kept: HTTP API "up to two hours"; REST JWT "up to 1 hour"; Cognito as REST. */
const KEY_MAX_AGE_SECONDS: Readonly<Record<Flavour, number>> = {
  "http-api-jwt": 7200,
  "rest-jwt": 3600,
  "cognito-user-pools": 3600,
};

/** A generous cap on the identity source's value: larger tokens are refused before decoding. */
const MAX_TOKEN_BYTES = 16 * 1024;

export interface NativeJwtOptions {
  /** Clock in ms. */
  now: () => number;
  /** Key fetch failures are logged here (never a token) [silent]. */
  logger?: Logger;
  /** A key source instead of discovery (tests, pre-seeded keys). */
  keys?: KeySource;
  /** A time limit for each discovery or key-set fetch, ms [3000]. */
  fetchTimeoutMs?: number;
  /** The HTTP client of discovery and key-set fetches (`gatepass dev --tls`: one reaching this server) [node:https]. */
  fetch?: typeof fetch;
}

/** The scopes a token carries: `scope` (space-separated) and `scp` (string or array of strings). */
export function tokenScopes(payload: Readonly<Record<string, unknown>>): string[] | null {
  const found: string[] = [];
  const add = (value: unknown) => {
    if (typeof value === "string") found.push(...value.split(" ").filter((s) => s.length > 0));
    else if (Array.isArray(value))
      for (const v of value) if (typeof v === "string" && v !== "") found.push(v);
  };
  add(payload.scope);
  add(payload.scp);
  return found.length > 0 ? [...new Set(found)] : null;
}

/** A value as Go's `%v` prints it: how HTTP API JWT authorizers hand claims to integrations. */
function goString(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number") return Number.isInteger(value) ? value.toFixed(0) : String(value);
  if (typeof value === "boolean") return String(value);
  if (value === null || value === undefined) return "<nil>";
  if (Array.isArray(value)) return `[${value.map(goString).join(" ")}]`;
  const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1));
  return `map[${entries.map(([k, v]) => `${k}:${goString(v)}`).join(" ")}]`;
}

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const two = (n: number) => String(n).padStart(2, "0");

/** `Tue Mar 19 03:03:45 UTC 2019`: how REST Cognito authorizers write `exp` and `iat`. */
export function cognitoDate(seconds: number): string {
  const d = new Date(seconds * 1000);
  return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${two(d.getUTCDate())} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} UTC ${d.getUTCFullYear()}`;
}

/** A claim as REST Cognito authorizers write it: strings; arrays comma-joined; `exp`/`iat` as dates. */
function cognitoString(name: string, value: unknown): string {
  if ((name === "exp" || name === "iat") && typeof value === "number" && Number.isFinite(value))
    return cognitoDate(value);
  if (Array.isArray(value)) return value.map((v) => cognitoString("", v)).join(",");
  if (typeof value === "object" && value !== null) return JSON.stringify(value);
  return goString(value);
}

const mapValues = (
  claims: Readonly<Record<string, unknown>>,
  f: (name: string, value: unknown) => unknown,
): Record<string, unknown> => {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(claims)) out[k] = f(k, v);
  return out;
};

/** Why a token is refused; `description` is the `error_description` HTTP APIs send. */
class Refusal {
  constructor(
    readonly status: 401 | 403,
    readonly reason: string,
    readonly description: string,
  ) {}
}

const refuse = (reason: string, description = reason) => new Refusal(401, reason, description);

/**
 * A native JWT authorizer for `def`. `authorize` never rejects: every failure is a 401 (or 403 for
 * a missing scope on HTTP API and REST JWT authorizers), as API Gateway answers.
 */
export function createNativeJwtAuthorizer(
  def: JwtAuthorizerDefinition,
  options: NativeJwtOptions,
): NativeJwtAuthorizer {
  const logger = options.logger ?? silentLogger;
  const allowed = NATIVE_ALGORITHMS[def.flavour];
  let keys = options.keys;
  const keySource = (): KeySource => {
    keys ??= new DiscoveryKeySource(def.issuer, {
      allowedAlgorithms: allowed,
      now: options.now,
      logger,
      cache: {
        maxAgeSeconds: KEY_MAX_AGE_SECONDS[def.flavour],
        cooldownSeconds: 1,
        timeoutMs: options.fetchTimeoutMs ?? 3000,
        staleIfErrorSeconds: 0,
      },
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
    return keys;
  };

  const wwwAuthenticate = (required: readonly string[], refusal: Refusal | "missing"): string | undefined => {
    if (def.flavour !== "http-api-jwt") return undefined;
    const scope = `Bearer scope="${required.join(" ")}"`;
    if (refusal === "missing") return scope;
    const error = refusal.status === 403 ? "insufficient_scope" : "invalid_token";
    return `${scope} error="${error}" error_description="${refusal.description}"`;
  };

  async function judge(
    identity: string,
    required: readonly string[],
  ): Promise<{ claims: Record<string, unknown>; scopes: string[] | null }> {
    // "The identitySource can include only the token, or the token prefixed with Bearer."
    const token = identity.replace(/^bearer +/i, "").trim();
    let decoded: ReturnType<typeof decodeToken>;
    try {
      decoded = decodeToken(token, MAX_TOKEN_BYTES);
    } catch {
      throw refuse("the token is not a well-formed JWT", "the token is malformed");
    }
    const { header, payload } = decoded;
    const alg = header.alg;
    if (typeof alg !== "string" || !(allowed as readonly string[]).includes(alg))
      throw refuse(
        `the token's algorithm ${typeof alg === "string" ? JSON.stringify(alg.slice(0, 16)) : "(none)"} is not one this authorizer accepts (${allowed.join(", ")})`,
        "the token's signing algorithm is not supported",
      );
    const kid = header.kid;
    if (typeof kid !== "string" || kid === "")
      throw refuse("the token has no kid header naming the issuer's key", "the token has no kid");
    // AWS requires an https issuer; http is accepted on loopback only, for local identity providers.
    if (options.keys === undefined && !isAllowedKeyUrl(discoveryUrl(def.issuer)))
      throw refuse(
        "the issuer is not an https URL (AWS requires one; gatepass dev allows http on loopback only)",
        "the signing keys are unavailable",
      );
    let key: Awaited<ReturnType<KeySource["getKey"]>>;
    try {
      key = await keySource().getKey({ kid, alg: alg as Algorithm });
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      throw refuse(
        code === "ERR_JWKS_UNAVAILABLE"
          ? "the issuer's keys could not be fetched (discovery or jwks_uri unreachable, slow or invalid)"
          : "no key of the issuer's key set has the token's kid",
        code === "ERR_JWKS_UNAVAILABLE"
          ? "the signing keys are unavailable"
          : "the signing key was not found",
      );
    }
    if (
      !key.algorithms.has(alg as Algorithm) ||
      !verifySignature(alg as Algorithm, key.key, decoded.signingInput, decoded.signature)
    )
      throw refuse("the signature does not verify with the issuer's key", "the token signature is invalid");

    const nowSeconds = options.now() / 1000;
    const exp = payload.exp;
    if (typeof exp !== "number" || !Number.isFinite(exp))
      throw refuse("the token has no numeric exp claim", "the token has no valid expiry");
    if (exp <= nowSeconds)
      throw refuse("the token has expired (exp is in the past)", "the token has expired");
    const nbf = payload.nbf;
    if (nbf !== undefined && (typeof nbf !== "number" || nbf > nowSeconds))
      throw refuse("the token is not valid yet (nbf is in the future)", "the token is not valid yet");
    const iat = payload.iat;
    if (iat !== undefined && (typeof iat !== "number" || iat > nowSeconds))
      throw refuse("the token was issued in the future (iat)", "the token has an invalid issue time");
    if (payload.iss !== def.issuer)
      throw refuse(
        `the token's iss is not the authorizer's issuer ${def.issuer}`,
        "the token does not have a valid issuer",
      );

    const scopes = tokenScopes(payload);
    if (def.flavour === "cognito-user-pools") {
      // Without OAuth scopes on the method the token must be an ID token; with scopes, an access
      // token carrying one of them (else 401, as the Cognito authorizer answers).
      const use = payload.token_use;
      if (required.length === 0) {
        if (use !== "id")
          throw refuse(
            "the method has no OAuth scopes, so the Cognito authorizer requires an ID token (token_use id)",
          );
        if (def.audience.length > 0 && !audienceMatches(payload.aud, def.audience))
          throw refuse("the ID token's aud is not one of the user pool's app clients");
      } else {
        if (use !== "access")
          throw refuse(
            "the method has OAuth scopes, so the Cognito authorizer requires an access token (token_use access)",
          );
        if (
          def.audience.length > 0 &&
          !(typeof payload.client_id === "string" && def.audience.includes(payload.client_id))
        )
          throw refuse("the access token's client_id is not one of the user pool's app clients");
        if (!required.some((s) => scopes?.includes(s)))
          throw refuse(`the access token has none of the method's scopes (${required.join(" ")})`);
      }
      return { claims: payload, scopes };
    }

    // aud when present, else client_id: "API Gateway validates client_id only if aud is not present."
    const audOk =
      payload.aud !== undefined
        ? audienceMatches(payload.aud, def.audience)
        : typeof payload.client_id === "string" && def.audience.includes(payload.client_id);
    if (!audOk)
      throw refuse(
        `neither the token's aud (or client_id without aud) is one of the authorizer's audiences`,
        "the token does not have a valid audience",
      );
    if (required.length > 0 && !required.some((s) => scopes?.includes(s)))
      throw new Refusal(
        403,
        `the token has none of the route's scopes (${required.join(" ")})`,
        "the token does not have the required scope",
      );
    // AWS hands the integration `scopes: null` when the route requires none.
    return { claims: payload, scopes: required.length > 0 ? scopes : null };
  }

  return {
    definition: def,
    async authorize(identity, requiredScopes): Promise<NativeJwtVerdict> {
      const required = [...requiredScopes];
      if (identity === undefined || identity.trim() === "" || /^bearer\s*$/i.test(identity.trim())) {
        const header = wwwAuthenticate(required, "missing");
        return {
          ok: false,
          status: 401,
          reason: "no token in the identity source",
          ...(header !== undefined ? { wwwAuthenticate: header } : {}),
        };
      }
      try {
        const { claims, scopes } = await judge(identity, required);
        return { ok: true, claims, scopes };
      } catch (error) {
        const refusal = error instanceof Refusal ? error : refuse("the authorizer failed on this token");
        const header = wwwAuthenticate(required, refusal);
        return {
          ok: false,
          status: refusal.status,
          reason: refusal.reason,
          ...(header !== undefined ? { wwwAuthenticate: header } : {}),
        };
      }
    },
    integrationContext(verdict, payloadFormatVersion) {
      if (def.flavour === "rest-jwt") {
        // "A Lambda proxy integration receives each claim with its JSON type."
        return { claims: structuredClone(verdict.claims) };
      }
      if (def.flavour === "cognito-user-pools") return { claims: mapValues(verdict.claims, cognitoString) };
      const claims = mapValues(verdict.claims, (_, v) => goString(v));
      const scopes = verdict.scopes === null ? null : [...verdict.scopes];
      return payloadFormatVersion === "2.0" ? { jwt: { claims, scopes } } : { claims, scopes };
    },
  };
}

function audienceMatches(aud: unknown, audience: readonly string[]): boolean {
  if (typeof aud === "string") return audience.includes(aud);
  if (Array.isArray(aud)) return aud.some((a) => typeof a === "string" && audience.includes(a));
  return false;
}
