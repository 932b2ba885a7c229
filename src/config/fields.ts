import { ALGORITHMS } from "./algorithms.js";
import { METRICS_NAMESPACE_PATTERN, METRICS_SERVICE_PATTERN } from "./cloudwatch.js";
import { AWS_REGION_PATTERN, DEFAULT_REPLAY_TIMEOUT_MS, DYNAMODB_TABLE_PATTERN } from "./dpop-replay.js";

/**
 * The configuration document (README, "Configuration") as one declarative table: every field with its type,
 * default and meaning. Generated from it by `scripts/generate-config.ts` (a test fails when one of
 * them is not current; change a field here, then run that script): `shape.ts`, the table without its
 * documentation, which `schema.ts` validates against and takes its defaults from (so the Lambda
 * bundle does not carry the documentation); the input type `input.ts`; the JSON Schema
 * `schema/gatepass.config.schema.json`; and the README's configuration tables.
 */

/**
 * The type of a field, in terms the validator, the JSON Schema and the TypeScript type all share;
 * `F` is what its nested fields are (documented in the table, bare in the generated shape).
 */
export type FieldType<F extends FieldShape = Field> =
  /** A non-empty string; `pattern` (a regular expression) narrows it; `ts` is its TypeScript type. */
  | { readonly kind: "string"; readonly pattern?: string; readonly ts?: string }
  /** An integer from `min` to `max`. */
  | { readonly kind: "integer"; readonly min: number; readonly max: number }
  /** A number above 0, up to `max` (durations may be fractional). */
  | { readonly kind: "positive"; readonly max: number }
  | { readonly kind: "boolean" }
  /** Exactly this value (`false` where it means "off"). */
  | { readonly kind: "literal"; readonly value: boolean }
  | { readonly kind: "null" }
  /** One of `values`; `ts` names their TypeScript type (imported by the input type from `algorithms.ts`). */
  | { readonly kind: "enum"; readonly values: readonly string[]; readonly ts?: "Algorithm" }
  | {
      readonly kind: "array";
      readonly items: FieldType<F>;
      readonly minItems?: number;
      readonly maxItems?: number;
    }
  /**
   * An object with these fields; unknown keys are errors unless `open`. `name` names its
   * TypeScript interface in the input type.
   */
  | {
      readonly kind: "object";
      readonly fields: Readonly<Record<string, F>>;
      readonly open?: boolean;
      readonly name?: string;
    }
  /** Any JSON object (claim requirements, a JWK). */
  | { readonly kind: "record" }
  | { readonly kind: "anyOf"; readonly types: readonly FieldType<F>[] };

/** What validation needs of a field: the table without its documentation (`shape.ts`, generated). */
export interface FieldShape {
  /** Absent in the generated shape for a field with a parser of its own (`parser: true`). */
  readonly type?: FieldType<FieldShape>;
  /** The value applied when the field is absent. */
  readonly default?: unknown;
  /** Must be present (for `issuers`, `routes[].route`, `jwks.keys`). */
  readonly required?: boolean;
}

export interface Field extends FieldShape {
  readonly type: FieldType<Field>;
  /**
   * Checked by a parser of its own in `schema.ts` (key sources, token sources, cross-field rules),
   * not by its type alone: the generated shape keeps only its name and default.
   */
  readonly parser?: boolean;
  /** One line: what the field does (the README's "meaning" column and the TSDoc of the input type). */
  readonly doc: string;
  /** How the README states the default when it is not one value ("required", "what the key source allows"). */
  readonly defaultText?: string;
  /** Left out of the README tables (documented in another section). */
  readonly hidden?: boolean;
}

export type Fields = Readonly<Record<string, Field>>;

/**
 * The largest `maxTokenBytes` allowed: API Gateway limits all header values to 10 KiB, and the
 * adapters do not read a credential longer than this.
 */
export const MAX_TOKEN_BYTES_LIMIT = 16_384;

