import { ConfigError } from "../errors.js";
import type { JsonObject } from "../util/json.js";

/**
 * Identity-provider presets (contract §2.6): `"preset"` on an issuer expands, at load time, into
 * plain issuer entries that use only generic mechanisms (an exact `issuer`, a key source,
 * `audience`, `clientId` + `clientIdClaim`, `requiredClaimValues`, `scopeClaims`, `algorithms`).
 * The verifier knows nothing of providers; a configuration that uses no preset never calls this
 * module, and a bundle built from an expanded configuration does not carry it.
 *
 * Any field a preset derives may be given explicitly and wins; an explicit key source (`jwks`,
 * `jwksFile`, `jwksUri`, `publicKey`, `discovery`) replaces the derived one.
 *
 * Provider facts (see the README's "Identity providers" section for the documents):
 * - Cognito: `iss` is `https://cognito-idp.{region}.{dns}/{poolId}` (issuer type ORIGINAL) or
 *   `https://issuer-cognito-idp.{region}.{dns}/{poolId}` (UPDATED, multi-Region); each serves its
 *   JWKS at `{iss}/.well-known/jwks.json`. Access tokens carry `client_id` and no `aud`; ID tokens
 *   carry `aud` (the app client id); both carry `token_use`.
 * - Auth0: `iss` is `https://{domain}/`; RBAC puts permissions in a `permissions` array.
 * - Okta: org authorization server keys at `{org}/oauth2/v1/keys`, custom ones at `{issuer}/v1/keys`;
 *   access tokens carry `scp` (array) and `cid` (client id).
 * - Entra ID: v2.0 `iss` is `https://login.microsoftonline.com/{tid}/v2.0`, v1.0
 *   `https://sts.windows.net/{tid}/`; `tid` names the tenant; `azp` (v2) / `appid` (v1) the client.
 * - Keycloak: `iss` is `{url}/realms/{realm}`, keys at `{iss}/protocol/openid-connect/certs`;
 *   access tokens carry `typ: "Bearer"` and `azp`.
 * - Google: `iss` is `https://accounts.google.com` or `accounts.google.com`, keys at
 *   `https://www.googleapis.com/oauth2/v3/certs`, `aud` is the OAuth client id.
 */

export const PRESETS = ["cognito", "auth0", "okta", "entra", "keycloak", "google"] as const;
export type PresetName = (typeof PRESETS)[number];

/** The fields only a preset reads, and which presets read them. */
const PRESET_FIELDS: Readonly<Record<string, readonly PresetName[]>> = {
  userPoolId: ["cognito"],
  tokenUse: ["cognito"],
  domain: ["auth0"],
  tenantId: ["entra"],
  allowedTenants: ["entra"],
  version: ["entra"],
  url: ["keycloak"],
  realm: ["keycloak"],
};

/** Every field of an issuer that only means something with a preset (`preset` included). */
export const PRESET_ONLY_FIELDS: readonly string[] = ["preset", ...Object.keys(PRESET_FIELDS)];

