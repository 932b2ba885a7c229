import { ConfigError } from "../errors.js";
import { unknownField } from "../util/closest.js";
import { isJsonObject, type JsonObject } from "../util/json.js";
import { isClaimPointer, pointerProblem } from "../util/json-pointer.js";
import { ALGORITHMS, type Algorithm, isAlgorithm } from "./algorithms.js";
import { DEFAULT_CONTEXT_CLAIMS, DEV_APIS, type FieldShape, type FieldType, MAX_SECRETS } from "./fields.js";
import type { GatepassConfigInput } from "./input.js";
import { isAllowedKeyUrl } from "./key-url.js";
import { expandPreset, PRESET_ONLY_FIELDS } from "./presets.js";
import { CHALLENGE_CONTEXT_KEY, resourceMetadataUrl } from "./resource.js";
import { CONFIG_SHAPE, DEFAULT_JWKS_CACHE, DEV_SHAPE, ISSUER_SHAPE, JWKS_CACHE_SHAPE } from "./shape.js";
import type {
  DevApiType,
  DevUsagePlan,
  DpopReplayConfig,
  GatepassConfig,
  IntrospectionConfig,
  IssuerConfig,
  JwksCacheConfig,
  MetricsConfig,
  ResourceConfig,
  RevocationConfig,
  RouteConfig,
  TokenSource,
} from "./types.js";

export { DEFAULT_CONTEXT_CLAIMS };

/**
 * Validation of the configuration document's shape (README, "Configuration"), against the table of
 * `fields.ts` (as `shape.ts`, generated from it without the documentation). Every check throws a `ConfigError` naming the field (`issuers[0].secret`) and what is
 * expected, so a bad deployment fails at cold start with one clear sentence. Unknown keys are
 * errors: a typo (`audiance`) must not silently switch a check off.
 *
 * Shape only: importing the keys (`keys/check.ts`) and compiling the route rules (`rules/`) are
 * done by their own modules, which the composition root (`lambda/config.ts`) calls after this.
 */

/** Every API type `gatepass dev` emulates. */
const DEV_API_TYPES: readonly DevApiType[] = DEV_APIS;

export { DEV_API_TYPES as DEV_APIS };

/** Configurations whose shape was checked here (so {@link parseConfigShape} is idempotent). */
const checked = new WeakSet<object>();

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
      throw new ConfigError(field ? `${field}.${key}` : key, unknownField(key, allowed));
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

/** The allowed keys of an object: its table's field names. */
const keysOf = (fields: object): readonly string[] => Object.keys(fields);

/** The default of a field whose table entry has one (a fresh copy: defaults are never shared). */
function defaultOf(field: FieldShape): unknown {
  const value = field.default;
  return Array.isArray(value) ? [...value] : value;
}

/**
 * Checks a value against a field type of the table. Handles the types whose message needs nothing
 * but the type; fields with rules of their own (key sources, token sources, stage names) are checked
 * by their parser.
 */
function checkValue(type: FieldType<FieldShape>, value: unknown, field: string): unknown {
  switch (type.kind) {
    case "string":
      return string(value, field);
    case "integer":
      return number(value, field, type.min, type.max);
    case "positive":
      return positive(value, field, type.max);
    case "boolean":
      return bool(value, field);
    case "enum":
      return oneOf(value, field, type.values);
    case "array":
      if (type.items.kind === "string")
        return stringArray(value, field, { nonEmpty: (type.minItems ?? 0) > 0 });
      break;
    case "anyOf": {
      // `T or null`: null is the on-purpose "no value".
      const [inner, alternative] = type.types;
      if (type.types.length === 2 && alternative?.kind === "null" && inner !== undefined)
        return value === null ? null : checkValue(inner, value, field);
      break;
    }
  }
  throw new Error(`unreachable: the field type of ${field} needs its own parser`);
}

/** A field of `o` described by `fields[key]`: its default when absent, else the checked value. */
function fieldValue<F extends Readonly<Record<string, FieldShape>>>(
  fields: F,
  o: JsonObject,
  key: keyof F & string,
  path: string,
) {
  const field = fields[key]!;
  if (field.type === undefined) throw new Error(`unreachable: ${key} has a parser of its own`);
  return o[key] === undefined
    ? defaultOf(field)
    : checkValue(field.type, o[key], path ? `${path}.${key}` : key);
}

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

