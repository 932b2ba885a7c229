/**
 * Structured logging: one JSON object per line on stdout (CloudWatch-friendly). Callers pass
 * fields, never a token or a secret; there is no API here that takes a token.
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

/** A logger writing JSON lines through `write` (default: `console.log`, which Lambda sends to CloudWatch). */
export function createLogger(level: LogLevel = "info", write: (line: string) => void = console.log): Logger {
  const min = RANK[level] ?? RANK.info;
  const emit = (lvl: Exclude<LogLevel, "silent">, event: string, fields?: LogFields) => {
    if (RANK[lvl] < min) return;
    const line: LogFields = { level: lvl, event, ...fields };
    // A field of the same name must never overwrite these two.
    line.level = lvl;
    line.event = event;
    write(JSON.stringify(line));
  };
  return {
    debug: (e, f) => emit("debug", e, f),
    info: (e, f) => emit("info", e, f),
    warn: (e, f) => emit("warn", e, f),
    error: (e, f) => emit("error", e, f),
  };
}

/** A logger that drops everything. */
export const silentLogger: Logger = createLogger("silent");

/** A logger that keeps lines in memory, for tests. */
export function createMemoryLogger(): Logger & {
  lines: Array<LogFields & { level: string; event: string }>;
} {
  const lines: Array<LogFields & { level: string; event: string }> = [];
  const logger = createLogger("debug", (line) => lines.push(JSON.parse(line)));
  return Object.assign(logger, { lines });
}
