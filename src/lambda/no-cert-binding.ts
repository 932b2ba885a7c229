/**
 * What `gatepass bundle --config` puts in place of `lambda/cert-binding.ts` when no issuer of the
 * embedded configuration sets `certificateBound`: the bundle then carries none of its code. Typed
 * against the module it replaces; reaching it with a configuration that needs the check would mean
 * the configuration changed after validation, and fails the cold start.
 */
import type { certBinding as CertBindingFactory } from "./cert-binding.js";

export const certBinding: typeof CertBindingFactory = (cfg) => {
  if (cfg.issuers.some((i) => i.certificateBound !== undefined))
    throw new Error(
      "this bundle has no certificate-binding code: its configuration did not use it when it was built",
    );
  return undefined;
};
