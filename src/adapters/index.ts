/**
 * Adapters: one per API Gateway authorizer event shape, each turning an event into an
 * {@link AuthRequest} (what the core needs, token included). The core never sees an event; the
 * adapters never do crypto.
 */
export { detectEventKind, toAuthRequest } from "./detect.js";
export { type HttpApiV1AuthorizerEvent, httpV1Adapter } from "./http-v1.js";
export { httpV2Adapter } from "./http-v2.js";
export { restRequestAdapter } from "./rest-request.js";
export { restTokenAdapter } from "./rest-token.js";
export {
  type ExtractedToken,
  extractToken,
  isCompactJwt,
  MAX_SOURCE_CHARS,
  parseBearer,
  type TokenLookup,
  tokenFromAuthorizationToken,
} from "./token-source.js";
export type { Adapter, AuthRequest, EventKind, UnrecognizedEvent } from "./types.js";
export { type WebSocketConnectAuthorizerEvent, websocketAdapter } from "./websocket.js";
