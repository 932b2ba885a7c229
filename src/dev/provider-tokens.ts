import { createHash, randomBytes, randomUUID } from "node:crypto";
import { PROVIDER_ISSUERS } from "../config/presets.js";

/**
 * Development tokens shaped like a managed identity provider's, so a team can try its presets and
 * route rules locally before the real provider is wired: the header and claims follow each
 * provider's documented tokens, `iss` is the provider's real issuer derived from the preset's
 * parameters (as the configuration's issuer presets derive it), and the signature is whatever key
 * the caller signs with — the development issuer's, or `gatepass mint --key`. A configuration
 * issuer `{ "preset": …, <same parameters>, "jwksUri": "<dev issuer>/.well-known/jwks.json" }`
 * (an explicit key source replaces the provider's) then accepts the token.
 *
 * What no template can copy: the algorithm is the signing key's (providers sign RS256), and header
 * members that name a provider's certificate (Entra's `x5t`) are left out.
 */

/** The providers a token can be shaped like; the names of the configuration's issuer presets. */
export const PROVIDER_PRESETS = ["cognito", "auth0", "okta", "entra", "keycloak", "google"] as const;
export type ProviderPreset = (typeof PROVIDER_PRESETS)[number];

/**
 * Each preset's parameters, named as in the configuration's issuer presets. `issuer` (every preset)
 * replaces the derived issuer; the audience is the caller's `aud` / `--aud`.
 */
export const PRESET_PARAMETERS: Readonly<Record<ProviderPreset, readonly string[]>> = {
  cognito: ["userPoolId", "tokenUse", "clientId", "issuer"],
  auth0: ["domain", "clientId", "tokenDialect", "issuer"],
  okta: ["issuer", "clientId"],
  entra: ["tenantId", "allowedTenants", "version", "clientId", "issuer"],
  keycloak: ["url", "realm", "clientId", "issuer"],
  google: ["clientId", "issuer"],
};

/** Every name some preset takes (to tell a parameter of another preset from an unrelated field). */
export const ALL_PRESET_PARAMETERS: ReadonlySet<string> = new Set(Object.values(PRESET_PARAMETERS).flat());

/** The client id a token names when the caller gives none. */
export const DEV_CLIENT_ID = "gatepass-dev";

/** A bad preset, parameter or combination; the message is one sentence for the caller. */
export class ProviderTokenError extends Error {
  override readonly name = "ProviderTokenError";
}

export const isProviderPreset = (name: unknown): name is ProviderPreset =>
  typeof name === "string" && (PROVIDER_PRESETS as readonly string[]).includes(name);

/** What to shape. `params` holds the preset's parameters, unvalidated. */
export interface ProviderTokenRequest {
  preset: string;
  params: Record<string, unknown>;
  sub?: string;
  scopes?: readonly string[];
  groups?: readonly string[];
  roles?: readonly string[];
  audience?: readonly string[];
  /** The client of a client_credentials request, used when `params.clientId` is not given. */
  clientId?: string;
  /** The caller's own claims; they win over the template's. */
  claims?: Record<string, unknown>;
  /** `iat`, seconds since the epoch. */
  now: number;
}

/** A token to sign: the issuer, subject and audience go to the signer's options, the rest is claims. */
export interface ProviderToken {
  preset: ProviderPreset;
  /** The `typ` header, or `null` where the provider sends none. */
  typ: string | null;
  issuer: string;
  subject: string;
  audience?: string | string[];
  /** Sets `nbf` to `iat` (Entra does). */
  notBefore: boolean;
  claims: Record<string, unknown>;
  /** The granted scopes, space-separated, for the token response. */
  scope?: string;
}

const fail = (message: string): never => {
  throw new ProviderTokenError(message);
};

/** A short, quoted rendering of a caller's value for an error message. */
const shown = (value: unknown): string => {
  const text = typeof value === "string" ? value : (JSON.stringify(value) ?? String(value));
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text);
};

