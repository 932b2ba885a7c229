import type { IncomingMessage, ServerResponse } from "node:http";
import { CHALLENGE_CONTEXT_KEY, protectedResourceMetadata } from "../../config/resource.js";
import type { DevApiType, GatepassConfig, ResourceConfig } from "../../config/types.js";
import type { GatewayResponseDefinition } from "../definition/model.js";

/**
 * The configuration's `resource` (RFC 9728) in `gatepass dev`:
 * - its metadata document, served without authorization at the path of `resource.metadataUrl`
 *   (GET/HEAD, `application/json`, CORS `*`);
 * - for REST APIs, the two Gateway Responses the deploy templates declare, applied by the gateway
 *   exactly as API Gateway applies them: `UNAUTHORIZED` adds the static header
 *   `WWW-Authenticate: Bearer resource_metadata="…"` to every 401, and `ACCESS_DENIED` copies a
 *   Deny's `context.wwwAuthenticate` into the 403's `WWW-Authenticate` (left out when the context has
 *   none). HTTP and WebSocket APIs have no Gateway Responses, so no challenge header there.
 */

/** REST API types: the only ones with Gateway Responses. */
const isRest = (api: DevApiType) => api === "rest-token" || api === "rest-request";

/** A single-quoted static mapping value (`'…'`), as a template writes it. */
const staticValue = (value: string) => `'${value}'`;

/**
 * The Gateway Responses a REST API protecting `resource` declares: the `UNAUTHORIZED` challenge
 * (RFC 9728 §5.1) and the `ACCESS_DENIED` one from the Deny's context (RFC 6750 §3.1).
 */
export function resourceGatewayResponses(resource: ResourceConfig): GatewayResponseDefinition[] {
  return [
    {
      type: "UNAUTHORIZED",
      headers: {
        "gatewayresponse.header.WWW-Authenticate": staticValue(
          `Bearer resource_metadata="${resource.metadataUrl}"`,
        ),
      },
      templates: {},
    },
    {
      type: "ACCESS_DENIED",
      headers: { "gatewayresponse.header.WWW-Authenticate": `context.authorizer.${CHALLENGE_CONTEXT_KEY}` },
      templates: {},
    },
  ];
}

/** The metadata route of the local gateway. */
export interface ResourceMetadataEndpoint {
  /** The path it answers (the path of `resource.metadataUrl`). */
  readonly path: string;
  /** Answers `path` (GET, HEAD, OPTIONS; 405 otherwise); `false` for any other path. */
  handle(req: IncomingMessage, res: ServerResponse, path: string): boolean;
}

const CORS = {
  "access-control-allow-origin": "*",
  "access-control-allow-methods": "GET, HEAD, OPTIONS",
  // MCP clients send MCP-Protocol-Version with the metadata request.
  "access-control-allow-headers": "*",
};

/** The metadata route of `config.resource`; `undefined` without one. */
export function resourceMetadataEndpoint(
  config: GatepassConfig | null,
): ResourceMetadataEndpoint | undefined {
  const doc = config === null ? null : protectedResourceMetadata(config);
  if (config?.resource === undefined || doc === null) return undefined;
  const path = new URL(config.resource.metadataUrl).pathname;
  const body = JSON.stringify(doc);
  return {
    path,
    handle(req, res, requestPath) {
      if (requestPath !== path) return false;
      if (req.method === "OPTIONS") {
        res.writeHead(204, { ...CORS, "access-control-max-age": "600" });
        res.end();
        return true;
      }
      const get = req.method === "GET" || req.method === "HEAD";
      const text = get ? body : JSON.stringify({ message: "use GET" });
      res.writeHead(get ? 200 : 405, {
        ...CORS,
        "content-type": "application/json",
        "content-length": String(Buffer.byteLength(text)),
        "cache-control": "max-age=300",
        ...(get ? {} : { allow: "GET, HEAD, OPTIONS" }),
      });
      res.end(req.method === "HEAD" ? undefined : text);
      return true;
    },
  };
}

/**
 * The banner lines of `config.resource` on a server at `url`: where the metadata is, whether 401/403
 * answers carry challenges, when the resource is not this server which local URL serves it, and the
 * development issuer's authorization server metadata when it is served (`issuerUrl`).
 */
export function resourceBanner(
  config: GatepassConfig | null,
  api: DevApiType,
  url: string,
  fromDefinition: boolean,
  issuerUrl?: string,
): string[] {
  const resource = config?.resource;
  if (resource === undefined) return [];
  const metadata = new URL(resource.metadataUrl);
  const lines = [`  resource    ${resource.uri} (RFC 9728 metadata at ${url}${metadata.pathname})`];
  if (metadata.origin !== url)
    lines.push(
      `              ${metadata.origin} is not this server: for local clients set resource.uri to ${url}${new URL(resource.uri).pathname}`,
    );
  if (!isRest(api))
    lines.push(
      `              ${api}: no WWW-Authenticate challenges on 401/403 (no Gateway Responses, as on AWS)`,
    );
  else if (fromDefinition)
    lines.push("              401/403 challenges: the definition's own Gateway Responses");
  else
    lines.push(
      "              401/403 carry WWW-Authenticate (UNAUTHORIZED and ACCESS_DENIED Gateway Responses)",
    );
  if (issuerUrl !== undefined) {
    // RFC 8414 §3.1: the well-known part goes before the issuer's path.
    const issuer = new URL(issuerUrl);
    const path = issuer.pathname === "/" ? "" : issuer.pathname;
    lines.push(
      `              authorization server: ${issuer.origin}/.well-known/oauth-authorization-server${path} (registration, PKCE S256, code grant)`,
    );
  }
  return lines;
}

/** The Gateway Responses the gateway applies in configuration mode: the resource's, on a REST API. */
export function configGatewayResponses(
  config: GatepassConfig | null,
  api: DevApiType,
): GatewayResponseDefinition[] | undefined {
  return config?.resource !== undefined && isRest(api)
    ? resourceGatewayResponses(config.resource)
    : undefined;
}
