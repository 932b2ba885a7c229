/**
 * The few DER steps key handling needs (SubjectPublicKeyInfo only), without a DER library.
 */

/** The DER element with `tag` at `at`: where its content starts and ends. Throws when it is not there. */
export function derElement(der: Buffer, at: number, tag: number): { start: number; end: number } {
  if (der[at] !== tag) throw new Error("unexpected DER tag");
  let length = der[at + 1] ?? 0;
  let start = at + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4) throw new Error("unsupported DER length");
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + (der[start + i] ?? 0);
    start += count;
  }
  if (start + length > der.length) throw new Error("truncated DER");
  return { start, end: start + length };
}

/**
 * The subjectPublicKey of a SubjectPublicKeyInfo (RFC 5280 §4.1):
 * `SEQUENCE { algorithm AlgorithmIdentifier, subjectPublicKey BIT STRING }`, without its
 * unused-bits byte (which must be 0). Throws when the structure is not that.
 */
export function spkiPublicKeyBits(spki: Buffer): Buffer {
  const outer = derElement(spki, 0, 0x30);
  const algorithm = derElement(spki, outer.start, 0x30);
  const bits = derElement(spki, algorithm.end, 0x03);
  if (bits.end !== outer.end || bits.end - bits.start < 1 || spki[bits.start] !== 0)
    throw new Error("malformed subjectPublicKey");
  return spki.subarray(bits.start + 1, bits.end);
}
