import { PROVIDER_ISSUERS } from "../../config/presets.js";
import {
  type ApiDraft,
  addRoute,
  bool,
  DefinitionError,
  HTTP_DEFAULT_IDENTITY,
  HTTP_TIMEOUT_MS,
  iamStandIn,
  identityList,
  integer,
  lambdaIntegration,
  type NoteSink,
  newDraft,
  OWN_AUTHORIZER_NOTE,
  payloadVersion,
  REST_AUTHORIZER_TTL,
  REST_DEFAULT_IDENTITY,
  REST_TIMEOUT_MS,
  strings,
} from "./build.js";
import { functionNameInArn, safeName } from "./intrinsics.js";
import type {
  ApiKind,
  AuthorizerDefinition,
  GatewayResponseDefinition,
  HandlerReference,
  IntegrationDefinition,
} from "./model.js";
import { isRecord } from "./yaml.js";

/**
 * Reads an OpenAPI 3 or Swagger 2 document with API Gateway's extensions (`x-amazon-apigateway-integration`,
 * `x-amazon-apigateway-authorizer`, `x-amazon-apigateway-authtype`, `x-amazon-apigateway-any-method`,
 * `x-amazon-apigateway-gateway-responses`), standalone or as a SAM/CloudFormation `DefinitionBody`/`Body`
 * (already resolved by the intrinsics).
 */

export interface OpenApiContext {
  /** The file's name for messages. */
  readonly label: string;
  readonly sink: NoteSink;
  /** Where the document sits in its file (`Resources.Api.Properties.DefinitionBody`), `""` standalone. */
  readonly at: string;
  /** The API's id (logical id, or the file's name). */
  readonly id: string;
  /** The API type when the caller knows it (SAM resource type, an option); else read from the document. */
  readonly kind?: ApiKind;
  /** The stage when the caller knows it; else from `servers`/`basePath`. */
  readonly stage?: string;
  /**
   * The handler of a Lambda function named by an ARN or an invocation URI; `null` when it is not
   * known locally (then the caller's note names the fallback).
   */
  lambda(uriOrArn: string, at: string): HandlerReference | null;
  /** Authorizers the caller defines (SAM `Auth.Authorizers`) that operations may name without a security scheme. */
  readonly knownAuthorizers?: readonly string[];
  /** The authorizer of operations without `security` (SAM `DefaultAuthorizer`; `AWS_IAM`: the stand-in). */
  readonly defaultAuthorizer?: string;
  /** A handler named by `x-gatepass-handler: file[#export]` (relative to the definition's folder). */
  hint?(value: string, at: string): HandlerReference;
}

const OPERATIONS = [
  "get",
  "put",
  "post",
  "delete",
  "options",
  "head",
  "patch",
  "x-amazon-apigateway-any-method",
];

/** Stage used when neither the caller nor the document names one. */
export const FALLBACK_REST_STAGE = "dev";

