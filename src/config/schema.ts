import type { KeyObject } from "node:crypto";
import { ConfigError } from "../errors.js";
import {
  ALGORITHMS,
  type Algorithm,
  algorithmsForKey,
  isAlgorithm,
  keyMismatch,
  unusableKeyReason,
} from "../keys/algorithms.js";
import { isAllowedKeyUrl } from "../keys/discovery.js";
import { importPem, looksLikeKey } from "../keys/import.js";
import { judgeKey } from "../keys/judge.js";
import { DEFAULT_JWKS_CACHE_CONFIG as DEFAULT_JWKS_CACHE } from "../keys/jwks/remote-jwks.js";
import { compileRules, type RuleSet } from "../rules/rules.js";
import { MAX_TOKEN_BYTES_LIMIT } from "../token/decode.js";
import { isJsonObject, type JsonObject } from "../util/json.js";
import type {
  DevApiType,
  GatepassConfig,
  IssuerConfig,
  JwksCacheConfig,
  RouteConfig,
  TokenSource,
} from "./types.js";

/**
 * Validation of the configuration document (contract §2.3). Every check throws a `ConfigError`
 * naming the field (`issuers[0].secret`) and what is expected, so a bad deployment fails at cold
 * start with one clear sentence. Unknown keys are errors: a typo (`audiance`) must not silently
 * switch a check off.
 */

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
export const DEV_APIS: readonly DevApiType[] = [
  "rest-token",
  "rest-request",
  "http-v1",
  "http-v2-simple",
  "http-v2-iam",
  "websocket",
];

/** Validated configurations and their compiled rules (compiled once, at validation). */
const validated = new WeakMap<object, RuleSet>();

/**
 * Describes a wrong value for an error message without echoing it: the value may be a secret in
 * the wrong place. Only short names (enums, algorithm names), numbers and booleans are shown.
 */
const show = (value: unknown) => {
  if (value === null) return "null";
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (typeof value === "string") {
    return value.length <= 24 && /^[\w.:+-]*$/.test(value)
      ? JSON.stringify(value)
      : `a string of ${value.length} characters`;
  }
  return Array.isArray(value) ? "an array" : `${typeof value === "object" ? "an" : "a"} ${typeof value}`;
};

/** The type of a value only, for fields that may hold secrets. */
const kind = (value: unknown) =>
  value === null
    ? "null"
    : Array.isArray(value)
      ? "an array"
      : typeof value === "object"
        ? "an object"
        : `a ${typeof value}`;

function object(value: unknown, field: string): JsonObject {
  if (!isJsonObject(value)) throw new ConfigError(field, `expected an object, got ${kind(value)}.`);
  return value;
}

function onlyKeys(value: JsonObject, field: string, allowed: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      throw new ConfigError(
        field ? `${field}.${key}` : key,
        `unknown field (expected one of: ${allowed.join(", ")}).`,
      );
    }
  }
}

function string(value: unknown, field: string, options: { nonEmpty?: boolean } = { nonEmpty: true }): string {
  if (typeof value !== "string" || (options.nonEmpty !== false && value.length === 0)) {
    throw new ConfigError(field, `expected a non-empty string, got ${kind(value)}.`);
  }
  return value;
}

function number(value: unknown, field: string, min: number, max: number, integer = true): number {
  if (
    typeof value !== "number" ||
    !Number.isFinite(value) ||
    value < min ||
    value > max ||
    (integer && !Number.isInteger(value))
  ) {
    throw new ConfigError(
      field,
      `expected ${integer ? "an integer" : "a number"} from ${min} to ${max}, got ${show(value)}.`,
    );
  }
  return value;
}

function positive(value: unknown, field: string, max: number): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0 || value > max) {
    throw new ConfigError(field, `expected a positive number up to ${max}, got ${show(value)}.`);
  }
  return value;
}

function stringArray(value: unknown, field: string, options: { nonEmpty?: boolean } = {}): string[] {
  if (!Array.isArray(value))
    throw new ConfigError(field, `expected an array of strings, got ${show(value)}.`);
  if (options.nonEmpty && value.length === 0) throw new ConfigError(field, "expected at least one value.");
  return value.map((item, i) => string(item, `${field}[${i}]`));
}

function oneOf<T extends string>(value: unknown, field: string, options: readonly T[]): T {
  if (typeof value !== "string" || !options.includes(value as T)) {
    throw new ConfigError(
      field,
      `expected one of ${options.map((o) => `"${o}"`).join(", ")}, got ${show(value)}.`,
    );
  }
  return value as T;
}

