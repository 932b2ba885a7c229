import type { GatepassConfig } from "../config/types.js";
import { ConfigError } from "../errors.js";
import type { PolicyRules } from "../policy/rule-policy.js";
import { type AuthorizerHandler, buildAuthorizer } from "./authorizer.js";
import type { AuthorizerMetrics } from "./metrics.js";

const LOG_LEVELS: ReadonlyArray<GatepassConfig["logLevel"]> = ["debug", "info", "warn", "error", "silent"];

/**
 * The handler of a bundle built by `gatepass bundle --config`: the configuration was validated and
 * normalized at bundle time and is embedded as is, so the cold start neither reads nor validates
 * it again. Only `GATEPASS_LOG_LEVEL` is read from the environment, so the log level can change
 * without a new bundle; an unknown level fails the cold start, as `gatepass/lambda` does.
 */
export function embeddedAuthorizer(
  config: GatepassConfig,
  rules: PolicyRules,
  env: Record<string, string | undefined> = process.env,
  metrics?: AuthorizerMetrics,
): AuthorizerHandler {
  const options = metrics === undefined ? {} : { metrics };
  const raw = env.GATEPASS_LOG_LEVEL;
  if (raw === undefined || raw.trim() === "") return buildAuthorizer(config, rules, options);
  const level = raw.trim().toLowerCase() as GatepassConfig["logLevel"];
  if (!LOG_LEVELS.includes(level)) {
    throw new ConfigError(
      "GATEPASS_LOG_LEVEL",
      `expected one of ${LOG_LEVELS.map((l) => `"${l}"`).join(", ")}, got ${JSON.stringify(raw.slice(0, 40))}.`,
    );
  }
  return buildAuthorizer({ ...config, logLevel: level }, rules, options);
}