const KEY_SOURCES = ["jwks", "jwksFile", "jwksUri", "publicKey", "discovery"] as const;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** `eu-west-1_AbC123`: the region, `_`, then letters and digits (AWS's `UserPoolId` pattern). */
const USER_POOL_ID = /^([a-z]{2,4}(?:-[a-z]+)+-\d{1,2})_[0-9A-Za-z]+$/;

/** A DNS name (no scheme, port or path). */
const HOST = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/;

/** The DNS suffix of an AWS region's partition: the European Sovereign Cloud and China differ. */
function awsDnsSuffix(region: string): string {
  if (/^eusc-/.test(region)) return "amazonaws.eu";
  if (/^cn-/.test(region)) return "amazonaws.com.cn";
  return "amazonaws.com";
}

function text(value: unknown, field: string, what: string): string {
  if (typeof value !== "string" || value.length === 0)
    throw new ConfigError(field, `expected ${what}, got ${value === undefined ? "nothing" : typeof value}.`);
  return value;
}

/** `clientId` as a list, `null` (checked nowhere, on purpose), or `undefined` (absent). */
function clientIds(value: unknown, field: string): string[] | null | undefined {
  if (value === undefined || value === null) return value;
  const list = typeof value === "string" ? [value] : value;
  if (!Array.isArray(list) || list.length === 0 || !list.every((v) => typeof v === "string" && v.length > 0))
    throw new ConfigError(field, "expected a client id or a non-empty array of client ids.");
  return list as string[];
}

function requireAudience(o: JsonObject, field: string, preset: PresetName, what: string): void {
  if (o.audience === undefined)
    throw new ConfigError(
      `${field}.audience`,
      `is required with the ${preset} preset (${what}); set it to null to skip the check on purpose.`,
    );
}

function httpsUrl(value: unknown, field: string): URL {
  const raw = text(value, field, "an absolute https URL");
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(field, "expected an absolute https URL.");
  }
  const loopback = ["127.0.0.1", "localhost", "[::1]"].includes(url.hostname);
  if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback))
    throw new ConfigError(
      field,
      "must be an https URL (http is allowed only on 127.0.0.1, localhost or [::1]).",
    );
  if (url.username || url.password || url.search || url.hash)
    throw new ConfigError(field, "must not contain credentials, a query or a fragment.");
  return url;
}

/** What a preset derives for one exact issuer: the generic fields of a plain issuer entry. */
type Derived = JsonObject;

/**
 * Expands one issuer entry that has a `preset` into plain issuer entries (one per exact issuer the
 * provider may put in `iss`). Explicit fields of `o` win over derived ones. Throws a `ConfigError`
 * naming the field for a missing or malformed preset parameter.
 */
export function expandPreset(o: JsonObject, field: string): JsonObject[] {
  const preset = o.preset as PresetName;
  if (typeof preset !== "string" || !(PRESETS as readonly string[]).includes(preset))
    throw new ConfigError(`${field}.preset`, `expected one of ${PRESETS.map((p) => `"${p}"`).join(", ")}.`);
  for (const [name, owners] of Object.entries(PRESET_FIELDS)) {
    if (o[name] !== undefined && !owners.includes(preset))
      throw new ConfigError(
        `${field}.${name}`,
        `is read by the ${owners.join(", ")} preset only, not by ${preset}.`,
      );
  }
  if (o.secret !== undefined)
    throw new ConfigError(
      `${field}.secret`,
      `cannot be used with the ${preset} preset: its tokens are signed with public keys.`,
    );
  const explicitKeys = KEY_SOURCES.some((k) => o[k] !== undefined && o[k] !== false);
  const derived = derive(preset, o, field);
  // The generic fields of `o`, minus the preset's own parameters; they win over the derived ones.
  const own: JsonObject = {};
  for (const [k, v] of Object.entries(o)) {
    if (k === "preset" || PRESET_FIELDS[k] !== undefined) continue;
    if (k === "clientId" && preset === "cognito") continue; // mapped by tokenUse, below
    own[k] = v;
  }
  return derived.map((entry) => {
    const out: JsonObject = { ...entry };
    if (explicitKeys) delete out.jwksUri;
    const merged = { ...out, ...own };
    // Where the client id is read matters only when one is checked.
    if ((merged.clientId === undefined || merged.clientId === null) && own.clientIdClaim === undefined)
      delete merged.clientIdClaim;
    return merged;
  });
}

function derive(preset: PresetName, o: JsonObject, field: string): Derived[] {
  switch (preset) {
    case "cognito":
      return cognito(o, field);
    case "auth0":
      return auth0(o, field);
    case "okta":
      return okta(o, field);
    case "entra":
      return entra(o, field);
    case "keycloak":
      return keycloak(o, field);
    case "google":
      return google(o, field);
  }
}

