import { dirname, resolve } from "node:path";
import {
  type ApiDraft,
  addRoute,
  bool,
  CORS_NOTE,
  cfnGatewayResponse,
  DefinitionError,
  declaredAuthorizer,
  HTTP_DEFAULT_IDENTITY,
  HTTP_TIMEOUT_MS,
  iamStandIn,
  identityList,
  integer,
  lambdaIntegration,
  mergeRoute,
  newDraft,
  OWN_AUTHORIZER_NOTE,
  payloadVersion,
  REST_AUTHORIZER_TTL,
  REST_DEFAULT_IDENTITY,
  REST_TIMEOUT_MS,
  strings,
  WEBSOCKET_TIMEOUT_MS,
} from "./build.js";
import { handlerReference } from "./handlers.js";
import { FUNCTION_TYPES, functionNameInArn, Intrinsics, rootResourceId, safeName } from "./intrinsics.js";
import type {
  ApiKind,
  AuthorizerDefinition,
  GatewayResponseDefinition,
  HandlerReference,
  IntegrationDefinition,
} from "./model.js";
import { cognitoIssuer, FALLBACK_REST_STAGE, readOpenApi } from "./openapi.js";
import { isRecord } from "./yaml.js";

/**
 * Reads a SAM template (`Transform: AWS::Serverless-2016-10-31`) or a plain CloudFormation
 * template: the APIs it defines (`AWS::Serverless::Api`/`HttpApi`, the implicit `ServerlessRestApi`
 * and `ServerlessHttpApi`, `AWS::ApiGateway::*`, `AWS::ApiGatewayV2::*`), their routes, authorizers,
 * integrations and Gateway Responses.
 */

export interface SamReadOptions {
  /** The template's absolute path. */
  readonly file: string;
  /** Its name for messages. */
  readonly label: string;
  /** `--parameter-overrides`-like values. */
  readonly parameters?: Readonly<Record<string, string>>;
  /** Parses another local file (`AWS::Include`, `DefinitionUri`). */
  readonly readFile: (path: string) => unknown;
}

export interface SamResult {
  readonly format: "sam" | "cloudformation";
  readonly apis: ApiDraft[];
  readonly notes: Intrinsics["notes"];
}

type Props = Record<string, unknown>;

interface FunctionInfo {
  readonly id: string;
  readonly names: Set<string>;
  handler?: HandlerReference;
}

