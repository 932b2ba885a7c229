import { createHash, randomBytes, randomUUID } from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { join } from "node:path";
import { generateSigningKey, type JwkObject } from "../keys/generate.js";
import { certificateThumbprint, MAX_CLIENT_CERT_PEM_CHARS } from "../lambda/cert-binding.js";
import { ASYMMETRIC } from "../lambda/dpop.js";
import { parseDuration, signToken } from "../token/sign.js";
import { createVerifier, type Verifier } from "../token/verifier.js";
import { DpopProofError, tokenEndpointDpop } from "./dpop-token.js";
import {
  DevAuthorizationServer,
  OAuthError,
  sendOAuth,
  sendOAuthError,
} from "./oauth/authorization-server.js";
import {
  ALL_PRESET_PARAMETERS,
  PRESET_PARAMETERS,
  type ProviderToken,
  ProviderTokenError,
  shapeProviderToken,
} from "./provider-tokens.js";
import { peerOf, type TlsPeer } from "./tls.js";

/**
 * The development issuer: an OAuth 2.0 / OIDC-shaped token service on the local gateway's own
 * port, so `gatepass dev` trusts it through real discovery over HTTP — the same code path as a
 * production issuer. Endpoints:
 * - `GET /.well-known/openid-configuration` (issuer `http://127.0.0.1:<port>`, `jwks_uri`, `token_endpoint`, …);
 * - `GET /.well-known/jwks.json`;
 * - `POST /token`: JSON or form fields `sub`/`subject`, `scope`/`scopes`, `claims` (a JSON object),
 *   `ttl` (`15m` or seconds), `aud`; or the `client_credentials` grant (`grant_type`, `client_id`,
 *   `scope`, client credentials in the body or HTTP Basic — any secret is accepted, this is a dev tool).
 *   Answers `{ access_token, token_type: "Bearer", expires_in, scope }`. With `preset` (`cognito`,
 *   `auth0`, `okta`, `entra`, `keycloak`, `google`) and that preset's parameters as fields
 *   (`userPoolId`, `domain`, `tenantId`, … — see ./provider-tokens.ts), the token is shaped like
 *   that provider's, with its real issuer; `groups` and `roles` land in the provider's claims.
 *   With `token_format=opaque` the token is an opaque random string instead of a JWT, known only to
 *   this issuer (in memory: a restart forgets it), for RFC 7662 introspection. With `cert` (a PEM
 *   client certificate) or `cnf_x5t` (its thumbprint), the token is certificate-bound (RFC 8705
 *   `cnf["x5t#S256"]`); with `bind_cert=1`, bound to the client certificate of the request's own
 *   mutual-TLS connection (`gatepass dev --tls --client-ca`).
 *   With a `DPoP` proof header (RFC 9449 §5), it is bound to the proof's key
 *   (`cnf.jkt`, `token_type: "DPoP"`; see ./dpop-token.ts).
 * - `POST /introspect` (RFC 7662): `token` (form or JSON), the client authenticated with HTTP Basic
 *   (any non-empty client id and secret: a dev tool); answers `{ active, …claims }` for its own JWTs
 *   and opaque tokens, `{ active: false }` for anything else, expired or revoked.
 * - `POST /revoke`: `jti`, `sub` (every token of that subject issued until now), or `token` (its
 *   `jti`, or an opaque token itself); `GET /revocations.json`: the revocation list document gatepass
 *   reads (`issuers[].revocation.url`), `{ revoked_jti, subjects }`.
 * - OAuth 2.1 for MCP clients (./oauth/authorization-server.ts): RFC 8414 metadata at
 *   `/.well-known/oauth-authorization-server` (the issuer's path appended), `GET /oauth2/authorize`
 *   (approves at once, PKCE S256), `POST /oauth2/register` (RFC 7591), and the `authorization_code`
 *   and `refresh_token` grants on `POST /token`.
 *
 * It signs with an ES256 key (the default) and an RS256 key (RSA 2048, `alg=RS256`: what an HTTP
 * API's native JWT authorizer accepts), each generated once and kept in `keysDir` (private JWK,
 * mode 0600), so tokens survive a restart; the JWKS publishes both. It only ever listens on
 * loopback; never use its keys for anything else.
 */

/** Paths the issuer serves. */
export const ISSUER_PATHS = {
  discovery: "/.well-known/openid-configuration",
  jwks: "/.well-known/jwks.json",
  token: "/token",
  introspect: "/introspect",
  revoke: "/revoke",
  revocations: "/revocations.json",
  authorizationServer: "/.well-known/oauth-authorization-server",
  authorize: "/oauth2/authorize",
  register: "/oauth2/register",
} as const;

/** Most opaque tokens and revocation entries the issuer remembers (the oldest go first). */
const MAX_REMEMBERED = 10_000;

