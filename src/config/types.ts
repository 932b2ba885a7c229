import type { Algorithm } from "./algorithms.js";

/** Remote JWKS cache settings (per issuer). Every value is positive; defaults in brackets. */
export interface JwksCacheConfig {
  /** How long fetched keys are fresh [600]. */
  maxAgeSeconds: number;
  /** The least time between two fetches triggered by an unknown `kid` or a failure [30]. */
  cooldownSeconds: number;
  /** Abort a fetch after this long [3000]; keep it under the authorizer's own time budget. */
  timeoutMs: number;
  /** After `maxAgeSeconds`, keep serving the last good keys this long while the endpoint fails [3600]. */
  staleIfErrorSeconds: number;
  /** Largest accepted response body, in bytes [262144]. */
  maxResponseBytes: number;
  /** Most keys accepted from one key set [100]. */
  maxKeys: number;
}

/** `revocation` (per issuer), validated: exactly one of `url` and `file`. Defaults in brackets. */
export interface RevocationConfig {
  /** The list document's URL (HTTPS, or HTTP on loopback). */
  url?: string;
  /** The list document in a local file (development), re-read like a fetch. */
  file?: string;
  /** No usable list: refuse (401 `ERR_REVOCATION_UNAVAILABLE`) or allow, logged ["deny"]. */
  onUnavailable: "deny" | "allow";
  maxAgeSeconds: number;
  cooldownSeconds: number;
  timeoutMs: number;
  staleIfErrorSeconds: number;
  maxResponseBytes: number;
  /** Most `jti`s and subjects in one document (a larger one is refused). */
  maxEntries: number;
}

/** `introspection` (per issuer, RFC 7662), validated. */
export interface IntrospectionConfig {
  endpoint: string;
  clientId: string;
  /** The environment variable that holds the client secret. */
  clientSecretEnv: string;
  /** Tokens that are not JWTs are introspected at this issuer's endpoint [true]. */
  opaqueTokens: boolean;
  /** This issuer's verified JWTs are introspected too [false]. */
  checkJwts: boolean;
  cacheMaxSeconds: number;
  cacheMaxEntries: number;
  timeoutMs: number;
  maxResponseBytes: number;
}

/** One trusted token issuer, validated and with its defaults applied. */
export interface IssuerConfig {
  /** Exact `iss` to accept; `null` skips the check on purpose (only one issuer may do so). */
  issuer: string | null;
  /** `aud` must contain one of these; `null` skips the check on purpose. */
  audience: string[] | null;
  /** Allowlist; default: what the key source can verify. Never contains `none`. */
  algorithms: Algorithm[] | null;
  /**
   * Exactly one key source is set. `secret`: one shared secret, or several trusted at once (secret
   * rotation; at most 5), a token verifying under any of them is accepted.
   */
  secret?: string | string[];
  /** Accept a `secret` shorter than its algorithm's hash size (a migration window only; warned at cold start) [false]. */
  allowInsecureShortSecret?: boolean;
  publicKey?: string;
  jwks?: { keys: unknown[] };
  /** A JWKS file read at cold start (pre-seeds a remote JWKS, or stands alone). */
  jwksFile?: string;
  jwksUri?: string;
  discovery?: boolean;
  clockToleranceSeconds: number;
  maxTokenAgeSeconds: number | null;
  requiredClaims: string[];
  /** Expected `typ` header (compared case-insensitively, `application/` prefix optional); `null`: not checked. */
  typ: string | null;
  /** `exp` must be present [true]. */
  requireExp: boolean;
  jwksCache: JwksCacheConfig;
  /** The revocation list; absent: off. */
  revocation?: RevocationConfig;
  /** RFC 7662 introspection; absent: off. */
  introspection?: IntrospectionConfig;
  /**
   * RFC 8705: `cnf["x5t#S256"]` checked against the mutual-TLS client certificate of the event.
   * `required`: every token must be bound and every request carry a certificate; `if-present`:
   * only tokens with `cnf` are checked. Absent: off (`cnf` is ignored).
   */
  certificateBound?: "required" | "if-present";
  /**
   * RFC 9449 DPoP: `Authorization: DPoP <token>` with a `DPoP` proof header. `required`: every token
   * must carry `cnf.jkt` and come with a proof; `if-present`: only tokens with `cnf.jkt`. Absent: off.
   */
  dpop?: "required" | "if-present";
  /** With `dpop`: the origin (and path prefix) of the URL clients sign, without a trailing `/`; absent: `https://` + `Host`. */
  dpopUrlBase?: string;
  /** With `dpop`: the proof's `iat` window each side of now, and how long a `jti` is remembered [60]. */
  dpopIatWindowSeconds?: number;
  /** The client the token was issued to must be one of these (read from {@link clientIdClaim}); absent: not checked. */
  clientId?: string[];
  /** Claims that may hold the client id, in order: the first present is checked [`["client_id"]`]. */
  clientIdClaim?: string[];
  /** Each named claim must be a string equal to one of its values; absent: none. */
  requiredClaimValues?: Record<string, string[]>;
  /** Claims that `scopes` rules read [`["scope", "scp"]`]. */
  scopeClaims?: string[];
  /**
   * RFC 8707: with `resource`, `aud` must also contain this (the resource URI, compared exactly), on
   * top of the `audience` check; absent: no such check. Set from `resource`, never configured here.
   */
  resourceAudience?: string;
  /** The identity-provider preset this entry was expanded from (`"cognito"`…); absent for a plain issuer. */
  preset?: string;
  /**
   * Position in the configured `issuers` of the entry this one was expanded from: a preset may
   * expand into several exact issuers (Cognito's two issuer forms, Google's two spellings, one per
   * Entra tenant), which share the configured entry's position in messages and at cold start.
   */
  origin?: number;
}

