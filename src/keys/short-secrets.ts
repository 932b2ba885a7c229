import type { GatepassConfig } from "../config/types.js";
import { ALGORITHM_SPECS } from "./algorithms.js";

/** One configured shared secret shorter than an algorithm it may verify needs (`allowInsecureShortSecret`). */
export interface ShortSecretWarning {
  /** `issuers[0].secret` or `issuers[0].secret[1]`: where it is, never what it is. */
  readonly field: string;
  readonly detail: string;
}

/**
 * The shared secrets trusted under `allowInsecureShortSecret` that are shorter than the hash size
 * of an algorithm they may verify, and the issuers whose opt-in no longer serves any secret. The
 * authorizer logs these at every cold start and `gatepass inspect` shows them. Lengths and content
 * are never part of them.
 */
export function shortSecretWarnings(config: GatepassConfig): {
  short: ShortSecretWarning[];
  unused: ShortSecretWarning[];
} {
  const short: ShortSecretWarning[] = [];
  const unused: ShortSecretWarning[] = [];
  config.issuers.forEach((issuer, i) => {
    if (!issuer.allowInsecureShortSecret || issuer.secret === undefined) return;
    const many = Array.isArray(issuer.secret);
    const before = short.length;
    [issuer.secret].flat().forEach((secret, j) => {
      const bytes = Buffer.byteLength(secret, "utf8");
      const weak = (issuer.algorithms ?? ["HS256"]).filter(
        (alg) => bytes < (ALGORITHM_SPECS[alg].minSecretBytes ?? 0),
      );
      if (weak.length === 0) return;
      short.push({
        field: many ? `issuers[${i}].secret[${j}]` : `issuers[${i}].secret`,
        detail: `trusts a secret shorter than ${weak.join(", ")} needs (allowInsecureShortSecret), which can be guessed offline from one token: mint with a strong secret, trust both, then remove this one and the opt-in`,
      });
    });
    if (short.length === before) {
      unused.push({
        field: `issuers[${i}].allowInsecureShortSecret`,
        detail: "no trusted secret is short any more: remove allowInsecureShortSecret",
      });
    }
  });
  return { short, unused };
}