/** The audience of development tokens unless `aud` says otherwise. */
export const DEV_AUDIENCE = "gatepass-dev";
/** Default token lifetime, s. */
const DEFAULT_TTL_SECONDS = 3600;
/** Longest token lifetime the endpoint issues, s (30 days). */
const MAX_TTL_SECONDS = 30 * 86400;
/** Largest token request body, bytes. */
const MAX_BODY_BYTES = 64 * 1024;
/** The algorithms the issuer signs with; the first is the default. */
export const DEV_ALGORITHMS = ["ES256", "RS256"] as const;
export type DevAlgorithm = (typeof DEV_ALGORITHMS)[number];
/** The private JWK file of each signing key in `keysDir`, and its public key set. */
const KEY_FILES: Record<DevAlgorithm, { private: string; public: string }> = {
  ES256: { private: "private.jwk.json", public: "public.jwks.json" },
  RS256: { private: "private-rs256.jwk.json", public: "public-rs256.jwks.json" },
};
/** Smallest RSA modulus accepted from the key file, bits (the key generated is 2048 bits). */
const MIN_RSA_BITS = 2048;
/** Claims the issuer sets itself; `claims` cannot override them. */
const RESERVED_CLAIMS = new Set(["iss", "iat", "exp", "nbf", "jti"]);

/** What to put in a development token. */
export interface MintRequest {
  /** [`demo-user`] */
  sub?: string;
  /** Space-separated, or an array. */
  scope?: string | string[];
  /** Extra claims (`groups`, `email`, …). */
  claims?: Record<string, unknown>;
  /** Seconds or a duration (`15m`) [1h]. */
  ttl?: number | string;
  /** [`gatepass-dev`] */
  aud?: string | string[];
  /** Set for the client_credentials grant. */
  clientId?: string;
  /** Group names: the `groups` claim, or the preset's group claim (`cognito:groups`, …). */
  groups?: string[];
  /** Role names: the `roles` claim, or the preset's role claim (`roles`, `realm_access.roles`). */
  roles?: string[];
  /** Shape the token like this provider's (./provider-tokens.ts). */
  preset?: string;
  /** The preset's parameters, named as in the configuration (`userPoolId`, `domain`, …). */
  presetParams?: Record<string, unknown>;
  /** `opaque`: an opaque token for introspection instead of a JWT [`jwt`]. */
  tokenFormat?: "jwt" | "opaque";
  /** RFC 8705: bind the token to this certificate thumbprint (`cnf["x5t#S256"]`). */
  x5tS256?: string;
  /**
   * The signing algorithm [`ES256`]: `RS256` for an HTTP API's native JWT authorizer, which
   * accepts RSA keys only.
   */
  alg?: DevAlgorithm;
  /** RFC 9449: bind the token to this key thumbprint (`cnf.jkt`); the answer's `token_type` is `DPoP`. */
  jkt?: string;
}

/** A minted token, as the token endpoint answers it. */
export interface TokenResponse {
  access_token: string;
  token_type: "Bearer" | "DPoP";
  expires_in: number;
  scope?: string;
}

class TokenRequestError extends Error {
  constructor(
    readonly error: "invalid_request" | "unsupported_grant_type",
    message: string,
  ) {
    super(message);
  }
}

/** Whether `jwk` is a usable private key for `alg` (shape only; `crypto` checks the rest when signing). */
function isPrivateJwk(jwk: Record<string, unknown> | undefined, alg: DevAlgorithm): boolean {
  if (typeof jwk?.d !== "string" || typeof jwk.kid !== "string" || jwk.kid === "") return false;
  if (alg === "ES256") return jwk.kty === "EC" && jwk.crv === "P-256";
  return (
    jwk.kty === "RSA" &&
    typeof jwk.n === "string" &&
    typeof jwk.e === "string" &&
    ["p", "q", "dp", "dq", "qi"].every((m) => typeof jwk[m] === "string") &&
    Buffer.from(jwk.n, "base64url").length * 8 >= MIN_RSA_BITS
  );
}

/** Reads the `alg` signing key from `keysDir`, or generates and stores one. */
async function loadOrCreateKey(keysDir: string, alg: DevAlgorithm): Promise<JwkObject> {
  const file = join(keysDir, KEY_FILES[alg].private);
  const read = (): JwkObject | undefined => {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw new Error(
        `cannot read the dev issuer key ${file} (${(error as NodeJS.ErrnoException).code ?? "error"})`,
      );
    }
    let jwk: unknown;
    try {
      jwk = JSON.parse(text);
    } catch {
      jwk = undefined;
    }
    const k = jwk as Record<string, unknown> | undefined;
    if (!isPrivateJwk(k, alg)) {
      throw new Error(`${file} is not an ${alg} private JWK; delete it and a new dev key will be generated`);
    }
    return k as JwkObject;
  };
  const existing = read();
  if (existing) return existing;
  const key = await generateSigningKey(alg);
  mkdirSync(keysDir, { recursive: true, mode: 0o700 });
  try {
    writeFileSync(file, `${JSON.stringify(key.privateJwk, null, 2)}\n`, { mode: 0o600, flag: "wx" });
    chmodSync(file, 0o600);
    writeFileSync(join(keysDir, KEY_FILES[alg].public), `${JSON.stringify(key.publicJwks, null, 2)}\n`, {
      mode: 0o644,
    });
  } catch (error) {
    // Another server created it first: use theirs.
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return read()!;
    throw new Error(
      `cannot write the dev issuer key into ${keysDir} (${(error as NodeJS.ErrnoException).code ?? "error"})`,
    );
  }
  return key.privateJwk;
}

