import type { GatepassConfig, ResourceConfig } from "./types.js";

/**
 * An OAuth protected resource (RFC 9728) as the configuration's `resource` describes it: where its
 * metadata lives, what the metadata says, and the `WWW-Authenticate` challenges (RFC 6750 §3,
 * RFC 9728 §5.1) that point clients such as MCP clients to it. Pure functions of the configuration,
 * shared by the Lambda, the deploy templates and the local gateway.
 */

/** RFC 9728 §3: the well-known URI suffix. */
export const RESOURCE_METADATA_SUFFIX = "oauth-protected-resource";

/**
 * RFC 9728 §3.1: the metadata URL of resource identifier `uri`, the well-known path inserted between
 * the host and the path (a path of `/` alone is dropped).
 *
 * @example
 * resourceMetadataUrl("https://api.example.com/mcp");
 * // "https://api.example.com/.well-known/oauth-protected-resource/mcp"
 * resourceMetadataUrl("https://api.example.com");
 * // "https://api.example.com/.well-known/oauth-protected-resource"
 */
export function resourceMetadataUrl(uri: string): string {
  const url = new URL(uri);
  const path = url.pathname === "/" ? "" : url.pathname;
  return `${url.origin}/.well-known/${RESOURCE_METADATA_SUFFIX}${path}${url.search}`;
}

/**
 * The RFC 9728 §2 metadata document of `cfg.resource`. `dpop_bound_access_tokens_required` and
 * `tls_client_certificate_bound_access_tokens` are true only when every authorization server's
 * issuer requires the binding.
 */
export function protectedResourceMetadata(cfg: GatepassConfig): Record<string, unknown> | null {
  const resource = cfg.resource;
  if (resource === undefined) return null;
  const servers = cfg.issuers.filter(
    (i) => i.issuer !== null && resource.authorizationServers.includes(i.issuer),
  );
  const all = (test: (i: (typeof servers)[number]) => boolean) => servers.length > 0 && servers.every(test);
  const doc: Record<string, unknown> = {
    resource: resource.uri,
    authorization_servers: resource.authorizationServers,
    bearer_methods_supported: ["header"],
  };
  if (resource.scopesSupported.length > 0) doc.scopes_supported = resource.scopesSupported;
  if (resource.resourceName !== undefined) doc.resource_name = resource.resourceName;
  if (resource.documentation !== undefined) doc.resource_documentation = resource.documentation;
  if (all((i) => i.certificateBound === "required")) doc.tls_client_certificate_bound_access_tokens = true;
  if (all((i) => i.dpop === "required")) doc.dpop_bound_access_tokens_required = true;
  return doc;
}

/** A quoted-string (RFC 9110 §5.6.4) of `value`: `"` and `\` escaped, controls dropped. */
function quoted(value: string): string {
  return `"${value.replace(/[\u0000-\u001f\u007f]/g, "").replace(/["\\]/g, "\\$&")}"`;
}

/**
 * A `WWW-Authenticate` value for `resource`: `Bearer resource_metadata="…"` (RFC 9728 §5.1) with, when
 * given, RFC 6750 §3's `error` and `scope` (space-separated scopes).
 *
 * @example
 * bearerChallenge(resource); // 'Bearer resource_metadata="https://api.example.com/.well-known/oauth-protected-resource/mcp"'
 * bearerChallenge(resource, { error: "insufficient_scope", scope: ["orders:write"] });
 * // 'Bearer resource_metadata="…", error="insufficient_scope", scope="orders:write"'
 */
export function bearerChallenge(
  resource: Pick<ResourceConfig, "metadataUrl">,
  options: {
    error?: "invalid_token" | "insufficient_scope" | "invalid_request";
    scope?: readonly string[];
  } = {},
): string {
  let value = `Bearer resource_metadata=${quoted(resource.metadataUrl)}`;
  if (options.error !== undefined) value += `, error=${quoted(options.error)}`;
  if (options.scope !== undefined && options.scope.length > 0)
    value += `, scope=${quoted(options.scope.join(" "))}`;
  return value;
}

/**
 * The authorizer-context key of a Deny answer that holds its `WWW-Authenticate` value (a whole
 * header value, from {@link bearerChallenge}); a REST API's `ACCESS_DENIED` Gateway Response maps it
 * with `gatewayresponse.header.WWW-Authenticate: context.authorizer.wwwAuthenticate`. Letters only,
 * so it is usable in a mapping expression.
 */
export const CHALLENGE_CONTEXT_KEY = "wwwAuthenticate";

/**
 * What a REST API's Gateway Responses carry for `resource` (`responseParameters` values of
 * `gatewayresponse.header.WWW-Authenticate`): the `UNAUTHORIZED` (401) answer is API Gateway's own,
 * so its challenge is a static value (`'…'`, RFC 9728 §5.1); the `ACCESS_DENIED` (403) answer maps the
 * whole value the Deny carries in its context (RFC 6750 §3.1 `insufficient_scope`). HTTP APIs and
 * WebSocket APIs have no Gateway Responses.
 */
export function resourceGatewayResponses(resource: Pick<ResourceConfig, "metadataUrl">): {
  UNAUTHORIZED: string;
  ACCESS_DENIED: string;
} {
  const challenge = bearerChallenge(resource);
  // A static value is written between single quotes, with no escape for one inside.
  if (challenge.includes("'"))
    throw new RangeError(
      "resource.metadataUrl holds a single quote, which a Gateway Response value cannot carry.",
    );
  return { UNAUTHORIZED: `'${challenge}'`, ACCESS_DENIED: `context.authorizer.${CHALLENGE_CONTEXT_KEY}` };
}
