import type { GatepassConfig } from "../config/types.js";
import { ConfigError } from "../errors.js";
import type { PolicyRules } from "../policy/rule-policy.js";
import { type AuthorizerHandler, buildAuthorizer } from "./authorizer.js";
import type { AuthorizerMetrics } from "./metrics.js";

const LOG_LEVELS: ReadonlyArray<GatepassConfig["logLevel"]> = ["debug", "info", "warn", "error", "silent"];

/**
 * The handler of a bundle built by `gatepass bundle --config`: the configuration was validated and
 * normalized at bundle time and is embedded as is, so the cold start neither reads nor validates
 * it again. Only `GATEPASS_LOG_LEVEL` and `GATEPASS_LOG_SAMPLE_RATE` are read from the environment, so logging can change
 * without a new bundle, and `GATEPASS_DPOP_REPLAY_TABLE` (a table the deployment names); an unknown level fails the cold start, as `gatepass/lambda` does.
 */
export function embeddedAuthorizer(
  config: GatepassConfig,
  rules: PolicyRules,
  env: Record<string, string | undefined> = process.env,
  metrics?: AuthorizerMetrics,
): AuthorizerHandler {
  const table = env.GATEPASS_DPOP_REPLAY_TABLE;
  const options = {
    ...(metrics === undefined ? {} : { metrics }),
    ...(table === undefined ? {} : { dpopReplayTable: table }),
  };
  const raw = env.GATEPASS_LOG_LEVEL;
  const rate = sampleRate(env.GATEPASS_LOG_SAMPLE_RATE);
  const sampled = rate === undefined ? config : { ...config, logSampleRate: rate };
  if (raw === undefined || raw.trim() === "") return buildAuthorizer(sampled, rules, options);
  const level = raw.trim().toLowerCase() as GatepassConfig["logLevel"];
  if (!LOG_LEVELS.includes(level)) {
    throw new ConfigError(
      "GATEPASS_LOG_LEVEL",
      `expected one of ${LOG_LEVELS.map((l) => `"${l}"`).join(", ")}, got ${JSON.stringify(raw.slice(0, 40))}.`,
    );
  }
  return buildAuthorizer({ ...sampled, logLevel: level }, rules, options);
}

/** `GATEPASS_LOG_SAMPLE_RATE`: a number above 0 and up to 1, as the `logSampleRate` field. */
function sampleRate(raw: string | undefined): number | undefined {
  if (raw === undefined || raw.trim() === "") return undefined;
  const rate = Number(raw.trim());
  if (!/^[\d.]+$/.test(raw.trim()) || !(rate > 0 && rate <= 1)) {
    throw new ConfigError(
      "GATEPASS_LOG_SAMPLE_RATE",
      `expected a number above 0 and up to 1, got ${JSON.stringify(raw.slice(0, 40))}.`,
    );
  }
  return rate;
}
