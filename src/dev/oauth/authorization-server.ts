import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";

/**
 * The development issuer as an OAuth 2.1 authorization server, enough for an MCP client (MCP
 * authorization, revision 2025-11-25) to complete its flow against `gatepass dev`:
 * - RFC 8414 metadata (`/.well-known/oauth-authorization-server`, the issuer's path appended to it);
 * - RFC 7591 dynamic client registration of public clients (`token_endpoint_auth_method: none`),
 *   redirect URIs `https` or loopback `http` only;
 * - the authorization endpoint, which approves every request at once (a development tool: no login,
 *   no consent; `login_hint` names the subject) and redirects with `code`, `state` and `iss` (RFC 9207);
 * - PKCE (RFC 7636) with `S256` required (`plain` and a missing challenge refused);
 * - RFC 8707 `resource`: the token's `aud`; refused (`invalid_target`) unless it is a resource the
 *   configuration protects (any absolute URL when it protects none);
 * - the token endpoint's `authorization_code` grant (a code is single-use, lives 60 s, and is bound
 *   to its client, redirect URI and PKCE challenge; a second use revokes what the first one issued)
 *   and `refresh_token` (rotated on every use, as OAuth 2.1 requires for public clients).
 * Everything is in memory and bounded (clients, codes, refresh tokens: the oldest go first). Codes,
 * verifiers and tokens are kept only as hashes and never logged.
 */

/** Most registered clients, pending codes and live refresh tokens remembered (each; the oldest go first). */
export const MAX_OAUTH_ENTRIES = 1000;
/** Lifetime of an authorization code, s (OAuth 2.1 §4.1.2 recommends at most 10 minutes). */
export const CODE_TTL_SECONDS = 60;
/** Lifetime of a refresh token, s (one day). */
const REFRESH_TTL_SECONDS = 86_400;
/** Lifetime of an access token issued by these grants, s. */
const ACCESS_TTL_SECONDS = 3600;
/** Largest registration request body, bytes. */
export const MAX_REGISTRATION_BYTES = 16 * 1024;
/** Most redirect URIs per client, and the longest one. */
const MAX_REDIRECT_URIS = 10;
const MAX_URI_CHARS = 2048;
/** Longest `state`, `scope`, `client_name`, `login_hint`. */
const MAX_PARAM_CHARS = 1024;
const MAX_NAME_CHARS = 256;
/** RFC 7636 §4.1: 43 to 128 unreserved characters. */
const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;
/** An S256 challenge: BASE64URL(SHA-256) is 43 characters. */
const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;
/** The grants a registered client may use. */
const CLIENT_GRANTS = ["authorization_code", "refresh_token"] as const;
const LOOPBACK_HOSTS = new Set(["127.0.0.1", "[::1]", "localhost"]);