function stringParam(preset: string, params: Record<string, unknown>, name: string): string | undefined {
  const value = params[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string" || value.trim() === "")
    fail(`${preset} preset: ${name} must be a non-empty string`);
  return (value as string).trim();
}

/** A string or a non-empty list of strings (a configuration may list several); the token uses the first. */
function firstOfParam(preset: string, params: Record<string, unknown>, name: string): string | undefined {
  const value = params[name];
  if (Array.isArray(value)) {
    if (value.length === 0 || !value.every((v) => typeof v === "string" && v.trim() !== ""))
      fail(`${preset} preset: ${name} must be a string or a non-empty list of strings`);
    return (value[0] as string).trim();
  }
  return stringParam(preset, params, name);
}

function required(preset: string, name: string, value: string | undefined, example: string): string {
  if (value === undefined) fail(`the ${preset} preset needs ${name} (e.g. ${example})`);
  return value!;
}

/** A user pool id, `<region>_<id>`: `eu-west-1_AbCdEf123`, `us-gov-west-1_…`, `eusc-de-east-1_…`. */
const USER_POOL_ID = /^((?:[a-z]{2,4}-)?[a-z]{2,4}-[a-z]+-\d{1,2})_[0-9A-Za-z]+$/;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const HOST_NAME =
  /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/i;

function httpUrl(preset: string, name: string, value: string): URL {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== "https:" && url.protocol !== "http:") || url.search || url.hash)
    fail(`${preset} preset: ${name} ${shown(value)} is not an http(s) URL without query or fragment`);
  return url!;
}

/** The region of a Cognito user pool id. */
function cognitoRegion(userPoolId: string): string {
  const match = USER_POOL_ID.exec(userPoolId);
  if (!match)
    fail(
      `cognito preset: userPoolId ${shown(userPoolId)} is not a user pool id (expected <region>_<id>, e.g. eu-west-1_AbCdEf123)`,
    );
  return match![1]!;
}

/** The Entra tenant a token comes from: `tenantId` itself, or the first of `allowedTenants` for a multi-tenant app. */
function entraTenant(params: Record<string, unknown>): string {
  const tenantId = required("entra", "tenantId", stringParam("entra", params, "tenantId"), "a tenant GUID");
  if (GUID.test(tenantId)) return tenantId.toLowerCase();
  if (tenantId === "organizations" || tenantId === "common") {
    const allowed = params.allowedTenants;
    const first = Array.isArray(allowed) ? allowed[0] : allowed;
    if (typeof first !== "string" || !GUID.test(first))
      fail(
        `entra preset: tenantId "${tenantId}" needs allowedTenants with at least one tenant GUID (the token's tid is the first)`,
      );
    return (first as string).toLowerCase();
  }
  return fail(`entra preset: tenantId ${shown(tenantId)} must be a tenant GUID, "organizations" or "common"`);
}

function entraVersion(params: Record<string, unknown>): "1.0" | "2.0" {
  const version = params.version ?? "2.0";
  if (version !== "1.0" && version !== "2.0")
    fail(`entra preset: version must be "2.0" or "1.0", not ${shown(version)}`);
  return version as "1.0" | "2.0";
}

/**
 * The issuer a preset derives from its parameters (an explicit `issuer` wins), exactly as the
 * configuration's presets derive it:
 * - cognito: `https://cognito-idp.{region}.amazonaws.com/{userPoolId}`, the region read from the pool
 *   id; a pool in the AWS European Sovereign Cloud (`eusc-…`) is on that partition's `amazonaws.eu`,
 *   one in China (`cn-…`) on `amazonaws.com.cn`. Pools on the multi-Region issuer
 *   (`https://issuer-cognito-idp.{region}.amazonaws.com/{userPoolId}`) pass it as `issuer`.
 * - auth0: `https://{domain}/`; okta: `issuer` (org `https://{domain}` or custom authorization server
 *   `https://{domain}/oauth2/{id}`); entra: `https://login.microsoftonline.com/{tid}/v2.0`, v1.0
 *   `https://sts.windows.net/{tid}/`; keycloak: `{url}/realms/{realm}`; google `https://accounts.google.com`.
 */
