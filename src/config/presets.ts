import { ConfigError } from "../errors.js";
import type { JsonObject } from "../util/json.js";

/**
 * Identity-provider presets (contract §2.6): `"preset"` on an issuer expands, at load time, into
 * plain issuer entries that use only generic mechanisms (an exact `issuer`, a key source,
 * `audience`, `clientId` + `clientIdClaim`, `requiredClaimValues`, `scopeClaims`, `algorithms`).
 * The verifier knows nothing of providers; a bundle built with `--config` gets the expanded
 * configuration and does not carry this module.
 *
 * Any field a preset derives may be given explicitly and wins; an explicit key source (`jwks`,
 * `jwksFile`, `jwksUri`, `publicKey`, `discovery`) replaces the derived one.
 *
 * Provider facts (the README's "Identity providers" section names the documents):
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

type Preset = "cognito" | "auth0" | "okta" | "entra" | "keycloak" | "google";

/** The fields only a preset reads, and the preset that reads each. */
const PRESET_FIELDS: Readonly<Record<string, Preset>> = {
  userPoolId: "cognito",
  tokenUse: "cognito",
  domain: "auth0",
  tenantId: "entra",
  allowedTenants: "entra",
  version: "entra",
  url: "keycloak",
  realm: "keycloak",
};

/** Every field of an issuer that only means something with a preset (`preset` included). */
export const PRESET_ONLY_FIELDS: readonly string[] = ["preset", ...Object.keys(PRESET_FIELDS)];

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** `https://…`, or `http://` on a loopback host (development, tests). */
const WEB = /^(https:\/\/[^/?#@]+|http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?)(\/[^?#]*)?$/;
const RS256 = ["RS256"];

const fail = (field: string, message: string): never => {
  throw new ConfigError(field, message);
};

function text(o: JsonObject, field: string, key: string, what: string): string {
  const value = o[key];
  return typeof value === "string" && value !== "" ? value : fail(`${field}.${key}`, `expected ${what}.`);
}

/**
 * The exact issuers each provider puts in `iss`, from its parameters: one formula, used by the
 * configuration's presets and by the development issuer's provider-shaped tokens.
 */
export const PROVIDER_ISSUERS = {
  /** Both Cognito forms, regional first; the partition's DNS suffix: the European Sovereign Cloud (eusc-*) and China differ. */
  cognito(region: string, userPoolId: string): string[] {
    const dns = /^eusc-/.test(region)
      ? "amazonaws.eu"
      : /^cn-/.test(region)
        ? "amazonaws.com.cn"
        : "amazonaws.com";
    return ["cognito-idp", "issuer-cognito-idp"].map(
      (host) => `https://${host}.${region}.${dns}/${userPoolId}`,
    );
  },
  auth0: (domain: string): string => `https://${domain.toLowerCase()}/`,
  entra: (tenantId: string, version: "1.0" | "2.0"): string =>
    version === "1.0"
      ? `https://sts.windows.net/${tenantId}/`
      : `https://login.microsoftonline.com/${tenantId}/v2.0`,
  keycloak: (url: string, realm: string): string =>
    `${url.replace(/\/+$/, "")}/realms/${encodeURIComponent(realm)}`,
  google: ["https://accounts.google.com", "accounts.google.com"] as readonly string[],
};

/**
 * Expands one issuer entry that has a `preset` into plain issuer entries (one per exact issuer the
 * provider may put in `iss`); the fields of `o` win over derived ones. Throws a `ConfigError`
 * naming the field for a missing or malformed preset parameter.
 */
export function expandPreset(o: JsonObject, field: string): JsonObject[] {
  const preset = o.preset as Preset;
  const need = (key: string, what: string) => {
    if (o[key] === undefined)
      fail(
        `${field}.${key}`,
        `is required with the ${preset} preset (${what}); null skips the check on purpose.`,
      );
  };
  const own: JsonObject = {};
  for (const [key, value] of Object.entries(o)) {
    const owner = PRESET_FIELDS[key];
    if (owner !== undefined && owner !== preset)
      fail(`${field}.${key}`, `is read by the ${owner} preset only.`);
    // The preset's own parameters are read below; Cognito maps clientId by tokenUse.
    if (owner === undefined && key !== "preset" && !(key === "clientId" && preset === "cognito"))
      own[key] = value;
  }
  if (o.secret !== undefined)
    fail(`${field}.secret`, "cannot be used with a preset: providers sign with public keys.");
  let issuers: string[];
  let jwks: (issuer: string) => string;
  let derived: JsonObject = { algorithms: RS256 };
  let perIssuer = (_issuer: string, _i: number): JsonObject => ({});
  switch (preset) {
    case "cognito": {
      const pool = text(o, field, "userPoolId", 'a user pool id such as "eu-west-1_AbC123"');
      const region = /^([a-z]{2,4}(?:-[a-z]+)+-\d{1,2})_[0-9A-Za-z]+$/.exec(pool)?.[1];
      if (region === undefined)
        fail(
          `${field}.userPoolId`,
          'expected the region, "_", then letters and digits, as "eu-west-1_AbC123".',
        );
      const use = o.tokenUse;
      if (use !== null && use !== "access" && use !== "id")
        fail(`${field}.tokenUse`, 'is required with the cognito preset: "access", "id", or null for both.');
      need("clientId", "the app client ids");
      const clients = o.clientId === null ? null : typeof o.clientId === "string" ? [o.clientId] : o.clientId;
      derived.requiredClaimValues = { token_use: use === null ? ["access", "id"] : [use as string] };
      // ID tokens name the app client in `aud`; access tokens have no `aud` but `client_id`.
      derived.audience = use === "id" ? clients : null;
      if (use !== "id" && clients !== null) {
        derived.clientId = clients;
        derived.clientIdClaim = use === null ? ["client_id", "aud"] : ["client_id"];
      }
      issuers = PROVIDER_ISSUERS.cognito(region!, pool);
      jwks = (issuer) => `${issuer}/.well-known/jwks.json`;
      break;
    }
    case "auth0": {
      const domain = text(o, field, "domain", 'a host name such as "acme.eu.auth0.com"').toLowerCase();
      if (!/^[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(domain))
        fail(`${field}.domain`, 'expected a host name such as "acme.eu.auth0.com" (no scheme or path).');
      need("audience", "the API identifier");
      issuers = [PROVIDER_ISSUERS.auth0(domain)];
      jwks = (issuer) => `${issuer}.well-known/jwks.json`;
      derived = { ...derived, clientIdClaim: ["azp"], scopeClaims: ["scope", "scp", "permissions"] };
      break;
    }
    case "okta": {
      const issuer = text(o, field, "issuer", "the authorization server's issuer URL");
      const custom = /^https:\/\/[^/?#@]+\/oauth2\/[\w-]+$/.test(issuer);
      if (!custom && !/^https:\/\/[^/?#@]+$/.test(issuer))
        fail(
          `${field}.issuer`,
          'expected "https://{yourOktaDomain}" or "https://{yourOktaDomain}/oauth2/{id}".',
        );
      need("audience", "the authorization server's audience");
      issuers = [issuer];
      jwks = (iss) => (custom ? `${iss}/v1/keys` : `${iss}/oauth2/v1/keys`);
      derived.clientIdClaim = ["cid"];
      break;
    }
    case "entra": {
      const tenant = text(o, field, "tenantId", 'a tenant GUID, "organizations" or "common"').toLowerCase();
      const v1 = o.version === "1.0";
      if (o.version !== undefined && !v1 && o.version !== "2.0")
        fail(`${field}.version`, 'expected "1.0" or "2.0".');
      const multi = tenant === "organizations" || tenant === "common";
      const list = o.allowedTenants;
      if (multi !== (list !== undefined))
        fail(
          `${field}.allowedTenants`,
          multi
            ? `is required with tenantId "${tenant}".`
            : 'is read with tenantId "organizations" or "common" only.',
        );
      if (!multi && !GUID.test(tenant))
        fail(`${field}.tenantId`, 'expected a tenant GUID, or "organizations"/"common".');
      if (
        multi &&
        (!Array.isArray(list) ||
          list.length === 0 ||
          list.some((t) => typeof t !== "string" || !GUID.test(t.toLowerCase())))
      )
        fail(`${field}.allowedTenants`, "expected a non-empty array of tenant GUIDs.");
      if (multi && o.issuer !== undefined)
        fail(`${field}.issuer`, "is derived from allowedTenants with a multi-tenant tenantId.");
      need("audience", "the API's application (client) id");
      const tenants = multi ? [...new Set((list as string[]).map((t) => t.toLowerCase()))] : [tenant];
      issuers = tenants.map((tid) => PROVIDER_ISSUERS.entra(tid, v1 ? "1.0" : "2.0"));
      jwks = () =>
        `https://login.microsoftonline.com/${multi ? "common" : tenant}/discovery/${v1 ? "" : "v2.0/"}keys`;
      derived.clientIdClaim = [v1 ? "appid" : "azp"];
      // The token's tenant must be the one its issuer names.
      perIssuer = (_issuer, i) => ({ requiredClaimValues: { tid: [tenants[i]!] } });
      break;
    }
    case "keycloak": {
      const url = text(o, field, "url", "the server URL").replace(/\/+$/, "");
      if (!WEB.test(url))
        fail(`${field}.url`, "expected an https URL (http only on 127.0.0.1, localhost or [::1]).");
      const realm = PROVIDER_ISSUERS.keycloak(url, text(o, field, "realm", "the realm name"));
      need("audience", "the API's client, via an audience mapper");
      issuers = [realm];
      jwks = () => `${realm}/protocol/openid-connect/certs`;
      // Access tokens only: ID tokens say "ID", refresh tokens "Refresh". Realms may sign with ES*/PS*.
      derived = { clientIdClaim: ["azp"], requiredClaimValues: { typ: ["Bearer"] } };
      break;
    }
    case "google":
      need("audience", "the OAuth client id");
      issuers = [...PROVIDER_ISSUERS.google];
      jwks = () => "https://www.googleapis.com/oauth2/v3/certs";
      derived.clientIdClaim = ["azp"];
      break;
    default:
      return fail(`${field}.preset`, 'expected "cognito", "auth0", "okta", "entra", "keycloak" or "google".');
  }
  if (typeof own.issuer === "string") issuers = [own.issuer];
  const explicitKeys = ["jwks", "jwksFile", "jwksUri", "publicKey", "discovery"].some(
    (k) => o[k] !== undefined,
  );
  return issuers.map((issuer, i) => {
    const entry: JsonObject = { issuer, ...derived, ...perIssuer(issuer, i), ...own };
    if (!explicitKeys) entry.jwksUri = jwks(issuer);
    // Where the client id is read matters only when one is checked.
    if (entry.clientId == null && own.clientIdClaim === undefined) delete entry.clientIdClaim;
    return entry;
  });
}