/** An OAuth error answer: `error` code, description, HTTP status. */
export class OAuthError extends Error {
  constructor(
    readonly error: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

interface Client {
  readonly redirectUris: readonly string[];
  readonly grantTypes: readonly string[];
}

interface PendingCode {
  readonly clientId: string;
  readonly redirectUri: string;
  readonly challenge: string;
  readonly scope: string | undefined;
  readonly resource: string | undefined;
  readonly sub: string;
  readonly expiresAt: number;
}

interface RefreshGrant {
  readonly clientId: string;
  readonly scope: string | undefined;
  readonly resource: string | undefined;
  readonly sub: string;
  readonly expiresAt: number;
  /** RFC 9449 §5: a public client's refresh token is bound to the DPoP key it was issued with. */
  readonly jkt: string | undefined;
}

/** What a code or refresh token issued, to revoke when a code is presented twice. */
interface Issued {
  readonly jti: string | undefined;
  readonly refresh: string | undefined;
  readonly expiresAt: number;
}

/** The issuer-relative paths of the endpoints (RFC 8414 metadata, and those it names). */
export interface AuthorizationServerPaths {
  readonly metadata: string;
  readonly authorize: string;
  readonly register: string;
  readonly token: string;
  readonly jwks: string;
  readonly introspect: string;
}

/** What the authorization server needs from the issuer. */
export interface AuthorizationServerHost {
  /** The issuer identifier, e.g. `http://127.0.0.1:4000`. */
  issuerUrl(): string;
  /** Mints an access token (the issuer's `mint`). */
  mint(request: { sub: string; scope?: string; aud?: string; clientId: string; ttl: number; jkt?: string }): {
    access_token: string;
    token_type: "Bearer" | "DPoP";
    expires_in: number;
    scope?: string;
  };
  /** Revokes a `jti` (a code presented twice). */
  revoke(what: { jti: string }): unknown;
  /** The resource identifiers the configuration protects (`resource.uri`); empty: any. */
  resources(): readonly string[];
  /** The scopes the protected resource lists (`resource.scopesSupported`), for the metadata. */
  scopes(): readonly string[];
  /** The algorithms the token endpoint accepts for DPoP proofs (RFC 9449 §5.1). */
  dpopAlgorithms(): readonly string[];
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("base64url");
const randomToken = () => randomBytes(32).toString("base64url");

function remember<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key);
  if (map.size >= MAX_OAUTH_ENTRIES) {
    const oldest = map.keys().next().value;
    if (oldest !== undefined) map.delete(oldest);
  }
  map.set(key, value);
}

/**
 * A redirect URI a development client may register: absolute, no fragment, no credentials, and
 * `https`, or `http` on a loopback host (MCP 2025-11-25 §Communication Security; RFC 8252 §7.3).
 */
export function isAllowedRedirectUri(value: unknown): value is string {
  if (typeof value !== "string" || value.length === 0 || value.length > MAX_URI_CHARS) return false;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (value.includes("#") || url.username !== "" || url.password !== "") return false;
  if (url.protocol === "https:") return true;
  return url.protocol === "http:" && LOOPBACK_HOSTS.has(url.hostname);
}

/** An RFC 8707 §2 resource indicator: an absolute URI without fragment. */
function isResourceIndicator(value: string): boolean {
  if (value.length > MAX_URI_CHARS || value.includes("#")) return false;
  try {
    const url = new URL(value);
    return url.protocol === "https:" || url.protocol === "http:";
  } catch {
    return false;
  }
}

/** A JWT's `jti`, read from a token this server just minted. */
function jtiOf(token: string): string | undefined {
  try {
    const payload = JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8")) as {
      jti?: unknown;
    };
    return typeof payload.jti === "string" ? payload.jti : undefined;
  } catch {
    return undefined;
  }
}

/** One value of a parameter: absent, or a single string (a repeated parameter is refused, RFC 6749 §3.1). */
function single(value: unknown, name: string, max = MAX_PARAM_CHARS): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string")
    throw new OAuthError("invalid_request", `${name} must be given once, as a string`);
  if (value.length > max) throw new OAuthError("invalid_request", `${name} is longer than ${max} characters`);
  return value;
}

/** Scope tokens (RFC 6749 §3.3): printable ASCII without `"` and `\`, space-separated. */
function scopeValue(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const tokens = value.split(" ").filter((s) => s !== "");
  if (tokens.some((t) => !/^[\x21\x23-\x5b\x5d-\x7e]+$/.test(t)))
    throw new OAuthError("invalid_scope", "scope must be space-separated scope tokens");
  return tokens.length > 0 ? tokens.join(" ") : undefined;
}

/** The development issuer's authorization server: registration, authorization, and two token grants. */
export class DevAuthorizationServer {
  private readonly clients = new Map<string, Client>();
  /** Pending codes by hash. */
  private readonly codes = new Map<string, PendingCode>();
  /** Codes already exchanged (by hash), with what they issued. */
  private readonly usedCodes = new Map<string, Issued>();
  /** Live refresh tokens by hash. */
  private readonly refreshTokens = new Map<string, RefreshGrant>();

  constructor(
    private readonly host: AuthorizationServerHost,
    private readonly paths: AuthorizationServerPaths,
    private readonly now: () => number,
  ) {}

  private seconds(): number {
    return Math.floor(this.now() / 1000);
  }