export function presetIssuer(preset: ProviderPreset, params: Record<string, unknown>): string {
  const explicit = stringParam(preset, params, "issuer");
  if (explicit !== undefined) {
    httpUrl(preset, "issuer", explicit.includes("://") ? explicit : `https://${explicit}`);
    return explicit;
  }
  switch (preset) {
    case "cognito": {
      const pool = required(
        "cognito",
        "userPoolId",
        stringParam("cognito", params, "userPoolId"),
        "eu-west-1_AbCdEf123",
      );
      return PROVIDER_ISSUERS.cognito(cognitoRegion(pool), pool)[0]!;
    }
    case "auth0": {
      const domain = required("auth0", "domain", stringParam("auth0", params, "domain"), "acme.eu.auth0.com");
      if (!HOST_NAME.test(domain))
        fail(
          `auth0 preset: domain ${shown(domain)} must be a host name such as acme.eu.auth0.com (no https://, no path)`,
        );
      return PROVIDER_ISSUERS.auth0(domain);
    }
    case "okta":
      return required("okta", "issuer", undefined, "https://acme.okta.com/oauth2/default");
    case "entra": {
      const tid = entraTenant(params);
      return PROVIDER_ISSUERS.entra(tid, entraVersion(params));
    }
    case "keycloak": {
      const url = required(
        "keycloak",
        "url",
        stringParam("keycloak", params, "url"),
        "https://kc.acme.example",
      );
      httpUrl("keycloak", "url", url);
      const realm = required("keycloak", "realm", stringParam("keycloak", params, "realm"), "acme");
      if (realm.includes("/") || realm.includes("?") || realm.includes("#"))
        fail(`keycloak preset: realm ${shown(realm)} must be a realm name, not a path`);
      return PROVIDER_ISSUERS.keycloak(url, realm);
    }
    case "google":
      return PROVIDER_ISSUERS.google[0]!;
  }
}