/** The most shared secrets one issuer trusts at once (`secret` as an array: rotation); each one costs an HMAC per token. */
export const MAX_SECRETS = 5;

/** The default cap on a token's size, in bytes: far above real tokens, far below a DoS. */
export const DEFAULT_MAX_TOKEN_BYTES = 8192;

/** The claims passed to the backend when `context.claims` is not set. */
export const DEFAULT_CONTEXT_CLAIMS = [
  "sub",
  "iss",
  "aud",
  "scope",
  "scp",
  "email",
  "groups",
  "cognito:groups",
  "client_id",
];

/** Every API type `gatepass dev` emulates. */
export const DEV_APIS = [
  "rest-token",
  "rest-request",
  "http-v1",
  "http-v2-simple",
  "http-v2-iam",
  "websocket",
] as const;

// The table is made of literals only (no calls, no property reads, no arithmetic), so a bundle that
// imports only the constants above leaves it out.
const string = { kind: "string" } as const;
const strings = { kind: "array", items: string } as const;
const NULL = { kind: "null" } as const;

/** Remote JWKS cache settings, per issuer. Any positive value is accepted (tests use 1 s and 300 ms). */
export const JWKS_CACHE_FIELDS = {
  maxAgeSeconds: { type: { kind: "positive", max: 10485760 }, default: 600, doc: "keys are fresh this long" },
  cooldownSeconds: {
    type: { kind: "positive", max: 10485760 },
    default: 30,
    doc: "at most one refetch per cooldown for unknown `kid`s, and after a failure",
  },
  timeoutMs: {
    type: { kind: "positive", max: 10485760 },
    default: 3000,
    doc: "fetch timeout (headers and body); keep it under the authorizer's own time budget",
  },
  staleIfErrorSeconds: {
    type: { kind: "positive", max: 10485760 },
    default: 3600,
    doc: "keep serving the last good keys this long after they expire while the endpoint fails; then fail closed",
  },
  maxResponseBytes: {
    type: { kind: "positive", max: 10485760 },
    default: 262144,
    doc: "larger JWKS responses are refused (rounded up to a whole number)",
  },
  maxKeys: {
    type: { kind: "positive", max: 10485760 },
    default: 100,
    doc: "keys beyond this are skipped (rounded up to a whole number)",
  },
} as const satisfies Fields;

/** `revocation`, per issuer: a list of revoked `jti`s and per-subject not-before times, cached like a JWKS. */
export const REVOCATION_FIELDS = {
  url: {
    type: string,
    doc: "the list document (HTTPS; plain HTTP only on 127.0.0.1, localhost, [::1]); or `file`",
  },
  file: { type: string, doc: "the list document in a local file (development), re-read like a fetch" },
  onUnavailable: {
    type: { kind: "enum", values: ["deny", "allow"] },
    default: "deny",
    doc: "no usable list (never fetched, or stale beyond `staleIfErrorSeconds`): `deny` (401 `ERR_REVOCATION_UNAVAILABLE`) or `allow` (logged `revocation_unchecked`)",
  },
  maxAgeSeconds: { type: { kind: "positive", max: 86400 }, default: 60, doc: "the list is fresh this long" },
  cooldownSeconds: {
    type: { kind: "positive", max: 86400 },
    default: 10,
    doc: "no new fetch this long after a failure",
  },
  timeoutMs: {
    type: { kind: "positive", max: 60000 },
    default: 3000,
    doc: "fetch timeout (headers and body)",
  },
  staleIfErrorSeconds: {
    type: { kind: "positive", max: 86400 },
    default: 300,
    doc: "keep using the last good list this long after it expires while fetches fail",
  },
  maxResponseBytes: {
    type: { kind: "integer", min: 1, max: 16777216 },
    default: 1048576,
    doc: "a larger document is refused (treated as unavailable)",
  },
  maxEntries: {
    type: { kind: "integer", min: 1, max: 1000000 },
    default: 100000,
    doc: "a document with more `jti`s and subjects together is refused",
  },
} as const satisfies Fields;

