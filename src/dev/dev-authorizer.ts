import type { GatepassConfig } from "../config/types.js";
import { createAuthorizer } from "../lambda/authorizer.js";
import type { LogFields, Logger } from "../log.js";
import { devDpopRequestUrl } from "./dpop-local.js";
import type { LambdaHandler } from "./invoke.js";

/** The authorizer the local gateway runs: the team's own handler, or gatepass's. */
export interface DevAuthorizer {
  readonly handler: LambdaHandler;
  /** `gatepass`, the `--authorizer` spec, or `custom handler`. */
  readonly description: string;
  /** Fetches gatepass's remote keys ahead of the first request (nothing for a custom handler). Never rejects. */
  hydrate(): Promise<void>;
  /**
   * gatepass's decision explanation per request id (reason code, detail, rule), taken out of its
   * log to be folded into the gateway's request line. Empty for a custom handler.
   */
  readonly explanations: Map<string, string>;
}

/**
 * The team's own authorizer when given (`custom`, with `spec` its `FILE#export` for the banner),
 * else gatepass's `createAuthorizer(config)`, whose decision lines go to `explanations` instead of
 * the log, and whose key fetches never reuse a connection.
 */
export function createDevAuthorizer(
  config: GatepassConfig | null,
  custom: LambdaHandler | undefined,
  spec: string | undefined,
  options: { logger: Logger; now: () => number; fetch?: typeof fetch; url?: string },
): DevAuthorizer {
  const explanations = new Map<string, string>();
  if (custom) {
    return { handler: custom, description: spec ?? "custom handler", hydrate: async () => {}, explanations };
  }
  const gatepass = createAuthorizer(config, {
    logger: captureDecisions(options.logger, explanations),
    now: options.now,
    sharedKeyCache: false,
    fetch: options.fetch ?? unpooledFetch,
    // DPoP proofs sign the URL the local client called (http://127.0.0.1:port/...).
    ...(options.url === undefined ? {} : { dpopRequestUrl: devDpopRequestUrl(options.url) }),
  });
  return {
    handler: gatepass as unknown as LambdaHandler,
    description: "gatepass",
    hydrate: () => gatepass.hydrate(),
    explanations,
  };
}

/**
 * `fetch` without connection reuse, for the authorizer's discovery and JWKS fetches (rare: once
 * per key-cache period). The issuer is often this very server: a pooled socket to a server that
 * was just closed (a restart on the same port in one process) would fail the next key fetch.
 */
export const unpooledFetch: typeof fetch = (input, init) => {
  const headers = new Headers(init?.headers);
  headers.set("connection", "close");
  return fetch(input, { ...init, headers });
};

/**
 * A logger for gatepass's own authorizer: its per-decision lines (reason code and detail) are kept
 * by request id and merged into the gateway's request line instead of printed separately; errors
 * (keys unavailable) and warnings still print.
 */
function captureDecisions(logger: Logger, explanations: Map<string, string>): Logger {
  const keep = (fields: LogFields | undefined) => {
    if (fields === undefined) return false;
    const id = fields.requestId;
    if (typeof id !== "string") return false;
    let text = "";
    const reason = fields.reason;
    const detail = fields.detail;
    if (typeof reason === "string" && reason.length > 0) text = reason;
    if (typeof detail === "string" && detail.length > 0)
      text = text.length > 0 ? `${text}: ${detail}` : detail;
    if (typeof fields.rule === "string")
      text = text.length > 0 ? `${text}: rule ${fields.rule}` : `rule ${fields.rule}`;
    explanations.set(id, text.length > 0 ? text : String(fields.outcome ?? ""));
    // Bounded: an entry whose request line was never written (client gone) must not pile up.
    if (explanations.size > 1000) {
      const oldest = explanations.keys().next();
      if (!oldest.done) explanations.delete(oldest.value);
    }
    return true;
  };
  return {
    debug: () => {},
    info: (event, fields) => {
      if (event === "decision") keep(fields);
    },
    warn: (event, fields) => logger.warn(event, fields),
    error: (event, fields) => {
      if (event === "decision") keep(fields);
      logger.error(event, fields);
    },
  };
}
