/**
 * Structured logging: one JSON object per line on stdout, in the shape of Powertools for AWS Lambda's
 * Logger (`level`, `message`, `timestamp`, `service`, `cold_start`, `function_name`,
 * `function_request_id`, `xray_trace_id`), then the caller's fields. Callers pass fields, never a
 * token or a secret; there is no API here that takes a token.
 *
 * Lines go to `process.stdout` directly, not through `console`: under Lambda's JSON log format the
 * Node.js runtime wraps console output as a string in its own `message` field (the fields could not
 * be queried) and drops `console.log` below `AWS_LAMBDA_LOG_LEVEL` whatever the line says, while a
 * JSON object written to stdout is kept as is and filtered by its own `level`.
 */
export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };
/** `AWS_LAMBDA_LOG_LEVEL`'s values (Lambda's advanced logging controls), on the same scale. */
const LAMBDA_RANK: Record<string, number> = { TRACE: 0, DEBUG: 10, INFO: 20, WARN: 30, ERROR: 40, FATAL: 50 };
const NAME = { debug: "DEBUG", info: "INFO", warn: "WARN", error: "ERROR" } as const;

/**
 * The keys of the envelope: a caller's field of that name is left out (it would be a caller bug),
 * so that no line can lie about its level, time or invocation.
 */
const RESERVED = new Set([
  "level",
  "message",
  "timestamp",
  "service",
  "cold_start",
  "function_name",
  "function_request_id",
  "xray_trace_id",
  "event",
]);

/**
 * The invocation being served. Module state, as in the runtime itself: one Lambda execution
 * environment serves one invocation at a time, and the keys' warnings (`jwks_fetch_failed`) are
 * written from code that never sees the Lambda context.
 */
const invocation: { count: number; requestId: string | undefined } = { count: 0, requestId: undefined };

/**
 * Called by the handler at the start of each invocation: the lines written from then on carry its
 * request id, and `cold_start` is true until the second invocation of this environment begins
 * (lines written at initialization included), as Powertools reports it.
 */
export function startInvocation(requestId: string | undefined): void {
  invocation.count += 1;
  invocation.requestId = typeof requestId === "string" && requestId !== "" ? requestId : undefined;
}

let lastTraceHeader: string | undefined;
let lastTraceId: string | undefined;
/**
 * The X-Ray trace id of the invocation: the `Root=` part of `_X_AMZN_TRACE_ID` (which the runtime
 * sets per invocation), or the whole value when it has no `=`, as Powertools' `getXRayTraceIdFromEnv`.
 */
function traceId(): string | undefined {
  const header = process.env._X_AMZN_TRACE_ID;
  if (header === lastTraceHeader) return lastTraceId;
  lastTraceHeader = header;
  if (header === undefined || header === "") lastTraceId = undefined;
  else if (!header.includes("=")) lastTraceId = header;
  else {
    lastTraceId = undefined;
    for (const part of header.split(";")) {
      const [key, value] = part.split("=");
      if (key?.trim() === "Root") lastTraceId = value;
    }
  }
  return lastTraceId;
}

/** Writes one line and its newline to stdout. */
export const writeStdout = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

/**
 * A logger writing JSON lines through `write` (default: stdout, which Lambda sends to CloudWatch).
 * A line is written when its level passes both `level` (gatepass's `logLevel`, `GATEPASS_LOG_LEVEL`)
 * and `AWS_LAMBDA_LOG_LEVEL` when set: Lambda drops lines below the latter itself, so the stricter
 * of the two wins, and an `error` line passes every level but `FATAL`.
 */
export function createLogger(
  level: LogLevel = "info",
  write: (line: string) => void = writeStdout,
  env: Record<string, string | undefined> = process.env,
): Logger {
  const lambdaMin = LAMBDA_RANK[(env.AWS_LAMBDA_LOG_LEVEL ?? "").trim().toUpperCase()] ?? 0;
  const min = Math.max(RANK[level] ?? RANK.info, lambdaMin);
  const service = JSON.stringify(env.POWERTOOLS_SERVICE_NAME?.trim() || "gatepass");
  const functionName = env.AWS_LAMBDA_FUNCTION_NAME
    ? JSON.stringify(env.AWS_LAMBDA_FUNCTION_NAME)
    : undefined;
  // The event names are a few constants: their JSON is kept. Bounded, in case a caller makes names up.
  const names = new Map<string, string>();
  const nameOf = (event: string) => {
    let name = names.get(event);
    if (name === undefined) {
      name = JSON.stringify(event);
      if (names.size >= 256) names.clear();
      names.set(event, name);
    }
    return name;
  };
  let lastRequestId: string | undefined;
  let requestIdJson = "";
  const emit = (lvl: Exclude<LogLevel, "silent">, event: string, fields?: LogFields) => {
    if (RANK[lvl] < min) return;
    const name = nameOf(event);
    if (invocation.requestId !== lastRequestId) {
      lastRequestId = invocation.requestId;
      requestIdJson =
        lastRequestId === undefined ? "" : `,"function_request_id":${JSON.stringify(lastRequestId)}`;
    }
    const trace = traceId();
    const head =
      `{"level":"${NAME[lvl]}","message":${name},"timestamp":"${new Date().toISOString()}","service":${service}` +
      `,"cold_start":${invocation.count <= 1}${functionName === undefined ? "" : `,"function_name":${functionName}`}` +
      `${requestIdJson}${trace === undefined ? "" : `,"xray_trace_id":${JSON.stringify(trace)}`},"event":${name}`;
    if (fields === undefined) return write(`${head}}`);
    // Serialized as is and appended, not spread into a new object: spreading costs about a
    // microsecond per line on Node 20, on every authorizer call.
    const body = JSON.stringify(hasReserved(fields) ? withoutReserved(fields) : fields);
    write(body.length > 2 ? `${head},${body.slice(1)}` : `${head}}`);
  };
  return {
    debug: (e, f) => emit("debug", e, f),
    info: (e, f) => emit("info", e, f),
    warn: (e, f) => emit("warn", e, f),
    error: (e, f) => emit("error", e, f),
  };
}

function hasReserved(fields: LogFields): boolean {
  for (const key in fields) if (RESERVED.has(key)) return true;
  return false;
}

function withoutReserved(fields: LogFields): LogFields {
  const copy: LogFields = {};
  for (const key of Object.keys(fields)) if (!RESERVED.has(key)) copy[key] = fields[key];
  return copy;
}

/** A logger that drops everything. */
export const silentLogger: Logger = createLogger("silent", () => {}, {});

/** A logger that keeps lines in memory, for tests. */
export function createMemoryLogger(): Logger & {
  lines: Array<LogFields & { level: string; event: string }>;
} {
  const lines: Array<LogFields & { level: string; event: string }> = [];
  const logger = createLogger("debug", (line) => lines.push(JSON.parse(line)), {});
  return Object.assign(logger, { lines });
}
