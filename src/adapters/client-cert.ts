import { isRecord, ownRecord, ownString } from "./event-lookup.js";
import type { EventKind } from "./types.js";

/**
 * The mutual-TLS client certificate API Gateway passes to a Lambda authorizer, as PEM, or `null`
 * when the event carries none (AWS: api-gateway-lambda-authorizer-input.html,
 * http-api-lambda-authorizer.html, rest-api-mutual-tls.html, http-api-mutual-tls.html):
 * - REST `REQUEST` and HTTP API payload `1.0`: `requestContext.identity.clientCert.clientCertPem`;
 * - HTTP API payload `2.0`: `requestContext.authentication.clientCert.clientCertPem`;
 * - REST `TOKEN` events carry only the token and the ARN, and WebSocket APIs have no mutual TLS:
 *   always `null`.
 * Only own properties are read; any other shape is `null`.
 */
export function clientCertPemOf(event: unknown, kind: EventKind): string | null {
  if (!isRecord(event)) return null;
  const context = ownRecord(event, "requestContext");
  if (context === null) return null;
  let holder: ReturnType<typeof ownRecord>;
  if (kind === "rest-request" || kind === "http-v1") holder = ownRecord(context, "identity");
  else if (kind === "http-v2") holder = ownRecord(context, "authentication");
  else return null;
  const cert = holder === null ? null : ownRecord(holder, "clientCert");
  return cert === null ? null : ownString(cert, "clientCertPem");
}