/** Reads `doc`; throws {@link DefinitionError} on input it refuses. */
export function readOpenApi(doc: Record<string, unknown>, ctx: OpenApiContext): ApiDraft {
  const { sink, label } = ctx;
  const version =
    typeof doc.openapi === "string" ? "openapi" : doc.swagger !== undefined ? "swagger" : undefined;
  if (!version)
    throw new DefinitionError(
      `${label} is not an OpenAPI 3 or Swagger 2 document (no "openapi" or "swagger").`,
    );
  const at = (path: string) => (ctx.at ? `${ctx.at}.${path}` : path);
  const paths = isRecord(doc.paths) ? doc.paths : {};
  const schemes: Record<string, unknown> =
    version === "openapi"
      ? isRecord(doc.components) && isRecord(doc.components.securitySchemes)
        ? doc.components.securitySchemes
        : {}
      : isRecord(doc.securityDefinitions)
        ? doc.securityDefinitions
        : {};
  const kind = ctx.kind ?? detectKind(doc, paths, schemes);
  const stage = ctx.stage ?? documentStage(doc) ?? (kind === "http" ? "$default" : undefined);
  const draft = newDraft(ctx.id, kind, stage ?? FALLBACK_REST_STAGE, ctx.at || "paths");
  if (stage === undefined)
    sink.note(
      at("servers"),
      `the document names no stage (servers[0].variables.basePath); the stage ${FALLBACK_REST_STAGE} is used.`,
    );

  // Security schemes → authorizers (or API keys, or the AWS_IAM stand-in).
  const apiKeySchemes = new Set<string>();
  const authorizerOf = new Map<string, string>();
  for (const [name, scheme] of Object.entries(schemes)) {
    if (!isRecord(scheme)) continue;
    const where = at(
      version === "openapi" ? `components.securitySchemes.${name}` : `securityDefinitions.${name}`,
    );
    const ext = scheme["x-amazon-apigateway-authorizer"];
    const authType = String(scheme["x-amazon-apigateway-authtype"] ?? "").toLowerCase();
    if (isRecord(ext)) {
      draft.authorizers[name] = authorizer(name, ext, scheme, authType, kind, where, ctx);
      authorizerOf.set(name, name);
    } else if (authType === "awssigv4") {
      authorizerOf.set(name, "");
    } else if (scheme.type === "apiKey" && String(scheme.name ?? "").toLowerCase() === "x-api-key") {
      apiKeySchemes.add(name);
    } else {
      sink.note(where, `security scheme ${name} is not an API Gateway authorizer; ${OWN_AUTHORIZER_NOTE}`);
      draft.authorizers[name] = {
        kind: "lambda",
        name,
        type: "request",
        identitySources: [kind === "rest" ? REST_DEFAULT_IDENTITY : HTTP_DEFAULT_IDENTITY],
        resultTtlSeconds: 0,
        ...(kind === "http" ? { payloadFormatVersion: "2.0" as const, simpleResponses: false } : {}),
        handler: null,
      };
      authorizerOf.set(name, name);
    }
  }

  const topSecurity = doc.security;
  for (const [path, item] of Object.entries(paths)) {
    if (!isRecord(item)) continue;
    for (const op of Object.keys(item).filter((key) => OPERATIONS.includes(key.toLowerCase()))) {
      const operation = item[op];
      if (!isRecord(operation)) continue;
      const where = at(`paths.${path}.${op}`);
      const method = op === "x-amazon-apigateway-any-method" ? "ANY" : op.toUpperCase();
      const routePath = kind === "http" && (path === "$default" || path === "/$default") ? "$default" : path;
      const security = operation.security !== undefined ? operation.security : topSecurity;
      let authorizerName: string | null = null;
      let scopes: string[] = [];
      let apiKeyRequired = false;
      if (Array.isArray(security) && security.length > 0) {
        if (security.length > 1)
          sink.note(
            `${where}.security`,
            "only the first security requirement is used (API Gateway applies one).",
          );
        const requirement = isRecord(security[0]) ? security[0] : {};
        for (const [schemeName, schemeScopes] of Object.entries(requirement)) {
          if (apiKeySchemes.has(schemeName)) {
            apiKeyRequired = true;
            continue;
          }
          const target =
            authorizerOf.get(schemeName) ??
            (ctx.knownAuthorizers?.includes(schemeName) ? schemeName : undefined);
          if (target === undefined)
            throw new DefinitionError(
              `${label} requires the security scheme ${safeName(schemeName)} at ${where}, which it does not define.`,
            );
          if (authorizerName !== null) {
            sink.note(
              `${where}.security`,
              `only one authorizer applies to a route; ${safeName(schemeName)} is ignored.`,
            );
            continue;
          }
          authorizerName = target === "" ? iamStandIn(draft, sink, `${where}.security`) : target;
          scopes = strings(schemeScopes);
        }
      }
      if (security === undefined && ctx.defaultAuthorizer !== undefined)
        authorizerName =
          ctx.defaultAuthorizer === "AWS_IAM"
            ? iamStandIn(draft, sink, `${where}.security`)
            : ctx.defaultAuthorizer;
      const integration = readIntegration(
        localRef(doc, operation["x-amazon-apigateway-integration"]),
        kind,
        `${where}.x-amazon-apigateway-integration`,
        ctx,
      );
      addRoute(
        draft,
        {
          method,
          path: routePath,
          authorizer: authorizerName,
          ...(scopes.length > 0 && authorizerName !== null ? { authorizationScopes: scopes } : {}),
          ...(apiKeyRequired ? { apiKeyRequired: true } : {}),
          integration,
          at: where,
        },
        label,
      );
    }
  }
  draft.gatewayResponses.push(...openApiGatewayResponses(doc["x-amazon-apigateway-gateway-responses"]));
  return draft;
}

