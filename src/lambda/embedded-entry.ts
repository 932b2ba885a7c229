/**
 * The Lambda entry of `gatepass bundle --config`: the configuration validated at bundle time comes
 * from the virtual module `gatepass:config`, and its rule set from `gatepass:rules`, both provided
 * by the bundler plugin of `gatepass bundle` (`src/cli/commands/bundle.ts`; typed in
 * `virtual-modules.d.ts`). `gatepass:rules` is `rules-open.ts` when the configuration has no rules,
 * so the rule compiler stays out of the bundle, else `rules-compiled.ts`; `gatepass:metrics` is
 * `metrics-on.ts` when the configuration has `metrics`, else `metrics-off.ts` (no metrics code).
 */
import { config } from "gatepass:config";
import { metricsFor } from "gatepass:metrics";
import { rules } from "gatepass:rules";
import { embeddedAuthorizer } from "./embedded.js";

export const handler = embeddedAuthorizer(config, rules, process.env, metricsFor(config));
await handler.hydrate();