/** `introspection`, per issuer: an RFC 7662 endpoint for opaque tokens (and, optionally, JWTs). */
export const INTROSPECTION_FIELDS = {
  endpoint: {
    type: string,
    required: true,
    doc: "the introspection endpoint (HTTPS; plain HTTP only on loopback)",
  },
  clientId: {
    type: string,
    required: true,
    doc: "the client id gatepass authenticates with (`client_secret_basic`)",
  },
  clientSecretEnv: {
    type: { kind: "string", pattern: "^[A-Za-z_][A-Za-z0-9_]{0,127}$" },
    required: true,
    doc: "the name of the environment variable holding the client secret (never the secret itself)",
  },
  opaqueTokens: {
    type: { kind: "boolean" },
    default: true,
    doc: "tokens that are not JWTs are introspected here (one issuer at most)",
  },
  checkJwts: {
    type: { kind: "boolean" },
    default: false,
    doc: "also introspect this issuer's verified JWTs (`active: false` refuses them)",
  },
  cacheMaxSeconds: {
    type: { kind: "integer", min: 0, max: 3600 },
    default: 30,
    doc: "an answer is reused (by SHA-256 of the token) this long at most, never past the token's `exp`; 0 disables",
  },
  cacheMaxEntries: {
    type: { kind: "integer", min: 1, max: 100000 },
    default: 10000,
    doc: "cached answers at most",
  },
  timeoutMs: {
    type: { kind: "positive", max: 60000 },
    default: 3000,
    doc: "request timeout (headers and body)",
  },
  maxResponseBytes: {
    type: { kind: "integer", min: 1, max: 1048576 },
    default: 65536,
    doc: "a larger response is refused (401 `ERR_INTROSPECTION_UNAVAILABLE`)",
  },
} as const satisfies Fields;