/**
 * A `{ $ref: "#/components/x-amazon-apigateway-integrations/name" }` (HTTP API exports share
 * integrations this way) replaced by what it points at; any other value as is.
 */
function localRef(doc: Record<string, unknown>, value: unknown): unknown {
  if (!isRecord(value) || typeof value.$ref !== "string" || !value.$ref.startsWith("#/")) return value;
  let target: unknown = doc;
  for (const raw of value.$ref.slice(2).split("/")) {
    const part = raw.replaceAll("~1", "/").replaceAll("~0", "~");
    target = isRecord(target) && Object.hasOwn(target, part) ? target[part] : undefined;
  }
  return target;
}

/** HTTP API when the document says so (export version, payload 2.0, JWT or simple-response authorizers); else REST. */
function detectKind(
  doc: Record<string, unknown>,
  paths: Record<string, unknown>,
  schemes: Record<string, unknown>,
): ApiKind {
  if (doc["x-amazon-apigateway-importexport-version"] !== undefined) return "http";
  for (const scheme of Object.values(schemes)) {
    const ext = isRecord(scheme) ? scheme["x-amazon-apigateway-authorizer"] : undefined;
    if (!isRecord(ext)) continue;
    if (String(ext.type ?? "").toLowerCase() === "jwt") return "http";
    if (ext.enableSimpleResponses !== undefined || ext.authorizerPayloadFormatVersion !== undefined)
      return "http";
  }
  for (const item of Object.values(paths)) {
    if (!isRecord(item)) continue;
    for (const op of OPERATIONS) {
      const operation = item[op];
      const integration = isRecord(operation)
        ? localRef(doc, operation["x-amazon-apigateway-integration"])
        : undefined;
      if (isRecord(integration) && payloadVersion(integration.payloadFormatVersion) === "2.0") return "http";
    }
  }
  return "rest";
}

/** OpenAPI 3 `servers[0].variables.basePath.default`, Swagger 2 `basePath` (without its `/`). */
function documentStage(doc: Record<string, unknown>): string | undefined {
  const servers = Array.isArray(doc.servers) ? doc.servers : [];
  const first = isRecord(servers[0]) ? servers[0] : undefined;
  const variables = first && isRecord(first.variables) ? first.variables : undefined;
  const basePath = variables && isRecord(variables.basePath) ? variables.basePath.default : undefined;
  const raw =
    typeof basePath === "string" ? basePath : typeof doc.basePath === "string" ? doc.basePath : undefined;
  if (raw === undefined) return undefined;
  const stage = raw.replace(/^\/+|\/+$/g, "");
  return stage === "" ? undefined : stage;
}