  /**
   * Serves the metadata, authorization and registration paths (issuer-relative); resolves `false`
   * for any other path. Never rejects.
   */
  async handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> {
    const paths = this.paths;
    if (path === paths.metadata) {
      // Public metadata: readable by a browser client from any origin.
      const cors = {
        "access-control-allow-origin": "*",
        "access-control-allow-methods": "GET, HEAD, OPTIONS",
        "access-control-allow-headers": "*",
      };
      if (req.method === "OPTIONS") {
        res.writeHead(204, { ...cors, "access-control-max-age": "600" });
        res.end();
        return true;
      }
      if (req.method !== "GET" && req.method !== "HEAD")
        return sendOAuth(
          res,
          405,
          { error: "invalid_request", error_description: "use GET" },
          { allow: "GET, HEAD" },
        );
      return sendOAuth(res, 200, this.metadata(), { ...cors, "cache-control": "max-age=300" });
    }
    if (path === paths.authorize) {
      if (req.method !== "GET")
        return sendOAuth(
          res,
          405,
          { error: "invalid_request", error_description: "use GET" },
          { allow: "GET" },
        );
      try {
        const query = new URL(req.url ?? "/", "http://localhost").searchParams;
        const location = this.authorize(query);
        res.writeHead(302, { location, "cache-control": "no-store", "content-length": "0" });
        res.end();
        return true;
      } catch (error) {
        return sendOAuthError(res, error);
      }
    }
    if (path === paths.register) {
      if (req.method !== "POST")
        return sendOAuth(
          res,
          405,
          { error: "invalid_request", error_description: "use POST" },
          { allow: "POST" },
        );
      try {
        const body = await readJsonBody(req, MAX_REGISTRATION_BYTES);
        return sendOAuth(res, 201, this.register(body));
      } catch (error) {
        if (!req.complete) res.setHeader("connection", "close");
        return sendOAuthError(res, error);
      }
    }
    return false;
  }

  /** RFC 8414 §2 metadata. */
  metadata(): Record<string, unknown> {
    const paths = this.paths;
    const issuer = this.host.issuerUrl();
    const doc: Record<string, unknown> = {
      issuer,
      authorization_endpoint: `${issuer}${paths.authorize}`,
      token_endpoint: `${issuer}${paths.token}`,
      registration_endpoint: `${issuer}${paths.register}`,
      jwks_uri: `${issuer}${paths.jwks}`,
      introspection_endpoint: `${issuer}${paths.introspect}`,
      response_types_supported: ["code"],
      response_modes_supported: ["query"],
      grant_types_supported: ["authorization_code", "refresh_token", "client_credentials"],
      code_challenge_methods_supported: ["S256"],
      token_endpoint_auth_methods_supported: ["none", "client_secret_basic", "client_secret_post"],
      introspection_endpoint_auth_methods_supported: ["client_secret_basic"],
      authorization_response_iss_parameter_supported: true,
      dpop_signing_alg_values_supported: [...this.host.dpopAlgorithms()],
    };
    const scopes = this.host.scopes();
    if (scopes.length > 0) doc.scopes_supported = [...scopes];
    return doc;
  }

  /** RFC 7591 §3: registers a public client; answers the §3.2.1 client information response. */
  register(body: unknown): Record<string, unknown> {
    if (typeof body !== "object" || body === null || Array.isArray(body))
      throw new OAuthError("invalid_client_metadata", "the registration request must be a JSON object");
    const m = body as Record<string, unknown>;
    const uris = m.redirect_uris;
    if (!Array.isArray(uris) || uris.length === 0 || uris.length > MAX_REDIRECT_URIS)
      throw new OAuthError(
        "invalid_redirect_uri",
        `redirect_uris must list 1 to ${MAX_REDIRECT_URIS} redirect URIs`,
      );
    if (!uris.every(isAllowedRedirectUri))
      throw new OAuthError(
        "invalid_redirect_uri",
        "each redirect URI must be an absolute https URL, or http on a loopback host (127.0.0.1, [::1], localhost), without fragment",
      );
    const grantTypes = m.grant_types ?? ["authorization_code"];
    if (
      !Array.isArray(grantTypes) ||
      grantTypes.length === 0 ||
      !grantTypes.every((g) => (CLIENT_GRANTS as readonly unknown[]).includes(g))
    )
      throw new OAuthError(
        "invalid_client_metadata",
        `grant_types must be among ${CLIENT_GRANTS.join(", ")} (client_credentials needs no registration)`,
      );
    const responseTypes = m.response_types ?? ["code"];
    if (!Array.isArray(responseTypes) || !responseTypes.every((r) => r === "code"))
      throw new OAuthError("invalid_client_metadata", 'response_types must be ["code"]');
    const name = m.client_name;
    if (name !== undefined && (typeof name !== "string" || name.length > MAX_NAME_CHARS))
      throw new OAuthError(
        "invalid_client_metadata",
        `client_name must be a string of at most ${MAX_NAME_CHARS} characters`,
      );
    const scope = scopeValue(single(m.scope, "scope"));
    const clientId = `dev-${randomBytes(12).toString("base64url")}`;
    const client: Client = {
      redirectUris: [...new Set(uris as string[])],
      grantTypes: [...new Set(grantTypes as string[])],
    };
    remember(this.clients, clientId, client);
    // RFC 7591 §3.2.1: the server may replace requested values; every client here is public.
    return {
      client_id: clientId,
      client_id_issued_at: this.seconds(),
      redirect_uris: client.redirectUris,
      grant_types: client.grantTypes,
      response_types: ["code"],
      token_endpoint_auth_method: "none",
      ...(typeof name === "string" ? { client_name: name } : {}),
      ...(scope !== undefined ? { scope } : {}),
    };
  }