function cognito(o: JsonObject, field: string): Derived[] {
  const poolId = text(o.userPoolId, `${field}.userPoolId`, 'a user pool id such as "eu-west-1_AbC123"');
  const match = USER_POOL_ID.exec(poolId);
  if (!match)
    throw new ConfigError(
      `${field}.userPoolId`,
      'expected a user pool id such as "eu-west-1_AbC123" (the region, "_", then letters and digits).',
    );
  const region = match[1]!;
  if (!Object.hasOwn(o, "tokenUse"))
    throw new ConfigError(
      `${field}.tokenUse`,
      'is required with the cognito preset: "access", "id", or null to accept both.',
    );
  const tokenUse = o.tokenUse;
  if (tokenUse !== null && tokenUse !== "access" && tokenUse !== "id")
    throw new ConfigError(`${field}.tokenUse`, 'expected "access", "id", or null to accept both.');
  if (!Object.hasOwn(o, "clientId"))
    throw new ConfigError(
      `${field}.clientId`,
      "is required with the cognito preset (the app client ids); set it to null to skip the check on purpose.",
    );
  const clients = clientIds(o.clientId, `${field}.clientId`) ?? null;
  const checks: Derived = {
    algorithms: ["RS256"],
    requiredClaimValues: { token_use: tokenUse === null ? ["access", "id"] : [tokenUse] },
  };
  if (tokenUse === "id") {
    // ID tokens name the app client in `aud`.
    checks.audience = clients;
  } else {
    // Access tokens carry no `aud`: the app client is in `client_id` (for `null`, an ID token's `aud`).
    checks.audience = null;
    if (clients !== null) {
      checks.clientId = clients;
      checks.clientIdClaim = tokenUse === null ? ["client_id", "aud"] : ["client_id"];
    }
  }
  const dns = awsDnsSuffix(region);
  const forms = [
    `https://cognito-idp.${region}.${dns}/${poolId}`,
    `https://issuer-cognito-idp.${region}.${dns}/${poolId}`,
  ];
  const issuers = o.issuer !== undefined ? [o.issuer as string] : forms;
  return issuers.map((issuer) => ({
    issuer,
    jwksUri: `${typeof issuer === "string" ? issuer : forms[0]}/.well-known/jwks.json`,
    ...checks,
  }));
}

function auth0(o: JsonObject, field: string): Derived[] {
  const domain = text(
    o.domain,
    `${field}.domain`,
    'the tenant domain such as "acme.eu.auth0.com"',
  ).toLowerCase();
  if (!HOST.test(domain))
    throw new ConfigError(
      `${field}.domain`,
      'expected a host name such as "acme.eu.auth0.com" (no scheme, port or path).',
    );
  requireAudience(o, field, "auth0", "the API identifier");
  return [
    {
      issuer: `https://${domain}/`,
      jwksUri: `https://${domain}/.well-known/jwks.json`,
      algorithms: ["RS256"],
      clientIdClaim: ["azp"],
      scopeClaims: ["scope", "scp", "permissions"],
    },
  ];
}

function okta(o: JsonObject, field: string): Derived[] {
  const url = httpsUrl(o.issuer, `${field}.issuer`);
  const path = url.pathname.replace(/\/$/, "");
  let jwksUri: string;
  if (path === "") jwksUri = `${url.origin}/oauth2/v1/keys`;
  else if (/^\/oauth2\/[A-Za-z0-9_-]+$/.test(path)) jwksUri = `${url.origin}${path}/v1/keys`;
  else
    throw new ConfigError(
      `${field}.issuer`,
      'expected the org issuer "https://{yourOktaDomain}" or a custom authorization server "https://{yourOktaDomain}/oauth2/{id}".',
    );
  requireAudience(o, field, "okta", 'the authorization server\'s audience, e.g. "api://default"');
  return [{ issuer: o.issuer as string, jwksUri, algorithms: ["RS256"], clientIdClaim: ["cid"] }];
}

