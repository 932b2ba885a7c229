import { protectedResourceMetadata } from "../../config/resource.js";
import type { DevConfig, GatepassConfig } from "../../config/types.js";
import type { Logger } from "../../log.js";
import { type ApiIdentity, requestArn } from "../events.js";
import { parseIdentitySources } from "../identity.js";
import type { DevIssuer } from "../issuer.js";
import { RouteTable } from "../request.js";
import type { ConsoleAssets } from "./assets.js";
import { type ConsoleHandler, type ConsoleResource, createConsoleHandler } from "./handler.js";
import { RequestRecorder } from "./records.js";
import type { RouteSource } from "./routes.js";

/** The local console of `gatepass dev`: its request records and its HTTP handler, built once per server. */
export interface DevConsole {
  readonly recorder: RequestRecorder;
  readonly handler: ConsoleHandler;
  /** `/_gatepass/` (the page's path). */
  readonly path: string;
}

export interface DevConsoleOptions {
  readonly prefix: string;
  readonly assets: ConsoleAssets;
  readonly url: string;
  readonly dev: DevConfig;
  readonly ids: ApiIdentity;
  readonly config: GatepassConfig | null;
  /** True when gatepass's own authorizer runs (the explainer and route answers use its configuration). */
  readonly gatepassAuthorizer: boolean;
  readonly issuer: DevIssuer | null;
  readonly trustsDevIssuer: boolean;
  readonly routes: RouteSource;
  readonly authorizer: string;
  readonly backend: string;
  readonly now: () => number;
  readonly logger: Logger;
}

/** Builds the console; warns when a configured route lies under its prefix (the console answers there). */
export function createDevConsole(options: DevConsoleOptions): DevConsole {
  const { dev, prefix } = options;
  const sources = parseIdentitySources(dev.identitySources, dev.api);
  const identity = {
    headers: new Set(sources.flatMap((s) => (s.kind === "header" ? [s.name.toLowerCase()] : []))),
    query: new Set(sources.flatMap((s) => (s.kind === "query" ? [s.name] : []))),
  };
  const recorder = new RequestRecorder({
    identity,
    arnOf: (request) => requestArn(options.ids, dev.api, dev.stage, request),
    backendDescription: options.backend,
  });
  const keys = options.routes.routes().map((r) => r.key);
  const table = new RouteTable(keys, dev.api);
  const shadowed = ["GET", "POST"]
    .map((method) => table.match(method, `${prefix}/api/events`).routeKey)
    .find((key) => key !== "$default");
  if (shadowed !== undefined)
    options.logger.warn("console_shadows_route", {
      detail: `the console answers ${prefix}/…, so route ${shadowed} is not reachable there; move the console with --console-prefix PATH`,
    });
  const handler = createConsoleHandler({
    prefix,
    recorder,
    assets: options.assets,
    url: options.url,
    dev,
    config: options.gatepassAuthorizer ? options.config : null,
    issuer: options.issuer,
    trustsDevIssuer: options.trustsDevIssuer,
    routes: options.routes,
    authorizer: options.authorizer,
    now: options.now,
    resource: consoleResource(options.config),
  });
  return { recorder, handler, path: `${prefix}/` };
}

/** The configuration's protected resource for the routes view; `null` without one. */
function consoleResource(config: GatepassConfig | null): ConsoleResource | null {
  const document = config === null ? null : protectedResourceMetadata(config);
  if (config?.resource === undefined || document === null) return null;
  return {
    metadataUrl: config.resource.metadataUrl,
    path: new URL(config.resource.metadataUrl).pathname,
    document,
  };
}