  /** The resource a request names (RFC 8707), checked against the protected ones; throws `invalid_target`. */
  resourceParameter(value: unknown): string | undefined {
    if (value === undefined) return undefined;
    if (typeof value !== "string")
      throw new OAuthError("invalid_target", "give one resource (a token here is for one resource)");
    const protectedOnes = this.host.resources();
    if (!isResourceIndicator(value))
      throw new OAuthError("invalid_target", "resource must be an absolute URI without fragment");
    if (protectedOnes.length > 0 && !protectedOnes.includes(value))
      throw new OAuthError(
        "invalid_target",
        "resource is not a resource this gateway protects (the configuration's resource.uri)",
      );
    return value;
  }

  /**
   * The authorization endpoint (RFC 6749 §4.1.1 with PKCE and RFC 8707): the redirect location with
   * `code` (or an error), `state` and `iss`. Throws an {@link OAuthError} when the client or the
   * redirect URI is not valid: then nothing may be redirected (§4.1.2.1).
   */
  authorize(query: URLSearchParams): string {
    const params: Record<string, string | string[]> = {};
    for (const key of new Set(query.keys())) {
      const values = query.getAll(key);
      params[key] = values.length === 1 ? values[0]! : values;
    }
    const clientId = single(params.client_id, "client_id");
    const client = clientId === undefined ? undefined : this.clients.get(clientId);
    if (clientId === undefined || client === undefined)
      throw new OAuthError(
        "invalid_client",
        "unknown client_id: register the client first (registration_endpoint)",
        401,
      );
    const given = single(params.redirect_uri, "redirect_uri", MAX_URI_CHARS);
    const redirectUri = given ?? (client.redirectUris.length === 1 ? client.redirectUris[0] : undefined);
    if (redirectUri === undefined || !client.redirectUris.includes(redirectUri))
      throw new OAuthError(
        "invalid_request",
        "redirect_uri must be one of the client's registered redirect URIs, exactly",
      );
    const state = typeof params.state === "string" ? params.state : undefined;
    const location = (fields: Record<string, string>): string => {
      const url = new URL(redirectUri);
      for (const [name, value] of Object.entries(fields)) url.searchParams.append(name, value);
      if (state !== undefined && state.length <= MAX_PARAM_CHARS) url.searchParams.append("state", state);
      url.searchParams.append("iss", this.host.issuerUrl());
      return url.href;
    };
    try {
      single(params.state, "state");
      if (params.response_type !== "code")
        throw new OAuthError("unsupported_response_type", 'response_type must be "code"');
      if (!client.grantTypes.includes("authorization_code"))
        throw new OAuthError(
          "unauthorized_client",
          "the client did not register the authorization_code grant",
        );
      const challenge = single(params.code_challenge, "code_challenge");
      const method = single(params.code_challenge_method, "code_challenge_method");
      if (challenge === undefined)
        throw new OAuthError("invalid_request", "PKCE is required: send code_challenge with method S256");
      if (method !== "S256")
        throw new OAuthError("invalid_request", "code_challenge_method must be S256 (plain is not accepted)");
      if (!S256_CHALLENGE.test(challenge))
        throw new OAuthError("invalid_request", "code_challenge must be BASE64URL(SHA-256(verifier))");
      const scope = scopeValue(single(params.scope, "scope"));
      const resource = this.resourceParameter(params.resource);
      const sub = single(params.login_hint, "login_hint", MAX_NAME_CHARS) ?? "demo-user";
      const code = randomToken();
      remember(this.codes, sha256(code), {
        clientId,
        redirectUri,
        challenge,
        scope,
        resource,
        sub,
        expiresAt: this.seconds() + CODE_TTL_SECONDS,
      });
      return location({ code });
    } catch (error) {
      if (!(error instanceof OAuthError)) throw error;
      return location({ error: error.error, error_description: error.message });
    }
  }