const ISSUER_KEYS = [
  "issuer",
  "audience",
  "algorithms",
  "secret",
  "publicKey",
  "jwks",
  "jwksFile",
  "jwksUri",
  "discovery",
  "clockToleranceSeconds",
  "maxTokenAgeSeconds",
  "requiredClaims",
  "typ",
  "requireExp",
  "jwksCache",
] as const;

function parseAlgorithms(value: unknown, field: string): Algorithm[] | null {
  if (value === undefined || value === null) return null;
  if (!Array.isArray(value) || value.length === 0)
    throw new ConfigError(field, "expected a non-empty array of algorithm names.");
  return value.map((alg, i) => {
    if (typeof alg === "string" && alg.toLowerCase() === "none") {
      throw new ConfigError(`${field}[${i}]`, `"none" can never be allowed: unsigned tokens prove nothing.`);
    }
    if (!isAlgorithm(alg))
      throw new ConfigError(
        `${field}[${i}]`,
        `unsupported algorithm ${show(alg)} (supported: ${ALGORITHMS.join(", ")}).`,
      );
    return alg;
  });
}

function parseJwksCache(value: unknown, field: string): JwksCacheConfig {
  if (value === undefined) return { ...DEFAULT_JWKS_CACHE };
  const o = object(value, field);
  onlyKeys(o, field, Object.keys(DEFAULT_JWKS_CACHE));
  const out = { ...DEFAULT_JWKS_CACHE };
  for (const key of Object.keys(DEFAULT_JWKS_CACHE) as Array<keyof JwksCacheConfig>) {
    if (o[key] === undefined) continue;
    // Any positive value is accepted (durations may be fractional); counts are rounded up to whole numbers.
    const value = positive(o[key], `${field}.${key}`, 10 * 1024 * 1024);
    out[key] = key === "maxKeys" || key === "maxResponseBytes" ? Math.ceil(value) : value;
  }
  return out;
}

function parseKeyUrl(value: unknown, field: string): string {
  const url = string(value, field);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(field, `expected an absolute URL, got ${show(url)}.`);
  }
  if (parsed.username || parsed.password) throw new ConfigError(field, "must not contain credentials.");
  if (!isAllowedKeyUrl(url)) {
    throw new ConfigError(
      field,
      `must be an https URL (http is allowed only on 127.0.0.1, localhost or [::1]), got ${show(url)}.`,
    );
  }
  return url;
}

