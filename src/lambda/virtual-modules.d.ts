/**
 * The modules `gatepass bundle --config` provides to `embedded-entry.ts` at bundle time (see the
 * plugin in `src/cli/commands/bundle.ts`). They exist only inside a bundle.
 */
declare module "gatepass:config" {
  /** The configuration, validated and normalized by `parseConfig` at bundle time. */
  export const config: import("../config/types.js").GatepassConfig;
}

declare module "gatepass:rules" {
  /** The compiled rules of that configuration: `rules-open.ts` or `rules-compiled.ts`. */
  export const rules: import("../policy/rule-policy.js").PolicyRules;
}

declare module "gatepass:metrics" {
  /** `metrics-on.ts` (the EMF metrics) or `metrics-off.ts` (always `undefined`), per the configuration. */
  export const metricsFor: typeof import("./metrics.js").metricsFor;
}
