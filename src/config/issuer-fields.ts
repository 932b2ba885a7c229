import type { IssuerConfig } from "./types.js";

/**
 * The configuration field of each validated issuer (`issuers[2]`), for messages: an issuer
 * expanded from a preset names the entry it came from (`origin`), and the entries after it keep
 * their position in the document.
 */
export function issuerFields(issuers: readonly IssuerConfig[]): string[] {
  let next = 0;
  return issuers.map((issuer) => {
    const index = issuer.origin ?? next;
    next = index + 1;
    return `issuers[${index}]`;
  });
}