export type TokenSource =
  | { kind: "header"; name: string }
  | { kind: "cookie"; name: string }
  | { kind: "query"; name: string };

export interface RouteConfig {
  /** `METHOD /path` with `{param}`, `{proxy+}` and `ANY`; or a WebSocket route key such as `$connect`. */
  route: string;
  scopes?: string[];
  /** `all` (default) or `any` of `scopes`. */
  scopesMode?: "all" | "any";
  /** Claim requirements: a value (equal), an array (one of / contains any), or an operator object. */
  claims?: Record<string, unknown>;
  /** `true` makes the route open to any authenticated principal, overriding `unmatchedRoutes: "deny"`. */
  allow?: boolean;
}

export type DevApiType =
  | "rest-token"
  | "rest-request"
  | "http-v1"
  | "http-v2-simple"
  | "http-v2-iam"
  | "websocket";

export interface DevConfig {
  api: DevApiType;
  stage: string;
  identitySources: string[];
  resultTtlSeconds: number;
  cors: { allowOrigin: string; allowHeaders?: string; allowMethods?: string } | null;
  /**
   * Host names `gatepass dev` answers besides the loopback ones (`localhost`, `127.0.0.0/8`,
   * `[::1]`), lower-case, without port [none]. Any other `Host` is refused (DNS rebinding).
   */
  allowedHosts?: string[];
  /** Every authorized REST method requires an API key from the authorizer (`usageIdentifierKey`) [false]. */
  apiKeyRequired?: boolean;
  /** The usage plans `apiKeyRequired` meters against [none]. */
  usagePlans?: DevUsagePlan[];
}

/** A usage plan of `gatepass dev`: its API key values, each with its own token bucket and quota. */
export interface DevUsagePlan {
  keys: string[];
  throttle?: { rateLimit: number; burstLimit: number };
  quota?: { limit: number; period: "DAY" | "WEEK" | "MONTH" };
}

/** The validated gatepass configuration (README, "Configuration"), every default applied. */
export interface GatepassConfig {
  issuers: IssuerConfig[];
  principalClaim: string;
  /** The claim returned as `usageIdentifierKey` to REST and WebSocket APIs; absent: none. */
  usageIdentifierClaim?: string;
  tokenSources: TokenSource[];
  routes: RouteConfig[];
  unmatchedRoutes: "allow" | "deny";
  context: { claims: string[]; maxBytes: number };
  httpApi: { response: "simple" | "iam" };
  /** Largest token accepted, in bytes [8192]. */
  maxTokenBytes: number;
  /** Verified-token cache: entries [1000]; `0` disables. */
  tokenCache: { maxEntries: number; ttlSeconds: number };
  logLevel: "debug" | "info" | "warn" | "error" | "silent";
  /** The share of `allow` decision lines written, above 0 and up to 1 [1]. */
  logSampleRate: number;
  dev: DevConfig;
  /** CloudWatch metrics (Embedded Metric Format); absent: off unless `POWERTOOLS_METRICS_NAMESPACE` is set. */
  metrics?: MetricsConfig;
  /** An OAuth protected resource (RFC 9728, RFC 8707); absent: off. */
  resource?: ResourceConfig;
  /** Where accepted DPoP proofs' `jti`s are remembered; absent: in each instance's memory. */
  dpopReplay?: DpopReplayConfig;
}

/** `dpopReplay`: the replay memory of DPoP proofs (only with an issuer using `dpop`). */
export type DpopReplayConfig =
  | { store: "memory" }
  /** One conditional `PutItem` per accepted proof; `region` absent: the function's `AWS_REGION`. */
  | { store: "dynamodb"; table: string; region?: string; timeoutMs: number };

/** `resource`: what RFC 9728's metadata says, and the audience every token must carry. */
export interface ResourceConfig {
  /** The resource identifier: an absolute `https` (or loopback `http`) URL without fragment. */
  uri: string;
  /** Issuer URLs (each one of `issuers[].issuer`). */
  authorizationServers: string[];
  scopesSupported: string[];
  resourceName?: string;
  documentation?: string;
  /** Where the metadata document is served (absent in the input: the well-known URL of `uri`). */
  metadataUrl: string;
}

/** `metrics`: where and how decisions are counted. */
export interface MetricsConfig {
  namespace: string;
  /** The `service` dimension; absent: `POWERTOOLS_SERVICE_NAME`, else `gatepass`. */
  service?: string;
  /** The deciding rule's route template as a `route` dimension [false]. */
  routeDimension: boolean;
}
