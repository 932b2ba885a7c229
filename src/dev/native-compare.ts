import type { GatepassConfig } from "../config/types.js";
import type { JwtAuthorizerDefinition, NativeJwtAuthorizer } from "./definition/model.js";

/**
 * "What would AWS's own JWT authorizer answer for this token?", beside gatepass's answer: used by
 * `gatepass inspect --native` and by the local gateway's log. Never rejects; never holds the token
 * in what it returns.
 */

/** The flavours by their CLI names. */
export const NATIVE_FLAVOURS = {
  "http-api": "http-api-jwt",
  rest: "rest-jwt",
  cognito: "cognito-user-pools",
} as const satisfies Record<string, JwtAuthorizerDefinition["flavour"]>;

export type NativeFlavourName = keyof typeof NATIVE_FLAVOURS;

const FLAVOUR_LABEL: Record<JwtAuthorizerDefinition["flavour"], string> = {
  "http-api-jwt": "HTTP API JWT authorizer",
  "rest-jwt": "REST API JWT authorizer",
  "cognito-user-pools": "REST API Cognito user pool authorizer",
};

/** The native authorizer's answer for one token and route, ready to print or log. */
export interface NativeComparison {
  readonly authorizer: string;
  readonly issuer: string;
  readonly audience: readonly string[];
  readonly scopes: readonly string[];
  /** 200 (allowed), 401 or 403. */
  readonly status: 200 | 401 | 403;
  /** Why, when refused. */
  readonly reason?: string;
  readonly wwwAuthenticate?: string;
  /** One sentence: "the native … would answer 401 because …". */
  readonly sentence: string;
}

/**
 * The native authorizer a configuration stands for: its first issuer with an exact `issuer` (or the
 * one given), that issuer's audiences (Cognito: its `clientId`), unless given. Throws an `Error`
 * (one sentence) when there is no issuer to use.
 */
export function nativeDefinitionFor(
  config: GatepassConfig | null,
  flavour: NativeFlavourName,
  overrides: { issuer?: string; audience?: readonly string[] } = {},
): JwtAuthorizerDefinition {
  const entry = config?.issuers.find((i) =>
    overrides.issuer !== undefined ? i.issuer === overrides.issuer : typeof i.issuer === "string",
  );
  const issuer = overrides.issuer ?? entry?.issuer ?? undefined;
  if (typeof issuer !== "string" || issuer === "")
    throw new Error(
      "--native needs an issuer: the configuration names none exactly (pass --native-issuer URL)",
    );
  const audience =
    overrides.audience !== undefined && overrides.audience.length > 0
      ? [...overrides.audience]
      : [...(entry?.audience ?? entry?.clientId ?? [])];
  return {
    kind: "jwt",
    name: "native",
    flavour: NATIVE_FLAVOURS[flavour],
    identitySources: ["$request.header.Authorization"],
    issuer,
    audience,
  };
}

/**
 * Judges `identity` (a token, with or without `Bearer `) as `authorizer` would for a route requiring
 * `scopes` (any one). Pass the same authorizer for every request: it keeps the issuer's keys cached.
 */
export async function compareNative(
  authorizer: NativeJwtAuthorizer,
  identity: string | undefined,
  scopes: readonly string[],
): Promise<NativeComparison> {
  const def = authorizer.definition;
  const label = FLAVOUR_LABEL[def.flavour];
  const base = { authorizer: label, issuer: def.issuer, audience: def.audience, scopes };
  const verdict = await authorizer.authorize(identity, scopes);
  if (verdict.ok) {
    return {
      ...base,
      status: 200,
      sentence: `the native ${label} would allow it (the integration runs)${scopes.length > 0 ? `; the token has one of ${scopes.join(" ")}` : ""}`,
    };
  }
  return {
    ...base,
    status: verdict.status,
    reason: verdict.reason,
    ...(verdict.wwwAuthenticate !== undefined ? { wwwAuthenticate: verdict.wwwAuthenticate } : {}),
    sentence: `the native ${label} would answer ${verdict.status} because ${verdict.reason}`,
  };
}