function parseIssuer(value: unknown, field: string): IssuerConfig {
  const o = object(value, field);
  onlyKeys(o, field, ISSUER_KEYS);
  const sources = (["secret", "publicKey", "jwks", "jwksUri", "discovery"] as const).filter(
    (k) => o[k] !== undefined && o[k] !== false,
  );
  if (sources.length === 0 && o.jwksFile === undefined) {
    throw new ConfigError(
      field,
      "needs a key source: one of secret, publicKey, jwks, jwksFile, jwksUri or discovery.",
    );
  }
  if (sources.length > 1)
    throw new ConfigError(field, `has several key sources (${sources.join(", ")}); use exactly one.`);
  const source = sources[0] ?? "jwksFile";
  if (o.jwksFile !== undefined && source !== "jwksFile" && source !== "jwksUri" && source !== "discovery") {
    throw new ConfigError(`${field}.jwksFile`, "can only stand alone or pre-seed jwksUri or discovery.");
  }
  const isSecret = source === "secret";
  for (const k of ["issuer", "audience"] as const) {
    if (!isSecret && o[k] === undefined) {
      throw new ConfigError(
        `${field}.${k}`,
        `is required with a public-key source (${source}); set it to null to skip the check on purpose.`,
      );
    }
  }
  const issuer = o.issuer === undefined || o.issuer === null ? null : string(o.issuer, `${field}.issuer`);
  let audience: string[] | null = null;
  if (typeof o.audience === "string") audience = [string(o.audience, `${field}.audience`)];
  else if (o.audience !== undefined && o.audience !== null)
    audience = stringArray(o.audience, `${field}.audience`, { nonEmpty: true });

  const out: IssuerConfig = {
    issuer,
    audience,
    algorithms: parseAlgorithms(o.algorithms, `${field}.algorithms`),
    clockToleranceSeconds:
      o.clockToleranceSeconds === undefined
        ? 5
        : number(o.clockToleranceSeconds, `${field}.clockToleranceSeconds`, 0, 300),
    maxTokenAgeSeconds:
      o.maxTokenAgeSeconds === undefined || o.maxTokenAgeSeconds === null
        ? null
        : number(o.maxTokenAgeSeconds, `${field}.maxTokenAgeSeconds`, 1, 10 * 365 * 86400),
    requiredClaims:
      o.requiredClaims === undefined ? [] : stringArray(o.requiredClaims, `${field}.requiredClaims`),
    typ: o.typ === undefined || o.typ === null ? null : string(o.typ, `${field}.typ`),
    requireExp: o.requireExp === undefined ? true : bool(o.requireExp, `${field}.requireExp`),
    jwksCache: parseJwksCache(o.jwksCache, `${field}.jwksCache`),
  };
  const algorithms = out.algorithms;
  const hmacAllowed = algorithms?.filter((a) => a.startsWith("HS")) ?? [];
  if (isSecret) {
    const secret = string(o.secret, `${field}.secret`);
    if (looksLikeKey(secret)) {
      throw new ConfigError(
        `${field}.secret`,
        "looks like a public key; a public key can never be used as an HMAC secret.",
      );
    }
    const bytes = Buffer.byteLength(secret, "utf8");
    if (bytes < 32)
      throw new ConfigError(
        `${field}.secret`,
        `must be at least 32 bytes for HS256 (got ${bytes}); generate one with "gatepass keys generate --alg HS256".`,
      );
    for (const alg of algorithms ?? []) {
      const min = { HS256: 32, HS384: 48, HS512: 64 }[alg as "HS256"];
      if (min === undefined)
        throw new ConfigError(`${field}.algorithms`, `${alg} cannot be verified with a shared secret.`);
      if (bytes < min)
        throw new ConfigError(`${field}.secret`, `must be at least ${min} bytes for ${alg} (got ${bytes}).`);
    }
    out.secret = secret;
  } else if (
    hmacAllowed.length > 0 &&
    (source === "publicKey" || source === "jwksUri" || source === "discovery")
  ) {
    throw new ConfigError(
      `${field}.algorithms`,
      `${hmacAllowed.join(", ")} needs a shared secret; a public key can never be used as an HMAC secret.`,
    );
  }
  if (source === "publicKey") {
    const pem = string(o.publicKey, `${field}.publicKey`);
    if (pem.includes("PRIVATE KEY")) {
      throw new ConfigError(
        `${field}.publicKey`,
        "is a private key; configure only the public key (gatepass never needs a private key).",
      );
    }
    let key: KeyObject;
    try {
      key = importPem(pem);
    } catch {
      throw new ConfigError(
        `${field}.publicKey`,
        "is not a usable PEM public key (SPKI, PKCS#1 or an X.509 certificate).",
      );
    }
    // Judged here too (memoized, so the key source's own judging is a lookup), so that a refusal
    // names GATEPASS_PUBLIC_KEY when the key came from that variable.
    const refusal = judgeKey(key);
    if (refusal !== null) throw new ConfigError(`${field}.publicKey`, `${refusal.reason}.`);
    const usable = algorithmsForKey(key);
    if (usable.length === 0) throw new ConfigError(`${field}.publicKey`, `${unusableKeyReason(key)}.`);
    for (const alg of algorithms ?? []) {
      if (!usable.includes(alg)) throw new ConfigError(`${field}.algorithms`, `${keyMismatch(key, alg)}.`);
    }
    out.publicKey = pem;
  }
  if (source === "jwks") {
    const jwks = object(o.jwks, `${field}.jwks`);
    if (!Array.isArray(jwks.keys) || jwks.keys.length === 0)
      throw new ConfigError(`${field}.jwks.keys`, "expected a non-empty array of JWKs.");
    if (hmacAllowed.length > 0 && !jwks.keys.some((k) => isJsonObject(k) && k.kty === "oct")) {
      throw new ConfigError(
        `${field}.algorithms`,
        `${hmacAllowed.join(", ")} needs a shared secret (an "oct" key); a public key can never be used as an HMAC secret.`,
      );
    }
    out.jwks = { keys: jwks.keys };
  }
  if (o.jwksFile !== undefined) out.jwksFile = string(o.jwksFile, `${field}.jwksFile`);
  if (source === "jwksUri") out.jwksUri = parseKeyUrl(o.jwksUri, `${field}.jwksUri`);
  if (source === "discovery") {
    if (o.discovery !== true)
      throw new ConfigError(`${field}.discovery`, `expected true, got ${show(o.discovery)}.`);
    if (issuer === null)
      throw new ConfigError(
        `${field}.issuer`,
        "is required for OIDC discovery (the discovery URL is built from it).",
      );
    parseKeyUrl(issuer, `${field}.issuer`);
    out.discovery = true;
  }
  return out;
}