/** One trusted issuer. Exactly one key source: `secret`, `publicKey`, `jwks`, `jwksFile`, `jwksUri` or `discovery`. */
export const ISSUER_FIELDS = {
  issuer: {
    parser: true,
    type: { kind: "anyOf", types: [string, NULL] },
    defaultText: "required with a public-key source; optional with `secret`",
    doc: "exact match on `iss`; `null` skips the check on purpose (one issuer at most)",
  },
  audience: {
    parser: true,
    type: { kind: "anyOf", types: [string, { kind: "array", items: string, minItems: 1 }, NULL] },
    defaultText:
      "required with a public-key source (unless the issuer is one of `resource.authorizationServers`: then `[resource.uri]`); optional with `secret`",
    doc: "`aud` must contain one of these (string or array); `null` skips on purpose",
  },
  algorithms: {
    parser: true,
    type: {
      kind: "anyOf",
      types: [
        { kind: "array", items: { kind: "enum", values: ALGORITHMS, ts: "Algorithm" }, minItems: 1 },
        NULL,
      ],
    },
    defaultText: "what the key source allows",
    doc: "allowlist; `none` is rejected at load; HS* only with `secret`",
  },
  secret: {
    parser: true,
    type: { kind: "anyOf", types: [string, { kind: "array", items: string, minItems: 1, maxItems: 5 }] },
    doc: "shared secret (its UTF-8 bytes), at least 32 bytes for HS256, 48 for HS384, 64 for HS512; an array trusts up to 5 at once (rotation)",
  },
  allowInsecureShortSecret: {
    parser: true,
    type: { kind: "boolean" },
    default: false,
    doc: "migration window only: accept a `secret` shorter than the hash size (warned at every cold start); see [Coming from a hand-written authorizer](#coming-from-a-hand-written-authorizer)",
  },
  publicKey: { parser: true, type: string, doc: "PEM public key (SPKI, PKCS#1 or certificate)" },
  jwks: {
    parser: true,
    type: {
      kind: "object",
      open: true,
      fields: {
        keys: {
          type: { kind: "array", items: { kind: "record" }, minItems: 1 },
          required: true,
          doc: "the JWKs (public keys; `oct` keys only with an HS* allowlist)",
        },
      },
    },
    doc: 'inline `{"keys": [...]}`',
  },
  jwksFile: {
    parser: true,
    type: string,
    doc: "a JWKS file read at cold start: alone, or to pre-seed `jwksUri`/`discovery` so a cold start needs no network",
  },
  jwksUri: {
    parser: true,
    type: string,
    doc: "remote JWKS (HTTPS; plain HTTP only on 127.0.0.1, localhost, [::1])",
  },
  discovery: {
    parser: true,
    type: { kind: "boolean" },
    doc: "`true`: OIDC discovery from `{issuer}/.well-known/openid-configuration` (its `issuer` must match exactly)",
  },
  clockToleranceSeconds: {
    type: { kind: "integer", min: 0, max: 300 },
    default: 5,
    doc: "leeway for `exp`, `nbf`, `iat`",
  },
  maxTokenAgeSeconds: {
    type: { kind: "anyOf", types: [{ kind: "integer", min: 1, max: 315_360_000 }, NULL] },
    default: null,
    doc: "refuse tokens whose `iat` is older",
  },
  requiredClaims: { type: strings, default: [], doc: "claims that must be present" },
  typ: {
    type: {
      kind: "anyOf",
      types: [
        {
          kind: "string",
          pattern: "^([A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/)?[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$",
        },
        NULL,
      ],
    },
    default: null,
    doc: "expected `typ` header, a media type (RFC 9068 access tokens: `at+jwt`); ASCII case-insensitive, `application/` optional; a token without `typ` is refused",
  },
  requireExp: { type: { kind: "boolean" }, default: true, doc: "tokens without `exp` are refused" },
  jwksCache: {
    type: { kind: "object", fields: JWKS_CACHE_FIELDS },
    doc: "remote JWKS cache (`jwksUri`, `discovery`)",
  },
  revocation: {
    type: { kind: "object", fields: REVOCATION_FIELDS, name: "RevocationConfigInput" },
    defaultText: "off",
    doc: "revoked `jti`s and subject not-before times (see [Revocation and introspection](#revocation-and-introspection))",
  },
  introspection: {
    type: { kind: "object", fields: INTROSPECTION_FIELDS, name: "IntrospectionConfigInput" },
    defaultText: "off",
    doc: "RFC 7662 token introspection (see [Revocation and introspection](#revocation-and-introspection))",
  },
  certificateBound: {
    type: { kind: "enum", values: ["required", "if-present"] },
    defaultText: "off",
    doc: 'RFC 8705 certificate-bound tokens: `cnf["x5t#S256"]` must match the mutual-TLS client certificate (see [Certificate-bound tokens](#certificate-bound-tokens-rfc-8705))',
  },
  dpop: {
    type: { kind: "enum", values: ["required", "if-present"] },
    defaultText: "off",
    doc: "RFC 9449 DPoP: `Authorization: DPoP` with a `DPoP` proof whose key matches `cnf.jkt` (see [DPoP](#dpop-rfc-9449))",
  },
  dpopUrlBase: {
    type: { kind: "string", pattern: "^https://[^?#]+$" },
    defaultText: "`https://` + `Host`",
    doc: "what precedes the request path in the URL DPoP clients sign (`htu`): set it behind a proxy that changes the host or strips a path prefix",
  },
  dpopIatWindowSeconds: {
    type: { kind: "integer", min: 1, max: 600 },
    default: 60,
    doc: "a DPoP proof's `iat` may differ from now by this much either way; its `jti` is remembered as long",
  },
  // Claim checks any issuer can use (identity-provider presets expand into them).
  clientId: {
    parser: true,
    type: { kind: "anyOf", types: [string, { kind: "array", items: string, minItems: 1 }, NULL] },
    defaultText: "not checked",
    doc: "the client the token was issued to, read from the first `clientIdClaim` present, must be one of these (401 otherwise); `cognito`: the app client ids, checked per `tokenUse`",
  },
  clientIdClaim: {
    type: { kind: "array", items: string, minItems: 1 },
    default: ["client_id"],
    doc: "claims that may hold the client id, in order (the first one present is checked)",
  },
  requiredClaimValues: {
    parser: true,
    type: { kind: "record" },
    defaultText: "none",
    doc: 'claims that must be one of the listed strings, as `{"token_use": ["access"]}` (401 otherwise)',
  },
  scopeClaims: {
    type: { kind: "array", items: string, minItems: 1 },
    default: ["scope", "scp"],
    doc: "claims `scopes` rules read granted scopes from (a space-separated string or an array)",
  },
  // Identity-provider presets (see "Identity providers" in the README).
  preset: {
    parser: true,
    type: { kind: "enum", values: ["cognito", "auth0", "okta", "entra", "keycloak", "google"] },
    doc: "derive issuer, keys, claim checks and `scopeClaims` for a provider; explicit fields win",
  },
  userPoolId: {
    parser: true,
    type: string,
    doc: "`cognito`: the user pool id (`eu-west-1_AbC123`); the region comes from it",
  },
  tokenUse: {
    parser: true,
    type: { kind: "anyOf", types: [{ kind: "enum", values: ["access", "id"] }, NULL] },
    defaultText: "`cognito`: required",
    doc: '`cognito`: `"access"`, `"id"`, or `null` for both',
  },
  domain: { parser: true, type: string, doc: "`auth0`: the tenant domain (`acme.eu.auth0.com`)" },
  tenantId: {
    parser: true,
    type: string,
    doc: "`entra`: the tenant GUID, or `organizations`/`common` with `allowedTenants`",
  },
  allowedTenants: {
    parser: true,
    type: { kind: "array", items: string, minItems: 1 },
    doc: "`entra` multi-tenant: the tenant GUIDs accepted (`tid`, and `iss` for that `tid`)",
  },
  version: {
    parser: true,
    type: { kind: "enum", values: ["1.0", "2.0"] },
    defaultText: '`entra`: `"2.0"`',
    doc: "`entra`: the token version (v1.0 issuer `https://sts.windows.net/{tid}/`)",
  },
  url: { parser: true, type: string, doc: "`keycloak`: the server URL (`https://kc.acme.example`)" },
  realm: { parser: true, type: string, doc: "`keycloak`: the realm name" },
} as const satisfies Fields;