  /**
   * The token endpoint's `authorization_code` and `refresh_token` grants (form fields); `jkt` is the
   * thumbprint of the request's verified DPoP proof key (RFC 9449 §5), if it carried one.
   */
  token(fields: Readonly<Record<string, unknown>>, jkt?: string): Record<string, unknown> {
    const grant = fields.grant_type;
    const clientId = single(fields.client_id, "client_id");
    const client = clientId === undefined ? undefined : this.clients.get(clientId);
    if (clientId === undefined || client === undefined)
      throw new OAuthError("invalid_client", "unknown client_id (a registered public client sends it)", 401);
    if (grant === "authorization_code") return this.exchangeCode(clientId, client, fields, jkt);
    return this.refresh(clientId, client, fields, jkt);
  }

  private exchangeCode(
    clientId: string,
    client: Client,
    fields: Readonly<Record<string, unknown>>,
    jkt: string | undefined,
  ): Record<string, unknown> {
    const code = single(fields.code, "code", MAX_URI_CHARS);
    const verifier = single(fields.code_verifier, "code_verifier");
    const redirectUri = single(fields.redirect_uri, "redirect_uri", MAX_URI_CHARS);
    if (code === undefined) throw new OAuthError("invalid_request", "code is required");
    const key = sha256(code);
    const pending = this.codes.get(key);
    if (pending === undefined) {
      const used = this.usedCodes.get(key);
      if (used !== undefined) {
        // OAuth 2.1 §4.1.3: a code used twice; revoke what it issued.
        this.usedCodes.delete(key);
        if (used.jti !== undefined) this.host.revoke({ jti: used.jti });
        if (used.refresh !== undefined) this.refreshTokens.delete(used.refresh);
        throw new OAuthError("invalid_grant", "the code was already used; the tokens it issued are revoked");
      }
      throw new OAuthError("invalid_grant", "unknown or expired code");
    }
    // Single use: whatever happens next, this code is spent.
    this.codes.delete(key);
    if (pending.expiresAt <= this.seconds()) throw new OAuthError("invalid_grant", "the code expired");
    if (pending.clientId !== clientId)
      throw new OAuthError("invalid_grant", "the code was issued to another client");
    if (redirectUri !== pending.redirectUri)
      throw new OAuthError(
        "invalid_grant",
        "redirect_uri must be the one of the authorization request, exactly",
      );
    if (verifier === undefined || !VERIFIER.test(verifier))
      throw new OAuthError("invalid_grant", "code_verifier is missing or malformed (RFC 7636 §4.1)");
    const computed = Buffer.from(sha256(verifier));
    const expected = Buffer.from(pending.challenge);
    if (computed.length !== expected.length || !timingSafeEqual(computed, expected))
      throw new OAuthError("invalid_grant", "code_verifier does not match the code_challenge");
    const resource = this.resourceParameter(fields.resource);
    if (resource !== undefined && pending.resource !== undefined && resource !== pending.resource)
      throw new OAuthError("invalid_target", "resource differs from the authorization request's");
    const answer = this.issue(clientId, client, {
      sub: pending.sub,
      scope: pending.scope,
      resource: resource ?? pending.resource,
      jkt,
    });
    remember(this.usedCodes, key, {
      jti: jtiOf(answer.access_token as string),
      refresh: answer.refresh_token === undefined ? undefined : sha256(answer.refresh_token as string),
      expiresAt: pending.expiresAt,
    });
    return answer;
  }

