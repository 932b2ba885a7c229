import type { IncomingMessage, ServerResponse } from "node:http";
import type { DevConfig, GatepassConfig } from "../../config/types.js";
import { inspectToken } from "../../inspect/inspect-token.js";
import { decideRoute, parseRoute } from "../../inspect/route.js";
import type { InspectEnvironment } from "../../inspect/verification.js";
import { parseIdentitySource } from "../identity.js";
import type { DevIssuer, MintRequest } from "../issuer.js";
import { PRESET_PARAMETERS, PROVIDER_PRESETS } from "../provider-tokens.js";
import type { DevRequest } from "../request.js";
import type { ConsoleAssets } from "./assets.js";
import type { RequestRecorder } from "./records.js";
import { createRedactor, tokenView } from "./redact.js";
import { type RouteAnswer, type RouteSource, routeAnswer, sampleRequest } from "./routes.js";

/**
 * The console's HTTP side, under its prefix (`/_gatepass/` by default): the page, its script and
 * style sheet, and a small JSON API — the request stream (server-sent events), the token explainer
 * (`gatepass inspect`'s core), minting over the development issuer, the routes table. The gateway
 * hands it requests after the `Host` check and before anything else; they never reach the
 * authorizer or a backend, and are not recorded.
 *
 * A web page open in the same browser must not use it: the API refuses cross-site requests
 * (`Sec-Fetch-Site`, `Origin`), POST bodies must be JSON (never a simple cross-origin request), and
 * no response carries CORS headers.
 */

export interface ConsoleContext {
  /** `/_gatepass`, without a trailing slash. */
  readonly prefix: string;
  readonly recorder: RequestRecorder;
  readonly assets: ConsoleAssets;
  /** The server's URL. */
  readonly url: string;
  readonly dev: DevConfig;
  /** gatepass's configuration when gatepass's authorizer runs (explainer, routes); `null` otherwise. */
  readonly config: GatepassConfig | null;
  readonly issuer: DevIssuer | null;
  /** True when the authorizer trusts the dev issuer (minted tokens work here). */
  readonly trustsDevIssuer: boolean;
  readonly routes: RouteSource;
  readonly authorizer: string;
  readonly now: () => number;
  /** The configuration's protected resource (RFC 9728) for the routes view: its metadata and where it is served. */
  readonly resource?: ConsoleResource | null;
}

/** The protected resource as the routes view shows it. */
export interface ConsoleResource {
  /** `resource.metadataUrl`. */
  readonly metadataUrl: string;
  /** The local path serving it. */
  readonly path: string;
  /** The RFC 9728 document served. */
  readonly document: Record<string, unknown>;
}

export interface ConsoleHandler {
  /** True for paths under the prefix (and the prefix itself). */
  handles(path: string): boolean;
  handle(req: IncomingMessage, res: ServerResponse, request: DevRequest): Promise<void>;
}

/**
 * Left to the development issuer, which may serve itself there when a route of the API shadows its
 * usual paths: never answered by the console, whatever its prefix.
 */
const ISSUER_BRANCH = "/_gatepass/issuer";

/** Largest JSON body the API reads. */
const MAX_BODY_BYTES = 64 * 1024;
/** Routes asked about per principal. */
const MAX_ROUTES = 100;
/** Comment lines keep idle event streams open through proxies and tell the page it is connected. */
const HEARTBEAT_MS = 15_000;

const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const COMMON_HEADERS: Readonly<Record<string, string>> = {
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "cross-origin-resource-policy": "same-origin",
  "content-security-policy": CSP,
};

/** A console prefix: `/` then name characters, no trailing slash (`/_gatepass`, `/__console`). */
export function checkConsolePrefix(prefix: string): string {
  const trimmed = prefix.trim().replace(/\/+$/, "");
  if (!/^(\/[A-Za-z0-9._~-]+)+$/.test(trimmed) || trimmed.split("/").some((p) => p === "." || p === ".."))
    throw new Error(
      `the console prefix must be a path such as /_gatepass (letters, digits, . _ ~ -), got "${prefix.slice(0, 40)}"`,
    );
  return trimmed;
}