function bool(value: unknown, field: string): boolean {
  if (typeof value !== "boolean") throw new ConfigError(field, `expected true or false, got ${show(value)}.`);
  return value;
}

function parseTokenSource(value: unknown, field: string): TokenSource {
  const text = string(value, field);
  const match = /^(header|cookie|query):([!#$%&'*+.^_`|~0-9A-Za-z-]+)$/.exec(text);
  if (!match)
    throw new ConfigError(field, `expected "header:NAME", "cookie:NAME" or "query:NAME", got ${show(text)}.`);
  const kind = match[1] as TokenSource["kind"];
  return { kind, name: kind === "header" ? match[2]!.toLowerCase() : match[2]! };
}

function parseRoutes(value: unknown, field: string): RouteConfig[] {
  if (value === undefined) return [];
  if (!Array.isArray(value))
    throw new ConfigError(field, `expected an array of route rules, got ${show(value)}.`);
  // Shape only here; compileRules checks each rule in depth below.
  return value.map((route, i) => ({ ...object(route, `${field}[${i}]`) }) as unknown as RouteConfig);
}

/** The compiled rules of a validated configuration (compiled once by {@link parseConfig}). */
export function rulesFor(config: GatepassConfig): RuleSet {
  const rules = validated.get(parseConfig(config));
  if (rules === undefined) throw new Error("unreachable: a validated configuration always has rules");
  return rules;
}

function parseDev(value: unknown): GatepassConfig["dev"] {
  const o = value === undefined ? {} : object(value, "dev");
  onlyKeys(o, "dev", ["api", "stage", "identitySources", "resultTtlSeconds", "cors", "allowedHosts"]);
  let cors: GatepassConfig["dev"]["cors"] = null;
  if (o.cors !== undefined && o.cors !== null && o.cors !== false) {
    const c = object(o.cors, "dev.cors");
    onlyKeys(c, "dev.cors", ["allowOrigin", "allowHeaders", "allowMethods"]);
    cors = { allowOrigin: string(c.allowOrigin ?? "*", "dev.cors.allowOrigin") };
    if (c.allowHeaders !== undefined) cors.allowHeaders = string(c.allowHeaders, "dev.cors.allowHeaders");
    if (c.allowMethods !== undefined) cors.allowMethods = string(c.allowMethods, "dev.cors.allowMethods");
  }
  const stage = o.stage === undefined ? "dev" : string(o.stage, "dev.stage");
  if (!/^(\$default|[A-Za-z0-9_-]{1,128})$/.test(stage))
    throw new ConfigError(
      "dev.stage",
      `expected letters, digits, - or _, or "$default", got ${show(stage)}.`,
    );
  const api = o.api === undefined ? "rest-token" : oneOf(o.api, "dev.api", DEV_APIS);
  return {
    api,
    stage,
    // HTTP APIs: the route key too, as the deploy templates do, so a cached answer stays per route.
    identitySources:
      o.identitySources === undefined
        ? api === "http-v2-simple" || api === "http-v2-iam"
          ? ["header:authorization", "context:routeKey"]
          : ["header:authorization"]
        : stringArray(o.identitySources, "dev.identitySources", { nonEmpty: true }),
    resultTtlSeconds:
      o.resultTtlSeconds === undefined ? 300 : number(o.resultTtlSeconds, "dev.resultTtlSeconds", 0, 3600),
    cors,
    // Only when given: the other `dev` defaults stay as they were.
    ...(o.allowedHosts === undefined
      ? {}
      : {
          allowedHosts: stringArray(o.allowedHosts, "dev.allowedHosts").map((name, i) =>
            hostName(name, `dev.allowedHosts[${i}]`),
          ),
        }),
  };
}

/**
 * A host name as `dev.allowedHosts` and `--allow-host` take it: a DNS name or an IPv4 address,
 * without scheme, port or path (`api.test`, `192.168.1.20`); lower-cased.
 */
export function hostName(value: string, field: string): string {
  const name = value.trim().toLowerCase();
  if (
    !/^(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*$/.test(
      name,
    )
  )
    throw new ConfigError(
      field,
      `expected a host name such as "api.test" (no scheme, port or path), got ${show(value)}.`,
    );
  return name;
}

const TOP_KEYS = [
  "$schema",
  "issuers",
  "principalClaim",
  "tokenSources",
  "routes",
  "unmatchedRoutes",
  "context",
  "httpApi",
  "maxTokenBytes",
  "tokenCache",
  "logLevel",
  "dev",
] as const;

/**
 * Validates a configuration document and applies every default. Idempotent: a validated
 * configuration passes through unchanged. Throws `ConfigError`.
 *
 * @example
 * const config = parseConfig({ issuers: [{ secret: process.env.GATEPASS_SECRET }] });
 */
export function parseConfig(doc: unknown): GatepassConfig {
  if (typeof doc === "object" && doc !== null && validated.has(doc)) return doc as GatepassConfig;
  const o = object(doc, "");
  onlyKeys(o, "", TOP_KEYS);
  if (!Array.isArray(o.issuers) || o.issuers.length === 0) {
    throw new ConfigError("issuers", "expected a non-empty array of issuers (each with a key source).");
  }
  const issuers = o.issuers.map((issuer, i) => parseIssuer(issuer, `issuers[${i}]`));
  const seen = new Set<string | null>();
  issuers.forEach((issuer, i) => {
    if (seen.has(issuer.issuer)) {
      throw new ConfigError(
        `issuers[${i}].issuer`,
        issuer.issuer === null
          ? "only one issuer may skip the iss check (issuer null or absent)."
          : `${show(issuer.issuer)} is configured twice.`,
      );
    }
    seen.add(issuer.issuer);
  });
  const context = o.context === undefined ? {} : object(o.context, "context");
  onlyKeys(context, "context", ["claims", "maxBytes"]);
  const httpApi = o.httpApi === undefined ? {} : object(o.httpApi, "httpApi");
  onlyKeys(httpApi, "httpApi", ["response"]);
  const tokenCache = o.tokenCache === undefined ? {} : object(o.tokenCache, "tokenCache");
  onlyKeys(tokenCache, "tokenCache", ["maxEntries", "ttlSeconds"]);
  const tokenSources =
    o.tokenSources === undefined
      ? [{ kind: "header", name: "authorization" } as TokenSource]
      : stringArray(o.tokenSources, "tokenSources", { nonEmpty: true }).map((s, i) =>
          parseTokenSource(s, `tokenSources[${i}]`),
        );
  const config: GatepassConfig = {
    issuers,
    principalClaim: o.principalClaim === undefined ? "sub" : string(o.principalClaim, "principalClaim"),
    tokenSources,
    routes: parseRoutes(o.routes, "routes"),
    unmatchedRoutes:
      o.unmatchedRoutes === undefined
        ? "allow"
        : oneOf(o.unmatchedRoutes, "unmatchedRoutes", ["allow", "deny"] as const),
    context: {
      claims:
        context.claims === undefined
          ? [...DEFAULT_CONTEXT_CLAIMS]
          : stringArray(context.claims, "context.claims"),
      maxBytes:
        context.maxBytes === undefined ? 4096 : number(context.maxBytes, "context.maxBytes", 64, 65536),
    },
    httpApi: {
      response:
        httpApi.response === undefined
          ? "simple"
          : oneOf(httpApi.response, "httpApi.response", ["simple", "iam"] as const),
    },
    maxTokenBytes:
      o.maxTokenBytes === undefined
        ? 8192
        : number(o.maxTokenBytes, "maxTokenBytes", 256, MAX_TOKEN_BYTES_LIMIT),
    tokenCache: {
      maxEntries:
        tokenCache.maxEntries === undefined
          ? 1000
          : number(tokenCache.maxEntries, "tokenCache.maxEntries", 0, 1_000_000),
      ttlSeconds:
        tokenCache.ttlSeconds === undefined
          ? 300
          : number(tokenCache.ttlSeconds, "tokenCache.ttlSeconds", 1, 86400),
    },
    logLevel:
      o.logLevel === undefined
        ? "info"
        : oneOf(o.logLevel, "logLevel", ["debug", "info", "warn", "error", "silent"] as const),
    dev: parseDev(o.dev),
  };
  // Rules are compiled here so a bad rule fails loadConfig too, not only createAuthorizer.
  validated.set(config, compileRules({ routes: config.routes, unmatchedRoutes: config.unmatchedRoutes }));
  return config;
}