function authorizer(
  name: string,
  ext: Record<string, unknown>,
  scheme: Record<string, unknown>,
  authType: string,
  kind: ApiKind,
  where: string,
  ctx: OpenApiContext,
): AuthorizerDefinition {
  const type = String(
    ext.type ?? (authType === "cognito_user_pools" ? "cognito_user_pools" : "token"),
  ).toLowerCase();
  const header = typeof scheme.name === "string" && scheme.in !== "query" ? scheme.name : "Authorization";
  if (type === "jwt") {
    const jwt = isRecord(ext.jwtConfiguration) ? ext.jwtConfiguration : {};
    const issuer = typeof jwt.issuer === "string" ? jwt.issuer : "";
    if (issuer === "")
      throw new DefinitionError(`${ctx.label} has a JWT authorizer without an issuer (at ${where}).`);
    const identity = identityList(ext.identitySource);
    return {
      kind: "jwt",
      name,
      flavour: kind === "http" ? "http-api-jwt" : "rest-jwt",
      identitySources: identity.length > 0 ? identity : [HTTP_DEFAULT_IDENTITY],
      issuer,
      audience: strings(jwt.audience),
      ...(kind === "rest"
        ? { resultTtlSeconds: integer(ext.authorizerResultTtlInSeconds) ?? REST_AUTHORIZER_TTL }
        : {}),
    };
  }
  if (type === "cognito_user_pools") {
    const arns = strings(ext.providerARNs);
    if (arns.length > 1) ctx.sink.note(where, "only the first of several user pools is used.");
    const identity = identityList(ext.identitySource);
    return {
      kind: "jwt",
      name,
      flavour: "cognito-user-pools",
      identitySources: identity.length > 0 ? identity : [`method.request.header.${header}`],
      issuer: cognitoIssuer(arns[0], ctx.label, where),
      audience: [],
      resultTtlSeconds: integer(ext.authorizerResultTtlInSeconds) ?? REST_AUTHORIZER_TTL,
    };
  }
  if (type !== "token" && type !== "request")
    throw new DefinitionError(
      `${ctx.label} has an authorizer of unknown type ${safeName(type)} (at ${where}).`,
    );
  const http = kind === "http";
  let handler: HandlerReference | null = null;
  if (typeof ext["x-gatepass-handler"] === "string" && ctx.hint) {
    handler = ctx.hint(ext["x-gatepass-handler"], where);
    const named = typeof ext.authorizerUri === "string" ? functionNameInArn(ext.authorizerUri) : undefined;
    if (named) handler = { ...handler, functionName: named.name };
  } else if (typeof ext.authorizerUri === "string")
    handler = ctx.lambda(ext.authorizerUri, `${where}.authorizerUri`);
  if (!handler)
    ctx.sink.note(where, `the function of authorizer ${name} is not known locally; ${OWN_AUTHORIZER_NOTE}`);
  const identity = identityList(ext.identitySource);
  const payload = http ? payloadVersion(ext.authorizerPayloadFormatVersion) : undefined;
  if (http && payload === undefined)
    ctx.sink.note(
      where,
      `authorizer ${name} names no authorizerPayloadFormatVersion (required); 2.0 is used.`,
    );
  const validation =
    typeof ext.identityValidationExpression === "string" ? ext.identityValidationExpression : undefined;
  return {
    kind: "lambda",
    name,
    type: http || kind === "websocket" ? "request" : type,
    identitySources:
      identity.length > 0 ? identity : type === "token" && !http ? [`method.request.header.${header}`] : [],
    resultTtlSeconds: integer(ext.authorizerResultTtlInSeconds) ?? (http ? 0 : REST_AUTHORIZER_TTL),
    ...(http
      ? { payloadFormatVersion: payload ?? "2.0", simpleResponses: bool(ext.enableSimpleResponses) ?? false }
      : {}),
    ...(validation !== undefined && type === "token" && !http
      ? { identityValidationExpression: validation }
      : {}),
    handler,
  };
}

/** The issuer of a Cognito user pool from its ARN (the partition's DNS suffix included). */
export function cognitoIssuer(arn: string | undefined, label: string, where: string): string {
  const m = arn ? /^arn:aws[a-z-]*:cognito-idp:([a-z0-9-]+):\d*:userpool\/([\w-]+)$/.exec(arn) : null;
  if (!m)
    throw new DefinitionError(`${label} has a Cognito authorizer without a user pool ARN (at ${where}).`);
  return PROVIDER_ISSUERS.cognito(m[1]!, m[2]!)[0]!;
}