class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, {
    ...COMMON_HEADERS,
    "content-type": type,
    "content-length": String(Buffer.byteLength(body)),
  });
  res.end(body);
}

const sendJson = (res: ServerResponse, status: number, body: unknown) =>
  send(res, status, "application/json; charset=utf-8", JSON.stringify(body));

/**
 * Why a request to the API is refused as cross-site, or `undefined`. Browsers send
 * `Sec-Fetch-Site` (and `Origin` on POST); tools such as curl send neither and are local anyway.
 */
export function crossSiteRefusal(req: IncomingMessage, method: string): string | undefined {
  const site = req.headers["sec-fetch-site"];
  if (site !== undefined && site !== "same-origin")
    return `the console API answers its own page only (Sec-Fetch-Site: ${String(site).slice(0, 20)})`;
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== `http://${req.headers.host ?? ""}`)
    return "the console API answers its own page only (Origin differs)";
  if (method === "POST") {
    const type = (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
    if (type !== "application/json") return "the console API takes application/json bodies only";
  }
  return undefined;
}

function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((done, fail) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        fail(new ApiError(413, "the body is larger than 64 KiB"));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on("error", () => fail(new ApiError(400, "the body could not be read")));
    req.on("end", () => {
      let value: unknown;
      try {
        value = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      } catch {
        fail(new ApiError(400, "the body is not JSON"));
        return;
      }
      if (typeof value !== "object" || value === null || Array.isArray(value))
        fail(new ApiError(400, "the body is not a JSON object"));
      else done(value as Record<string, unknown>);
    });
  });
}

const optionalString = (body: Record<string, unknown>, name: string): string | undefined => {
  const value = body[name];
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value !== "string") throw new ApiError(400, `${name} must be a string`);
  return value;
};

/** A list given as an array of strings or as words separated by spaces or commas. */
const optionalList = (body: Record<string, unknown>, name: string): string[] | undefined => {
  const value = body[name];
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value === "string") return value.split(/[\s,]+/).filter((v) => v.length > 0);
  if (Array.isArray(value) && value.every((v) => typeof v === "string")) return value as string[];
  throw new ApiError(400, `${name} must be a list of names`);
};

/** Single quotes for a shell, so a printed line runs exactly as shown. */
const shellQuote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