function publicJwk(privateJwk: JwkObject, alg: DevAlgorithm): JwkObject {
  if (alg === "RS256") {
    const { kty, n, e, kid } = privateJwk;
    return { kty: kty!, n: n!, e: e!, kid: kid!, alg, use: "sig" };
  }
  const { kty, crv, x, y, kid } = privateJwk;
  return { kty: kty!, crv: crv!, x: x!, y: y!, kid: kid!, alg, use: "sig" };
}

/** The algorithm of a token request: the default, or one of {@link DEV_ALGORITHMS}; 400 otherwise. */
function devAlgorithm(alg: unknown): DevAlgorithm {
  if (alg === undefined) return DEV_ALGORITHMS[0];
  if ((DEV_ALGORITHMS as readonly unknown[]).includes(alg)) return alg as DevAlgorithm;
  throw new TokenRequestError(
    "invalid_request",
    `alg must be ${DEV_ALGORITHMS.join(" or ")} (the development issuer's keys; ${DEV_ALGORITHMS[0]} by default)`,
  );
}

/** The SHA-256 of a token: opaque tokens are remembered by it, never as such. */
const tokenHash = (token: string) => createHash("sha256").update(token).digest("base64url");

/** Adds to a bounded map, forgetting the oldest entry when full. */
function remember<K, V>(map: Map<K, V>, key: K, value: V): void {
  map.delete(key);
  if (map.size >= MAX_REMEMBERED) {
    const oldest = map.keys().next().value;
    if (oldest !== undefined) map.delete(oldest);
  }
  map.set(key, value);
}

/** The development issuer. Create with {@link DevIssuer.open}; set its URL once the port is known. */
export class DevIssuer {
  private issuerUrl = "";
  /** Opaque tokens by hash: their claims (with `exp`). */
  private readonly opaque = new Map<string, Record<string, unknown>>();
  /** The revocation list: revoked `jti`s, and per subject the not-before time (s). */
  private readonly revokedJtis = new Map<string, true>();
  private readonly subjects = new Map<string, number>();
  /** Verifies this issuer's own JWTs for introspection (any `iss`: preset-shaped tokens too). */
  private ownTokens: Verifier | undefined;
  /** The protected resource the gateway serves (the configuration's `resource`), for RFC 8707. */
  private protectedResource: () => { uri: string; scopesSupported: readonly string[] } | undefined = () =>
    undefined;
  /** The OAuth authorization server side: registration, authorization, code and refresh grants. */
  private readonly oauth: DevAuthorizationServer;
  /** The token endpoint's DPoP proofs (RFC 9449 §5). */
  private dpopProofs: ReturnType<typeof tokenEndpointDpop> | undefined;

  private constructor(
    private readonly keys: Readonly<Record<DevAlgorithm, JwkObject>>,
    private readonly now: () => number,
  ) {
    this.oauth = new DevAuthorizationServer(
      {
        issuerUrl: () => this.issuerUrl,
        mint: (request) => this.mint(request),
        revoke: (what) => this.revoke(what),
        resources: () => {
          const resource = this.protectedResource();
          return resource === undefined ? [] : [resource.uri];
        },
        scopes: () => this.protectedResource()?.scopesSupported ?? [],
        dpopAlgorithms: () => ASYMMETRIC,
      },
      {
        metadata: ISSUER_PATHS.authorizationServer,
        authorize: ISSUER_PATHS.authorize,
        register: ISSUER_PATHS.register,
        token: ISSUER_PATHS.token,
        jwks: ISSUER_PATHS.jwks,
        introspect: ISSUER_PATHS.introspect,
      },
      now,
    );
  }

  /**
   * Names the resource the gateway protects (read on every request: a reloaded configuration
   * counts): tokens of the authorization_code grant are for it, and another `resource` is refused.
   */
  setProtectedResource(
    resource: () => { uri: string; scopesSupported: readonly string[] } | undefined,
  ): void {
    this.protectedResource = resource;
  }

  /**
   * Loads (or generates) the signing key in `keysDir`.
   *
   * @example
   * const issuer = await DevIssuer.open(".gatepass/dev-keys");
   * issuer.setUrl("http://127.0.0.1:4000");
   * const { access_token } = issuer.mint({ sub: "alice", scope: "orders:read" });
   */
  static async open(keysDir: string, now: () => number = Date.now): Promise<DevIssuer> {
    const es256 = await loadOrCreateKey(keysDir, "ES256");
    const rs256 = await loadOrCreateKey(keysDir, "RS256");
    return new DevIssuer({ ES256: es256, RS256: rs256 }, now);
  }

