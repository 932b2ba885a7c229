/**
 * What `gatepass bundle --config` puts in place of `lambda/dpop.ts` when no issuer of the embedded
 * configuration sets `dpop`: the bundle then carries none of its code. Typed against the module it
 * replaces; reaching it with a configuration that needs the check would mean the configuration
 * changed after validation, and fails the cold start.
 */
import { ConfigError } from "../errors.js";
import type { dpop as DpopFactory } from "./dpop.js";

export const dpop: typeof DpopFactory = (cfg, options) => {
  if (cfg.issuers.some((i) => i.dpop !== undefined))
    throw new Error("this bundle has no DPoP code: its configuration did not use it when it was built");
  if ((options?.dpopReplayTable ?? "").trim() !== "")
    throw new ConfigError("GATEPASS_DPOP_REPLAY_TABLE", "applies only with an issuer using dpop.");
  return undefined;
};
