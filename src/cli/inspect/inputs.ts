import { environmentConfigSource } from "../../config/from-env.js";
import type { GatepassConfig } from "../../config/types.js";
import { ConfigError } from "../../errors.js";
import { loadConfig, parseConfig } from "../../lambda/config.js";
import { CliError, readJsonFile, usageError } from "../output.js";

/** What `gatepass inspect` reads: the token (argument or stdin) and the configuration (file or environment). */

export async function readToken(arg: string): Promise<string> {
  let text = arg;
  if (arg === "-") {
    if (process.stdin.isTTY) throw usageError("TOKEN is '-' but stdin is a terminal; pipe the token in");
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Buffer));
    text = Buffer.concat(chunks).toString("utf8");
  }
  // Accept a pasted header value too.
  const token = text.trim().replace(/^bearer\s+/i, "");
  if (token.length === 0) throw usageError(arg === "-" ? "no token on stdin" : "TOKEN is empty");
  return token;
}

export type LoadedConfig = { config: GatepassConfig; source: string } | { config: null; source: string };

export function readConfig(path: string | undefined): LoadedConfig {
  if (path !== undefined) {
    const doc = readJsonFile(path, "configuration");
    return { config: parseOrFail(() => parseConfig(doc)), source: path };
  }
  const env = process.env;
  if (environmentConfigSource(env) === undefined) return { config: null, source: "none" };
  return { config: parseOrFail(() => loadConfig(env)), source: "environment" };
}

export function parseOrFail<T>(load: () => T): T {
  try {
    return load();
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(error.message);
    throw error;
  }
}
