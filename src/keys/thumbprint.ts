import { nodeCrypto } from "../util/builtins.js";

/**
 * The members that define a key, per key type (RFC 7638 §3.2, RFC 8037 §2 for OKP). Listed in
 * lexicographic order, which is the order the canonical JSON needs.
 */
const REQUIRED_MEMBERS: Readonly<Record<string, readonly string[]>> = {
  EC: ["crv", "kty", "x", "y"],
  OKP: ["crv", "kty", "x"],
  RSA: ["e", "kty", "n"],
  oct: ["k", "kty"],
};

/**
 * The RFC 7638 JWK thumbprint: SHA-256 of the canonical JSON of the key's required members (no
 * whitespace, members in lexicographic order), base64url without padding. Private members are
 * ignored, so a private JWK and its public half have the same thumbprint; `kid`, `alg` and `use`
 * are not part of it. gatepass uses it as the default `kid` of generated keys.
 *
 * Throws for a key type or member it cannot hash (never with key material in the message).
 *
 * @example
 * jwkThumbprint({ kty: "RSA", e: "AQAB", n: "0vx7agoebG..." }) // "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
 */
export function jwkThumbprint(
  jwk: Record<string, unknown>,
  hash: "sha256" | "sha384" | "sha512" = "sha256",
): string {
  const kty = jwk.kty;
  const members =
    typeof kty === "string" && Object.hasOwn(REQUIRED_MEMBERS, kty) ? REQUIRED_MEMBERS[kty] : undefined;
  if (members === undefined)
    throw new Error(`cannot compute a thumbprint for kty ${JSON.stringify(String(kty)).slice(0, 40)}`);
  const canonical: Record<string, string> = {};
  for (const name of members) {
    const value = jwk[name];
    if (typeof value !== "string" || value.length === 0)
      throw new Error(`the ${kty} JWK has no ${name} member`);
    canonical[name] = value;
  }
  // JSON.stringify keeps insertion order, and `members` is already sorted.
  return nodeCrypto.createHash(hash).update(JSON.stringify(canonical), "utf8").digest("base64url");
}