  /** The issuer identifier (`iss`), e.g. `http://127.0.0.1:4000`. */
  get url(): string {
    return this.issuerUrl;
  }

  setUrl(url: string): void {
    this.issuerUrl = url.replace(/\/+$/, "");
  }

  /** The path the issuer's paths hang under: `""`, or `/_gatepass/issuer` when its URL has that path. */
  get pathPrefix(): string {
    return this.issuerUrl === "" ? "" : new URL(this.issuerUrl).pathname.replace(/\/+$/, "");
  }

  /** The `kid` of the default (ES256) key. */
  get kid(): string {
    return this.keys.ES256.kid!;
  }

  /** The `kid` of the `alg` key. */
  kidFor(alg: DevAlgorithm): string {
    return this.keys[alg].kid!;
  }

  /** The public key set served at `/.well-known/jwks.json`: the ES256 key, then the RS256 one. */
  get jwks(): { keys: JwkObject[] } {
    return { keys: DEV_ALGORITHMS.map((alg) => publicJwk(this.keys[alg], alg)) };
  }

  /** The OIDC discovery document. */
  discoveryDocument(): Record<string, unknown> {
    return {
      issuer: this.issuerUrl,
      jwks_uri: `${this.issuerUrl}${ISSUER_PATHS.jwks}`,
      token_endpoint: `${this.issuerUrl}${ISSUER_PATHS.token}`,
      introspection_endpoint: `${this.issuerUrl}${ISSUER_PATHS.introspect}`,
      introspection_endpoint_auth_methods_supported: ["client_secret_basic"],
      grant_types_supported: ["client_credentials"],
      response_types_supported: ["token"],
      subject_types_supported: ["public"],
      token_endpoint_auth_methods_supported: ["none", "client_secret_post", "client_secret_basic"],
      id_token_signing_alg_values_supported: [...DEV_ALGORITHMS],
      token_endpoint_auth_signing_alg_values_supported: ["ES256"],
      dpop_signing_alg_values_supported: [...ASYMMETRIC],
      claims_supported: ["iss", "sub", "aud", "exp", "iat", "jti", "scope", "client_id"],
    };
  }

  /** Signs a development token. Throws a `TokenRequestError`-like `Error` for a bad request. */
  mint(request: MintRequest = {}): TokenResponse {
    const response = this.mintToken(request);
    if (request.jkt !== undefined) response.token_type = "DPoP";
    return response;
  }

