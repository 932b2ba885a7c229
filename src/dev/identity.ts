import type { DevApiType } from "../config/types.js";
import { type DevRequest, headerValue, queryParameters, type RouteMatch } from "./request.js";

/**
 * Identity sources: the request values API Gateway checks before it calls an authorizer, and the
 * key of its result cache. A missing or empty one means 401 without invoking the Lambda.
 */
export type IdentitySource =
  | { readonly kind: "header"; readonly name: string }
  | { readonly kind: "query"; readonly name: string }
  | { readonly kind: "context"; readonly name: ContextVariable };

/** The `$context` variables the local gateway can supply (enough to make the cache per method or per route). */
const CONTEXT_VARIABLES = ["httpMethod", "resourcePath", "routeKey", "path", "stage", "sourceIp"] as const;
export type ContextVariable = (typeof CONTEXT_VARIABLES)[number];

const NAME = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";

/**
 * Parses one identity source. Accepts gatepass's short form (`header:authorization`,
 * `query:token`, `context:routeKey`) and AWS's own expressions, so a template's value can be
 * pasted as is: `method.request.header.Authorization` (REST), `$request.header.Authorization` and
 * `$request.querystring.token` (HTTP API), `route.request.header.Auth` (WebSocket),
 * `context.httpMethod` / `$context.routeKey`. Throws an `Error` saying what is expected.
 */
export function parseIdentitySource(text: string): IdentitySource {
  const patterns: Array<[RegExp, IdentitySource["kind"]]> = [
    [new RegExp(`^header:(${NAME})$`), "header"],
    [new RegExp(`^query:(${NAME})$`), "query"],
    [/^context:([A-Za-z.]+)$/, "context"],
    [new RegExp(`^(?:method|route)\\.request\\.header\\.(${NAME})$`), "header"],
    [new RegExp(`^(?:method|route)\\.request\\.querystring\\.(${NAME})$`), "query"],
    [new RegExp(`^\\$request\\.header\\.(${NAME})$`), "header"],
    [new RegExp(`^\\$request\\.querystring\\.(${NAME})$`), "query"],
    [/^\$?context\.([A-Za-z.]+)$/, "context"],
  ];
  for (const [pattern, kind] of patterns) {
    const match = pattern.exec(text.trim());
    if (!match) continue;
    const name = match[1]!;
    if (kind === "header") return { kind, name: name.toLowerCase() };
    if (kind === "query") return { kind, name };
    const variable = name === "identity.sourceIp" ? "sourceIp" : name;
    if (!(CONTEXT_VARIABLES as readonly string[]).includes(variable)) {
      throw new Error(
        `unsupported context identity source "${name}" (supported: ${CONTEXT_VARIABLES.join(", ")})`,
      );
    }
    return { kind: "context", name: variable as ContextVariable };
  }
  throw new Error(
    `unsupported identity source ${JSON.stringify(text).slice(0, 60)} (expected header:NAME, query:NAME, context:NAME or an API Gateway expression such as method.request.header.Authorization)`,
  );
}

/**
 * Parses the configured identity sources for an API type. A REST `TOKEN` authorizer has exactly
 * one source and it is a header (that is all API Gateway allows); other types take any number.
 */
export function parseIdentitySources(texts: readonly string[], api: DevApiType): IdentitySource[] {
  const sources = texts.map(parseIdentitySource);
  if (api === "rest-token") {
    if (sources.length !== 1 || sources[0]!.kind !== "header") {
      throw new Error(
        `a rest-token API takes exactly one header identity source (the token header), got ${JSON.stringify(texts)}`,
      );
    }
  }
  return sources;
}

/** What a `$context` variable is for this request. */
function contextValue(name: ContextVariable, request: DevRequest, route: RouteMatch, stage: string): string {
  switch (name) {
    case "httpMethod":
      return request.method;
    case "resourcePath":
      return route.resource;
    case "routeKey":
      return route.routeKey;
    case "path":
      return request.path;
    case "stage":
      return stage;
    case "sourceIp":
      return request.sourceIp;
  }
}

/** The values of every identity source, or which one is missing or empty. */
export type IdentityValues = { ok: true; values: string[] } | { ok: false; missing: string };

/** Reads the identity sources from a request. Headers are case-insensitive; query names are not (as on AWS). */
export function readIdentitySources(
  sources: readonly IdentitySource[],
  request: DevRequest,
  route: RouteMatch,
  stage: string,
): IdentityValues {
  const values: string[] = [];
  let query: Map<string, string[]> | undefined;
  for (const source of sources) {
    let value: string | undefined;
    if (source.kind === "header") value = headerValue(request, source.name);
    else if (source.kind === "query") {
      query ??= queryParameters(request);
      value = query.get(source.name)?.join(",");
    } else value = contextValue(source.name, request, route, stage);
    if (value === undefined || value === "") return { ok: false, missing: `${source.kind}:${source.name}` };
    values.push(value);
  }
  return { ok: true, values };
}