/** One route rule (checked in depth when the rules are compiled). */
export const ROUTE_FIELDS = {
  route: {
    type: string,
    required: true,
    doc: "`METHOD /path` with `{param}`, `{proxy+}` and `ANY`; or a WebSocket route key such as `$connect`",
  },
  scopes: { type: strings, doc: "scopes the token must carry (`scope` or `scp`)" },
  scopesMode: {
    type: { kind: "enum", values: ["all", "any"] },
    default: "all",
    doc: "`all` or `any` of `scopes`",
  },
  claims: {
    type: { kind: "record" },
    doc: "claim requirements: a value (equal), an array (one of / contains any), or an operator object; a claim name starting with `/` is a JSON Pointer (RFC 6901) into the payload (`/realm_access/roles`)",
  },
  allow: {
    type: { kind: "boolean" },
    doc: '`true` opens the route to any authenticated principal, overriding `unmatchedRoutes: "deny"`',
  },
} as const satisfies Fields;

/** The `dev` section, read by `gatepass dev` only. */
export const DEV_FIELDS = {
  api: { type: { kind: "enum", values: DEV_APIS }, default: "rest-token", doc: "the API type emulated" },
  stage: {
    type: { kind: "string", pattern: "^(\\$default|[A-Za-z0-9_-]{1,128})$" },
    default: "dev",
    doc: 'stage name (letters, digits, - or _, or "$default")',
  },
  identitySources: {
    parser: true,
    type: { kind: "array", items: string, minItems: 1 },
    defaultText:
      '`["header:authorization"]`; HTTP APIs add `"context:routeKey"` so a cached answer stays per route',
    doc: "identity sources of API Gateway's authorizer cache",
  },
  resultTtlSeconds: {
    type: { kind: "integer", min: 0, max: 3600 },
    default: 300,
    doc: "API Gateway's authorizer cache; `0` disables",
  },
  cors: {
    type: {
      kind: "anyOf",
      types: [
        {
          kind: "object",
          name: "DevCorsConfigInput",
          fields: {
            allowOrigin: { type: string, default: "*", doc: "`Access-Control-Allow-Origin`" },
            allowHeaders: { type: string, doc: "`Access-Control-Allow-Headers`" },
            allowMethods: { type: string, doc: "`Access-Control-Allow-Methods`" },
          },
        },
        { kind: "null" },
        { kind: "literal", value: false },
      ],
    },
    default: null,
    doc: "headers added to gateway responses (401/403/500); `null` or `false`: none",
  },
  allowedHosts: {
    parser: true,
    type: strings,
    defaultText: "none",
    doc: "host names answered besides the loopback ones (DNS names or IPv4 addresses, no port); any other `Host` is refused",
  },
  apiKeyRequired: {
    type: { kind: "boolean" },
    default: false,
    doc: "REST APIs: every authorized method requires an API key, the authorizer's `usageIdentifierKey` (key source `AUTHORIZER`), metered by `usagePlans`; no key or a key in no plan → 403",
  },
  usagePlans: {
    parser: true,
    type: {
      kind: "array",
      items: {
        kind: "object",
        name: "DevUsagePlanConfigInput",
        fields: {
          keys: {
            type: { kind: "array", items: string, minItems: 1 },
            required: true,
            doc: "API key values of this plan, each metered on its own",
          },
          throttle: {
            type: {
              kind: "object",
              name: "DevThrottleConfigInput",
              fields: {
                rateLimit: {
                  type: { kind: "positive", max: 1000000 },
                  required: true,
                  doc: "requests per second",
                },
                burstLimit: {
                  type: { kind: "integer", min: 0, max: 1000000 },
                  required: true,
                  doc: "bucket size",
                },
              },
            },
            doc: "a token bucket per key; empty → 429 `Too Many Requests`",
          },
          quota: {
            type: {
              kind: "object",
              name: "DevQuotaConfigInput",
              fields: {
                limit: {
                  type: { kind: "integer", min: 0, max: 2147483647 },
                  required: true,
                  doc: "requests per period",
                },
                period: {
                  type: { kind: "enum", values: ["DAY", "WEEK", "MONTH"] },
                  default: "DAY",
                  doc: "UTC calendar period",
                },
              },
            },
            doc: "requests per key and period; beyond → 429 `Limit Exceeded`",
          },
        },
      },
    },
    default: [],
    doc: "usage plans for `apiKeyRequired` (see [Usage plans](#usage-plans))",
  },
} as const satisfies Fields;