  private mintToken(request: MintRequest): TokenResponse {
    if (!this.issuerUrl) throw new Error("the dev issuer has no URL yet");
    const alg = devAlgorithm(request.alg);
    let ttl: number;
    try {
      ttl = parseDuration(request.ttl ?? DEFAULT_TTL_SECONDS);
    } catch (error) {
      throw new TokenRequestError("invalid_request", `ttl: ${(error as Error).message}`);
    }
    if (ttl < 1 || ttl > MAX_TTL_SECONDS)
      throw new TokenRequestError("invalid_request", `ttl must be from 1 s to ${MAX_TTL_SECONDS} s`);
    const scopes = Array.isArray(request.scope)
      ? request.scope
      : (request.scope ?? "").split(/[\s,]+/).filter((s) => s.length > 0);
    const claims: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(request.claims ?? {})) {
      if (RESERVED_CLAIMS.has(name))
        throw new TokenRequestError("invalid_request", `claims: "${name}" is set by the issuer`);
      if (name !== "__proto__") claims[name] = value;
    }
    if (request.jkt !== undefined) {
      if ("cnf" in claims || request.x5tS256 !== undefined)
        throw new TokenRequestError(
          "invalid_request",
          "a DPoP proof binds the token: give no cnf, cert or cnf_x5t",
        );
      claims.cnf = { jkt: request.jkt };
    }
    if (request.preset !== undefined) {
      if (request.tokenFormat === "opaque")
        throw new TokenRequestError("invalid_request", "token_format opaque cannot be combined with preset");
      return this.mintLikeProvider(request, ttl, scopes, claims, alg);
    }
    if (request.groups !== undefined && !("groups" in claims)) claims.groups = request.groups;
    if (request.roles !== undefined && !("roles" in claims)) claims.roles = request.roles;
    if (request.x5tS256 !== undefined) {
      if ("cnf" in claims)
        throw new TokenRequestError("invalid_request", "give cert (or cnf_x5t) or claims.cnf, not both");
      claims.cnf = { "x5t#S256": request.x5tS256 };
    }
    if (request.clientId !== undefined) claims.client_id = request.clientId;
    if (scopes.length > 0) claims.scope = scopes.join(" ");
    claims.jti = randomUUID();
    const subject =
      request.sub ??
      (typeof claims.sub === "string" ? claims.sub : undefined) ??
      request.clientId ??
      "demo-user";
    if (request.tokenFormat === "opaque") return this.mintOpaque(request, ttl, scopes, claims, subject);
    const token = signToken(claims, this.keys[alg], {
      alg,
      issuer: this.issuerUrl,
      subject,
      audience: request.aud ?? (claims.aud as string | string[] | undefined) ?? this.defaultAudience(),
      expiresIn: ttl,
      now: Math.floor(this.now() / 1000),
    });
    const response: TokenResponse = { access_token: token, token_type: "Bearer", expires_in: ttl };
    if (scopes.length > 0) response.scope = scopes.join(" ");
    return response;
  }

  /** The audience of a token that names none: the dev audience, and the protected resource's URI when there is one. */
  private defaultAudience(): string | string[] {
    const resource = this.protectedResource();
    return resource === undefined ? DEV_AUDIENCE : [DEV_AUDIENCE, resource.uri];
  }

  /** An opaque token: 32 random bytes, its claims kept here (by hash) for introspection. */
  private mintOpaque(
    request: MintRequest,
    ttl: number,
    scopes: string[],
    claims: Record<string, unknown>,
    subject: string,
  ): TokenResponse {
    const now = Math.floor(this.now() / 1000);
    const token = randomBytes(32).toString("base64url");
    remember(this.opaque, tokenHash(token), {
      ...claims,
      iss: this.issuerUrl,
      sub: subject,
      aud: request.aud ?? (claims.aud as string | string[] | undefined) ?? this.defaultAudience(),
      iat: now,
      exp: now + ttl,
      token_type: request.jkt === undefined ? "Bearer" : "DPoP",
    });
    const response: TokenResponse = { access_token: token, token_type: "Bearer", expires_in: ttl };
    if (scopes.length > 0) response.scope = scopes.join(" ");
    return response;
  }

  /** The revocation list document (`GET /revocations.json`). */
  revocationList(): { revoked_jti: string[]; subjects: Record<string, number> } {
    return { revoked_jti: [...this.revokedJtis.keys()], subjects: Object.fromEntries(this.subjects) };
  }

  /**
   * Revokes a `jti`, every token of a subject issued until now (its not-before time becomes the
   * next second), or one token (its `jti`; an opaque token is forgotten). Answers what was revoked.
   */
  revoke(what: { jti?: string; sub?: string; token?: string }): Record<string, unknown> {
    const done: Record<string, unknown> = {};
    if (what.jti !== undefined) {
      remember(this.revokedJtis, what.jti, true);
      done.jti = what.jti;
    }
    if (what.sub !== undefined) {
      const notBefore = Math.floor(this.now() / 1000) + 1;
      remember(this.subjects, what.sub, notBefore);
      done.sub = what.sub;
      done.notBefore = notBefore;
    }
    if (what.token !== undefined) {
      const hash = tokenHash(what.token);
      if (this.opaque.delete(hash)) done.token = "opaque";
      else {
        const jti = unverifiedJti(what.token);
        if (jti === undefined)
          throw new TokenRequestError(
            "invalid_request",
            "token is neither a known opaque token nor a JWT with a jti",
          );
        remember(this.revokedJtis, jti, true);
        done.jti = jti;
      }
    }
    if (Object.keys(done).length === 0)
      throw new TokenRequestError("invalid_request", "give jti, sub or token");
    return { revoked: done };
  }

  /** RFC 7662 §2.2: the claims of an active token of this issuer, else `{ active: false }`. */
  async introspect(token: string): Promise<Record<string, unknown>> {
    const now = Math.floor(this.now() / 1000);
    const opaque = this.opaque.get(tokenHash(token));
    let claims: Record<string, unknown> | undefined;
    if (opaque !== undefined) claims = (opaque.exp as number) > now ? opaque : undefined;
    else {
      this.ownTokens ??= createVerifier(
        {
          issuers: [{ issuer: null, audience: null, algorithms: [...DEV_ALGORITHMS], jwks: this.jwks }],
          tokenCache: { maxEntries: 0 },
        },
        { now: this.now },
      );
      try {
        claims = (await this.ownTokens.verify(token)).payload;
      } catch {
        claims = undefined;
      }
    }
    if (claims === undefined) return { active: false };
    if (typeof claims.jti === "string" && this.revokedJtis.has(claims.jti)) return { active: false };
    const notBefore = typeof claims.sub === "string" ? this.subjects.get(claims.sub) : undefined;
    if (notBefore !== undefined && !(typeof claims.iat === "number" && claims.iat >= notBefore))
      return { active: false };
    return { active: true, ...claims };
  }

  /** A token in a provider's shape: its header, claims and real issuer, signed with the dev key. */
  private mintLikeProvider(
    request: MintRequest,
    ttl: number,
    scopes: string[],
    claims: Record<string, unknown>,
    alg: DevAlgorithm,
  ): TokenResponse {
    const now = Math.floor(this.now() / 1000);
    let shaped: ProviderToken;
    try {
      shaped = shapeProviderToken({
        preset: request.preset!,
        params: request.presetParams ?? {},
        ...(request.sub !== undefined ? { sub: request.sub } : {}),
        scopes,
        ...(request.groups !== undefined ? { groups: request.groups } : {}),
        ...(request.roles !== undefined ? { roles: request.roles } : {}),
        ...(request.aud !== undefined ? { audience: [request.aud].flat() } : {}),
        ...(request.clientId !== undefined ? { clientId: request.clientId } : {}),
        claims,
        now,
      });
    } catch (error) {
      if (error instanceof ProviderTokenError) throw new TokenRequestError("invalid_request", error.message);
      throw error;
    }
    const token = signToken(shaped.claims, this.keys[alg], {
      alg,
      typ: shaped.typ,
      issuer: shaped.issuer,
      subject: shaped.subject,
      ...(shaped.audience !== undefined ? { audience: shaped.audience } : {}),
      ...(shaped.notBefore ? { notBefore: 0 } : {}),
      expiresIn: ttl,
      now,
    });
    const response: TokenResponse = { access_token: token, token_type: "Bearer", expires_in: ttl };
    if (shaped.scope !== undefined) response.scope = shaped.scope;
    return response;
  }

  /** `POST /introspect` and `POST /revoke`. */
  private async handleStatus(req: IncomingMessage, res: ServerResponse, path: string): Promise<true> {
    if (req.method !== "POST")
      return send(res, 405, { error: "invalid_request", error_description: "use POST" }, { allow: "POST" });
    try {
      const fields = await readFields(req);
      const text = (name: string) => {
        const value = fields[name];
        if (value === undefined) return undefined;
        if (typeof value !== "string" || value === "")
          throw new TokenRequestError("invalid_request", `${name} must be a non-empty string`);
        return value;
      };
      if (path === ISSUER_PATHS.revoke) {
        const what: { jti?: string; sub?: string; token?: string } = {};
        for (const name of ["jti", "sub", "token"] as const) {
          const value = text(name);
          if (value !== undefined) what[name] = value;
        }
        return send(res, 200, this.revoke(what), { "cache-control": "no-store" });
      }
      // RFC 7662 §2.1: the endpoint requires client authentication.
      if (basicClient(req.headers.authorization) === undefined)
        return send(
          res,
          401,
          {
            error: "invalid_client",
            error_description: "authenticate with HTTP Basic (client_secret_basic)",
          },
          { "www-authenticate": 'Basic realm="gatepass-dev"' },
        );
      const token = text("token");
      if (token === undefined) throw new TokenRequestError("invalid_request", "token is required");
      return send(res, 200, await this.introspect(token), { "cache-control": "no-store" });
    } catch (error) {
      return send(res, 400, {
        error: "invalid_request",
        error_description: error instanceof TokenRequestError ? error.message : "bad request",
      });
    }
  }

  /**
   * Serves an issuer path; resolves `false` when `path` is not one (the caller goes on). Never rejects.
   */
  async handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> {
    if (path === ISSUER_PATHS.discovery || path === ISSUER_PATHS.jwks) {
      if (req.method !== "GET" && req.method !== "HEAD")
        return send(res, 405, { error: "method_not_allowed" }, { allow: "GET, HEAD" });
      send(res, 200, path === ISSUER_PATHS.jwks ? this.jwks : this.discoveryDocument(), {
        "cache-control": "max-age=300",
      });
      return true;
    }
    if (path === ISSUER_PATHS.revocations) {
      if (req.method !== "GET" && req.method !== "HEAD")
        return send(res, 405, { error: "method_not_allowed" }, { allow: "GET, HEAD" });
      return send(res, 200, this.revocationList(), { "cache-control": "no-store" });
    }
    if (path === ISSUER_PATHS.introspect || path === ISSUER_PATHS.revoke)
      return this.handleStatus(req, res, path);
    if (await this.oauth.handle(req, res, path)) return true;
    if (path !== ISSUER_PATHS.token) return false;
    if (req.method !== "POST")
      return send(res, 405, { error: "invalid_request", error_description: "use POST" }, { allow: "POST" });
    try {
      const fields = await readFields(req);
      // RFC 9449 §5: a DPoP proof binds the token (every grant) to its key.
      this.dpopProofs ??= tokenEndpointDpop(this.now);
      const jkt = this.dpopProofs.bind(req.headers.dpop, `${this.issuerUrl}${ISSUER_PATHS.token}`);
      if (fields.grant_type === "authorization_code" || fields.grant_type === "refresh_token") {
        try {
          return sendOAuth(res, 200, this.oauth.token(fields, jkt), { pragma: "no-cache" });
        } catch (error) {
          return sendOAuthError(res, error instanceof OAuthError ? error : undefined);
        }
      }
      const request = toMintRequest(fields, req.headers.authorization, peerOf(req.socket));
      // RFC 8707 on the client_credentials grant: the resource is the audience.
      if (fields.grant_type === "client_credentials" && fields.resource !== undefined) {
        if (request.aud !== undefined)
          throw new TokenRequestError("invalid_request", "give resource or aud, not both");
        try {
          const resource = this.oauth.resourceParameter(fields.resource);
          if (resource !== undefined) request.aud = resource;
        } catch (error) {
          return sendOAuthError(res, error);
        }
      }
      if (jkt !== undefined) request.jkt = jkt;
      const response = this.mint(request);
      send(res, 200, response, { "cache-control": "no-store", pragma: "no-cache" });
    } catch (error) {
      const known = error instanceof TokenRequestError || error instanceof DpopProofError;
      send(res, 400, {
        error: known ? error.error : "invalid_request",
        error_description: error instanceof Error ? error.message : String(error),
      });
    }
    return true;
  }
}

