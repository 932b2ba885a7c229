/**
 * The JWS algorithm names a configuration may list (`issuers[].algorithms`). Names only: what each
 * algorithm needs of a key lives in `keys/algorithms.ts`. `none` is not one of them and never will be.
 */
export const ALGORITHMS = [
  "HS256",
  "HS384",
  "HS512",
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "ES512",
  "EdDSA",
] as const;

export type Algorithm = (typeof ALGORITHMS)[number];

/** True for a supported algorithm name (case-sensitive, as RFC 7518 registers them). */
export function isAlgorithm(value: unknown): value is Algorithm {
  return typeof value === "string" && (ALGORITHMS as readonly string[]).includes(value);
}
