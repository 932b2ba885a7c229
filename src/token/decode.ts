import { isUtf8 } from "node:buffer";
import { AuthError, AuthErrorCodes } from "../errors.js";
import { countTopLevelMembers, type JsonObject, parseJsonObject } from "../util/json.js";

/** A compact JWS split and decoded, not yet verified. */
export interface DecodedToken {
  readonly header: JsonObject;
  readonly payload: JsonObject;
  /** `base64url(header) "." base64url(payload)`: the bytes the signature covers. */
  readonly signingInput: string;
  readonly signature: Buffer;
}

/**
 * The largest `maxTokenBytes` allowed: API Gateway limits all header values to 10 KiB, and the
 * adapters do not read a credential longer than this.
 */
export const MAX_TOKEN_BYTES_LIMIT = 16 * 1024;

/** The default cap on a token's size, in bytes: far above real tokens, far below a DoS. */
export const DEFAULT_MAX_TOKEN_BYTES = 8192;

const SEGMENT = /^[A-Za-z0-9_-]+$/;
/** The whole token in one pass: three non-empty base64url segments (the common, valid case). */
const COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** The value of each base64url character, to check that unused trailing bits are zero. */
function b64Value(c: number): number {
  if (c >= 65 && c <= 90) return c - 65;
  if (c >= 97 && c <= 122) return c - 71;
  if (c >= 48 && c <= 57) return c + 4;
  return c === 45 ? 62 : 63;
}

/**
 * True when `s` is canonical unpadded base64url (RFC 7515 §2, RFC 4648 §3.5): only the alphabet,
 * no `=`, a length that is not 1 mod 4, and zero bits in the last character's unused positions —
 * so each byte string has exactly one encoding, and a token cannot be altered without changing
 * its bytes.
 */
export function isCanonicalBase64url(s: string): boolean {
  return SEGMENT.test(s) && hasCanonicalTail(s);
}

/** The length and trailing-bit half of {@link isCanonicalBase64url}, for text already known to be in the alphabet. */
function hasCanonicalTail(s: string): boolean {
  const rem = s.length & 3;
  if (rem === 1) return false;
  if (rem === 0) return true;
  const last = b64Value(s.charCodeAt(s.length - 1));
  return rem === 2 ? (last & 0x0f) === 0 : (last & 0x03) === 0;
}

const malformed = (why: string) => new AuthError(AuthErrorCodes.MALFORMED, `The token is malformed: ${why}.`);

function decodeJsonSegment(segment: string, what: "header" | "payload", inAlphabet: boolean): JsonObject {
  if (!(inAlphabet ? hasCanonicalTail(segment) : isCanonicalBase64url(segment))) {
    throw malformed(`the ${what} is not canonical base64url`);
  }
  const bytes = Buffer.from(segment, "base64url");
  // RFC 7519 §7.2: the JSON must be valid UTF-8. Lossy decoding would let two different signed
  // byte strings read as the same claims (e.g. "admin\xff" and "admin\xfe" both as "admin\uFFFD").
  if (!isUtf8(bytes)) throw malformed(`the ${what} is not valid UTF-8`);
  const text = bytes.toString("utf8");
  const value = parseJsonObject(text);
  if (value === undefined) throw malformed(`the ${what} is not a JSON object`);
  if (countTopLevelMembers(text) !== Object.keys(value).length)
    throw malformed(`the ${what} has a duplicate member`);
  if (Object.hasOwn(value, "__proto__")) throw malformed(`the ${what} has a __proto__ member`);
  return value;
}

/**
 * Splits and decodes a compact JWS strictly, before any crypto: a string of at most `maxBytes`,
 * exactly three non-empty canonical base64url segments (no whitespace, padding or other
 * characters), a header and a payload that are JSON objects without duplicate members.
 * Throws `AuthError` (`ERR_JWT_TOO_LARGE` or `ERR_JWT_MALFORMED`).
 */
export function decodeToken(token: unknown, maxBytes: number = DEFAULT_MAX_TOKEN_BYTES): DecodedToken {
  if (typeof token !== "string") throw malformed("it is not a string");
  // Characters outside ASCII are refused by the segment check; length in UTF-16 units ≥ bytes for ASCII.
  if (token.length > maxBytes) {
    throw new AuthError(AuthErrorCodes.TOO_LARGE, `The token is larger than ${maxBytes} bytes.`);
  }
  const dot1 = token.indexOf(".");
  const dot2 = dot1 < 0 ? -1 : token.indexOf(".", dot1 + 1);
  if (dot2 < 0 || token.indexOf(".", dot2 + 1) >= 0)
    throw malformed("it does not have exactly three segments");
  const h = token.slice(0, dot1);
  const p = token.slice(dot1 + 1, dot2);
  const s = token.slice(dot2 + 1);
  if (h.length === 0 || p.length === 0 || s.length === 0) throw malformed("a segment is empty");
  // One regex over the whole token settles the alphabet for all three segments in the usual case.
  const inAlphabet = COMPACT.test(token);
  const header = decodeJsonSegment(h, "header", inAlphabet);
  const payload = decodeJsonSegment(p, "payload", inAlphabet);
  if (!(inAlphabet ? hasCanonicalTail(s) : isCanonicalBase64url(s))) {
    throw malformed("the signature is not canonical base64url");
  }
  return { header, payload, signingInput: token.slice(0, dot2), signature: Buffer.from(s, "base64url") };
}

/**
 * Decodes without verifying, for display (`gatepass inspect`). Never use the result for a decision.
 */
export function decodeUnverified(
  token: string,
  maxBytes?: number,
): { header: JsonObject; payload: JsonObject } {
  const { header, payload } = decodeToken(token.trim(), maxBytes);
  return { header, payload };
}