/** The client id of an HTTP Basic header (RFC 6749 §2.3.1), when it has a non-empty id and secret. */
function basicClient(authorization: string | undefined): string | undefined {
  if (!authorization?.toLowerCase().startsWith("basic ")) return undefined;
  const decoded = Buffer.from(authorization.slice(6).trim(), "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon <= 0 || colon === decoded.length - 1) return undefined;
  try {
    return decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, " "));
  } catch {
    return undefined;
  }
}

/** A JWT's `jti`, read without verification (revoking a token names it; nothing is trusted from it). */
function unverifiedJti(token: string): string | undefined {
  const parts = token.split(".");
  if (parts.length !== 3) return undefined;
  try {
    const payload = JSON.parse(Buffer.from(parts[1]!, "base64url").toString("utf8")) as { jti?: unknown };
    return typeof payload.jti === "string" && payload.jti !== "" ? payload.jti : undefined;
  } catch {
    return undefined;
  }
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): true {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
  return true;
}

/** Reads a JSON or form-encoded token request into plain fields. */
async function readFields(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES)
      throw new TokenRequestError(
        "invalid_request",
        `the request body is larger than ${MAX_BODY_BYTES} bytes`,
      );
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString("utf8").trim();
  if (text === "") return {};
  const type = (req.headers["content-type"] ?? "").toLowerCase();
  if (type.includes("json") || (!type.includes("x-www-form-urlencoded") && text.startsWith("{"))) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new TokenRequestError("invalid_request", "the body is not valid JSON");
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      throw new TokenRequestError("invalid_request", "the JSON body must be an object");
    }
    return parsed as Record<string, unknown>;
  }
  const fields: Record<string, unknown> = {};
  const params = new URLSearchParams(text);
  for (const key of new Set(params.keys())) {
    const values = params.getAll(key);
    fields[key] = values.length === 1 ? values[0] : values;
  }
  return fields;
}