function readIntegration(
  value: unknown,
  kind: ApiKind,
  where: string,
  ctx: OpenApiContext,
): IntegrationDefinition {
  if (!isRecord(value)) {
    ctx.sink.note(
      where,
      "the operation has no x-amazon-apigateway-integration; it answers as a failing integration.",
    );
    return { kind: "unsupported", reason: "no integration" };
  }
  const type = String(value.type ?? "").toLowerCase();
  const timeoutMs = integer(value.timeoutInMillis) ?? (kind === "http" ? HTTP_TIMEOUT_MS : REST_TIMEOUT_MS);
  const uri = typeof value.uri === "string" ? value.uri : "";
  if (type === "aws_proxy") {
    let handler: HandlerReference | null = null;
    if (typeof value["x-gatepass-handler"] === "string" && ctx.hint) {
      handler = ctx.hint(value["x-gatepass-handler"], where);
      const named = functionNameInArn(uri);
      if (named) handler = { ...handler, functionName: named.name };
    } else if (uri !== "") handler = ctx.lambda(uri, `${where}.uri`);
    if (!handler) {
      ctx.sink.note(
        where,
        "the integration's Lambda function is not known locally (map it with the functions option); it answers as a failing integration.",
      );
      return { kind: "unsupported", reason: "Lambda function not known locally" };
    }
    let payload: "1.0" | "2.0" = "1.0";
    if (kind === "http") {
      const given = payloadVersion(value.payloadFormatVersion);
      if (given === undefined)
        ctx.sink.note(
          where,
          "the integration names no payloadFormatVersion (required for HTTP APIs); 2.0 is used.",
        );
      payload = given ?? "2.0";
    }
    return lambdaIntegration(handler, payload, timeoutMs);
  }
  if (type === "http_proxy" || type === "http") {
    if (String(value.connectionType ?? "").toUpperCase() === "VPC_LINK") {
      ctx.sink.note(
        where,
        "a VPC link integration cannot be reached locally; it answers as a failing integration.",
      );
      return { kind: "unsupported", reason: "VPC link" };
    }
    if (!/^https?:\/\//i.test(uri))
      throw new DefinitionError(`${ctx.label} has an HTTP integration without an http(s) URL (at ${where}).`);
    if (type === "http")
      ctx.sink.note(
        where,
        "a non-proxy HTTP integration is served as a proxy (mapping templates are not run).",
      );
    return { kind: "http", url: uri, method: String(value.httpMethod ?? "ANY").toUpperCase(), timeoutMs };
  }
  if (type === "mock") return { kind: "mock" };
  ctx.sink.note(
    where,
    `an integration of type ${safeName(type || "none")} is not run locally; it answers as a failing integration.`,
  );
  return { kind: "unsupported", reason: `integration type ${safeName(type || "none")}` };
}

/** `x-amazon-apigateway-gateway-responses` → the model's Gateway Responses. */
export function openApiGatewayResponses(value: unknown): GatewayResponseDefinition[] {
  if (!isRecord(value)) return [];
  return Object.entries(value).flatMap(([type, response]) => {
    if (!isRecord(response)) return [];
    const headers: Record<string, string> = {};
    const parameters = isRecord(response.responseParameters) ? response.responseParameters : {};
    for (const [key, v] of Object.entries(parameters)) {
      const m = /^gatewayresponse\.header\.(.+)$/.exec(key);
      if (m && typeof v === "string") headers[m[1]!] = v;
    }
    const templates: Record<string, string> = {};
    if (isRecord(response.responseTemplates))
      for (const [ct, t] of Object.entries(response.responseTemplates))
        if (typeof t === "string") templates[ct] = t;
    const statusCode = integer(response.statusCode);
    return [{ type, ...(statusCode !== undefined ? { statusCode } : {}), headers, templates }];
  });
}