/** A stable id of the shape a provider uses, made from the subject (the same subject gets the same id). */
function stableGuid(seed: string): string {
  const h = createHash("sha256").update(seed).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
/** A random opaque id, base64url, as providers use for `jti`/`uti`. */
const opaqueId = (bytes = 16) => randomBytes(bytes).toString("base64url");

function refuse(preset: string, what: string, list: readonly string[] | undefined, where: string): void {
  if (list !== undefined && list.length > 0) fail(`${preset} tokens carry no ${what}; ${where}`);
}

/**
 * Shapes a token like `request.preset`'s provider. Throws {@link ProviderTokenError} for an unknown
 * preset, a missing or malformed parameter, a parameter of another preset, or something the
 * provider's tokens cannot carry (scopes in an ID token, an `aud` in a Cognito access token).
 */
export function shapeProviderToken(request: ProviderTokenRequest): ProviderToken {
  const { preset, params } = request;
  if (!isProviderPreset(preset))
    fail(`unknown preset ${shown(preset)} (known: ${PROVIDER_PRESETS.join(", ")})`);
  const p = preset as ProviderPreset;
  for (const name of Object.keys(params)) {
    if (!PRESET_PARAMETERS[p].includes(name))
      fail(`${name} is not a parameter of the ${p} preset (it takes ${PRESET_PARAMETERS[p].join(", ")})`);
  }
  const issuer = presetIssuer(p, params);
  const scopes = [...(request.scopes ?? [])];
  const groups = request.groups === undefined ? undefined : [...request.groups];
  const roles = request.roles === undefined ? undefined : [...request.roles];
  const audience = request.audience === undefined ? undefined : [...request.audience];
  const clientId = firstOfParam(p, params, "clientId") ?? request.clientId;
  const sub = request.sub ?? request.clientId ?? "demo-user";
  const now = request.now;
  const scope = scopes.length > 0 ? scopes.join(" ") : undefined;
  const single = (list: string[]) => (list.length === 1 ? list[0]! : list);
  let token: Omit<ProviderToken, "claims" | "preset" | "issuer" | "scope"> & {
    claims: Record<string, unknown>;
  };

  switch (p) {
    // Cognito: "Understanding the access token" and "Understanding the identity (ID) token", Amazon
    // Cognito Developer Guide (docs.aws.amazon.com/cognito/latest/developerguide/
    // amazon-cognito-user-pools-using-the-access-token.html, …-using-the-id-token.html). Header
    // { kid, alg } only; access tokens carry client_id and no aud, ID tokens aud = the app client.
    case "cognito": {
      const tokenUse = params.tokenUse ?? "access";
      if (tokenUse !== "access" && tokenUse !== "id")
        fail(`cognito preset: tokenUse must be "access" or "id", not ${shown(tokenUse)}`);
      const client = required("cognito", "clientId", clientId, "the app client id");
      refuse("cognito", "role claim", roles, "pass groups (cognito:groups) or claims instead");
      const common = {
        ...(groups && groups.length > 0 ? { "cognito:groups": groups } : {}),
        origin_jti: randomUUID(),
        event_id: randomUUID(),
        token_use: tokenUse,
        auth_time: now,
        jti: randomUUID(),
      };
      if (tokenUse === "access") {
        if (audience !== undefined)
          fail("Cognito access tokens carry no aud (the client is in client_id): leave aud out");
        token = {
          typ: null,
          subject: sub,
          notBefore: false,
          claims: {
            ...common,
            version: 2,
            client_id: client,
            scope: scope ?? "aws.cognito.signin.user.admin",
            username: sub,
          },
        };
      } else {
        refuse("cognito ID", "scope", scopes, "an ID token's audience is clientId");
        if (audience !== undefined)
          fail("a Cognito ID token's aud is its app client: give clientId, not aud");
        token = {
          typ: null,
          subject: sub,
          audience: client,
          notBefore: false,
          claims: {
            ...common,
            "cognito:username": sub,
            email: sub.includes("@") ? sub : `${sub}@example.com`,
            email_verified: true,
          },
        };
      }
      break;
    }

    // Auth0: "Access Token Profiles" (auth0.com/docs/secure/tokens/access-tokens/access-token-profiles):
    // the Auth0 profile (dialects access_token, access_token_authz) has azp and typ JWT; the RFC 9068
    // profile (rfc9068_profile, rfc9068_profile_authz) has client_id, jti and typ at+jwt; the _authz
    // dialects add RBAC `permissions`. aud lists the API and, with `openid`, the userinfo endpoint.
    case "auth0": {
      const dialect = params.tokenDialect ?? "access_token_authz";
      const dialects = ["access_token", "access_token_authz", "rfc9068_profile", "rfc9068_profile_authz"];
      if (typeof dialect !== "string" || !dialects.includes(dialect))
        fail(`auth0 preset: tokenDialect must be one of ${dialects.join(", ")}, not ${shown(dialect)}`);
      const d = dialect as string;
      refuse(
        "auth0",
        "groups claim",
        groups,
        'put roles in a namespaced claim (claims {"https://acme.example/roles": […]})',
      );
      refuse(
        "auth0",
        "role claim",
        roles,
        'put roles in a namespaced claim (claims {"https://acme.example/roles": […]})',
      );
      const aud = [...(audience ?? ["gatepass-dev"])];
      if (scopes.includes("openid")) aud.push(`${issuer}userinfo`);
      const rfc9068 = d.startsWith("rfc9068");
      token = {
        typ: rfc9068 ? "at+jwt" : "JWT",
        subject: request.sub ?? (request.clientId ? `${request.clientId}@clients` : "auth0|demo-user"),
        audience: single(aud),
        notBefore: false,
        claims: {
          ...(rfc9068
            ? { client_id: clientId ?? DEV_CLIENT_ID, jti: opaqueId() }
            : { azp: clientId ?? DEV_CLIENT_ID }),
          ...(scope !== undefined ? { scope } : {}),
          ...(d.endsWith("_authz") ? { permissions: scopes } : {}),
        },
      };
      break;
    }

    // Okta: the access token of "OpenID Connect & OAuth 2.0 API" (developer.okta.com/docs/api/openapi/
    // okta-oauth/guides/overview/): header { kid, alg }; ver 1, jti "AT.…", cid, uid, scp as an
    // array, auth_time; groups from a groups claim the authorization server is given.
    case "okta": {
      refuse("okta", "role claim", roles, "pass groups or claims instead");
      token = {
        typ: null,
        subject: sub,
        audience: single(audience ?? ["gatepass-dev"]),
        notBefore: false,
        claims: {
          ver: 1,
          jti: `AT.${opaqueId(24)}`,
          cid: clientId ?? DEV_CLIENT_ID,
          uid: `00u${createHash("sha256").update(sub).digest("base64url").replace(/[-_]/g, "").slice(0, 17)}`,
          scp: scopes,
          auth_time: now,
          ...(groups && groups.length > 0 ? { groups } : {}),
        },
      };
      break;
    }

    // Entra ID: "Access token claims reference", Microsoft identity platform (learn.microsoft.com/
    // entra/identity-platform/access-token-claims-reference): header typ JWT; v2.0 tokens azp, v1.0
    // appid; tid, oid, scp (space-separated), roles, groups, uti, ver; nbf = iat. No jti.
    case "entra": {
      const version = entraVersion(params);
      const tid = entraTenant(params);
      const client = clientId ?? DEV_CLIENT_ID;
      token = {
        typ: "JWT",
        subject: sub,
        audience: single(audience ?? ["gatepass-dev"]),
        notBefore: true,
        claims: {
          ...(version === "2.0" ? { azp: client, azpacr: "0" } : { appid: client, appidacr: "0" }),
          oid: stableGuid(`${tid}:${sub}`),
          ...(roles && roles.length > 0 ? { roles } : {}),
          ...(groups && groups.length > 0 ? { groups } : {}),
          ...(scope !== undefined ? { scp: scope } : {}),
          tid,
          uti: opaqueId(),
          ver: version,
        },
      };
      break;
    }

    // Keycloak: an access token from a realm's token endpoint, as decoded claim by claim from a
    // Keycloak 26 run in "Get a Keycloak Token and Read Every Claim" (phasetwo.io/tutorials/
    // getting-started/your-first-token/) and Keycloak's AccessToken representation (keycloak-core):
    // header typ JWT; typ "Bearer", azp, sid, realm_access.roles (with default-roles-{realm}),
    // resource_access.{client}.roles, scope, preferred_username.
    case "keycloak": {
      const realm = stringParam("keycloak", params, "realm") ?? "";
      token = {
        typ: "JWT",
        subject: sub,
        audience: single(audience ?? ["gatepass-dev"]),
        notBefore: false,
        claims: {
          jti: randomUUID(),
          typ: "Bearer",
          azp: clientId ?? DEV_CLIENT_ID,
          sid: randomUUID(),
          acr: "1",
          realm_access: {
            roles: [
              `default-roles-${realm.toLowerCase()}`,
              "offline_access",
              "uma_authorization",
              ...(roles ?? []),
            ],
          },
          resource_access: { account: { roles: ["manage-account", "manage-account-links", "view-profile"] } },
          scope: scope ?? "profile email",
          ...(groups && groups.length > 0 ? { groups } : {}),
          email_verified: true,
          preferred_username: sub,
        },
      };
      break;
    }

    // Google: the ID token of "OpenID Connect" (developers.google.com/identity/openid-connect/
    // openid-connect#an-id-tokens-payload): iss, azp, aud = the OAuth client id, sub, email,
    // email_verified. An ID token carries no scope, groups or roles.
    case "google": {
      refuse(
        "google ID",
        "scope",
        scopes,
        "Google ID tokens say who, not what: use claims such as email or hd",
      );
      refuse("google ID", "groups claim", groups, "use claims such as email or hd");
      refuse("google ID", "role claim", roles, "use claims such as email or hd");
      const aud = audience?.[0] ?? clientId;
      const client = required("google", "clientId", aud, "1234.apps.googleusercontent.com");
      token = {
        typ: "JWT",
        subject: sub,
        audience: audience && audience.length > 1 ? audience : client,
        notBefore: false,
        claims: {
          azp: clientId ?? client,
          email: sub.includes("@") ? sub : `${sub}@example.com`,
          email_verified: true,
        },
      };
      break;
    }
  }

  const claims = token!.claims;
  for (const [name, value] of Object.entries(request.claims ?? {})) {
    if (name !== "__proto__") claims[name] = value;
  }
  return {
    preset: p,
    issuer,
    ...token!,
    claims,
    ...(scope !== undefined ? { scope } : {}),
  };
}