function entra(o: JsonObject, field: string): Derived[] {
  const tenant = text(
    o.tenantId,
    `${field}.tenantId`,
    'a tenant GUID, "organizations" or "common"',
  ).toLowerCase();
  const version = o.version === undefined ? "2.0" : o.version;
  if (version !== "1.0" && version !== "2.0")
    throw new ConfigError(`${field}.version`, 'expected "1.0" or "2.0".');
  const multi = tenant === "organizations" || tenant === "common";
  if (!multi && !GUID.test(tenant))
    throw new ConfigError(
      `${field}.tenantId`,
      'expected a tenant GUID, or "organizations"/"common" with allowedTenants (tokens name their tenant by GUID).',
    );
  let tenants: string[];
  if (multi) {
    const list = o.allowedTenants;
    if (!Array.isArray(list) || list.length === 0)
      throw new ConfigError(
        `${field}.allowedTenants`,
        `is required with tenantId "${tenant}": list the tenant GUIDs whose tokens are accepted.`,
      );
    tenants = list.map((t, i) => {
      if (typeof t !== "string" || !GUID.test(t.toLowerCase()))
        throw new ConfigError(`${field}.allowedTenants[${i}]`, "expected a tenant GUID.");
      return t.toLowerCase();
    });
    if (o.issuer !== undefined)
      throw new ConfigError(
        `${field}.issuer`,
        "cannot be set with a multi-tenant tenantId: the issuer of each allowed tenant is derived from allowedTenants.",
      );
  } else {
    if (o.allowedTenants !== undefined)
      throw new ConfigError(
        `${field}.allowedTenants`,
        'is only read with tenantId "organizations" or "common".',
      );
    tenants = [tenant];
  }
  requireAudience(o, field, "entra", "the API's application (client) id or App ID URI");
  const keyTenant = multi ? "common" : tenant;
  const jwksUri =
    version === "2.0"
      ? `https://login.microsoftonline.com/${keyTenant}/discovery/v2.0/keys`
      : `https://login.microsoftonline.com/${keyTenant}/discovery/keys`;
  return [...new Set(tenants)].map((tid) => ({
    issuer:
      o.issuer !== undefined
        ? (o.issuer as string)
        : version === "2.0"
          ? `https://login.microsoftonline.com/${tid}/v2.0`
          : `https://sts.windows.net/${tid}/`,
    jwksUri,
    algorithms: ["RS256"],
    // The token's tenant must be the one its issuer names.
    requiredClaimValues: { tid: [tid] },
    clientIdClaim: version === "2.0" ? ["azp"] : ["appid"],
  }));
}

function keycloak(o: JsonObject, field: string): Derived[] {
  const url = httpsUrl(o.url, `${field}.url`);
  const realm = text(o.realm, `${field}.realm`, "the realm name");
  const issuer =
    o.issuer !== undefined
      ? (o.issuer as string)
      : `${url.href.replace(/\/+$/, "")}/realms/${encodeURIComponent(realm)}`;
  requireAudience(o, field, "keycloak", "the client the API's tokens are issued for, via an audience mapper");
  return [
    {
      issuer,
      jwksUri: `${url.href.replace(/\/+$/, "")}/realms/${encodeURIComponent(realm)}/protocol/openid-connect/certs`,
      // Access tokens only: ID tokens say "ID", refresh tokens "Refresh".
      requiredClaimValues: { typ: ["Bearer"] },
      clientIdClaim: ["azp"],
    },
  ];
}

function google(o: JsonObject, field: string): Derived[] {
  requireAudience(o, field, "google", "the OAuth client id");
  const issuers =
    o.issuer !== undefined ? [o.issuer as string] : ["https://accounts.google.com", "accounts.google.com"];
  return issuers.map((issuer) => ({
    issuer,
    jwksUri: "https://www.googleapis.com/oauth2/v3/certs",
    algorithms: ["RS256"],
    clientIdClaim: ["azp"],
  }));
}