/** The whole document. */
export const CONFIG_FIELDS = {
  $schema: {
    parser: true,
    type: string,
    hidden: true,
    doc: "the JSON Schema of this document, for editors (ignored)",
  },
  issuers: {
    type: {
      kind: "array",
      items: { kind: "object", fields: ISSUER_FIELDS, name: "IssuerConfigInput" },
      minItems: 1,
    },
    required: true,
    doc: "trusted issuers (below); the token's `iss` selects one, only among these",
  },
  principalClaim: { type: string, default: "sub", doc: "claim used as `principalId`; missing → 401" },
  usageIdentifierClaim: {
    type: { kind: "anyOf", types: [string, NULL] },
    default: null,
    doc: "REST and WebSocket APIs: the claim (or `/pointer`) returned as `usageIdentifierKey`, the caller's usage-plan API key (key source `AUTHORIZER`); not a non-empty string → 401; never sent to HTTP APIs (see [Usage plans](#usage-plans))",
  },
  tokenSources: {
    parser: true,
    type: {
      kind: "array",
      items: {
        kind: "string",
        pattern: "^(header|cookie|query):[!#$%&'*+.^_`|~0-9A-Za-z-]+$",
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a TypeScript template literal type, written out
        ts: "`header:${string}` | `cookie:${string}` | `query:${string}`",
      },
      minItems: 1,
    },
    default: ["header:authorization"],
    doc: "where the token is read: `header:NAME` (a `Bearer` value or a raw JWT), `cookie:NAME`, `query:NAME`; first present wins. A REST `TOKEN` event always uses its `authorizationToken`",
  },
  routes: {
    parser: true,
    type: { kind: "array", items: { kind: "object", fields: ROUTE_FIELDS, name: "RouteConfigInput" } },
    default: [],
    doc: "route rules (see [Route rules](#route-rules))",
  },
  unmatchedRoutes: {
    type: { kind: "enum", values: ["allow", "deny"] },
    default: "allow",
    doc: 'routes no rule matches: `"allow"` any authenticated principal, or `"deny"`',
  },
  context: {
    type: {
      kind: "object",
      fields: {
        claims: {
          type: strings,
          default: DEFAULT_CONTEXT_CLAIMS,
          defaultText: "`sub, iss, aud, scope, scp, email, groups, cognito:groups, client_id`",
          doc: "claims passed to the backend; a name starting with `/` is a JSON Pointer (`/realm_access/roles`), passed under that same text as its key",
        },
        maxBytes: {
          type: { kind: "integer", min: 64, max: 65536 },
          default: 4096,
          doc: "cap on the context's JSON size (lower when the API's result size leaves less room); claims beyond it, and 2.0 claims nested more than 64 levels, are dropped with a log line",
        },
      },
    },
    doc: "the authorizer context passed to the backend",
  },
  httpApi: {
    type: {
      kind: "object",
      fields: {
        response: {
          type: { kind: "enum", values: ["simple", "iam"] },
          default: "simple",
          doc: 'HTTP API payload 2.0: `"simple"` (`{isAuthorized, context}`) or `"iam"`',
        },
      },
    },
    doc: "HTTP API answers",
  },
  maxTokenBytes: {
    type: { kind: "integer", min: 256, max: MAX_TOKEN_BYTES_LIMIT },
    default: DEFAULT_MAX_TOKEN_BYTES,
    doc: "larger tokens are refused before any parsing",
  },
  tokenCache: {
    type: {
      kind: "object",
      fields: {
        maxEntries: {
          type: { kind: "integer", min: 0, max: 1_000_000 },
          default: 1000,
          doc: "verified-token cache size (`0` disables)",
        },
        ttlSeconds: {
          type: { kind: "integer", min: 1, max: 86400 },
          default: 300,
          doc: "a cached verification never outlives this, the token's `exp`, or its key (past `jwksCache.maxAgeSeconds` a hit refreshes the keys like an uncached token)",
        },
      },
    },
    doc: "the verified-token cache",
  },
  logLevel: {
    type: { kind: "enum", values: ["debug", "info", "warn", "error", "silent"] },
    default: "info",
    doc: "`debug`, `info`, `warn`, `error`, `silent`",
  },
  logSampleRate: {
    type: { kind: "positive", max: 1 },
    default: 1,
    doc: "the share of `allow` decision lines written (`0.01`: one in a hundred, each with `sampling_rate`); deny, 401 and error lines are always written (env `GATEPASS_LOG_SAMPLE_RATE`)",
  },
  dpopReplay: {
    type: {
      kind: "object",
      fields: {
        store: {
          type: { kind: "enum", values: ["memory", "dynamodb"] },
          default: "memory",
          doc: '`"memory"`: each Lambda instance remembers the `jti`s it accepted; `"dynamodb"`: one conditional `PutItem` per proof in a table all instances share',
        },
        table: {
          type: { kind: "string", pattern: DYNAMODB_TABLE_PATTERN },
          defaultText: "required with `dynamodb` (env `GATEPASS_DPOP_REPLAY_TABLE`)",
          doc: "the DynamoDB table: partition key `pk` (string), TTL attribute `expiresAt`",
        },
        region: {
          type: { kind: "string", pattern: AWS_REGION_PATTERN },
          defaultText: "the function's `AWS_REGION`",
          doc: "the table's AWS region",
        },
        timeoutMs: {
          type: { kind: "integer", min: 10, max: 10000 },
          default: DEFAULT_REPLAY_TIMEOUT_MS,
          doc: "a put not answered in time (or failing) refuses the request (401 `ERR_DPOP_INVALID`): fail closed",
        },
      },
      name: "DpopReplayConfigInput",
    },
    defaultText: '`{ "store": "memory" }`',
    doc: "where accepted DPoP proofs' `jti`s are remembered until their `iat` window ends (see [DPoP](#dpop-rfc-9449)); only with an issuer using `dpop`",
  },
  metrics: {
    type: {
      kind: "object",
      fields: {
        namespace: {
          type: { kind: "string", pattern: METRICS_NAMESPACE_PATTERN },
          required: true,
          doc: "CloudWatch namespace of the metrics (not `AWS/…`)",
        },
        service: {
          type: { kind: "string", pattern: METRICS_SERVICE_PATTERN },
          defaultText: "`POWERTOOLS_SERVICE_NAME`, else `gatepass`",
          doc: "the `service` dimension",
        },
        routeDimension: {
          type: { kind: "boolean" },
          default: false,
          doc: "add the deciding rule's route template (`GET /orders/{id}`) as a `route` dimension; never the request's own path",
        },
      },
      name: "MetricsConfigInput",
    },
    defaultText: "off (`POWERTOOLS_METRICS_NAMESPACE` turns it on)",
    doc: "CloudWatch metrics in Embedded Metric Format, one document per invocation (see [Metrics](#metrics))",
  },
  resource: {
    type: {
      kind: "object",
      fields: {
        uri: {
          type: string,
          required: true,
          doc: "the protected resource's identifier (RFC 8707/9728): the URL clients call, `https` (or `http` on a loopback host), no fragment; every token's `aud` must include it",
        },
        authorizationServers: {
          type: { kind: "array", items: string, minItems: 1, maxItems: 16 },
          required: true,
          doc: "issuer URLs of the authorization servers that issue tokens for it (RFC 9728 `authorization_servers`); each must be one of `issuers[].issuer`",
        },
        scopesSupported: {
          type: strings,
          default: [],
          doc: "scopes the resource understands (`scopes_supported`)",
        },
        resourceName: { type: string, doc: "a human-readable name (`resource_name`)" },
        documentation: {
          type: string,
          doc: "a URL of human-readable documentation (`resource_documentation`)",
        },
        metadataUrl: {
          type: string,
          defaultText: "RFC 9728's well-known URL of `uri`",
          doc: "where the metadata document is served, named in `WWW-Authenticate: Bearer resource_metadata=…`",
        },
      },
      name: "ResourceConfigInput",
    },
    defaultText: "off",
    doc: "an OAuth protected resource for MCP and RFC 9728 clients: metadata, `WWW-Authenticate` challenges, `aud` = `uri` (see [Protected resource (MCP)](#protected-resource-mcp))",
  },
  dev: {
    type: { kind: "object", fields: DEV_FIELDS, name: "DevConfigInput" },
    defaultText: "the default of each `dev` field (below)",
    doc: "read by `gatepass dev` only; see [Local development](#local-development)",
  },
} as const satisfies Fields;
