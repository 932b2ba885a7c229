/**
 * `gatepass dev`: a local API Gateway in front of a backend, running a Lambda authorizer
 * in-process on each request exactly as API Gateway calls it, with a development issuer on the
 * same server. See `server.ts` for the lifecycle and options.
 */
export { DEMO_ROUTES, DEMO_TOKEN, defaultDevConfig } from "./default-config.js";
export { type ApiIdentity, DEFAULT_API_IDENTITY } from "./events.js";
export { GATEWAY_RESPONSES } from "./gateway.js";
export type { LambdaHandler } from "./invoke.js";
export {
  DEV_AUDIENCE,
  type DevIssuer,
  ISSUER_PATHS,
  type MintRequest,
  type TokenResponse,
} from "./issuer.js";
export { type DevServer, type DevServerOptions, PortInUseError, startDevServer } from "./server.js";
