import { type Env, loadConfigWith } from "../config/from-env.js";
import type { GatepassConfigInput } from "../config/input.js";
import { parseConfigShape } from "../config/schema.js";
import type { GatepassConfig } from "../config/types.js";
import { checkConfigKeys } from "../keys/check.js";
import { OPEN_POLICY_RULES } from "../policy/open-plans.js";
import { compilePolicyRules, type PolicyRules } from "../policy/rule-policy.js";

/**
 * The configuration's full validation, composed here from the modules that own each part: its
 * shape and defaults (`config/schema.ts`), its keys (`keys/check.ts`), its route rules (the rule
 * compiler). Each throws a `ConfigError` naming the field.
 */

/** Validated configurations and their compiled rules (compiled once, at validation). */
const validated = new WeakMap<object, PolicyRules>();

/**
 * Validates a configuration document, applies every default, checks its keys and compiles its
 * rules. Idempotent: a validated configuration passes through unchanged. Throws `ConfigError`.
 *
 * @example
 * const config = parseConfig({ issuers: [{ secret: process.env.GATEPASS_SECRET }] });
 */
export function parseConfig(doc: GatepassConfigInput | GatepassConfig): GatepassConfig;
/** A document known only at run time (parsed JSON): validated like any other. */
export function parseConfig(doc: unknown): GatepassConfig;
export function parseConfig(doc: unknown): GatepassConfig {
  if (typeof doc === "object" && doc !== null && validated.has(doc)) return doc as GatepassConfig;
  const config = checkConfigKeys(parseConfigShape(doc));
  // Rules are compiled here so a bad rule fails loadConfig too, not only createAuthorizer. No rules
  // and unmatched routes allowed: the open rule set, which answers as the compiled empty one does,
  // without building a rule set at every cold start.
  const open = config.routes.length === 0 && config.unmatchedRoutes === "allow";
  validated.set(
    config,
    open
      ? OPEN_POLICY_RULES
      : compilePolicyRules({ routes: config.routes, unmatchedRoutes: config.unmatchedRoutes }),
  );
  return config;
}

/** The compiled rules of a validated configuration (compiled once by {@link parseConfig}). */
export function rulesFor(config: GatepassConfig): PolicyRules {
  const rules = validated.get(parseConfig(config));
  if (rules === undefined) throw new Error("unreachable: a validated configuration always has rules");
  return rules;
}

/**
 * Loads and validates the configuration from the environment (README, "Configuration"):
 * `GATEPASS_CONFIG` (inline JSON, or a path to a JSON file), else the single-issuer shortcuts
 * `GATEPASS_SECRET` (alias `SECRET_KEY`), `GATEPASS_PUBLIC_KEY`, `GATEPASS_JWKS_URI`,
 * `GATEPASS_ISSUER`, `GATEPASS_AUDIENCE`, `GATEPASS_ALGORITHMS`, `GATEPASS_PRINCIPAL_CLAIM`.
 * `GATEPASS_LOG_LEVEL` and `GATEPASS_LOG_SAMPLE_RATE` apply to both. Throws one `ConfigError` naming the variable or field.
 *
 * @example
 * // at module scope of a Lambda: a bad configuration fails the cold start, not a request
 * const config = loadConfig();
 */
export function loadConfig(env: Env = process.env): GatepassConfig {
  return loadConfigWith(env, parseConfig);
}