/** `metrics`: a namespace and a service dimension CloudWatch accepts, and nothing unbounded. */
function parseMetrics(value: unknown): MetricsConfig {
  const o = object(value, "metrics");
  const shape = CONFIG_SHAPE.metrics.type.fields;
  onlyKeys(o, "metrics", keysOf(shape));
  const text = (key: "namespace" | "service", pattern: string, expected: string) => {
    const v = string(o[key], `metrics.${key}`);
    if (!new RegExp(pattern).test(v))
      throw new ConfigError(`metrics.${key}`, `expected ${expected}, got ${show(v)}.`);
    return v;
  };
  const out: MetricsConfig = {
    namespace: text(
      "namespace",
      shape.namespace.type.pattern,
      "a CloudWatch namespace (1-255 letters, digits, spaces or . - _ / # :, not starting with AWS/)",
    ),
    routeDimension: fieldValue(shape, o, "routeDimension", "metrics") as boolean,
  };
  if (o.service !== undefined)
    out.service = text(
      "service",
      shape.service.type.pattern,
      "1-255 printable ASCII characters, not starting with :",
    );
  return out;
}

function parseJwksCache(value: unknown, field: string): JwksCacheConfig {
  if (value === undefined) return { ...DEFAULT_JWKS_CACHE };
  const o = object(value, field);
  onlyKeys(o, field, keysOf(JWKS_CACHE_SHAPE));
  const out: JwksCacheConfig = { ...DEFAULT_JWKS_CACHE };
  for (const key of keysOf(JWKS_CACHE_SHAPE) as Array<keyof JwksCacheConfig>) {
    if (o[key] === undefined) continue;
    // Any positive value is accepted (durations may be fractional); counts are rounded up to whole numbers.
    const value = fieldValue(JWKS_CACHE_SHAPE, o, key, field) as number;
    out[key] = key === "maxKeys" || key === "maxResponseBytes" ? Math.ceil(value) : value;
  }
  return out;
}

/** `revocation`: exactly one of `url` (the key-URL rules) and `file`, then each field of its table. */
function parseRevocation(value: unknown, field: string): RevocationConfig {
  const shape = ISSUER_SHAPE.revocation.type.fields;
  const o = object(value, field);
  onlyKeys(o, field, keysOf(shape));
  if ((o.url === undefined) === (o.file === undefined))
    throw new ConfigError(field, "needs exactly one of url and file.");
  const out = {} as RevocationConfig;
  for (const key of keysOf(shape) as Array<keyof typeof shape>) {
    if (key === "url" || key === "file") continue;
    (out as unknown as Record<string, unknown>)[key] = fieldValue(shape, o, key, field);
  }
  if (o.url !== undefined) out.url = parseKeyUrl(o.url, `${field}.url`);
  else out.file = string(o.file, `${field}.file`);
  return out;
}