/** Creates the console's request handler. */
export function createConsoleHandler(context: ConsoleContext): ConsoleHandler {
  const { prefix, recorder, assets, issuer } = context;
  const base = `${prefix}/`;
  const issuerDocument = issuer?.discoveryDocument();
  // The verifier's key fetches to this very server are answered in-process: explaining a token
  // does not add issuer requests to the stream.
  const localFetch: typeof fetch = (input, init) => {
    const target = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    if (issuer && issuerDocument) {
      if (target === `${issuer.url}/.well-known/openid-configuration`)
        return Promise.resolve(Response.json(issuer.discoveryDocument()));
      if (target === issuerDocument.jwks_uri) return Promise.resolve(Response.json(issuer.jwks));
    }
    return fetch(input, init);
  };
  const environment: InspectEnvironment = { now: context.now, fetch: localFetch };

  /** The token of a request body: `token` (a pasted value, `Bearer` allowed) or a record's, by `recordId`. */
  const tokenFrom = (body: Record<string, unknown>): string => {
    if (body.recordId !== undefined) {
      if (typeof body.recordId !== "number" || !Number.isInteger(body.recordId))
        throw new ApiError(400, "recordId must be an integer");
      const token = recorder.tokenOf(body.recordId);
      if (token === undefined) throw new ApiError(404, "that request carried no JWT, or is no longer kept");
      return token;
    }
    const token = (optionalString(body, "token") ?? "").trim().replace(/^bearer\s+/i, "");
    if (token.length === 0) throw new ApiError(400, "paste a token");
    return token;
  };

  const info = () => {
    const source = context.dev.identitySources[0]
      ? parseIdentitySource(context.dev.identitySources[0])
      : undefined;
    return {
      url: context.url,
      api: context.dev.api,
      stage: context.dev.stage,
      authorizer: context.authorizer,
      identitySources: context.dev.identitySources,
      tokenHeader: source?.kind === "header" ? source.name : null,
      explainer: context.config !== null,
      mint: issuer !== null,
      trustsDevIssuer: context.trustsDevIssuer,
      presets: PROVIDER_PRESETS.map((name) => ({ name, parameters: PRESET_PARAMETERS[name] })),
    };
  };

  const explain = async (body: Record<string, unknown>) => {
    const token = tokenFrom(body);
    const routeText = optionalString(body, "route");
    let route: ReturnType<typeof parseRoute> | undefined;
    if (routeText !== undefined) {
      try {
        route = parseRoute(routeText);
      } catch (error) {
        throw new ApiError(400, (error as Error).message);
      }
    }
    const inspection = await inspectToken(token, context.config, {
      ...(route ? { route } : {}),
      environment,
      noConfiguration:
        "the authorizer in use is not gatepass's (--authorizer): the token can be decoded, not verified, here.",
    });
    return createRedactor([token])(inspection);
  };

  const mint = (body: Record<string, unknown>) => {
    if (!issuer) throw new ApiError(409, "the development issuer is off (--no-issuer)");
    const claims = body.claims ?? undefined;
    if (claims !== undefined && (typeof claims !== "object" || claims === null || Array.isArray(claims)))
      throw new ApiError(400, "claims must be a JSON object");
    const presetParams = body.presetParams ?? undefined;
    if (
      presetParams !== undefined &&
      (typeof presetParams !== "object" || presetParams === null || Array.isArray(presetParams))
    )
      throw new ApiError(400, "presetParams must be a JSON object");
    const ttl = body.ttl;
    if (ttl !== undefined && ttl !== "" && typeof ttl !== "string" && typeof ttl !== "number")
      throw new ApiError(400, "ttl must be seconds or a duration such as 15m");
    const request: MintRequest = {};
    const sub = optionalString(body, "sub");
    if (sub !== undefined) request.sub = sub;
    const scope = optionalList(body, "scope");
    if (scope !== undefined) request.scope = scope;
    const groups = optionalList(body, "groups");
    if (groups !== undefined) request.groups = groups;
    if (claims !== undefined) request.claims = claims as Record<string, unknown>;
    if (ttl !== undefined && ttl !== "") request.ttl = ttl as string | number;
    const aud = optionalList(body, "aud");
    if (aud !== undefined) request.aud = aud.length === 1 ? aud[0]! : aud;
    const preset = optionalString(body, "preset");
    if (preset !== undefined) request.preset = preset;
    const alg = optionalString(body, "alg");
    if (alg !== undefined) request.alg = alg as MintRequest["alg"];
    if (presetParams !== undefined) request.presetParams = presetParams as Record<string, unknown>;
    let minted: ReturnType<DevIssuer["mint"]>;
    try {
      minted = issuer.mint(request);
    } catch (error) {
      throw new ApiError(400, error instanceof Error ? error.message : "the token could not be minted");
    }
    const path = optionalString(body, "path") ?? "/";
    if (!/^\/[^\s'"]*$/.test(path))
      throw new ApiError(400, "path must start with / and hold no spaces or quotes");
    const source = context.dev.identitySources[0]
      ? parseIdentitySource(context.dev.identitySources[0])
      : undefined;
    const token = minted.access_token;
    const curl =
      source?.kind === "query"
        ? `curl -i ${shellQuote(`${context.url}${path}${path.includes("?") ? "&" : "?"}${source.name}=${token}`)}`
        : `curl -i ${context.url}${path} -H ${shellQuote(`${source?.kind === "header" && source.name !== "authorization" ? source.name : "Authorization"}: Bearer ${token}`)}`;
    return {
      access_token: token,
      expires_in: minted.expires_in,
      ...(minted.scope !== undefined ? { scope: minted.scope } : {}),
      token: tokenView(token),
      curl,
      works: context.trustsDevIssuer,
    };
  };

  const routeAnswers = async (body: Record<string, unknown>) => {
    const config = context.config;
    if (config === null)
      throw new ApiError(409, "the authorizer in use is not gatepass's: its answers cannot be asked ahead");
    const token = tokenFrom(body);
    const inspection = await inspectToken(token, config, { environment });
    const answers: RouteAnswer[] = [];
    for (const route of context.routes.routes().slice(0, MAX_ROUTES)) {
      const sample = sampleRequest(route.key);
      if (sample === null) {
        answers.push({ key: route.key, request: "", decision: "not asked", status: null, why: "no path" });
        continue;
      }
      const result = await decideRoute(token, config, sample, environment);
      answers.push(routeAnswer(route.key, `${sample.method} ${sample.path}`, result));
    }
    return createRedactor([token])({
      principal: inspection.verification.principal ?? null,
      valid: inspection.verification.valid,
      explanation: inspection.verification.explanation,
      answers,
    });
  };

  const stream = (req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(200, {
      ...COMMON_HEADERS,
      "content-type": "text/event-stream; charset=utf-8",
      connection: "keep-alive",
    });
    res.write("retry: 2000\n\n");
    const write = (view: { id: number }) =>
      res.write(`id: ${view.id}\nevent: record\ndata: ${JSON.stringify(view)}\n\n`);
    for (const view of recorder.views()) write(view);
    const unsubscribe = recorder.subscribe(write);
    const heartbeat = setInterval(() => res.write(": ping\n\n"), HEARTBEAT_MS);
    heartbeat.unref();
    const stop = () => {
      clearInterval(heartbeat);
      unsubscribe();
    };
    req.on("close", stop);
    res.on("close", stop);
  };

  const api = async (req: IncomingMessage, res: ServerResponse, name: string, method: string) => {
    const refusal = crossSiteRefusal(req, method);
    if (refusal !== undefined) throw new ApiError(403, refusal);
    if (method === "GET" && name === "events") return stream(req, res);
    if (method === "GET" && name === "info") return sendJson(res, 200, info());
    if (method === "GET" && name === "records") return sendJson(res, 200, { records: recorder.views() });
    if (method === "GET" && name === "routes")
      return sendJson(res, 200, {
        routes: context.routes.routes(),
        unmatched: context.routes.unmatched(),
        resource: context.resource ?? null,
      });
    if (method === "POST" && name === "explain")
      return sendJson(res, 200, await explain(await readJson(req)));
    if (method === "POST" && name === "mint") return sendJson(res, 200, mint(await readJson(req)));
    if (method === "POST" && name === "routes")
      return sendJson(res, 200, await routeAnswers(await readJson(req)));
    throw new ApiError(
      ["events", "info", "records", "routes", "explain", "mint"].includes(name) ? 405 : 404,
      ["events", "info", "records", "routes", "explain", "mint"].includes(name)
        ? `${method} is not allowed here`
        : "no such console endpoint",
    );
  };

  return {
    handles: (path) =>
      (path === prefix || path.startsWith(base)) &&
      path !== ISSUER_BRANCH &&
      !path.startsWith(`${ISSUER_BRANCH}/`),
    async handle(req, res, request) {
      const method = request.method;
      const rest = request.path === prefix ? null : request.path.slice(base.length);
      try {
        if (rest === null) {
          res.writeHead(308, { ...COMMON_HEADERS, location: base, "content-length": "0" });
          res.end();
          return;
        }
        if (rest.startsWith("api/")) {
          await api(req, res, rest.slice(4), method);
          return;
        }
        if (method !== "GET" && method !== "HEAD") throw new ApiError(405, `${method} is not allowed here`);
        if (rest === "" || rest === "index.html")
          return send(res, 200, "text/html; charset=utf-8", assets.html);
        if (rest === "app.js") return send(res, 200, "text/javascript; charset=utf-8", assets.js);
        if (rest === "app.css") return send(res, 200, "text/css; charset=utf-8", assets.css);
        throw new ApiError(404, "no such console page");
      } catch (error) {
        const status = error instanceof ApiError ? error.status : 500;
        const message = error instanceof ApiError ? error.message : "the console failed to answer";
        if (!res.headersSent) sendJson(res, status, { message });
        else res.destroy();
      }
    },
  };
}
