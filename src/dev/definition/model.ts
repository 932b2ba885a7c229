import type { DevApiType } from "../../config/types.js";

/**
 * An API as its definition describes it (a SAM/CloudFormation template, a serverless.yml, an
 * OpenAPI/Swagger file), in the one shape the local gateway serves: the API type and stage, its
 * routes, the authorizer of each route (or none), each route's integration, and the Gateway
 * Responses it customizes. The readers (`sam.ts`, `serverless.ts`, `openapi.ts`) produce it; the
 * gateway consumes it; nothing here reads files or serves requests.
 */

/** Which kind of API Gateway API. */
export type ApiKind = "rest" | "http" | "websocket";

/** Where a definition came from. */
export type DefinitionFormat = "sam" | "cloudformation" | "serverless" | "openapi" | "swagger";

/** Something in the file the local gateway could not use as is, and what it did instead (reported once). */
export interface DefinitionNote {
  /** Where in the file: `Resources.OrdersApi.Properties.StageName`, `functions.orders.events[0].http`. */
  readonly at: string;
  /** One sentence: what was found and the fallback used (never a secret or a whole value). */
  readonly message: string;
}

/** A Lambda handler in a file: `src/orders.ts#handler`, resolved against the definition's folder. */
export interface HandlerReference {
  /** Absolute path of the source file found (`.ts`, `.mts`, `.js`, `.mjs`, `.cjs`), or the path tried. */
  readonly file: string;
  /** The exported function's name (`handler` in `Handler: orders.handler`). */
  readonly exportName: string;
  /** Whether the file exists; a missing file is a note, and the route answers as AWS would for a failing integration. */
  readonly exists: boolean;
  /** The function's logical name or id (`OrdersFunction`, `orders`), for logs. */
  readonly functionName: string;
  /** The function's timeout in seconds, when the definition gives one. */
  readonly timeoutSeconds?: number;
  /** Environment variables the definition sets (literal values only; unresolved ones are notes). */
  readonly environment?: Readonly<Record<string, string>>;
}

/** What runs behind a route. */
export type IntegrationDefinition =
  | {
      readonly kind: "lambda";
      readonly handler: HandlerReference;
      /** Proxy event format: REST and WebSocket `1.0`; HTTP API `1.0` or `2.0` (its default). */
      readonly payloadFormatVersion: "1.0" | "2.0";
      /** Integration timeout, ms (REST default 29 000; HTTP API default 30 000). */
      readonly timeoutMs: number;
    }
  | {
      readonly kind: "http";
      /** The integration URI; `{proxy}`-style path variables are filled from the request. */
      readonly url: string;
      /** The HTTP method sent to the URL; `ANY` keeps the request's. */
      readonly method: string;
      readonly timeoutMs: number;
    }
  | {
      /** A MOCK integration: answers 200 with an empty body (request and response templates are not run). */
      readonly kind: "mock";
    }
  | {
      /** An integration the local gateway cannot run (AWS service, unresolved function): answered 500/502 as AWS would, with a note. */
      readonly kind: "unsupported";
      readonly reason: string;
    };

/** A Lambda authorizer (REQUEST or TOKEN on REST and WebSocket; REQUEST on HTTP APIs). */
export interface LambdaAuthorizerDefinition {
  readonly kind: "lambda";
  readonly name: string;
  /** REST: `token` or `request`; HTTP API and WebSocket: `request`. */
  readonly type: "token" | "request";
  /**
   * Identity sources in AWS's syntax, as the file writes them (`method.request.header.Authorization`,
   * `$request.header.Authorization`, `route.request.querystring.token`); `[]`: none (HTTP API with caching off).
   */
  readonly identitySources: readonly string[];
  /** Result cache TTL, seconds (REST default 300; HTTP API default 0 unless set). */
  readonly resultTtlSeconds: number;
  /** HTTP API only: payload format of the authorizer event. */
  readonly payloadFormatVersion?: "1.0" | "2.0";
  /** HTTP API 2.0 only: simple `{ isAuthorized }` responses. */
  readonly simpleResponses?: boolean;
  /** REST TOKEN only: `identityValidationExpression`, checked before invoking. */
  readonly identityValidationExpression?: string;
  /** The authorizer function; `null` when the definition does not say (gatepass's own authorizer is used, with a note). */
  readonly handler: HandlerReference | null;
}

/**
 * A JWT authorizer API Gateway runs itself: HTTP API `JWT` authorizers, REST API JWT authorizers,
 * and Cognito user pool authorizers (REST `COGNITO_USER_POOLS`, whose issuer is the pool's).
 */
export interface JwtAuthorizerDefinition {
  readonly kind: "jwt";
  readonly name: string;
  /** Which flavour: the checks and the context passed to the backend differ. */
  readonly flavour: "http-api-jwt" | "rest-jwt" | "cognito-user-pools";
  readonly identitySources: readonly string[];
  /** `iss` expected, and where discovery (`/.well-known/openid-configuration`) starts. */
  readonly issuer: string;
  /** Audiences accepted (`aud`, or `client_id` for access tokens without `aud`). */
  readonly audience: readonly string[];
  /** REST only: result cache TTL, seconds. */
  readonly resultTtlSeconds?: number;
}

