import { readAuthorizerContext } from "../../backend/read-authorizer-context.js";
import type { Logger } from "../../log.js";
import type { LambdaHandler } from "../invoke.js";
import type { Backend } from "./backend.js";
import { createLambdaBackend } from "./lambda.js";

/** The methods the demo API serves, on every path: it is read-only. */
const DEMO_METHODS = "GET, HEAD, OPTIONS";

/**
 * The demo backend, a Lambda handler like a team's own: reads the caller with
 * `readAuthorizerContext` (works for REST, HTTP 1.0/2.0 and WebSocket events) and answers JSON.
 * It honours methods as a real API does: `GET`/`HEAD` are served, `OPTIONS` answers 204 with
 * `Allow`, anything else 405 with `Allow` — so a method the rules let through (an unmatched route,
 * an `ANY` rule) shows what the API actually serves.
 */
const demoHandler: LambdaHandler = async (event) => {
  const e = event as Record<string, unknown> & { requestContext?: { http?: { method?: string } } };
  const method = (e.httpMethod as string | undefined) ?? e.requestContext?.http?.method ?? "GET";
  const path = (e.path as string | undefined) ?? (e.rawPath as string | undefined) ?? "/";
  if (method === "OPTIONS") return { statusCode: 204, headers: { allow: DEMO_METHODS } };
  if (method !== "GET" && method !== "HEAD") {
    return {
      statusCode: 405,
      headers: { "content-type": "application/json", allow: DEMO_METHODS },
      body: JSON.stringify({
        message: `Method Not Allowed: the demo API serves ${DEMO_METHODS} only`,
        request: { method, path },
      }),
    };
  }
  const { principalId, claims } = readAuthorizerContext(event);
  const who = principalId ?? (typeof claims.sub === "string" ? claims.sub : "caller");
  let answer: Record<string, unknown>;
  const order = /^\/orders\/([^/]+)$/.exec(path);
  if (path === "/hello")
    answer = { message: `Hello, ${who}! This came through the local API Gateway and your authorizer.` };
  else if (order)
    answer = {
      order: { id: decodeURIComponent(order[1]!), status: "shipped", items: [{ sku: "GP-1", quantity: 2 }] },
    };
  else if (path.startsWith("/admin/"))
    answer = { admin: true, message: `Welcome to the admin area, ${who}.` };
  else answer = { message: "gatepass demo backend: try GET /hello, GET /orders/42 or GET /admin/users" };
  return {
    statusCode: 200,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ ...answer, request: { method, path }, caller: { principalId, claims } }),
  };
};

/** The built-in demo backend. */
export function createDemoBackend(logger: Logger): Backend {
  return createLambdaBackend(demoHandler, "demo", logger, { functionName: "gatepass-demo" });
}