  private refresh(
    clientId: string,
    client: Client,
    fields: Readonly<Record<string, unknown>>,
    jkt: string | undefined,
  ): Record<string, unknown> {
    const token = single(fields.refresh_token, "refresh_token", MAX_URI_CHARS);
    if (token === undefined) throw new OAuthError("invalid_request", "refresh_token is required");
    const key = sha256(token);
    const grant = this.refreshTokens.get(key);
    if (grant === undefined || grant.clientId !== clientId || grant.expiresAt <= this.seconds())
      throw new OAuthError("invalid_grant", "unknown, expired or already used refresh token");
    // Rotation: the presented token is spent.
    this.refreshTokens.delete(key);
    // RFC 9449 §5: a DPoP-bound refresh token is used only with a proof of the same key.
    if (grant.jkt !== undefined && grant.jkt !== jkt)
      throw new OAuthError(
        "invalid_grant",
        "the refresh token is bound to another DPoP key (send a proof of that key)",
      );
    const scope = scopeValue(single(fields.scope, "scope"));
    if (scope !== undefined) {
      const granted = new Set((grant.scope ?? "").split(" "));
      if (!scope.split(" ").every((s) => granted.has(s)))
        throw new OAuthError("invalid_scope", "scope may only narrow the scopes first granted");
    }
    const resource = this.resourceParameter(fields.resource);
    if (resource !== undefined && grant.resource !== undefined && resource !== grant.resource)
      throw new OAuthError("invalid_target", "resource differs from the one first granted");
    return this.issue(clientId, client, {
      sub: grant.sub,
      scope: scope ?? grant.scope,
      resource: resource ?? grant.resource,
      jkt: grant.jkt ?? jkt,
    });
  }

  /** An access token (aud: the resource, else the only protected one, else the dev audience), and a refresh token when the client may refresh. */
  private issue(
    clientId: string,
    client: Client,
    grant: { sub: string; scope: string | undefined; resource: string | undefined; jkt: string | undefined },
  ): Record<string, unknown> {
    const protectedOnes = this.host.resources();
    const aud = grant.resource ?? (protectedOnes.length === 1 ? protectedOnes[0] : undefined);
    const minted = this.host.mint({
      sub: grant.sub,
      clientId,
      ttl: ACCESS_TTL_SECONDS,
      ...(grant.scope !== undefined ? { scope: grant.scope } : {}),
      ...(aud !== undefined ? { aud } : {}),
      ...(grant.jkt !== undefined ? { jkt: grant.jkt } : {}),
    });
    const answer: Record<string, unknown> = { ...minted };
    if (client.grantTypes.includes("refresh_token")) {
      const refresh = randomToken();
      remember(this.refreshTokens, sha256(refresh), {
        clientId,
        scope: grant.scope,
        resource: grant.resource,
        sub: grant.sub,
        expiresAt: this.seconds() + REFRESH_TTL_SECONDS,
        jkt: grant.jkt,
      });
      answer.refresh_token = refresh;
    }
    return answer;
  }
}

/** Writes an OAuth JSON answer (no caching). */
export function sendOAuth(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): true {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-store",
    ...headers,
  });
  res.end(text);
  return true;
}

/** An {@link OAuthError} (or anything else, as `invalid_request` without detail) as its JSON answer. */
export function sendOAuthError(res: ServerResponse, error: unknown): true {
  if (error instanceof OAuthError)
    return sendOAuth(
      res,
      error.status,
      { error: error.error, error_description: error.message },
      error.status === 401 ? { "www-authenticate": 'Basic realm="gatepass-dev"' } : {},
    );
  return sendOAuth(res, 400, { error: "invalid_request", error_description: "bad request" });
}

/**
 * Reads a JSON body of at most `max` bytes (RFC 7591 §3.1: `application/json`). An oversized body is
 * refused as soon as it is seen (by its `content-length` or its size so far) and drained unread.
 */
export function readJsonBody(req: IncomingMessage, max: number): Promise<unknown> {
  const type = (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
  const tooLarge = () =>
    new OAuthError("invalid_client_metadata", `the request body is larger than ${max} bytes`);
  return new Promise((done, fail) => {
    const declared = Number(req.headers["content-length"]);
    if (Number.isFinite(declared) && declared > max) {
      req.resume();
      fail(tooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on("data", (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > max) {
        failed = true;
        fail(tooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on("error", () => {
      if (!failed) fail(new OAuthError("invalid_request", "the request body could not be read"));
      failed = true;
    });
    req.on("end", () => {
      if (failed) return;
      if (type !== "application/json") {
        fail(new OAuthError("invalid_client_metadata", "send the client metadata as application/json"));
        return;
      }
      try {
        done(JSON.parse(Buffer.concat(chunks).toString("utf8")));
      } catch {
        fail(new OAuthError("invalid_client_metadata", "the body is not valid JSON"));
      }
    });
  });
}