export type AuthorizerDefinition = LambdaAuthorizerDefinition | JwtAuthorizerDefinition;

/** One route (REST: resource path + method; HTTP API: route key; WebSocket: route key). */
export interface RouteDefinition {
  /** `GET`, …, or `ANY`; `""` for a WebSocket route key. */
  readonly method: string;
  /** REST resource path or HTTP API route path (`/orders/{id}`, `/{proxy+}`); `""` for `$default` and WebSocket keys. */
  readonly path: string;
  /** `GET /orders/{id}`, `ANY /{proxy+}`, `$default`, `$connect`. */
  readonly routeKey: string;
  /** The name of an entry of {@link ApiDefinition.authorizers}, or `null`: this route is not authorized. */
  readonly authorizer: string | null;
  /** Scopes the route requires (JWT and Cognito authorizers: any one of them must be granted). */
  readonly authorizationScopes?: readonly string[];
  /** REST: the method requires an API key (`x-api-key`). */
  readonly apiKeyRequired?: boolean;
  readonly integration: IntegrationDefinition;
  /** Where in the file the route was declared, for messages. */
  readonly at: string;
}

/** A Gateway Response the definition customizes (REST `AWS::ApiGateway::GatewayResponse`, `x-amazon-apigateway-gateway-responses`). */
export interface GatewayResponseDefinition {
  /** `UNAUTHORIZED`, `ACCESS_DENIED`, `AUTHORIZER_FAILURE`, `AUTHORIZER_CONFIGURATION_ERROR`, `MISSING_AUTHENTICATION_TOKEN`, `DEFAULT_4XX`, `DEFAULT_5XX`, … */
  readonly type: string;
  /** Overrides the type's status code. */
  readonly statusCode?: number;
  /** Response headers: values as written (`'static'` quoted, or `context.*`/`method.request.*` mappings). */
  readonly headers: Readonly<Record<string, string>>;
  /** Body templates by content type (`application/json`). */
  readonly templates: Readonly<Record<string, string>>;
}

/** A whole API, ready to serve. */
export interface ApiDefinition {
  readonly format: DefinitionFormat;
  /** The definition file, absolute. */
  readonly file: string;
  /** The API's logical name (`OrdersApi`, the serverless service name). */
  readonly name: string;
  readonly kind: ApiKind;
  /** The stage served (`Prod`, `dev`, `$default`). */
  readonly stage: string;
  readonly routes: readonly RouteDefinition[];
  readonly authorizers: Readonly<Record<string, AuthorizerDefinition>>;
  readonly gatewayResponses: readonly GatewayResponseDefinition[];
  /** Everything read with a fallback, in file order. */
  readonly notes: readonly DefinitionNote[];
}

/**
 * The `DevApiType` a Lambda authorizer of `api` is emulated with (the event shape it receives and the
 * answers it may give): REST TOKEN/REQUEST, HTTP API 1.0 / 2.0 simple / 2.0 IAM, WebSocket.
 */
export function lambdaAuthorizerApiType(kind: ApiKind, authorizer: LambdaAuthorizerDefinition): DevApiType {
  if (kind === "websocket") return "websocket";
  if (kind === "rest") return authorizer.type === "token" ? "rest-token" : "rest-request";
  if (authorizer.payloadFormatVersion === "1.0") return "http-v1";
  return authorizer.simpleResponses ? "http-v2-simple" : "http-v2-iam";
}

/** What an emulated native JWT authorizer answers for one request. */
export type NativeJwtVerdict =
  | {
      readonly ok: true;
      /** The token's claims, as the integration receives them. */
      readonly claims: Readonly<Record<string, unknown>>;
      /** The token's scopes (`scope`/`scp`), `null` when it has none. */
      readonly scopes: readonly string[] | null;
    }
  | {
      readonly ok: false;
      /** 401 (no token, invalid token) or 403 (valid token without a required scope). */
      readonly status: 401 | 403;
      /** Why, in one sentence (never the token). */
      readonly reason: string;
      /** The `WWW-Authenticate` header API Gateway sends with it, when it sends one. */
      readonly wwwAuthenticate?: string;
    };

/** A native JWT authorizer, run by the local gateway as API Gateway runs it (`src/dev/native-jwt.ts`). */
export interface NativeJwtAuthorizer {
  readonly definition: JwtAuthorizerDefinition;
  /**
   * Judges the identity source's value (`Bearer …` or the bare token, as sent; `undefined` when
   * absent) for a route requiring `requiredScopes` (any one of them; `[]`: none). Never rejects.
   */
  authorize(identity: string | undefined, requiredScopes: readonly string[]): Promise<NativeJwtVerdict>;
  /**
   * `requestContext.authorizer` of the integration event after an allow: HTTP API 2.0
   * `{ jwt: { claims, scopes } }`, HTTP API 1.0 `{ claims, scopes }`, REST as AWS documents it.
   */
  integrationContext(
    verdict: Extract<NativeJwtVerdict, { ok: true }>,
    payloadFormatVersion: "1.0" | "2.0",
  ): Record<string, unknown>;
}
