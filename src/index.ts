/**
 * gatepass: protect AWS API Gateway APIs with JSON Web Tokens.
 *
 * The public surface is this file; everything else is internal and may change.
 */

export { type AuthorizerContext, readAuthorizerContext } from "./backend/read-authorizer-context.js";
export type {
  DevConfigInput,
  GatepassConfigInput,
  IssuerConfigInput,
  RouteConfigInput,
} from "./config/input.js";
export type {
  GatepassConfig,
  IssuerConfig,
  JwksCacheConfig,
  RouteConfig,
  TokenSource,
} from "./config/types.js";
export {
  AuthError,
  type AuthErrorCode,
  AuthErrorCodes,
  type CheckReasonCode,
  ConfigError,
  isAuthError,
  type ReasonCode,
  ReasonCodes,
  reasonStatus,
} from "./errors.js";
export { ALGORITHMS, type Algorithm } from "./keys/algorithms.js";
export {
  type GeneratedKey,
  type GenerateKeyOptions,
  generateSigningKey,
  type JwkObject,
} from "./keys/generate.js";
export { jwkThumbprint } from "./keys/thumbprint.js";
export {
  type AuthorizerHandler,
  type AuthorizerInvocationContext,
  type AuthorizerOptions,
  type AuthorizerResponse,
  type ContextHook,
  type ContextHookResult,
  createAuthorizer,
  type HttpApiAuthorizerEventV2,
  type HttpApiResponseOf,
  type PolicyAuthorizerEvent,
  type PolicyAuthorizerResponse,
  type SimpleAuthorizerResponse,
} from "./lambda/authorizer.js";
export { loadConfig, parseConfig } from "./lambda/config.js";
export { createLogger, type Logger, type LogLevel } from "./log.js";
export type { FlatContext } from "./policy/context.js";
export type { TokenCheck, TokenCheckResult } from "./token/check.js";
export { decodeUnverified } from "./token/decode.js";
export { parseDuration, type SigningKeyInput, type SignOptions, signToken } from "./token/sign.js";
export { createVerifier, type VerifiedToken, type Verifier, type VerifierOptions } from "./token/verifier.js";