export function readSam(template: Record<string, unknown>, options: SamReadOptions): SamResult {
  const { label } = options;
  const dir = dirname(options.file);
  const resources = template.Resources;
  if (!isRecord(resources) || Object.keys(resources).length === 0)
    throw new DefinitionError(`${label} has no Resources section, so it defines no API.`);
  const transforms = strings(template.Transform);
  const format = transforms.some((t) => t.startsWith("AWS::Serverless")) ? "sam" : "cloudformation";
  const r = new Intrinsics(template, {
    ...(options.parameters ? { parameters: options.parameters } : {}),
    include: (location) => options.readFile(resolve(dir, location)),
  });
  const globals = isRecord(template.Globals) ? template.Globals : {};
  const resource = (id: string): { Type: string; Properties: Props; Metadata: Props } => {
    const res = resources[id];
    const rec = isRecord(res) ? res : {};
    return {
      Type: String(rec.Type ?? ""),
      Properties: isRecord(rec.Properties) ? rec.Properties : {},
      Metadata: isRecord(rec.Metadata) ? rec.Metadata : {},
    };
  };
  // A resource whose Condition is false does not exist; one whose condition is unknown is read (noted).
  const ids = Object.keys(resources).filter((id) => {
    const res = resources[id];
    const condition = isRecord(res) && typeof res.Condition === "string" ? res.Condition : undefined;
    if (condition === undefined) return true;
    const value = r.condition(condition);
    if (value === undefined)
      r.note(
        `Resources.${id}.Condition`,
        `condition ${safeName(condition)} cannot be evaluated locally; the resource is read as if it exists.`,
      );
    return value !== false;
  });
  const ofType = (...types: string[]) => ids.filter((id) => types.includes(resource(id).Type));
  const P = (id: string, key: string) => `Resources.${id}.Properties.${key}`;

  // ---- functions ----
  const functions = new Map<string, FunctionInfo>();
  const byName = new Map<string, FunctionInfo>();
  for (const id of ofType(...FUNCTION_TYPES)) {
    const info: FunctionInfo = { id, names: new Set([id]) };
    const name = r.string(resource(id).Properties.FunctionName, P(id, "FunctionName"));
    if (name) info.names.add(name);
    functions.set(id, info);
    for (const n of info.names) byName.set(n, info);
  }
  const functionHandler = (info: FunctionInfo): HandlerReference => {
    if (info.handler) return info.handler;
    const { Type, Properties, Metadata } = resource(info.id);
    const serverless = Type === "AWS::Serverless::Function";
    const g = serverless && isRecord(globals.Function) ? globals.Function : {};
    const props: Props = { ...g, ...Properties };
    const envGlobal =
      isRecord(g.Environment) && isRecord(g.Environment.Variables) ? g.Environment.Variables : {};
    const envOwn =
      isRecord(Properties.Environment) && isRecord(Properties.Environment.Variables)
        ? Properties.Environment.Variables
        : {};
    const environment: Record<string, string> = {};
    for (const [key, value] of Object.entries({ ...envGlobal, ...envOwn })) {
      const text = r.string(value, P(info.id, `Environment.Variables.${key}`));
      if (text !== undefined) environment[key] = text;
    }
    const at = `Resources.${info.id}`;
    const handlerText = r.string(props.Handler, P(info.id, "Handler")) ?? "";
    const runtime = r.string(props.Runtime, P(info.id, "Runtime")) ?? "";
    const codeValue = r.resolve(
      serverless ? props.CodeUri : props.Code,
      P(info.id, serverless ? "CodeUri" : "Code"),
    );
    let baseDir: string | undefined = dir;
    if (typeof codeValue === "string") {
      if (/^s3:\/\//i.test(codeValue)) baseDir = undefined;
      else baseDir = resolve(dir, codeValue);
    } else if (codeValue !== undefined) baseDir = undefined;
    if (props.InlineCode !== undefined || props.PackageType === "Image") baseDir = undefined;
    const timeout = integer(r.resolve(props.Timeout, P(info.id, "Timeout")));
    const build = String(Metadata.BuildMethod ?? "").toLowerCase();
    const buildProps = isRecord(Metadata.BuildProperties) ? Metadata.BuildProperties : {};
    const entryPoints = build === "esbuild" ? strings(buildProps.EntryPoints) : [];
    const found = handlerReference({
      baseDir: baseDir ?? dir,
      handler: handlerText,
      functionName: info.id,
      ...(entryPoints.length > 0 ? { entryPoints } : {}),
      ...(timeout !== undefined ? { timeoutSeconds: timeout } : {}),
      ...(Object.keys(environment).length > 0 ? { environment } : {}),
    });
    let handler = found.handler;
    if (baseDir === undefined) {
      handler = { ...handler, exists: false };
      r.note(
        at,
        `function ${info.id}'s code is not a local folder (S3, inline or image); its routes answer as a failing integration.`,
      );
    } else if (found.missing) {
      const nonNode = runtime !== "" && !runtime.startsWith("nodejs");
      r.note(
        at,
        nonNode
          ? `function ${info.id} uses the runtime ${safeName(runtime)}, which is not run locally.`
          : found.missing,
      );
    }
    info.handler = handler;
    return handler;
  };
  /** The handler of the template function an ARN or invocation URI names, or null. */
  const lambda = (text: string): HandlerReference | null => {
    const named = functionNameInArn(text);
    const info = named ? byName.get(named.name) : undefined;
    return info ? functionHandler(info) : null;
  };

  // ---- APIs ----
  const drafts = new Map<string, ApiDraft>();
  const samDefaults = new Map<string, { authorizer: string | null; apiKeyRequired: boolean }>();
  /** SAM authorizers' own `AuthorizationScopes` (OAuth2Authorizer, CognitoAuthorizer): the scopes of routes that set none. */
  const scopesOf = new Map<string, string[]>();
  const openApiCtx = (id: string, kind: ApiKind, stage: string | undefined, at: string) => ({
    label,
    sink: r,
    at,
    id,
    kind,
    ...(stage !== undefined ? { stage } : {}),
    lambda: (text: string) => lambda(text),
  });
  const body = (
    id: string,
    props: Props,
    kind: ApiKind,
    stage: string,
    bodyKey: string,
    uriKey: string,
    knownAuthorizers: readonly string[] = [],
    defaultAuthorizer?: string,
  ) => {
    let doc: unknown;
    let at = P(id, bodyKey);
    if (props[bodyKey] !== undefined) doc = r.resolve(props[bodyKey], at);
    else if (props[uriKey] !== undefined) {
      at = P(id, uriKey);
      const uri = r.resolve(props[uriKey], at);
      if (typeof uri === "string" && !/^s3:\/\//i.test(uri)) doc = options.readFile(resolve(dir, uri));
      else r.note(at, "the definition is not a local file (S3); only the routes of events are read.");
    }
    if (!isRecord(doc)) return newDraft(id, kind, stage, `Resources.${id}`);
    const draft = readOpenApi(doc, {
      ...openApiCtx(id, kind, stage, at),
      knownAuthorizers,
      ...(defaultAuthorizer !== undefined ? { defaultAuthorizer } : {}),
    });
    return { ...draft, at: `Resources.${id}` };
  };

  const samApi = (id: string, kind: "rest" | "http", props: Props, implicit: boolean) => {
    const g = isRecord(globals[kind === "rest" ? "Api" : "HttpApi"])
      ? (globals[kind === "rest" ? "Api" : "HttpApi"] as Props)
      : {};
    const merged: Props = { ...g, ...props };
    let stage: string;
    if (implicit) stage = kind === "rest" ? "Prod" : "$default";
    else {
      const given = r.string(merged.StageName, P(id, "StageName"));
      stage = given ?? (kind === "http" ? "$default" : "Prod");
    }
    const auth = isRecord(merged.Auth) ? (r.resolve(merged.Auth, P(id, "Auth")) as Props) : {};
    const authorizers = isRecord(auth.Authorizers) ? auth.Authorizers : {};
    const declared: Record<string, AuthorizerDefinition> = {};
    for (const [authName, spec] of Object.entries(authorizers)) {
      if (!isRecord(spec)) continue;
      const where = P(id, `Auth.Authorizers.${authName}`);
      const ownScopes = strings(spec.AuthorizationScopes);
      if (ownScopes.length > 0) scopesOf.set(`${id}\u0000${authName}`, ownScopes);
      declared[authName] =
        kind === "rest" ? samRestAuthorizer(authName, spec, where) : samHttpAuthorizer(authName, spec, where);
    }
    const defaultName = typeof auth.DefaultAuthorizer === "string" ? auth.DefaultAuthorizer : undefined;
    if (
      defaultName !== undefined &&
      defaultName !== "NONE" &&
      defaultName !== "AWS_IAM" &&
      !declared[defaultName]
    )
      throw new DefinitionError(
        `${label}: the DefaultAuthorizer ${safeName(defaultName)} of ${id} is not one of its Authorizers.`,
      );
    const bodyDefault = defaultName !== undefined && defaultName !== "NONE" ? defaultName : undefined;
    const draft = body(
      id,
      merged,
      kind,
      stage,
      "DefinitionBody",
      "DefinitionUri",
      Object.keys(declared),
      bodyDefault,
    );
    Object.assign(draft.authorizers, declared);
    const corsKey = kind === "rest" ? "Cors" : "CorsConfiguration";
    if (merged[corsKey] !== undefined && merged[corsKey] !== false) r.note(P(id, corsKey), CORS_NOTE);
    const name = r.string(merged.Name, P(id, "Name"));
    if (name) draft.aliases.push(name);
    let defaultAuthorizer: string | null = null;
    if (defaultName === "AWS_IAM") defaultAuthorizer = iamStandIn(draft, r, P(id, "Auth.DefaultAuthorizer"));
    else if (defaultName !== undefined && defaultName !== "NONE") defaultAuthorizer = defaultName;
    samDefaults.set(id, {
      authorizer: defaultAuthorizer,
      apiKeyRequired: bool(auth.ApiKeyRequired) ?? false,
    });
    if (kind === "rest" && isRecord(merged.GatewayResponses))
      draft.gatewayResponses.push(
        ...samGatewayResponses(r.resolve(merged.GatewayResponses, P(id, "GatewayResponses"))),
      );
    drafts.set(id, draft);
  };

  const lambdaHandler = (arnValue: unknown, authName: string, where: string): HandlerReference | null => {
    const text = r.string(arnValue, where);
    const handler = text ? lambda(text) : null;
    if (!handler)
      r.note(where, `the function of authorizer ${authName} is not in the template; ${OWN_AUTHORIZER_NOTE}`);
    return handler;
  };

  const samRestAuthorizer = (authName: string, spec: Props, where: string): AuthorizerDefinition => {
    const identity = isRecord(spec.Identity) ? spec.Identity : {};
    const ttl = integer(identity.ReauthorizeEvery) ?? REST_AUTHORIZER_TTL;
    if (spec.UserPoolArn !== undefined) {
      const arns = strings(spec.UserPoolArn);
      if (arns.length > 1) r.note(where, "only the first of several user pools is used.");
      return {
        kind: "jwt",
        name: authName,
        flavour: "cognito-user-pools",
        identitySources: [
          `method.request.header.${typeof identity.Header === "string" ? identity.Header : "Authorization"}`,
        ],
        issuer: cognitoIssuer(arns[0], label, where),
        audience: [],
        resultTtlSeconds: ttl,
      };
    }
    if (spec.FunctionArn === undefined)
      throw new DefinitionError(
        `${label}: authorizer ${safeName(authName)} has neither FunctionArn nor UserPoolArn (at ${where}).`,
      );
    const type = String(spec.FunctionPayloadType ?? "TOKEN").toUpperCase();
    const handler = lambdaHandler(spec.FunctionArn, authName, `${where}.FunctionArn`);
    if (type === "REQUEST") {
      const sources = [
        ...strings(identity.Headers).map((h) => `method.request.header.${h}`),
        ...strings(identity.QueryStrings).map((q) => `method.request.querystring.${q}`),
        ...strings(identity.StageVariables).map((s) => `stageVariables.${s}`),
        ...strings(identity.Context).map((c) => `context.${c}`),
      ];
      return {
        kind: "lambda",
        name: authName,
        type: "request",
        identitySources: sources,
        resultTtlSeconds: ttl,
        handler,
      };
    }
    if (type !== "TOKEN")
      throw new DefinitionError(
        `${label}: authorizer ${safeName(authName)} has FunctionPayloadType ${safeName(type)}, not TOKEN or REQUEST.`,
      );
    const validation =
      typeof identity.ValidationExpression === "string" ? identity.ValidationExpression : undefined;
    return {
      kind: "lambda",
      name: authName,
      type: "token",
      identitySources: [
        `method.request.header.${typeof identity.Header === "string" ? identity.Header : "Authorization"}`,
      ],
      resultTtlSeconds: ttl,
      ...(validation !== undefined ? { identityValidationExpression: validation } : {}),
      handler,
    };
  };

  const samHttpAuthorizer = (authName: string, spec: Props, where: string): AuthorizerDefinition => {
    if (isRecord(spec.JwtConfiguration)) {
      const jwt = spec.JwtConfiguration;
      const issuer =
        typeof jwt.issuer === "string" ? jwt.issuer : typeof jwt.Issuer === "string" ? jwt.Issuer : "";
      if (issuer === "")
        throw new DefinitionError(
          `${label}: JWT authorizer ${safeName(authName)} has no issuer (at ${where}).`,
        );
      const identity = identityList(spec.IdentitySource);
      return {
        kind: "jwt",
        name: authName,
        flavour: "http-api-jwt",
        identitySources: identity.length > 0 ? identity : [HTTP_DEFAULT_IDENTITY],
        issuer,
        audience: strings(jwt.audience ?? jwt.Audience),
      };
    }
    if (spec.FunctionArn === undefined)
      throw new DefinitionError(
        `${label}: authorizer ${safeName(authName)} has neither JwtConfiguration nor FunctionArn (at ${where}).`,
      );
    const identity = isRecord(spec.Identity) ? spec.Identity : {};
    const payload = payloadVersion(spec.AuthorizerPayloadFormatVersion);
    if (payload === undefined)
      r.note(
        where,
        `authorizer ${authName} names no AuthorizerPayloadFormatVersion (required); 2.0 is used.`,
      );
    return {
      kind: "lambda",
      name: authName,
      type: "request",
      identitySources: [
        ...strings(identity.Headers).map((h) => `$request.header.${h}`),
        ...strings(identity.QueryStrings).map((q) => `$request.querystring.${q}`),
        ...strings(identity.StageVariables).map((s) => `$stageVariables.${s}`),
        ...strings(identity.Context).map((c) => `$context.${c}`),
      ],
      resultTtlSeconds: integer(identity.ReauthorizeEvery) ?? 0,
      payloadFormatVersion: payload ?? "2.0",
      simpleResponses: bool(spec.EnableSimpleResponses) ?? false,
      handler: lambdaHandler(spec.FunctionArn, authName, `${where}.FunctionArn`),
    };
  };

  for (const id of ofType("AWS::Serverless::Api")) samApi(id, "rest", resource(id).Properties, false);
  for (const id of ofType("AWS::Serverless::HttpApi")) samApi(id, "http", resource(id).Properties, false);

  // Events of SAM functions (creating the implicit APIs on first use).
  for (const id of ofType("AWS::Serverless::Function")) {
    const info = functions.get(id)!;
    const events = resource(id).Properties.Events;
    if (!isRecord(events)) continue;
    for (const [eventName, event] of Object.entries(events)) {
      if (!isRecord(event)) continue;
      const type = event.Type;
      if (type !== "Api" && type !== "HttpApi") continue;
      const where = P(id, `Events.${eventName}`);
      const props = isRecord(event.Properties)
        ? (r.resolve(event.Properties, `${where}.Properties`) as Props)
        : {};
      const kind = type === "Api" ? "rest" : "http";
      const apiRef = kind === "rest" ? props.RestApiId : props.ApiId;
      let apiId: string;
      if (apiRef === undefined) {
        apiId = kind === "rest" ? "ServerlessRestApi" : "ServerlessHttpApi";
        if (!drafts.has(apiId)) samApi(apiId, kind, {}, true);
      } else {
        apiId = typeof apiRef === "string" ? apiRef : "";
        const target = resource(apiId).Type;
        if (target !== (kind === "rest" ? "AWS::Serverless::Api" : "AWS::Serverless::HttpApi"))
          throw new DefinitionError(
            `${label}: event ${safeName(eventName)} of ${id} refers to an API that is not an ${kind === "rest" ? "AWS::Serverless::Api" : "AWS::Serverless::HttpApi"} of the template.`,
          );
      }
      const draft = drafts.get(apiId)!;
      const defaults = samDefaults.get(apiId)!;
      const auth = isRecord(props.Auth) ? props.Auth : {};
      let authorizer = defaults.authorizer;
      if (typeof auth.Authorizer === "string") {
        if (auth.Authorizer === "NONE") authorizer = null;
        else if (declaredAuthorizer(draft, auth.Authorizer)) authorizer = auth.Authorizer;
        else if (auth.Authorizer === "AWS_IAM")
          authorizer = iamStandIn(draft, r, `${where}.Properties.Auth.Authorizer`);
        else
          throw new DefinitionError(
            `${label}: event ${safeName(eventName)} of ${id} uses the authorizer ${safeName(auth.Authorizer)}, which ${apiId} does not define.`,
          );
      }
      const scopes =
        auth.AuthorizationScopes !== undefined
          ? strings(auth.AuthorizationScopes)
          : authorizer !== null
            ? (scopesOf.get(`${apiId}\u0000${authorizer}`) ?? [])
            : [];
      const apiKeyRequired = kind === "rest" ? (bool(auth.ApiKeyRequired) ?? defaults.apiKeyRequired) : false;
      const handler = functionHandler(info);
      let method = typeof props.Method === "string" ? props.Method : undefined;
      let path = typeof props.Path === "string" ? props.Path : undefined;
      if (kind === "http" && method === undefined && path === undefined) {
        method = "ANY";
        path = "$default";
      }
      if (method === undefined || path === undefined)
        throw new DefinitionError(
          `${label}: event ${safeName(eventName)} of ${id} needs both Path and Method.`,
        );
      const integration: IntegrationDefinition =
        kind === "rest"
          ? lambdaIntegration(handler, "1.0", integer(props.TimeoutInMillis) ?? REST_TIMEOUT_MS)
          : lambdaIntegration(
              handler,
              payloadVersion(props.PayloadFormatVersion) ?? "2.0",
              integer(props.TimeoutInMillis) ?? HTTP_TIMEOUT_MS,
            );
      mergeRoute(
        draft,
        {
          method: method === "any" ? "ANY" : method,
          path,
          authorizer,
          ...(scopes.length > 0 && authorizer !== null ? { authorizationScopes: scopes } : {}),
          ...(apiKeyRequired ? { apiKeyRequired: true } : {}),
          integration,
          at: where,
        },
        label,
        (existing) => !existing.at.includes(".Properties.Events."),
      );
    }
  }

  readRestApis();
  readV2Apis();

  // ---- AWS::ApiGateway::* ----
  function readRestApis(): void {
    const apis = ofType("AWS::ApiGateway::RestApi");
    if (apis.length === 0) return;
    const ref = (value: unknown, at: string) => r.string(value, at) ?? "";
    const belongs = (id: string, apiId: string) =>
      ref(resource(id).Properties.RestApiId, P(id, "RestApiId")) === apiId;
    for (const apiId of apis) {
      const props = resource(apiId).Properties;
      const stages = ofType("AWS::ApiGateway::Stage", "AWS::ApiGateway::Deployment")
        .filter((s) => belongs(s, apiId))
        .map((s) => r.string(resource(s).Properties.StageName, P(s, "StageName")))
        .filter((s): s is string => typeof s === "string" && s !== "");
      const stage = stages[0];
      if (stages.length > 1)
        r.note(`Resources.${apiId}`, `several stages are defined; the stage ${stage} is served.`);
      let draft: ApiDraft;
      if (props.Body !== undefined || props.BodyS3Location !== undefined) {
        draft = body(apiId, props, "rest", stage ?? FALLBACK_REST_STAGE, "Body", "BodyS3Location");
      } else draft = newDraft(apiId, "rest", stage ?? FALLBACK_REST_STAGE, `Resources.${apiId}`);
      if (stage === undefined)
        r.note(
          `Resources.${apiId}`,
          `no AWS::ApiGateway::Stage names a stage; the stage ${FALLBACK_REST_STAGE} is used.`,
        );
      const name = r.string(props.Name, P(apiId, "Name"));
      if (name) draft.aliases.push(name);
      drafts.set(apiId, draft);

      for (const authId of ofType("AWS::ApiGateway::Authorizer").filter((a) => belongs(a, apiId)))
        draft.authorizers[authId] = cfnRestAuthorizer(authId);

      const resourcePath = (resId: string, seen: Set<string>): string => {
        if (resId === rootResourceId(apiId)) return "";
        if (seen.has(resId) || resource(resId).Type !== "AWS::ApiGateway::Resource")
          throw new DefinitionError(
            `${label}: the resource chain of ${safeName(resId)} does not lead to the root of ${apiId}.`,
          );
        seen.add(resId);
        const p = resource(resId).Properties;
        const part = ref(p.PathPart, P(resId, "PathPart"));
        return `${resourcePath(ref(p.ParentId, P(resId, "ParentId")), seen)}/${part}`;
      };
      for (const methodId of ofType("AWS::ApiGateway::Method").filter((m) => belongs(m, apiId))) {
        const p = resource(methodId).Properties;
        const where = `Resources.${methodId}`;
        const path = resourcePath(ref(p.ResourceId, P(methodId, "ResourceId")), new Set()) || "/";
        const authType = String(
          r.string(p.AuthorizationType, P(methodId, "AuthorizationType")) ?? "NONE",
        ).toUpperCase();
        let authorizer: string | null = null;
        if (authType === "AWS_IAM") authorizer = iamStandIn(draft, r, P(methodId, "AuthorizationType"));
        else if (authType === "CUSTOM" || authType === "COGNITO_USER_POOLS" || p.AuthorizerId !== undefined) {
          const authId = ref(p.AuthorizerId, P(methodId, "AuthorizerId"));
          if (!draft.authorizers[authId])
            throw new DefinitionError(
              `${label}: method ${methodId} names an authorizer that is not an AWS::ApiGateway::Authorizer of ${apiId}.`,
            );
          authorizer = authId;
        } else if (authType !== "NONE")
          throw new DefinitionError(
            `${label}: method ${methodId} has the unknown AuthorizationType ${safeName(authType)}.`,
          );
        const scopes = strings(r.resolve(p.AuthorizationScopes, P(methodId, "AuthorizationScopes")));
        const apiKeyRequired = bool(r.resolve(p.ApiKeyRequired, P(methodId, "ApiKeyRequired"))) ?? false;
        const integration = cfnIntegration(
          r.resolve(p.Integration, P(methodId, "Integration")),
          "rest",
          P(methodId, "Integration"),
        );
        addRoute(
          draft,
          {
            method: ref(p.HttpMethod, P(methodId, "HttpMethod")),
            path,
            authorizer,
            ...(scopes.length > 0 && authorizer !== null ? { authorizationScopes: scopes } : {}),
            ...(apiKeyRequired ? { apiKeyRequired: true } : {}),
            integration,
            at: where,
          },
          label,
        );
      }
      for (const grId of ofType("AWS::ApiGateway::GatewayResponse").filter((g) => belongs(g, apiId))) {
        const p = r.resolve(resource(grId).Properties, `Resources.${grId}.Properties`) as Props;
        draft.gatewayResponses.push(cfnGatewayResponse(p));
      }
    }
  }

  function cfnRestAuthorizer(authId: string): AuthorizerDefinition {
    const p = r.resolve(resource(authId).Properties, `Resources.${authId}.Properties`) as Props;
    const where = `Resources.${authId}`;
    const type = String(p.Type ?? "").toUpperCase();
    const ttl = integer(p.AuthorizerResultTtlInSeconds) ?? REST_AUTHORIZER_TTL;
    const identity = identityList(p.IdentitySource);
    if (type === "COGNITO_USER_POOLS") {
      const arns = strings(p.ProviderARNs);
      if (arns.length > 1) r.note(where, "only the first of several user pools is used.");
      return {
        kind: "jwt",
        name: authId,
        flavour: "cognito-user-pools",
        identitySources: identity.length > 0 ? identity : [REST_DEFAULT_IDENTITY],
        issuer: cognitoIssuer(arns[0], label, where),
        audience: [],
        resultTtlSeconds: ttl,
      };
    }
    if (type !== "TOKEN" && type !== "REQUEST")
      throw new DefinitionError(
        `${label}: authorizer ${authId} has the Type ${safeName(type)}, not TOKEN, REQUEST or COGNITO_USER_POOLS.`,
      );
    const uri = typeof p.AuthorizerUri === "string" ? p.AuthorizerUri : "";
    const handler = uri ? lambda(uri) : null;
    if (!handler)
      r.note(where, `the function of authorizer ${authId} is not in the template; ${OWN_AUTHORIZER_NOTE}`);
    const validation =
      typeof p.IdentityValidationExpression === "string" ? p.IdentityValidationExpression : undefined;
    return {
      kind: "lambda",
      name: authId,
      type: type === "TOKEN" ? "token" : "request",
      identitySources: identity.length > 0 ? identity : type === "TOKEN" ? [REST_DEFAULT_IDENTITY] : [],
      resultTtlSeconds: ttl,
      ...(validation !== undefined && type === "TOKEN" ? { identityValidationExpression: validation } : {}),
      handler,
    };
  }

  /** `Integration` of an `AWS::ApiGateway::Method` or an `AWS::ApiGatewayV2::Integration`'s properties. */
  function cfnIntegration(value: unknown, kind: ApiKind, where: string): IntegrationDefinition {
    if (!isRecord(value)) {
      r.note(where, "the method has no Integration; it answers as a failing integration.");
      return { kind: "unsupported", reason: "no integration" };
    }
    const type = String(value.Type ?? value.IntegrationType ?? "").toUpperCase();
    const defaultTimeout =
      kind === "rest" ? REST_TIMEOUT_MS : kind === "http" ? HTTP_TIMEOUT_MS : WEBSOCKET_TIMEOUT_MS;
    const timeoutMs = integer(value.TimeoutInMillis) ?? defaultTimeout;
    const uri =
      typeof value.Uri === "string"
        ? value.Uri
        : typeof value.IntegrationUri === "string"
          ? value.IntegrationUri
          : "";
    if (type === "AWS_PROXY") {
      const handler = uri ? lambda(uri) : null;
      if (!handler) {
        r.note(
          where,
          "the integration's Lambda function is not in the template; it answers as a failing integration.",
        );
        return { kind: "unsupported", reason: "Lambda function not in the template" };
      }
      let payload: "1.0" | "2.0" = "1.0";
      if (kind === "http") {
        const given = payloadVersion(value.PayloadFormatVersion);
        if (given === undefined)
          r.note(
            where,
            "the integration names no PayloadFormatVersion (required for HTTP APIs); 2.0 is used.",
          );
        payload = given ?? "2.0";
      }
      return lambdaIntegration(handler, payload, timeoutMs);
    }
    if (type === "HTTP_PROXY" || type === "HTTP") {
      if (String(value.ConnectionType ?? "").toUpperCase() === "VPC_LINK") {
        r.note(
          where,
          "a VPC link integration cannot be reached locally; it answers as a failing integration.",
        );
        return { kind: "unsupported", reason: "VPC link" };
      }
      if (!/^https?:\/\//i.test(uri))
        throw new DefinitionError(`${label} has an HTTP integration without an http(s) URL (at ${where}).`);
      if (type === "HTTP")
        r.note(where, "a non-proxy HTTP integration is served as a proxy (mapping templates are not run).");
      const method = value.IntegrationHttpMethod ?? value.IntegrationMethod ?? "ANY";
      return { kind: "http", url: uri, method: String(method).toUpperCase(), timeoutMs };
    }
    if (type === "MOCK") return { kind: "mock" };
    r.note(
      where,
      `an integration of type ${safeName(type || "none")} is not run locally; it answers as a failing integration.`,
    );
    return { kind: "unsupported", reason: `integration type ${safeName(type || "none")}` };
  }

  // ---- AWS::ApiGatewayV2::* ----
  function readV2Apis(): void {
    for (const apiId of ofType("AWS::ApiGatewayV2::Api")) {
      const props = r.resolve(resource(apiId).Properties, `Resources.${apiId}.Properties`) as Props;
      const protocol = String(props.ProtocolType ?? "HTTP").toUpperCase();
      if (protocol !== "HTTP" && protocol !== "WEBSOCKET")
        throw new DefinitionError(
          `${label}: ${apiId} has the ProtocolType ${safeName(protocol)}, not HTTP or WEBSOCKET.`,
        );
      const kind: ApiKind = protocol === "HTTP" ? "http" : "websocket";
      const ref = (value: unknown, at: string) => r.string(value, at) ?? "";
      const belongs = (id: string) => ref(resource(id).Properties.ApiId, P(id, "ApiId")) === apiId;
      const stages = ofType("AWS::ApiGatewayV2::Stage")
        .filter(belongs)
        .map((s) => r.string(resource(s).Properties.StageName, P(s, "StageName")))
        .filter((s): s is string => typeof s === "string" && s !== "");
      const quickCreate = props.Target !== undefined;
      let stage = stages[0] ?? (kind === "http" ? "$default" : undefined);
      if (stage === undefined) {
        stage = FALLBACK_REST_STAGE;
        r.note(
          `Resources.${apiId}`,
          `no AWS::ApiGatewayV2::Stage names a stage; the stage ${stage} is used.`,
        );
      }
      if (stages.length > 1)
        r.note(`Resources.${apiId}`, `several stages are defined; the stage ${stage} is served.`);
      let draft: ApiDraft;
      if (props.Body !== undefined && kind === "http") {
        const doc = props.Body;
        draft = isRecord(doc)
          ? {
              ...readOpenApi(doc, openApiCtx(apiId, kind, stage, P(apiId, "Body"))),
              at: `Resources.${apiId}`,
            }
          : newDraft(apiId, kind, stage, `Resources.${apiId}`);
      } else draft = newDraft(apiId, kind, stage, `Resources.${apiId}`);
      if (typeof props.Name === "string") draft.aliases.push(props.Name);
      if (kind === "websocket") {
        const selection =
          typeof props.RouteSelectionExpression === "string" ? props.RouteSelectionExpression : "";
        if (!/^\$request\.body\.[A-Za-z0-9_.]+$/.test(selection))
          r.note(
            P(apiId, "RouteSelectionExpression"),
            "only $request.body.<field> route selection is emulated; $request.body.action is used.",
          );
      }
      drafts.set(apiId, draft);
      if (quickCreate) {
        const target = typeof props.Target === "string" ? props.Target : "";
        const handler = lambda(target);
        if (!handler)
          r.note(
            P(apiId, "Target"),
            "the quick-create Target is not a function of the template; it answers as a failing integration.",
          );
        addRoute(
          draft,
          {
            method: "ANY",
            path: typeof props.RouteKey === "string" ? props.RouteKey : "$default",
            authorizer: null,
            integration: handler
              ? lambdaIntegration(handler, "2.0", HTTP_TIMEOUT_MS)
              : { kind: "unsupported", reason: "Target not in the template" },
            at: P(apiId, "Target"),
          },
          label,
        );
      }
      for (const authId of ofType("AWS::ApiGatewayV2::Authorizer").filter(belongs))
        draft.authorizers[authId] = v2Authorizer(authId, kind);
      for (const routeId of ofType("AWS::ApiGatewayV2::Route").filter(belongs)) {
        const p = r.resolve(resource(routeId).Properties, `Resources.${routeId}.Properties`) as Props;
        const where = `Resources.${routeId}`;
        const key = typeof p.RouteKey === "string" ? p.RouteKey : "";
        let method = "";
        let path = key;
        if (kind === "http" && key !== "$default") {
          const m = /^(\S+) (\S+)$/.exec(key);
          if (!m) {
            if (key.startsWith("$")) path = key;
            else
              throw new DefinitionError(
                `${label}: route ${routeId} has the route key "${safeName(key)}", not "METHOD /path" or $default.`,
              );
          } else {
            method = m[1]!;
            path = m[2]!;
          }
        } else if (kind === "http") method = "ANY";
        const authType = String(p.AuthorizationType ?? "NONE").toUpperCase();
        let authorizer: string | null = null;
        if (authType === "AWS_IAM")
          authorizer = iamStandIn(draft, r, `${where}.Properties.AuthorizationType`);
        else if (authType === "JWT" || authType === "CUSTOM") {
          const authId = typeof p.AuthorizerId === "string" ? p.AuthorizerId : "";
          if (!draft.authorizers[authId])
            throw new DefinitionError(
              `${label}: route ${routeId} names an authorizer that is not an AWS::ApiGatewayV2::Authorizer of ${apiId}.`,
            );
          authorizer = authId;
        } else if (authType !== "NONE")
          throw new DefinitionError(
            `${label}: route ${routeId} has the unknown AuthorizationType ${safeName(authType)}.`,
          );
        if (kind === "websocket" && authorizer !== null && key !== "$connect") {
          r.note(where, "WebSocket APIs authorize only $connect; this route's authorizer is not applied.");
          authorizer = null;
        }
        const scopes = strings(p.AuthorizationScopes);
        const target = typeof p.Target === "string" ? p.Target : "";
        const m = /^integrations\/(.+)$/.exec(target);
        let integration: IntegrationDefinition;
        if (m && resource(m[1]!).Type === "AWS::ApiGatewayV2::Integration") {
          const ip = r.resolve(resource(m[1]!).Properties, `Resources.${m[1]}.Properties`);
          integration = cfnIntegration(ip, kind, `Resources.${m[1]}`);
          if (integration.kind === "lambda" && kind === "websocket")
            integration = { ...integration, payloadFormatVersion: "1.0" };
        } else {
          r.note(
            where,
            "the route's Target is not an integration of the template; it answers as a failing integration.",
          );
          integration = { kind: "unsupported", reason: "no integration" };
        }
        addRoute(
          draft,
          {
            method,
            path,
            authorizer,
            ...(scopes.length > 0 && authorizer !== null ? { authorizationScopes: scopes } : {}),
            integration,
            at: where,
          },
          label,
        );
      }
    }
  }

  function v2Authorizer(authId: string, kind: ApiKind): AuthorizerDefinition {
    const p = r.resolve(resource(authId).Properties, `Resources.${authId}.Properties`) as Props;
    const where = `Resources.${authId}`;
    const type = String(p.AuthorizerType ?? "").toUpperCase();
    const identity = strings(p.IdentitySource);
    if (type === "JWT") {
      const jwt = isRecord(p.JwtConfiguration) ? p.JwtConfiguration : {};
      const issuer = typeof jwt.Issuer === "string" ? jwt.Issuer : "";
      if (issuer === "") throw new DefinitionError(`${label}: JWT authorizer ${authId} has no Issuer.`);
      return {
        kind: "jwt",
        name: authId,
        flavour: "http-api-jwt",
        identitySources: identity.length > 0 ? identity : [HTTP_DEFAULT_IDENTITY],
        issuer,
        audience: strings(jwt.Audience),
      };
    }
    if (type !== "REQUEST")
      throw new DefinitionError(
        `${label}: authorizer ${authId} has the AuthorizerType ${safeName(type)}, not JWT or REQUEST.`,
      );
    const uri = typeof p.AuthorizerUri === "string" ? p.AuthorizerUri : "";
    const handler = uri ? lambda(uri) : null;
    if (!handler)
      r.note(where, `the function of authorizer ${authId} is not in the template; ${OWN_AUTHORIZER_NOTE}`);
    const http = kind === "http";
    const payload = http ? payloadVersion(p.AuthorizerPayloadFormatVersion) : undefined;
    if (http && payload === undefined)
      r.note(where, `authorizer ${authId} names no AuthorizerPayloadFormatVersion (required); 2.0 is used.`);
    return {
      kind: "lambda",
      name: authId,
      type: "request",
      identitySources: identity,
      resultTtlSeconds: http ? (integer(p.AuthorizerResultTtlInSeconds) ?? 0) : 0,
      ...(http
        ? { payloadFormatVersion: payload ?? "2.0", simpleResponses: bool(p.EnableSimpleResponses) ?? false }
        : {}),
      handler,
    };
  }

  return { format, apis: [...drafts.values()], notes: r.notes };
}

/** SAM `GatewayResponses` (`StatusCode`, `ResponseParameters.Headers`, `ResponseTemplates`). */
function samGatewayResponses(value: unknown): GatewayResponseDefinition[] {
  if (!isRecord(value)) return [];
  return Object.entries(value).flatMap(([type, response]) => {
    if (!isRecord(response)) return [];
    const headers: Record<string, string> = {};
    const parameters = isRecord(response.ResponseParameters) ? response.ResponseParameters : {};
    const h = isRecord(parameters.Headers) ? parameters.Headers : {};
    for (const [key, v] of Object.entries(h)) if (typeof v === "string") headers[key] = v;
    const templates: Record<string, string> = {};
    if (isRecord(response.ResponseTemplates))
      for (const [ct, t] of Object.entries(response.ResponseTemplates))
        if (typeof t === "string") templates[ct] = t;
    const statusCode = integer(response.StatusCode);
    return [{ type, ...(statusCode !== undefined ? { statusCode } : {}), headers, templates }];
  });
}
