import { dirname } from "node:path";
import {
  type ApiDraft,
  addRoute,
  bool,
  CORS_NOTE,
  cfnGatewayResponse,
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
  WEBSOCKET_TIMEOUT_MS,
} from "./build.js";
import { handlerReference } from "./handlers.js";
import { functionNameInArn, LOCAL_ACCOUNT_ID, LOCAL_REGION, safeName } from "./intrinsics.js";
import type {
  AuthorizerDefinition,
  DefinitionNote,
  HandlerReference,
  IntegrationDefinition,
} from "./model.js";
import { cognitoIssuer } from "./openapi.js";
import { isRecord } from "./yaml.js";

/**
 * Reads a serverless.yml (Serverless Framework v3): `service`, `provider` (`stage`, `runtime`,
 * `timeout`, `environment`, `httpApi.authorizers`, `httpApi.payload`), `functions` with `http`
 * (REST API), `httpApi` (HTTP API) and `websocket` events. One file defines up to three APIs, one
 * of each kind, all named after the service; choose one with `api: rest | http | websocket`.
 * Variables `${self:…}`, `${opt:stage}`, `${sls:stage}`, `${env:…}`, `${aws:region}` and
 * `${aws:accountId}` are resolved (with their fallbacks); others are reported once each.
 */

export interface ServerlessReadOptions {
  readonly file: string;
  readonly label: string;
  /** `--stage`. */
  readonly stage?: string;
  /** What `${env:…}` reads. */
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** Serverless Framework's default function timeout, seconds (`provider.timeout`). */
export const SERVERLESS_DEFAULT_TIMEOUT = 6;
/** serverless's default identity source of a WebSocket `$connect` authorizer. */
export const SERVERLESS_WEBSOCKET_IDENTITY = "route.request.header.Auth";

type Props = Record<string, unknown>;

class Notes implements NoteSink {
  readonly list: DefinitionNote[] = [];
  private readonly seen = new Set<string>();
  note(at: string, message: string): void {
    const key = `${at}\u0000${message}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.list.push({ at, message });
  }
}

const MAX_VARIABLE_STEPS = 200;

export function readServerless(
  doc: Record<string, unknown>,
  options: ServerlessReadOptions,
): { apis: ApiDraft[]; notes: DefinitionNote[] } {
  const { label } = options;
  const notes = new Notes();
  const dir = dirname(options.file);
  if (doc.service === undefined || (!isRecord(doc.functions) && doc.functions !== undefined))
    throw new DefinitionError(`${label} is not a serverless.yml (no "service").`);

  // ---- variables ----
  let stage = "dev";
  const resolving = new Set<string>();
  const lookupSelf = (path: string, at: string): unknown => {
    if (resolving.has(path) || resolving.size > 20) {
      notes.note(at, `\${self:${safeName(path)}} refers to itself; an empty string is used.`);
      return "";
    }
    let value: unknown = doc;
    for (const part of path.split(".").filter((p) => p !== "")) {
      if (Array.isArray(value) && /^\d+$/.test(part)) value = value[Number(part)];
      else if (isRecord(value)) value = value[part];
      else return undefined;
    }
    resolving.add(path);
    try {
      return vars(value, at);
    } finally {
      resolving.delete(path);
    }
  };
  const variable = (inner: string, at: string): unknown => {
    const comma = topLevelComma(inner);
    const address = (comma >= 0 ? inner.slice(0, comma) : inner).trim();
    const fallbackText = comma >= 0 ? inner.slice(comma + 1).trim() : undefined;
    const fallback = fallbackText === undefined ? undefined : literal(fallbackText);
    const colon = address.indexOf(":");
    const source = colon > 0 ? address.slice(0, colon) : address;
    const rest = colon > 0 ? address.slice(colon + 1).trim() : "";
    let value: unknown;
    let known = true;
    switch (source) {
      case "self":
        value = lookupSelf(rest, at);
        break;
      case "opt":
        value = rest === "stage" ? options.stage : undefined;
        break;
      case "sls":
        value = rest === "stage" ? stage : rest === "instanceId" ? "local" : undefined;
        break;
      case "env":
        value = options.env[rest];
        break;
      case "aws":
        value = rest === "region" ? LOCAL_REGION : rest === "accountId" ? LOCAL_ACCOUNT_ID : undefined;
        break;
      default:
        known = false;
    }
    if (value !== undefined && value !== null) return value;
    const shown = `\${${safeName(source)}:…}`;
    if (fallback !== undefined) {
      if (!known) notes.note(at, `${shown} is not read locally; its fallback is used.`);
      return fallback;
    }
    notes.note(
      at,
      known
        ? `${shown.replace("…", safeName(rest))} has no value and no fallback; an empty string is used.`
        : `${shown} is not read locally; an empty string is used.`,
    );
    return "";
  };
  const varString = (text: string, at: string): unknown => {
    let current = text;
    for (let step = 0; step < MAX_VARIABLE_STEPS; step++) {
      const m = /\$\{([^${}]*)\}/.exec(current);
      if (!m) return current;
      const value = variable(m[1]!, at);
      if (m[0].length === current.length && typeof value !== "string") return value;
      current = current.slice(0, m.index) + textOf(value) + current.slice(m.index + m[0].length);
    }
    throw new DefinitionError(`${label} nests variables too deeply (at ${at}).`);
  };
  const vars = (value: unknown, at: string): unknown => {
    if (typeof value === "string") return value.includes("${") ? varString(value, at) : value;
    if (Array.isArray(value)) return value.map((v, i) => vars(v, `${at}[${i}]`));
    if (isRecord(value)) {
      const out: Props = {};
      for (const [k, v] of Object.entries(value)) out[k] = vars(v, `${at}.${k}`);
      return out;
    }
    return value;
  };
  const str = (value: unknown, at: string): string | undefined => {
    const v = vars(value, at);
    return typeof v === "string"
      ? v
      : typeof v === "number" || typeof v === "boolean"
        ? String(v)
        : undefined;
  };

  const provider = isRecord(doc.provider) ? doc.provider : {};
  stage = options.stage ?? str(provider.stage, "provider.stage") ?? "dev";
  if (stage === "") stage = "dev";
  const service = str(isRecord(doc.service) ? doc.service.name : doc.service, "service") ?? "service";
  const runtime = str(provider.runtime, "provider.runtime") ?? "";
  const providerTimeout = integer(vars(provider.timeout, "provider.timeout"));
  const providerEnv = isRecord(provider.environment) ? provider.environment : {};

  // ---- functions ----
  const functions = isRecord(doc.functions) ? doc.functions : {};
  const handlers = new Map<string, HandlerReference>();
  const functionHandler = (name: string): HandlerReference => {
    const cached = handlers.get(name);
    if (cached) return cached;
    const fn = isRecord(functions[name]) ? (functions[name] as Props) : {};
    const at = `functions.${name}`;
    const environment: Record<string, string> = {};
    const ownEnv = isRecord(fn.environment) ? fn.environment : {};
    for (const [key, value] of Object.entries({ ...providerEnv, ...ownEnv })) {
      const where = key in ownEnv ? `${at}.environment.${key}` : `provider.environment.${key}`;
      const text = str(value, where);
      if (text === undefined)
        notes.note(where, `the value of ${safeName(key)} is not a literal; the variable is left unset.`);
      else environment[key] = text;
    }
    const timeout =
      integer(vars(fn.timeout, `${at}.timeout`)) ?? providerTimeout ?? SERVERLESS_DEFAULT_TIMEOUT;
    const handlerText = str(fn.handler, `${at}.handler`);
    let handler: HandlerReference;
    if (handlerText === undefined) {
      notes.note(
        at,
        `function ${name} has no handler (an image?); its routes answer as a failing integration.`,
      );
      handler = {
        file: dir,
        exportName: "handler",
        exists: false,
        functionName: name,
        timeoutSeconds: timeout,
      };
    } else {
      const found = handlerReference({
        baseDir: dir,
        handler: handlerText,
        functionName: name,
        timeoutSeconds: timeout,
        ...(Object.keys(environment).length > 0 ? { environment } : {}),
      });
      handler = found.handler;
      const fnRuntime = str(fn.runtime, `${at}.runtime`) ?? runtime;
      if (found.missing)
        notes.note(
          at,
          fnRuntime !== "" && !fnRuntime.startsWith("nodejs")
            ? `function ${name} uses the runtime ${safeName(fnRuntime)}, which is not run locally.`
            : found.missing,
        );
    }
    handlers.set(name, handler);
    return handler;
  };
  /** A function of the service named by an ARN (deployed name `service-stage-function`, or its `name`). */
  const functionByArn = (arn: string): string | undefined => {
    const named = functionNameInArn(arn);
    if (!named) return undefined;
    for (const [key, fn] of Object.entries(functions)) {
      const deployed =
        isRecord(fn) && fn.name !== undefined ? str(fn.name, `functions.${key}.name`) : undefined;
      if (named.name === key || named.name === deployed || named.name === `${service}-${stage}-${key}`)
        return key;
    }
    return undefined;
  };

  const rest = newDraft(service, "rest", stage, "functions");
  const http = newDraft(service, "http", stage, "functions");
  const websocket = newDraft(service, "websocket", stage, "functions");
  rest.aliases.push("rest");
  http.aliases.push("http");
  websocket.aliases.push("websocket");
  const used = { rest: false, http: false, websocket: false };

  if (
    isRecord(isRecord(provider.apiGateway) ? provider.apiGateway : undefined) &&
    (provider.apiGateway as Props).restApiId
  )
    notes.note(
      "provider.apiGateway.restApiId",
      "the REST API is managed outside this service; only this file's routes are served.",
    );

  // provider.httpApi.authorizers
  const httpConfig = isRecord(provider.httpApi) ? provider.httpApi : {};
  const httpAuthorizers = isRecord(httpConfig.authorizers) ? httpConfig.authorizers : {};
  if (httpConfig.cors !== undefined && httpConfig.cors !== false)
    notes.note("provider.httpApi.cors", CORS_NOTE);
  const httpPayload = payloadVersion(vars(httpConfig.payload, "provider.httpApi.payload")) ?? "2.0";
  const httpAuthorizer = (name: string, at: string): string => {
    if (http.authorizers[name]) return name;
    const spec = httpAuthorizers[name];
    if (!isRecord(spec))
      throw new DefinitionError(
        `${label}: the httpApi authorizer ${safeName(name)} (at ${at}) is not in provider.httpApi.authorizers.`,
      );
    const where = `provider.httpApi.authorizers.${name}`;
    const c = vars(spec, where) as Props;
    const type = String(c.type ?? "jwt").toLowerCase();
    const identity = strings(c.identitySource).flatMap((s) => identityList(s));
    let definition: AuthorizerDefinition;
    if (type === "jwt") {
      const issuer = typeof c.issuerUrl === "string" ? c.issuerUrl : "";
      if (issuer === "")
        throw new DefinitionError(`${label}: the JWT authorizer ${safeName(name)} has no issuerUrl.`);
      definition = {
        kind: "jwt",
        name,
        flavour: "http-api-jwt",
        identitySources: identity.length > 0 ? identity : [HTTP_DEFAULT_IDENTITY],
        issuer,
        audience: strings(c.audience),
      };
    } else if (type === "request") {
      let handler: HandlerReference | null = null;
      if (typeof c.functionName === "string") {
        if (!isRecord(functions[c.functionName]))
          throw new DefinitionError(
            `${label}: authorizer ${safeName(name)} names the function ${safeName(c.functionName)}, which the service does not define.`,
          );
        handler = functionHandler(c.functionName);
      } else if (typeof c.functionArn === "string") {
        const fn = functionByArn(c.functionArn);
        handler = fn ? functionHandler(fn) : null;
      }
      if (!handler)
        notes.note(where, `the function of authorizer ${name} is not in the service; ${OWN_AUTHORIZER_NOTE}`);
      definition = {
        kind: "lambda",
        name,
        type: "request",
        identitySources: identity,
        resultTtlSeconds: integer(c.resultTtlInSeconds) ?? 0,
        payloadFormatVersion: payloadVersion(c.payloadVersion) ?? "2.0",
        simpleResponses: bool(c.enableSimpleResponses) ?? false,
        handler,
      };
    } else
      throw new DefinitionError(
        `${label}: the httpApi authorizer ${safeName(name)} has the type ${safeName(type)}, not jwt or request.`,
      );
    http.authorizers[name] = definition;
    return name;
  };

  /** An `http` event's authorizer → the name of an entry of the REST API's authorizers. */
  const restAuthorizer = (value: unknown, at: string): string | null => {
    if (value === undefined || value === null) return null;
    let spec: Props;
    if (typeof value === "string")
      spec =
        value.toUpperCase() === "AWS_IAM"
          ? { type: "aws_iam" }
          : value.includes(":")
            ? { arn: value }
            : { name: value };
    else if (isRecord(value)) spec = value;
    else throw new DefinitionError(`${label}: the authorizer at ${at} is neither a name nor a mapping.`);
    const type = String(spec.type ?? "").toUpperCase();
    if (type === "AWS_IAM") return iamStandIn(rest, notes, at);
    if (spec.authorizerId !== undefined) {
      const name = `authorizer-${safeName(String(spec.authorizerId))}`;
      if (!rest.authorizers[name]) {
        notes.note(at, `the authorizer is managed outside this service; ${OWN_AUTHORIZER_NOTE}`);
        rest.authorizers[name] = {
          kind: "lambda",
          name,
          type: type === "REQUEST" ? "request" : "token",
          identitySources: [REST_DEFAULT_IDENTITY],
          resultTtlSeconds: REST_AUTHORIZER_TTL,
          handler: null,
        };
      }
      return name;
    }
    const arn = typeof spec.arn === "string" ? spec.arn : undefined;
    let name = typeof spec.name === "string" ? spec.name : undefined;
    const ttl = integer(spec.resultTtlInSeconds) ?? REST_AUTHORIZER_TTL;
    if (arn && /:cognito-idp:/.test(arn)) {
      name ??= arn.split("/").pop() ?? "cognito";
      rest.authorizers[name] ??= {
        kind: "jwt",
        name,
        flavour: "cognito-user-pools",
        identitySources:
          identityList(spec.identitySource).length > 0
            ? identityList(spec.identitySource)
            : [REST_DEFAULT_IDENTITY],
        issuer: cognitoIssuer(arn, label, at),
        audience: [],
        resultTtlSeconds: ttl,
      };
      return name;
    }
    let handler: HandlerReference | null = null;
    if (arn) {
      const fn = functionByArn(arn);
      name ??= functionNameInArn(arn)?.name ?? "authorizer";
      handler = fn ? functionHandler(fn) : null;
    } else if (name) {
      if (!isRecord(functions[name]))
        throw new DefinitionError(
          `${label}: the authorizer ${safeName(name)} (at ${at}) is not a function of the service.`,
        );
      handler = functionHandler(name);
    } else throw new DefinitionError(`${label}: the authorizer at ${at} has neither a name nor an arn.`);
    if (rest.authorizers[name]) return name;
    if (!handler)
      notes.note(at, `the function of authorizer ${name} is not in the service; ${OWN_AUTHORIZER_NOTE}`);
    const kind = type === "REQUEST" ? "request" : "token";
    let identity = identityList(spec.identitySource);
    if (identity.length === 0 && !(kind === "request" && ttl === 0)) identity = [REST_DEFAULT_IDENTITY];
    const validation =
      typeof spec.identityValidationExpression === "string" ? spec.identityValidationExpression : undefined;
    rest.authorizers[name] = {
      kind: "lambda",
      name,
      type: kind,
      identitySources: identity,
      resultTtlSeconds: ttl,
      ...(validation !== undefined && kind === "token" ? { identityValidationExpression: validation } : {}),
      handler,
    };
    return name;
  };

  for (const [fnName, fnValue] of Object.entries(functions)) {
    if (!isRecord(fnValue)) continue;
    const events = Array.isArray(fnValue.events) ? fnValue.events : [];
    events.forEach((event, index) => {
      if (!isRecord(event)) return;
      const at = `functions.${fnName}.events[${index}]`;
      if (event.http !== undefined) {
        const e = vars(event.http, `${at}.http`);
        const where = `${at}.http`;
        let method: string;
        let path: string;
        let spec: Props = {};
        if (typeof e === "string") {
          const m = /^(\S+)\s+(\S+)$/.exec(e.trim());
          if (!m) throw new DefinitionError(`${label}: the http event at ${where} is not "METHOD path".`);
          method = m[1]!;
          path = m[2]!;
        } else if (isRecord(e)) {
          spec = e;
          method = String(e.method ?? "");
          path = String(e.path ?? "");
        } else
          throw new DefinitionError(
            `${label}: the http event at ${where} is neither a string nor a mapping.`,
          );
        if (method === "*") method = "ANY";
        path = path.startsWith("/") ? path : `/${path}`;
        if (spec.cors !== undefined && spec.cors !== false) notes.note(`${where}.cors`, CORS_NOTE);
        const authorizer = restAuthorizer(spec.authorizer, `${where}.authorizer`);
        const scopes = isRecord(spec.authorizer) ? strings(spec.authorizer.scopes) : [];
        const integrationType = String(spec.integration ?? "lambda-proxy")
          .toLowerCase()
          .replace("_", "-");
        let integration: IntegrationDefinition;
        if (integrationType === "lambda-proxy" || integrationType === "aws-proxy")
          integration = lambdaIntegration(functionHandler(fnName), "1.0", REST_TIMEOUT_MS);
        else if (integrationType === "mock") integration = { kind: "mock" };
        else if (integrationType === "http-proxy" || integrationType === "http") {
          const request = isRecord(spec.request) ? spec.request : {};
          const uri = typeof request.uri === "string" ? request.uri : "";
          if (!/^https?:\/\//i.test(uri))
            throw new DefinitionError(`${label}: the http-proxy event at ${where} has no request.uri URL.`);
          integration = { kind: "http", url: uri, method: method.toUpperCase(), timeoutMs: REST_TIMEOUT_MS };
        } else {
          notes.note(
            where,
            `the integration ${safeName(integrationType)} is not run locally; it answers as a failing integration.`,
          );
          integration = { kind: "unsupported", reason: `integration ${safeName(integrationType)}` };
        }
        addRoute(
          rest,
          {
            method,
            path,
            authorizer,
            ...(scopes.length > 0 && authorizer !== null ? { authorizationScopes: scopes } : {}),
            ...(bool(spec.private) ? { apiKeyRequired: true } : {}),
            integration,
            at: where,
          },
          label,
        );
        used.rest = true;
      }
      if (event.httpApi !== undefined) {
        const e = vars(event.httpApi, `${at}.httpApi`);
        const where = `${at}.httpApi`;
        let method: string;
        let path: string;
        let spec: Props = {};
        if (typeof e === "string") {
          if (e.trim() === "*") {
            method = "ANY";
            path = "$default";
          } else {
            const m = /^(\S+)\s+(\S+)$/.exec(e.trim());
            if (!m)
              throw new DefinitionError(
                `${label}: the httpApi event at ${where} is not "METHOD /path" or "*".`,
              );
            method = m[1]!;
            path = m[2]!;
          }
        } else if (isRecord(e)) {
          spec = e;
          method = String(e.method ?? "*");
          path = String(e.path ?? "*");
        } else
          throw new DefinitionError(
            `${label}: the httpApi event at ${where} is neither a string nor a mapping.`,
          );
        if (method === "*") method = "ANY";
        if (path === "*") path = "$default";
        let authorizer: string | null = null;
        let scopes: string[] = [];
        const a = spec.authorizer;
        if (typeof a === "string") authorizer = httpAuthorizer(a, `${where}.authorizer`);
        else if (isRecord(a)) {
          if (String(a.type ?? "").toLowerCase() === "aws_iam")
            authorizer = iamStandIn(http, notes, `${where}.authorizer`);
          else if (typeof a.name === "string") authorizer = httpAuthorizer(a.name, `${where}.authorizer`);
          else if (a.id !== undefined) {
            notes.note(
              `${where}.authorizer`,
              `the authorizer is managed outside this service; ${OWN_AUTHORIZER_NOTE}`,
            );
            authorizer = iamStandIn(http, notes, `${where}.authorizer`);
          }
          scopes = strings(a.scopes);
        }
        const fnHttp = isRecord(fnValue.httpApi) ? fnValue.httpApi : {};
        addRoute(
          http,
          {
            method,
            path,
            authorizer,
            ...(scopes.length > 0 && authorizer !== null ? { authorizationScopes: scopes } : {}),
            integration: lambdaIntegration(
              functionHandler(fnName),
              payloadVersion(fnHttp.payload) ?? httpPayload,
              HTTP_TIMEOUT_MS,
            ),
            at: where,
          },
          label,
        );
        used.http = true;
      }
      if (event.websocket !== undefined) {
        const e = vars(event.websocket, `${at}.websocket`);
        const where = `${at}.websocket`;
        const spec: Props = typeof e === "string" ? { route: e } : isRecord(e) ? e : {};
        const route = typeof spec.route === "string" ? spec.route : "";
        let authorizer: string | null = null;
        if (spec.authorizer !== undefined) {
          if (route !== "$connect")
            notes.note(
              `${where}.authorizer`,
              "WebSocket APIs authorize only $connect; this authorizer is not applied.",
            );
          else {
            const a = spec.authorizer;
            const fn =
              typeof a === "string" ? a : isRecord(a) && typeof a.name === "string" ? a.name : undefined;
            const arn = isRecord(a) && typeof a.arn === "string" ? a.arn : undefined;
            const name = fn ?? (arn ? (functionNameInArn(arn)?.name ?? "authorizer") : "authorizer");
            const key = fn ?? (arn ? functionByArn(arn) : undefined);
            const handler = key && isRecord(functions[key]) ? functionHandler(key) : null;
            if (!handler)
              notes.note(
                `${where}.authorizer`,
                `the function of authorizer ${safeName(name)} is not in the service; ${OWN_AUTHORIZER_NOTE}`,
              );
            const identity = isRecord(a) ? strings(a.identitySource) : [];
            websocket.authorizers[name] = {
              kind: "lambda",
              name,
              type: "request",
              identitySources: identity.length > 0 ? identity : [SERVERLESS_WEBSOCKET_IDENTITY],
              resultTtlSeconds: 0,
              handler,
            };
            authorizer = name;
          }
        }
        addRoute(
          websocket,
          {
            method: "",
            path: route,
            authorizer,
            integration: lambdaIntegration(functionHandler(fnName), "1.0", WEBSOCKET_TIMEOUT_MS),
            at: where,
          },
          label,
        );
        used.websocket = true;
      }
    });
  }

  const selection = str(
    provider.websocketsApiRouteSelectionExpression,
    "provider.websocketsApiRouteSelectionExpression",
  );
  if (used.websocket && selection !== undefined && !/^\$request\.body\.[A-Za-z0-9_.]+$/.test(selection))
    notes.note(
      "provider.websocketsApiRouteSelectionExpression",
      "only $request.body.<field> route selection is emulated; $request.body.action is used.",
    );

  // Gateway Responses the service adds as CloudFormation resources (resources.Resources).
  const cfn = isRecord(doc.resources) && isRecord(doc.resources.Resources) ? doc.resources.Resources : {};
  for (const [id, res] of Object.entries(cfn)) {
    if (!isRecord(res) || res.Type !== "AWS::ApiGateway::GatewayResponse" || !isRecord(res.Properties))
      continue;
    const p = vars(res.Properties, `resources.Resources.${id}.Properties`) as Props;
    rest.gatewayResponses.push(cfnGatewayResponse(p));
  }

  const apis = [
    used.rest ? rest : undefined,
    used.http ? http : undefined,
    used.websocket ? websocket : undefined,
  ].filter((d): d is ApiDraft => d !== undefined);
  return { apis, notes: notes.list };
}

/** The index of the first comma outside quotes and brackets, or -1. */
function topLevelComma(text: string): number {
  let quote = "";
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === quote) quote = "";
    } else if (c === "'" || c === '"') quote = c;
    else if (c === "(" || c === "[") depth++;
    else if (c === ")" || c === "]") depth--;
    else if (c === "," && depth === 0) return i;
  }
  return -1;
}

/** A fallback as written: `'dev'`, `"dev"`, `10`, `true`, or bare text. */
function literal(text: string): unknown {
  const quoted = /^'(.*)'$|^"(.*)"$/s.exec(text);
  if (quoted) return quoted[1] ?? quoted[2] ?? "";
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  if (text === "true" || text === "false") return text === "true";
  if (text === "null") return undefined;
  return text;
}

function textOf(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (value === undefined || value === null) return "";
  return JSON.stringify(value);
}
