import { DEFAULT_MAX_TOKEN_BYTES, MAX_TOKEN_BYTES_LIMIT } from "../config/fields.js";
import { AuthError, AuthErrorCodes } from "../errors.js";
import { nodeBuffer } from "../util/builtins.js";
import { countTopLevelMembers, type JsonObject, parseJsonObject } from "../util/json.js";

const { isUtf8 } = nodeBuffer;

/** A compact JWS split and decoded, not yet verified. */
export interface DecodedToken {
  readonly header: JsonObject;
  readonly payload: JsonObject;
  /** `base64url(header) "." base64url(payload)`: the bytes the signature covers. */
  readonly signingInput: string;
  readonly signature: Buffer;
}

/** The largest `maxTokenBytes` allowed, and the default cap on a token's size (the configuration's table). */
export { DEFAULT_MAX_TOKEN_BYTES, MAX_TOKEN_BYTES_LIMIT };

const SEGMENT = /^[A-Za-z0-9_-]+$/;

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

/**
 * True when `token` has no character that Node's base64url decoder reads as six bits of data
 * although it is not in the base64url alphabet: `+` and `/` (the standard alphabet), and any
 * character outside ASCII (a UTF-16 unit is truncated to its low byte: `Ł`, U+0141, decodes as
 * `A`). Every other character outside the alphabet (`=`, whitespace, punctuation, controls)
 * yields no data: the decoder skips it or stops there. Three native scans, several times cheaper
 * than a regular expression over the whole token.
 */
function hasNoMisreadCharacter(token: string): boolean {
  return Buffer.byteLength(token) === token.length && token.indexOf("+") < 0 && token.indexOf("/") < 0;
}

/**
 * True when `segment`, which decoded to `decodedLength` bytes, is canonical base64url
 * ({@link isCanonicalBase64url}). `screened`: the token passed {@link hasNoMisreadCharacter}, so
 * each character outside the alphabet yields no data and costs at least one whole byte of output
 * (for a length that is not 1 mod 4); a decoded length of exactly `⌊3·length/4⌋` then proves that
 * every character is in the alphabet, and with the tail check, that the encoding is canonical,
 * without the regular expression. Any doubt goes to the regular expression, which also decides
 * the (rare) tokens that failed the screen.
 */
function isCanonicalSegment(segment: string, decodedLength: number, screened: boolean): boolean {
  if (screened && decodedLength === (segment.length * 3) >> 2 && hasCanonicalTail(segment)) return true;
  return isCanonicalBase64url(segment);
}

const malformed = (why: string) => new AuthError(AuthErrorCodes.MALFORMED, `The token is malformed: ${why}.`);

/**
 * Where the header and the payload are decoded, one after the other, instead of a new Buffer for
 * each: their bytes are read into a string at once, and decoding is synchronous, so no other
 * token can use the buffer in between. Sized for the largest token allowed
 * ({@link MAX_TOKEN_BYTES_LIMIT}); a longer segment (a caller that lifted the cap) gets its own.
 */
const SCRATCH = Buffer.alloc((MAX_TOKEN_BYTES_LIMIT * 3) >> 2);

/**
 * True when the JSON object `text` (already parsed, `keyCount` own keys) has no duplicate
 * top-level member. Cheap proof first: JSON allows only whitespace between a member name and its
 * `:`, so when no `:` in the text follows whitespace, every member of every object puts a `:`
 * right after a `"`. The colons after a `"` are then at least as many as the top-level members,
 * which are at least as many as the keys: a count equal to the key count proves that there is no
 * duplicate. Colons inside strings can only add to the count (most, as in URLs and scopes, follow
 * a letter and are not counted). What the count cannot prove (a nested object, a colon after
 * whitespace) goes to the exact scan, {@link countTopLevelMembers}.
 */
export function hasNoDuplicateMembers(text: string, keyCount: number): boolean {
  let afterQuote = 0;
  for (let i = text.indexOf(":"); i >= 0; i = text.indexOf(":", i + 1)) {
    const before = text.charCodeAt(i - 1);
    if (before === 34 /* " */) {
      if (++afterQuote > keyCount) break;
    } else if (before === 32 || before === 9 || before === 10 || before === 13) {
      afterQuote = -1;
      break;
    }
  }
  return afterQuote === keyCount || countTopLevelMembers(text) === keyCount;
}

function decodeJsonSegment(segment: string, what: "header" | "payload", screened: boolean): JsonObject {
  const buffer = segment.length <= MAX_TOKEN_BYTES_LIMIT ? SCRATCH : Buffer.allocUnsafe(segment.length);
  const length = buffer.write(segment, 0, "base64url");
  if (!isCanonicalSegment(segment, length, screened))
    throw malformed(`the ${what} is not canonical base64url`);
  const text = buffer.toString("utf8", 0, length);
  // RFC 7519 §7.2: the JSON must be valid UTF-8. Lossy decoding would let two different signed
  // byte strings read as the same claims (e.g. "admin\xff" and "admin\xfe" both as "admin\uFFFD").
  // Node's decoder replaces every invalid sequence with U+FFFD, so text without one came from valid
  // UTF-8 (for the usual one-byte string, V8 answers without scanning); only text with a U+FFFD,
  // which valid UTF-8 may also encode, needs the full validation.
  if (text.indexOf("\uFFFD") >= 0 && !isUtf8(buffer.subarray(0, length))) {
    throw malformed(`the ${what} is not valid UTF-8`);
  }
  const value = parseJsonObject(text);
  if (value === undefined) throw malformed(`the ${what} is not a JSON object`);
  if (!hasNoDuplicateMembers(text, Object.keys(value).length)) {
    throw malformed(`the ${what} has a duplicate member`);
  }
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
  const screened = hasNoMisreadCharacter(token);
  const header = decodeJsonSegment(h, "header", screened);
  const payload = decodeJsonSegment(p, "payload", screened);
  // The signature gets a Buffer of its own: it outlives this call (a key fetch may come first).
  const signature = Buffer.from(s, "base64url");
  if (!isCanonicalSegment(s, signature.length, screened)) {
    throw malformed("the signature is not canonical base64url");
  }
  return { header, payload, signingInput: token.slice(0, dot2), signature };
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