const optionalString = (fields: Record<string, unknown>, ...names: string[]): string | undefined => {
  for (const name of names) {
    const value = fields[name];
    if (value === undefined) continue;
    if (typeof value !== "string" || value.length === 0)
      throw new TokenRequestError("invalid_request", `${name} must be a non-empty string`);
    return value;
  }
  return undefined;
};

/** `bind_cert`: `1`/`true` binds the token to the connection's client certificate; absent, `0` or `false` do not. */
function boundToConnection(value: unknown): boolean {
  if (value === undefined || value === false || value === 0 || value === "0" || value === "false")
    return false;
  if (value === true || value === 1 || value === "1" || value === "true") return true;
  throw new TokenRequestError("invalid_request", "bind_cert must be 1, true, 0 or false");
}

/** Maps the endpoint's fields (both request styles) to a {@link MintRequest}. */
function toMintRequest(
  fields: Record<string, unknown>,
  authorization: string | undefined,
  peer?: TlsPeer,
): MintRequest {
  const request: MintRequest = {};
  const grant = fields.grant_type;
  let clientId = optionalString(fields, "client_id");
  if (grant !== undefined) {
    if (grant !== "client_credentials") {
      throw new TokenRequestError(
        "unsupported_grant_type",
        `grant_type ${JSON.stringify(grant)} is not supported (use client_credentials, authorization_code or refresh_token)`,
      );
    }
    if (clientId === undefined && authorization?.toLowerCase().startsWith("basic ")) {
      const decoded = Buffer.from(authorization.slice(6).trim(), "base64").toString("utf8");
      const colon = decoded.indexOf(":");
      clientId = decodeURIComponent(colon === -1 ? decoded : decoded.slice(0, colon)) || undefined;
    }
    if (clientId === undefined)
      throw new TokenRequestError(
        "invalid_request",
        "client_credentials needs a client_id (in the body or HTTP Basic)",
      );
  }
  if (clientId !== undefined) request.clientId = clientId;
  const sub = optionalString(fields, "sub", "subject");
  if (sub !== undefined) request.sub = sub;
  const scope = fields.scope ?? fields.scopes;
  if (scope !== undefined) {
    if (typeof scope === "string") request.scope = scope;
    else if (Array.isArray(scope) && scope.every((s) => typeof s === "string"))
      request.scope = scope as string[];
    else throw new TokenRequestError("invalid_request", "scope must be a string or an array of strings");
  }
  if (fields.claims !== undefined) {
    let claims = fields.claims;
    if (typeof claims === "string") {
      try {
        claims = JSON.parse(claims);
      } catch {
        throw new TokenRequestError("invalid_request", "claims must be a JSON object");
      }
    }
    if (typeof claims !== "object" || claims === null || Array.isArray(claims)) {
      throw new TokenRequestError("invalid_request", "claims must be a JSON object");
    }
    request.claims = claims as Record<string, unknown>;
  }
  if (fields.ttl !== undefined) {
    const ttl = fields.ttl;
    if (typeof ttl === "number") request.ttl = ttl;
    else if (typeof ttl === "string") request.ttl = /^\d+$/.test(ttl.trim()) ? Number(ttl.trim()) : ttl;
    else
      throw new TokenRequestError(
        "invalid_request",
        "ttl must be a number of seconds or a duration such as 15m",
      );
  }
  for (const name of ["groups", "roles"] as const) {
    const value = fields[name];
    if (value === undefined) continue;
    if (typeof value === "string")
      request[name] = value
        .split(",")
        .map((v) => v.trim())
        .filter((v) => v !== "");
    else if (Array.isArray(value) && value.every((v) => typeof v === "string" && v !== ""))
      request[name] = value as string[];
    else
      throw new TokenRequestError(
        "invalid_request",
        `${name} must be a list of names (an array, or comma-separated)`,
      );
  }
  const preset = fields.preset;
  const presetParams: Record<string, unknown> = {};
  for (const name of ALL_PRESET_PARAMETERS) {
    if (fields[name] !== undefined) presetParams[name] = fields[name];
  }
  if (preset !== undefined) {
    if (typeof preset !== "string" || preset.length === 0)
      throw new TokenRequestError("invalid_request", "preset must be a non-empty string");
    request.preset = preset;
    request.presetParams = presetParams;
  } else {
    const stray = Object.keys(presetParams)[0];
    if (stray !== undefined) {
      const owners = Object.entries(PRESET_PARAMETERS)
        .filter(([, names]) => names.includes(stray))
        .map(([name]) => name);
      throw new TokenRequestError(
        "invalid_request",
        `${stray} is a preset parameter: add "preset" (${owners.join(", ")}) or leave ${stray} out`,
      );
    }
  }
  if (fields.alg !== undefined) {
    if (typeof fields.alg !== "string") devAlgorithm(null);
    request.alg = devAlgorithm(fields.alg);
  }
  const format = fields.token_format;
  if (format !== undefined) {
    if (format !== "jwt" && format !== "opaque")
      throw new TokenRequestError("invalid_request", 'token_format must be "jwt" or "opaque"');
    request.tokenFormat = format;
  }
  if (boundToConnection(fields.bind_cert)) {
    // RFC 8705 §3: bound to the certificate this very connection presented (gatepass dev --tls --client-ca).
    if (fields.cert !== undefined || fields.cnf_x5t !== undefined)
      throw new TokenRequestError("invalid_request", "give one of bind_cert, cert, cnf_x5t");
    if (peer?.kind !== "certificate")
      throw new TokenRequestError(
        "invalid_request",
        "bind_cert needs a client certificate the truststore accepts on this connection (gatepass dev --tls --client-ca)",
      );
    request.x5tS256 = peer.x5tS256;
  } else if (fields.cert !== undefined || fields.cnf_x5t !== undefined) {
    if (fields.cert !== undefined && fields.cnf_x5t !== undefined)
      throw new TokenRequestError("invalid_request", "give cert or cnf_x5t, not both");
    const thumbprint =
      fields.cert !== undefined
        ? typeof fields.cert === "string" && fields.cert.length <= MAX_CLIENT_CERT_PEM_CHARS
          ? certificateThumbprint(fields.cert)
          : null
        : typeof fields.cnf_x5t === "string" && /^[A-Za-z0-9_-]{43}$/.test(fields.cnf_x5t)
          ? fields.cnf_x5t
          : null;
    if (thumbprint === null)
      throw new TokenRequestError(
        "invalid_request",
        fields.cert !== undefined
          ? "cert must be one PEM X.509 certificate"
          : "cnf_x5t must be a base64url SHA-256 certificate thumbprint (43 characters)",
      );
    request.x5tS256 = thumbprint;
  }
  const aud = fields.aud ?? fields.audience;
  if (aud !== undefined) {
    if (typeof aud === "string" && aud.length > 0) request.aud = aud;
    else if (Array.isArray(aud) && aud.length > 0 && aud.every((a) => typeof a === "string"))
      request.aud = aud as string[];
    else throw new TokenRequestError("invalid_request", "aud must be a string or an array of strings");
  }
  return request;
}
