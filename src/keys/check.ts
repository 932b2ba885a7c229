import type { KeyObject } from "node:crypto";
import { issuerFields } from "../config/issuer-fields.js";
import type { GatepassConfig, IssuerConfig } from "../config/types.js";
import { ConfigError } from "../errors.js";
import { algorithmsForKey, keyMismatch, unusableKeyReason } from "./algorithms.js";
import { importPem, looksLikeKey } from "./import.js";
import { judgeKey } from "./judge.js";

/**
 * The key checks of a configuration whose shape is valid (`config/schema.ts`): what can only be
 * known by importing the key. A secret that is really a key, a private or unreadable PEM, a key no
 * algorithm can use (RSA under 2048 bits, an unsupported curve), or an allowlist the key cannot
 * verify throws a `ConfigError` naming the field, at cold start. Inline and file JWKS are imported
 * (and checked) when the key source is built (`sources.ts`).
 */
export function checkIssuerKeys(issuer: IssuerConfig, field: string): void {
  const secrets = issuer.secret === undefined ? [] : [issuer.secret].flat();
  secrets.forEach((secret, i) => {
    if (looksLikeKey(secret)) {
      throw new ConfigError(
        Array.isArray(issuer.secret) ? `${field}.secret[${i}]` : `${field}.secret`,
        "looks like a public key; a public key can never be used as an HMAC secret.",
      );
    }
  });
  if (issuer.publicKey === undefined) return;
  const pem = issuer.publicKey;
  if (pem.includes("PRIVATE KEY")) {
    throw new ConfigError(
      `${field}.publicKey`,
      "is a private key; configure only the public key (gatepass never needs a private key).",
    );
  }
  let key: KeyObject;
  try {
    key = importPem(pem);
  } catch {
    throw new ConfigError(
      `${field}.publicKey`,
      "is not a usable PEM public key (SPKI, PKCS#1 or an X.509 certificate).",
    );
  }
  const usable = algorithmsForKey(key);
  // Judged here too (memoized, so the key source's own judging is a lookup), so that a refusal
  // names GATEPASS_PUBLIC_KEY when the key came from that variable.
  const refusal = judgeKey(key);
  if (refusal !== null) throw new ConfigError(`${field}.publicKey`, `${refusal.reason}.`);
  if (usable.length === 0) throw new ConfigError(`${field}.publicKey`, `${unusableKeyReason(key)}.`);
  for (const alg of issuer.algorithms ?? []) {
    if (!usable.includes(alg)) throw new ConfigError(`${field}.algorithms`, `${keyMismatch(key, alg)}.`);
  }
}

/** {@link checkIssuerKeys} for every issuer of a configuration; returns the configuration. */
export function checkConfigKeys(config: GatepassConfig): GatepassConfig {
  const fields = issuerFields(config.issuers);
  config.issuers.forEach((issuer, i) => {
    checkIssuerKeys(issuer, fields[i]!);
  });
  return config;
}