/** `introspection`: the endpoint follows the key-URL rules; the secret is named, never given. */
function parseIntrospection(value: unknown, field: string): IntrospectionConfig {
  const shape = ISSUER_SHAPE.introspection.type.fields;
  const o = object(value, field);
  onlyKeys(o, field, keysOf(shape));
  for (const key of ["endpoint", "clientId", "clientSecretEnv"] as const)
    if (o[key] === undefined) throw new ConfigError(`${field}.${key}`, "is required.");
  const env = string(o.clientSecretEnv, `${field}.clientSecretEnv`);
  if (!new RegExp(shape.clientSecretEnv.type.pattern).test(env))
    throw new ConfigError(
      `${field}.clientSecretEnv`,
      `expected the name of an environment variable (letters, digits, _), not the secret itself; got ${kind(env)} of ${env.length} characters.`,
    );
  const out = {} as IntrospectionConfig;
  for (const key of keysOf(shape) as Array<keyof typeof shape>) {
    if (key === "endpoint" || key === "clientSecretEnv") continue;
    (out as unknown as Record<string, unknown>)[key] = fieldValue(shape, o, key, field);
  }
  out.endpoint = parseKeyUrl(o.endpoint, `${field}.endpoint`);
  out.clientSecretEnv = env;
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

/**
 * One entry of `issuers`: a plain issuer, or a preset, which expands into one plain issuer per exact
 * `iss` its provider may use (each remembers the preset and the entry's position).
 */
function parseIssuerEntry(
  value: unknown,
  index: number,
  resource: ResourceAudience | undefined,
): IssuerConfig[] {
  const field = `issuers[${index}]`;
  const o = object(value, field);
  onlyKeys(o, field, keysOf(ISSUER_SHAPE));
  if (o.preset === undefined) return [parseIssuer(o, field, resource)];
  return expandPreset(o, field).map((entry) => ({
    ...parseIssuer(entry, field),
    preset: o.preset as string,
    origin: index,
  }));
}

/** `{"claim": ["value", …]}` (a single string stands for a list of one). */
function parseClaimValues(value: unknown, field: string): Record<string, string[]> {
  const o = object(value, field);
  const out: Record<string, string[]> = {};
  for (const [name, values] of Object.entries(o)) {
    if (name.length === 0) throw new ConfigError(field, "a claim name must not be empty.");
    // An own property even for a name such as "__proto__" (parsed JSON may carry one).
    Object.defineProperty(out, name, {
      value:
        typeof values === "string"
          ? [string(values, `${field}.${name}`)]
          : stringArray(values, `${field}.${name}`, { nonEmpty: true }),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

/**
 * What `resource` means for an issuer's `audience`, read from the raw document before the issuers are
 * parsed (`parseResource` validates it fully afterwards): an issuer listed in
 * `resource.authorizationServers` may leave `audience` out, and its audience is then `resource.uri`.
 */
interface ResourceAudience {
  readonly uri: string;
  readonly servers: ReadonlySet<unknown>;
}

function resourceAudience(value: unknown): ResourceAudience | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const { uri, authorizationServers } = value as Record<string, unknown>;
  if (typeof uri !== "string" || !Array.isArray(authorizationServers)) return undefined;
  return { uri, servers: new Set(authorizationServers) };
}

function parseIssuer(value: unknown, field: string, resource?: ResourceAudience): IssuerConfig {
  const o = object(value, field);
  onlyKeys(o, field, keysOf(ISSUER_SHAPE));
  for (const key of PRESET_ONLY_FIELDS) {
    if (o[key] !== undefined)
      throw new ConfigError(`${field}.${key}`, 'is read by an identity-provider preset only: set "preset".');
  }
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
  // RFC 8707: an authorization server of `resource` issues tokens for `resource.uri`, its audience.
  const audienceFromResource =
    o.audience === undefined && resource !== undefined && resource.servers.has(o.issuer);
  for (const k of ["issuer", "audience"] as const) {
    if (!isSecret && o[k] === undefined && !(k === "audience" && audienceFromResource)) {
      throw new ConfigError(
        `${field}.${k}`,
        `is required with a public-key source (${source}); set it to null to skip the check on purpose${
          k === "audience" && resource !== undefined
            ? ", or list this issuer in resource.authorizationServers to make resource.uri its audience"
            : ""
        }.`,
      );
    }
  }
  const issuer = o.issuer === undefined || o.issuer === null ? null : string(o.issuer, `${field}.issuer`);
  let audience: string[] | null = audienceFromResource ? [resource!.uri] : null;
  if (typeof o.audience === "string") audience = [string(o.audience, `${field}.audience`)];
  else if (o.audience !== undefined && o.audience !== null)
    audience = stringArray(o.audience, `${field}.audience`, { nonEmpty: true });

  const out: IssuerConfig = {
    issuer,
    audience,
    algorithms: parseAlgorithms(o.algorithms, `${field}.algorithms`),
    clockToleranceSeconds: fieldValue(ISSUER_SHAPE, o, "clockToleranceSeconds", field) as number,
    maxTokenAgeSeconds: fieldValue(ISSUER_SHAPE, o, "maxTokenAgeSeconds", field) as number | null,
    requiredClaims: fieldValue(ISSUER_SHAPE, o, "requiredClaims", field) as string[],
    typ: parseTyp(fieldValue(ISSUER_SHAPE, o, "typ", field) as string | null, `${field}.typ`),
    requireExp: fieldValue(ISSUER_SHAPE, o, "requireExp", field) as boolean,
    jwksCache: parseJwksCache(o.jwksCache, `${field}.jwksCache`),
  };
  // Optional protections: present only when configured, so a configuration without them keeps its shape.
  if (o.revocation !== undefined) out.revocation = parseRevocation(o.revocation, `${field}.revocation`);
  if (o.introspection !== undefined)
    out.introspection = parseIntrospection(o.introspection, `${field}.introspection`);
  if (o.certificateBound !== undefined)
    out.certificateBound = fieldValue(ISSUER_SHAPE, o, "certificateBound", field) as
      | "required"
      | "if-present";
  if (o.dpop !== undefined) {
    out.dpop = fieldValue(ISSUER_SHAPE, o, "dpop", field) as "required" | "if-present";
    out.dpopIatWindowSeconds = fieldValue(ISSUER_SHAPE, o, "dpopIatWindowSeconds", field) as number;
    if (o.dpopUrlBase !== undefined)
      out.dpopUrlBase = parseDpopUrlBase(fieldValue(ISSUER_SHAPE, o, "dpopUrlBase", field) as string, field);
  } else
    for (const name of ["dpopUrlBase", "dpopIatWindowSeconds"])
      if (o[name] !== undefined) throw new ConfigError(`${field}.${name}`, "applies only with dpop set.");
  // Claim checks: present in the result only when configured (the defaults live in the verifier).
  if (o.clientId !== undefined && o.clientId !== null)
    out.clientId =
      typeof o.clientId === "string"
        ? [string(o.clientId, `${field}.clientId`)]
        : stringArray(o.clientId, `${field}.clientId`, { nonEmpty: true });
  if (o.clientIdClaim !== undefined)
    out.clientIdClaim = fieldValue(ISSUER_SHAPE, o, "clientIdClaim", field) as string[];
  if (o.requiredClaimValues !== undefined)
    out.requiredClaimValues = parseClaimValues(o.requiredClaimValues, `${field}.requiredClaimValues`);
  if (o.scopeClaims !== undefined)
    out.scopeClaims = fieldValue(ISSUER_SHAPE, o, "scopeClaims", field) as string[];
  const algorithms = out.algorithms;
  const hmacAllowed = algorithms?.filter((a) => a.startsWith("HS")) ?? [];
  const allowShort = bool(o.allowInsecureShortSecret ?? false, `${field}.allowInsecureShortSecret`);
  if (allowShort && !isSecret)
    throw new ConfigError(
      `${field}.allowInsecureShortSecret`,
      `applies only to a shared secret (the key source is ${source}).`,
    );
  if (isSecret) {
    out.secret = parseSecrets(o.secret, `${field}.secret`, algorithms, allowShort);
    // Only when on: a normalized configuration without it is what it was before the option existed.
    if (allowShort) out.allowInsecureShortSecret = true;
  } else if (
    hmacAllowed.length > 0 &&
    (source === "publicKey" || source === "jwksUri" || source === "discovery")
  ) {
    throw new ConfigError(
      `${field}.algorithms`,
      `${hmacAllowed.join(", ")} needs a shared secret; a public key can never be used as an HMAC secret.`,
    );
  }
  // The key itself (a PEM's type, size, curve) is checked where it is imported: keys/check.ts.
  if (source === "publicKey") out.publicKey = string(o.publicKey, `${field}.publicKey`);
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

/**
 * `secret`: one shared secret, or up to {@link MAX_SECRETS} trusted at once (rotation), each at
 * least the hash size of every algorithm it may verify unless `allowShort`. Messages give lengths,
 * never content.
 */
function parseSecrets(
  value: unknown,
  field: string,
  algorithms: readonly Algorithm[] | null,
  allowShort: boolean,
): string | string[] {
  const many = Array.isArray(value);
  if (many && value.length === 0) throw new ConfigError(field, "expected at least one secret.");
  if (many && value.length > MAX_SECRETS)
    throw new ConfigError(field, `trusts at most ${MAX_SECRETS} secrets at once (got ${value.length}).`);
  const secrets = many ? value.map((s, i) => string(s, `${field}[${i}]`)) : [string(value, field)];
  secrets.forEach((secret, i) => {
    const name = many ? `${field}[${i}]` : field;
    if (secrets.indexOf(secret) !== i)
      throw new ConfigError(name, `repeats ${field}[${secrets.indexOf(secret)}].`);
    const bytes = Buffer.byteLength(secret, "utf8");
    for (const alg of algorithms ?? ["HS256"]) {
      const min = { HS256: 32, HS384: 48, HS512: 64 }[alg as "HS256"];
      if (min === undefined)
        throw new ConfigError(
          `${field.replace(/\.secret$/, "")}.algorithms`,
          `${alg} cannot be verified with a shared secret.`,
        );
      if (bytes < min && !allowShort)
        throw new ConfigError(
          name,
          `must be at least ${min} bytes for ${alg} (got ${bytes})${alg === "HS256" ? '; generate one with "gatepass keys generate --alg HS256"' : ""}, or, for a migration window only, set allowInsecureShortSecret: true (GATEPASS_ALLOW_INSECURE_SHORT_SECRET=true).`,
        );
    }
  });
  return many ? secrets : secrets[0]!;
}

/** `typ`: a media type (`at+jwt`, `application/at+jwt`), so the setting can match some token. */
function parseTyp(typ: string | null, field: string): string | null {
  if (typ !== null && !new RegExp(ISSUER_SHAPE.typ.type.types[0].pattern).test(typ)) {
    throw new ConfigError(
      field,
      `expected a media type such as "at+jwt" (ASCII letters, digits and !#$&^_.+-, at most one "/"), got ${show(typ)}.`,
    );
  }
  return typ;
}

/** Claim names (`context.claims`): a name starting with `/` must be a valid claim pointer (RFC 6901). */
function claimNames(names: string[], field: string): string[] {
  names.forEach((name, i) => {
    const problem = isClaimPointer(name) ? pointerProblem(name) : null;
    if (problem !== null) throw new ConfigError(`${field}[${i}]`, problem);
  });
  return names;
}

/** `usageIdentifierClaim`: a claim name, or a valid claim pointer. */
function usageClaim(name: string | null): string | null {
  const problem = name !== null && isClaimPointer(name) ? pointerProblem(name) : null;
  if (problem !== null) throw new ConfigError("usageIdentifierClaim", problem);
  return name;
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
  // Shape only here; the rule compiler (rules/) checks each rule in depth.
  return value.map((route, i) => ({ ...object(route, `${field}[${i}]`) }) as unknown as RouteConfig);
}

function parseDev(value: unknown): GatepassConfig["dev"] {
  const o = value === undefined ? {} : object(value, "dev");
  onlyKeys(o, "dev", keysOf(DEV_SHAPE));
  let cors: GatepassConfig["dev"]["cors"] = null;
  const CORS_SHAPE = DEV_SHAPE.cors.type.types[0].fields;
  if (o.cors !== undefined && o.cors !== null && o.cors !== false) {
    const c = object(o.cors, "dev.cors");
    onlyKeys(c, "dev.cors", keysOf(CORS_SHAPE));
    cors = { allowOrigin: string(c.allowOrigin ?? CORS_SHAPE.allowOrigin.default, "dev.cors.allowOrigin") };
    if (c.allowHeaders !== undefined) cors.allowHeaders = string(c.allowHeaders, "dev.cors.allowHeaders");
    if (c.allowMethods !== undefined) cors.allowMethods = string(c.allowMethods, "dev.cors.allowMethods");
  }
  const stage = fieldValue(DEV_SHAPE, o, "stage", "dev") as string;
  if (!new RegExp(DEV_SHAPE.stage.type.pattern).test(stage))
    throw new ConfigError(
      "dev.stage",
      `expected letters, digits, - or _, or "$default", got ${show(stage)}.`,
    );
  const api = fieldValue(DEV_SHAPE, o, "api", "dev") as DevApiType;
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
    resultTtlSeconds: fieldValue(DEV_SHAPE, o, "resultTtlSeconds", "dev") as number,
    cors,
    // Only when given: the other `dev` defaults stay as they were.
    ...(o.allowedHosts === undefined
      ? {}
      : {
          allowedHosts: stringArray(o.allowedHosts, "dev.allowedHosts").map((name, i) =>
            hostName(name, `dev.allowedHosts[${i}]`),
          ),
        }),
    ...(o.apiKeyRequired === undefined
      ? {}
      : { apiKeyRequired: fieldValue(DEV_SHAPE, o, "apiKeyRequired", "dev") as boolean }),
    ...(o.usagePlans === undefined ? {} : { usagePlans: parseUsagePlans(o.usagePlans, "dev.usagePlans") }),
  };
}

/** `dev.usagePlans`: an API key value may be in one plan only (as for one stage on AWS). */
function parseUsagePlans(value: unknown, field: string): DevUsagePlan[] {
  if (value === undefined) return [];
  if (!Array.isArray(value))
    throw new ConfigError(field, `expected an array of usage plans, got ${show(value)}.`);
  const seen = new Set<string>();
  return value.map((entry, i) => {
    const at = `${field}[${i}]`;
    const o = object(entry, at);
    onlyKeys(o, at, ["keys", "throttle", "quota"]);
    if (o.keys === undefined)
      throw new ConfigError(`${at}.keys`, "required: the API key values of the plan.");
    const keys = stringArray(o.keys, `${at}.keys`, { nonEmpty: true });
    keys.forEach((key, k) => {
      if (key.length === 0) throw new ConfigError(`${at}.keys[${k}]`, "expected a non-empty string.");
      if (seen.has(key))
        throw new ConfigError(`${at}.keys[${k}]`, "this API key is already in a usage plan.");
      seen.add(key);
    });
    const plan: DevUsagePlan = { keys };
    if (o.throttle !== undefined) {
      const t = object(o.throttle, `${at}.throttle`);
      onlyKeys(t, `${at}.throttle`, ["rateLimit", "burstLimit"]);
      plan.throttle = {
        rateLimit: positive(t.rateLimit, `${at}.throttle.rateLimit`, 1_000_000),
        burstLimit: number(t.burstLimit, `${at}.throttle.burstLimit`, 0, 1_000_000),
      };
    }
    if (o.quota !== undefined) {
      const q = object(o.quota, `${at}.quota`);
      onlyKeys(q, `${at}.quota`, ["limit", "period"]);
      plan.quota = {
        limit: number(q.limit, `${at}.quota.limit`, 0, 2_147_483_647),
        period:
          q.period === undefined ? "DAY" : oneOf(q.period, `${at}.quota.period`, ["DAY", "WEEK", "MONTH"]),
      };
    }
    return plan;
  });
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

/**
 * Checks the shape of a configuration document and applies every default from the table of
 * `fields.ts`. Idempotent: a checked configuration passes through unchanged. Throws `ConfigError`.
 * Does not import keys nor compile rules: `parseConfig` (the composition root) does all three.
 *
 * @example
 * const config = parseConfigShape({ issuers: [{ secret: process.env.GATEPASS_SECRET }] });
 */
export function parseConfigShape(doc: GatepassConfigInput | GatepassConfig): GatepassConfig;
/** A document known only at run time (parsed JSON): checked like any other. */
export function parseConfigShape(doc: unknown): GatepassConfig;
export function parseConfigShape(doc: unknown): GatepassConfig {
  if (typeof doc === "object" && doc !== null && checked.has(doc)) return doc as GatepassConfig;
  const o = object(doc, "");
  onlyKeys(o, "", keysOf(CONFIG_SHAPE));
  if (!Array.isArray(o.issuers) || o.issuers.length === 0) {
    throw new ConfigError("issuers", "expected a non-empty array of issuers (each with a key source).");
  }
  const audienceOfResource = resourceAudience(o.resource);
  const entries = o.issuers.flatMap((issuer, i) =>
    parseIssuerEntry(issuer, i, audienceOfResource).map((config) => ({ config, index: i })),
  );
  const issuers = entries.map((e) => e.config);
  const seen = new Set<string | null>();
  entries.forEach(({ config: issuer, index }) => {
    if (seen.has(issuer.issuer)) {
      throw new ConfigError(
        `issuers[${index}].issuer`,
        issuer.issuer === null
          ? "only one issuer may skip the iss check (issuer null or absent)."
          : `${show(issuer.issuer)} is configured twice.`,
      );
    }
    seen.add(issuer.issuer);
  });
  // Opaque tokens name no issuer: one configured entry (its expanded forms share it) answers them.
  const opaque = new Set(
    entries.filter((e) => e.config.introspection?.opaqueTokens === true).map((e) => e.index),
  );
  if (opaque.size > 1)
    throw new ConfigError(
      `issuers[${[...opaque][1]}].introspection.opaqueTokens`,
      `only one issuer may introspect opaque tokens (issuers[${[...opaque][0]}] does already); set opaqueTokens to false here.`,
    );
  const sections = {
    context: CONFIG_SHAPE.context.type.fields,
    httpApi: CONFIG_SHAPE.httpApi.type.fields,
    tokenCache: CONFIG_SHAPE.tokenCache.type.fields,
  };
  const context = o.context === undefined ? {} : object(o.context, "context");
  onlyKeys(context, "context", keysOf(sections.context));
  const httpApi = o.httpApi === undefined ? {} : object(o.httpApi, "httpApi");
  onlyKeys(httpApi, "httpApi", keysOf(sections.httpApi));
  const tokenCache = o.tokenCache === undefined ? {} : object(o.tokenCache, "tokenCache");
  onlyKeys(tokenCache, "tokenCache", keysOf(sections.tokenCache));
  const tokenSources = (
    o.tokenSources === undefined
      ? [...CONFIG_SHAPE.tokenSources.default]
      : stringArray(o.tokenSources, "tokenSources", { nonEmpty: true })
  ).map((s, i) => parseTokenSource(s, `tokenSources[${i}]`));
  const config: GatepassConfig = {
    issuers,
    principalClaim: fieldValue(CONFIG_SHAPE, o, "principalClaim", "") as string,
    tokenSources,
    routes: parseRoutes(o.routes, "routes"),
    unmatchedRoutes: fieldValue(CONFIG_SHAPE, o, "unmatchedRoutes", "") as GatepassConfig["unmatchedRoutes"],
    context: {
      claims: claimNames(
        fieldValue(sections.context, context, "claims", "context") as string[],
        "context.claims",
      ),
      maxBytes: fieldValue(sections.context, context, "maxBytes", "context") as number,
    },
    httpApi: {
      response: fieldValue(
        sections.httpApi,
        httpApi,
        "response",
        "httpApi",
      ) as GatepassConfig["httpApi"]["response"],
    },
    maxTokenBytes: fieldValue(CONFIG_SHAPE, o, "maxTokenBytes", "") as number,
    tokenCache: {
      maxEntries: fieldValue(sections.tokenCache, tokenCache, "maxEntries", "tokenCache") as number,
      ttlSeconds: fieldValue(sections.tokenCache, tokenCache, "ttlSeconds", "tokenCache") as number,
    },
    logLevel: fieldValue(CONFIG_SHAPE, o, "logLevel", "") as GatepassConfig["logLevel"],
    logSampleRate: fieldValue(CONFIG_SHAPE, o, "logSampleRate", "") as number,
    dev: parseDev(o.dev),
  };
  if (o.metrics !== undefined) config.metrics = parseMetrics(o.metrics);
  if (o.resource !== undefined) {
    const resource = parseResource(o.resource, config.issuers);
    config.resource = resource;
    // RFC 8707 / MCP: every token must name this resource in `aud`, whatever its issuer's `audience`
    // (an issuer whose audience is exactly the resource checks it already).
    for (const issuer of issuers)
      if (issuer.audience?.length !== 1 || issuer.audience[0] !== resource.uri)
        issuer.resourceAudience = resource.uri;
    if (config.context.claims.includes(CHALLENGE_CONTEXT_KEY))
      throw new ConfigError(
        "context.claims",
        `"${CHALLENGE_CONTEXT_KEY}" is the context key of the WWW-Authenticate challenge with resource set; rename the claim or leave it out.`,
      );
  }
  if (o.dpopReplay !== undefined) config.dpopReplay = parseDpopReplay(o.dpopReplay, config.issuers);
  // Only when set: configurations without it keep their shape.
  const usageIdentifierClaim = usageClaim(
    fieldValue(CONFIG_SHAPE, o, "usageIdentifierClaim", "") as string | null,
  );
  if (usageIdentifierClaim !== null) config.usageIdentifierClaim = usageIdentifierClaim;
  checked.add(config);
  return config;
}

/**
 * `resource`: an absolute `https` (or loopback `http`) URL without fragment or credentials as its
 * identifier (RFC 8707 §2), authorization servers that are trusted issuers, and the metadata URL
 * (RFC 9728 §3.1's well-known URL of `uri` unless given).
 */
function parseResource(value: unknown, issuers: readonly IssuerConfig[]): ResourceConfig {
  const o = object(value, "resource");
  const shape = CONFIG_SHAPE.resource.type.fields;
  onlyKeys(o, "resource", keysOf(shape));
  const uri = resourceUrl(string(o.uri, "resource.uri"), "resource.uri");
  const servers = o.authorizationServers;
  if (!Array.isArray(servers) || servers.length === 0 || servers.length > 16)
    throw new ConfigError("resource.authorizationServers", "expected 1 to 16 issuer URLs.");
  const trusted = new Set(issuers.map((i) => i.issuer));
  const authorizationServers = servers.map((s, i) => {
    const field = `resource.authorizationServers[${i}]`;
    const server = string(s, field);
    if (!trusted.has(server))
      throw new ConfigError(
        field,
        "expected the issuer URL of one of issuers[] (the server that issues tokens for this resource).",
      );
    return server;
  });
  const out: ResourceConfig = {
    uri,
    authorizationServers,
    scopesSupported: fieldValue(shape, o, "scopesSupported", "resource") as string[],
    metadataUrl:
      o.metadataUrl === undefined
        ? resourceMetadataUrl(uri)
        : resourceUrl(string(o.metadataUrl, "resource.metadataUrl"), "resource.metadataUrl"),
  };
  // The 401's challenge is a static Gateway Response value, written between single quotes.
  if (out.metadataUrl.includes("'"))
    throw new ConfigError(
      o.metadataUrl === undefined ? "resource.uri" : "resource.metadataUrl",
      "must not hold a single quote (the metadata URL goes into a quoted static Gateway Response value); write it as %27.",
    );
  if (o.resourceName !== undefined) out.resourceName = string(o.resourceName, "resource.resourceName");
  if (o.documentation !== undefined)
    out.documentation = resourceUrl(
      string(o.documentation, "resource.documentation"),
      "resource.documentation",
    );
  return out;
}

/** `value` parsed as an absolute URL, or `undefined`. */
function urlOf(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

function resourceUrl(value: string, field: string): string {
  const url = urlOf(value);
  if (
    url === undefined ||
    !isAllowedKeyUrl(value) ||
    value.includes("#") ||
    (url.href !== value && url.href !== `${value}/`)
  )
    throw new ConfigError(
      field,
      'expected an absolute https URL (http only on a loopback host) in its normal form, without fragment or credentials, such as "https://api.example.com/mcp".',
    );
  return value;
}

/**
 * `dpopReplay`: `memory`, or `dynamodb` with a table name DynamoDB accepts (a name only: no ARN,
 * path or anything else) and a region name; only with an issuer using `dpop`.
 */
function parseDpopReplay(value: unknown, issuers: readonly IssuerConfig[]): DpopReplayConfig {
  const o = object(value, "dpopReplay");
  const shape = CONFIG_SHAPE.dpopReplay.type.fields;
  onlyKeys(o, "dpopReplay", keysOf(shape));
  if (!issuers.some((issuer) => issuer.dpop !== undefined))
    throw new ConfigError("dpopReplay", "applies only with an issuer using dpop.");
  const store = fieldValue(shape, o, "store", "dpopReplay") as DpopReplayConfig["store"];
  const named = (key: "table" | "region", expected: string) => {
    const v = string(o[key], `dpopReplay.${key}`);
    if (!new RegExp(shape[key].type.pattern).test(v))
      throw new ConfigError(`dpopReplay.${key}`, `expected ${expected}, got ${show(v)}.`);
    return v;
  };
  if (store === "memory") {
    for (const key of ["table", "region", "timeoutMs"])
      if (o[key] !== undefined)
        throw new ConfigError(`dpopReplay.${key}`, 'applies only with store "dynamodb".');
    return { store };
  }
  if (o.table === undefined) throw new ConfigError("dpopReplay.table", 'is required with store "dynamodb".');
  const out: DpopReplayConfig = {
    store,
    table: named("table", "a DynamoDB table name (3-255 letters, digits, _ - or .)"),
    timeoutMs: fieldValue(shape, o, "timeoutMs", "dpopReplay") as number,
  };
  if (o.region !== undefined) out.region = named("region", "an AWS region name (eu-west-1)");
  return out;
}

/**
 * `dpopUrlBase`: an `https` URL with neither query, fragment nor credentials (it prefixes the path of
 * the URL a DPoP proof names), kept without its trailing `/`.
 */
function parseDpopUrlBase(value: string, field: string): string {
  const url = urlOf(value);
  if (
    url === undefined ||
    url.protocol !== "https:" ||
    url.username !== "" ||
    url.password !== "" ||
    value.includes("?") ||
    value.includes("#")
  )
    throw new ConfigError(
      `${field}.dpopUrlBase`,
      'expected an https URL without query, fragment or credentials, such as "https://api.example.com/v1".',
    );
  return value.replace(/\/+$/, "");
}
