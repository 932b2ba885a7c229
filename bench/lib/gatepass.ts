/**
 * gatepass as its users run it: the compiled package in `dist/` (what the npm package ships and
 * what `gatepass bundle` starts from), not the TypeScript sources through tsx. tsx keeps function
 * names by wrapping each named closure in a `defineProperty` call as it is created, which costs
 * about 1–2 µs per authorizer call that compiled code never pays. `npm run bench` builds `dist/`
 * first. Types come from the sources.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type * as DefaultConfig from "../../src/dev/default-config.js";
import type * as DevServerModule from "../../src/dev/server.js";
import type * as JudgeModule from "../../src/keys/judge.js";
import type * as AuthorizerModule from "../../src/lambda/authorizer.js";
import type * as LogModule from "../../src/log.js";
import type * as RulePolicyModule from "../../src/policy/rule-policy.js";
import type * as RulesModule from "../../src/rules/rules.js";
import type * as VerifierModule from "../../src/token/verifier.js";
import { ROOT } from "./processes.js";

async function load<T>(path: string): Promise<T> {
  const file = join(ROOT, "dist", path);
  if (!existsSync(file)) throw new Error(`${file} is missing: run \`npm run build\` (npm run bench does)`);
  return (await import(pathToFileURL(file).href)) as T;
}

export const { createAuthorizer } = await load<typeof AuthorizerModule>("lambda/authorizer.js");
export const { judgeKey } = await load<typeof JudgeModule>("keys/judge.js");
export const { createLogger } = await load<typeof LogModule>("log.js");
export const { createVerifier } = await load<typeof VerifierModule>("token/verifier.js");
export const { compileRules } = await load<typeof RulesModule>("rules/rules.js");
export const { compilePolicyRules } = await load<typeof RulePolicyModule>("policy/rule-policy.js");
export const { startDevServer } = await load<typeof DevServerModule>("dev/server.js");
export const { DEMO_ROUTES } = await load<typeof DefaultConfig>("dev/default-config.js");
export type { DevServer } from "../../src/dev/server.js";
export type { Verifier } from "../../src/token/verifier.js";
