/**
 * The fast paths of src/token/decode.ts against a reference: the straightforward strict decoder
 * (a regular expression for the base64url alphabet, a full UTF-8 validation, the exact member
 * count of countTopLevelMembers). For every input, both must give the same result: the same
 * header, payload, signing input and signature, or the same error code and message. The fast
 * paths may only save work, never change an answer.
 */
import assert from "node:assert/strict";
import { isUtf8 } from "node:buffer";
import { describe, test } from "node:test";
import fc from "fast-check";
import { AuthError, AuthErrorCodes } from "../../../src/errors.js";
import { decodeToken, hasNoDuplicateMembers, MAX_TOKEN_BYTES_LIMIT } from "../../../src/token/decode.js";
import { countTopLevelMembers } from "../../../src/util/json.js";
import { b64url, craftToken, testKey } from "../../helpers/keys.js";

// --- the reference decoder -------------------------------------------------------------------

const SEGMENT = /^[A-Za-z0-9_-]+$/;
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

function referenceCanonical(s: string): boolean {
  if (!SEGMENT.test(s)) return false;
  const rem = s.length % 4;
  if (rem === 1) return false;
  if (rem === 0) return true;
  const last = ALPHABET.indexOf(s.at(-1)!);
  return rem === 2 ? (last & 0x0f) === 0 : (last & 0x03) === 0;
}

const refMalformed = (why: string) =>
  new AuthError(AuthErrorCodes.MALFORMED, `The token is malformed: ${why}.`);

function referenceJson(segment: string, what: string): Record<string, unknown> {
  if (!referenceCanonical(segment)) throw refMalformed(`the ${what} is not canonical base64url`);
  const bytes = Buffer.from(segment, "base64url");
  if (!isUtf8(bytes)) throw refMalformed(`the ${what} is not valid UTF-8`);
  const text = bytes.toString("utf8");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw refMalformed(`the ${what} is not a JSON object`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw refMalformed(`the ${what} is not a JSON object`);
  }
  if (countTopLevelMembers(text) !== Object.keys(value).length) {
    throw refMalformed(`the ${what} has a duplicate member`);
  }
  if (Object.hasOwn(value, "__proto__")) throw refMalformed(`the ${what} has a __proto__ member`);
  return value as Record<string, unknown>;
}

function referenceDecode(token: string, maxBytes = 8192) {
  if (token.length > maxBytes) {
    throw new AuthError(AuthErrorCodes.TOO_LARGE, `The token is larger than ${maxBytes} bytes.`);
  }
  const parts = token.split(".");
  if (parts.length !== 3) throw refMalformed("it does not have exactly three segments");
  const [h, p, s] = parts as [string, string, string];
  if (h === "" || p === "" || s === "") throw refMalformed("a segment is empty");
  const header = referenceJson(h, "header");
  const payload = referenceJson(p, "payload");
  if (!referenceCanonical(s)) throw refMalformed("the signature is not canonical base64url");
  return { header, payload, signingInput: `${h}.${p}`, signature: Buffer.from(s, "base64url") };
}

type Outcome = { ok: true; value: unknown } | { ok: false; code: string; message: string };

function outcome(decode: () => unknown): Outcome {
  try {
    return { ok: true, value: decode() };
  } catch (error) {
    assert.ok(error instanceof AuthError, `not an AuthError: ${String(error)}`);
    return { ok: false, code: error.code, message: error.message };
  }
}

/** decodeToken and the reference agree on `token`. */
function assertSame(token: string, maxBytes?: number): void {
  const expected = outcome(() => referenceDecode(token, maxBytes));
  const actual = outcome(() => decodeToken(token, maxBytes));
  assert.deepEqual(actual, expected, `token ${JSON.stringify(token.slice(0, 200))}`);
}

// --- inputs ----------------------------------------------------------------------------------

const hs = testKey("HS256");
const es = testKey("ES256");
const claims = {
  iss: "https://id.example.com/",
  aud: "orders-api",
  sub: "user-4711",
  scope: "orders:read orders:write",
  groups: ["staff"],
  exp: 2_000_000_000,
};
const latin1 = (text: string) => Buffer.from(text, "latin1").toString("base64url");

/** Valid and nearly valid tokens, each exercising a branch of the fast paths. */
const BASES: string[] = [
  craftToken({ alg: "HS256", typ: "JWT" }, claims, { key: hs }),
  craftToken({ alg: "ES256", kid: es.kid }, claims, { key: es }),
  craftToken({ alg: "HS256" }, { ...claims, name: "Zoë 😀", note: "a \uFFFD literally" }, { key: hs }),
  craftToken('{ "alg" : "HS256" }', '{\n "sub" : "x",\t"a":{"b":1,"b":2}, "c": "\\":" }', { key: hs }),
  craftToken('{"alg":"HS256"}', '{"sub":"x","sub":"y"}', { key: hs }),
  craftToken('{"alg":"HS256"}', '{"sub":"x","\\u0073ub":"y"}', { key: hs }),
  craftToken('{"alg":"HS256"}', '{"a":"\\\\","a":1}', { key: hs }),
  craftToken('{"alg":"HS256"}', '{"__proto__":{"admin":true}}', { key: hs }),
  craftToken('{"alg":"HS256"}', "[1,2]", { key: hs }),
  // invalid UTF-8 (a lone continuation byte), and invalid UTF-8 next to a real U+FFFD
  `${b64url('{"alg":"HS256"}')}.${latin1('{"sub":"x\x80"}')}.${b64url("sig")}`,
  `${b64url('{"alg":"HS256"}')}.${latin1('{"sub":"\xef\xbf\xbd\xc3"}')}.${b64url("sig")}`,
  `${latin1('{"alg":"\xff"}')}.${b64url(claims)}.${b64url("sig")}`,
];

/** Characters that must never pass for base64url, including those Node's decoder misreads. */
const HOSTILE = [
  "+",
  "/",
  "=",
  " ",
  "\n",
  "\t",
  "\r",
  "\u0000",
  "%",
  "*",
  "~",
  ".",
  "é",
  "\u0080",
  "\u00ff",
  "Ł", // U+0141: low byte "A"
  "\u0100",
  "\u0130", // low byte "0"
  "\u012d", // low byte "-"
  "\u015f", // low byte "_"
  "\u0161", // low byte "a"
  "\uff21", // fullwidth A
  "\uFFFD",
  "😀",
  "\ud800",
];

describe("decodeToken fast paths agree with the reference decoder", () => {
  test("on the base tokens", () => {
    for (const token of BASES) assertSame(token);
  });

  test("every character outside the alphabet, put in place of a character of each segment", () => {
    const chars = [...HOSTILE, ...Array.from({ length: 128 }, (_, c) => String.fromCharCode(c))];
    for (const base of BASES.slice(0, 3)) {
      const dots = [base.indexOf("."), base.lastIndexOf(".")];
      // the first, a middle and the last character of each segment
      const positions = [
        0,
        dots[0]! >> 1,
        dots[0]! - 1,
        dots[0]! + 1,
        dots[1]! - 1,
        dots[1]! + 1,
        base.length - 1,
      ];
      for (const at of positions) {
        for (const c of chars) {
          assertSame(base.slice(0, at) + c + base.slice(at + 1));
          assertSame(base.slice(0, at) + c + base.slice(at));
        }
      }
    }
  });

  test("every possible last character of each segment (canonical trailing bits)", () => {
    const base = BASES[0]!;
    const [h, p, s] = base.split(".") as [string, string, string];
    for (const c of ALPHABET) {
      assertSame(`${h.slice(0, -1)}${c}.${p}.${s}`);
      assertSame(`${h}.${p.slice(0, -1)}${c}.${s}`);
      assertSame(`${h}.${p}.${s.slice(0, -1)}${c}`);
      // and with one more or one fewer character, so every length mod 4 is covered
      assertSame(`${h}${c}.${p}.${s}`);
      assertSame(`${h}.${p}${c}.${s}`);
      assertSame(`${h}.${p}.${s}${c}`);
      assertSame(`${h}.${p.slice(0, -2)}${c}.${s}`);
    }
  });

  test("random edits of valid tokens (fast-check)", () => {
    const edit = fc.record({
      base: fc.constantFrom(...BASES),
      at: fc.nat(),
      remove: fc.nat({ max: 3 }),
      insert: fc.array(fc.oneof(fc.constantFrom(...HOSTILE), fc.constantFrom(...ALPHABET)), { maxLength: 3 }),
    });
    fc.assert(
      fc.property(edit, ({ base, at, remove, insert }) => {
        const i = at % (base.length + 1);
        assertSame(base.slice(0, i) + insert.join("") + base.slice(i + remove));
      }),
      { numRuns: 3000 },
    );
  });

  test("arbitrary JSON objects and texts as header and payload (fast-check)", () => {
    const text = fc.oneof(
      fc.json(),
      fc.jsonValue().map((v) => JSON.stringify(v, null, 1)),
      fc.string({ unit: "binary" }),
      fc.dictionary(fc.constantFrom("a", "b", "\\u0061", "exp", "__proto__"), fc.jsonValue()).map(
        (o) =>
          // members written by hand, so names may repeat (and be spelled with escapes)
          `{${Object.entries(o)
            .flatMap(([k, v]) => [`"${k}":${JSON.stringify(v)}`, `"a" :${JSON.stringify(v)}`])
            .join(",")}}`,
      ),
    );
    fc.assert(
      fc.property(text, text, fc.uint8Array({ minLength: 1, maxLength: 70 }), (h, p, sig) => {
        assertSame(`${b64url(h)}.${b64url(p)}.${b64url(sig)}`);
      }),
      { numRuns: 3000 },
    );
  });

  test("segments longer than the shared buffer (a caller that lifted the size cap)", () => {
    const big = craftToken(
      { alg: "HS256" },
      { ...claims, pad: "x".repeat(MAX_TOKEN_BYTES_LIMIT) },
      { key: hs },
    );
    assertSame(big, big.length);
    assertSame(big.replace(".", "+."), big.length + 1);
    // and the shared buffer still decodes the next, small token correctly
    assertSame(BASES[0]!);
  });
});

describe("hasNoDuplicateMembers", () => {
  for (const [text, expected] of [
    ["{}", true],
    ['{"a":1}', true],
    ['{"a":1,"a":2}', false],
    ['{"a":1,"\\u0061":2}', false],
    ['{"a":{"b":1,"b":2}}', true],
    ['{"a":{"b":1},"a":2}', false],
    ['{"a":[{"b":1},{"b":1}],"c":2}', true],
    ['{"a":"x\\":y","b":"{\\"c\\":1}"}', true],
    ['{"a":"\\":","a":1}', false],
    ['{"a":"\\":\\":\\":","b":1}', true],
    ['{"a" :1,"a":2}', false],
    ['{"a":1,"a"\n:2}', false],
    ['{"a":1,"a"\t:2}', false],
    ['{"a":1,"a"\r\n :2}', false],
    ['{"a":"x :y","b":1}', true],
    ['{"url":"https://x","url":"https://y"}', false],
    ['{"url":"https://x","urn":"urn:a:b:c"}', true],
    ['{"a":"\\\\","a":1}', false],
    ['{"a":"\\\\","b":1}', true],
    ['{"a":":","b":":"}', true],
    [' { "a" : { "a" : 1 } , "b" : [ ":" ] } ', true],
  ] as Array<[string, boolean]>) {
    test(`${JSON.stringify(text)} → ${expected ? "no duplicate" : "a duplicate"}`, () => {
      const keys = Object.keys(JSON.parse(text)).length;
      assert.equal(hasNoDuplicateMembers(text, keys), expected);
      assert.equal(countTopLevelMembers(text) === keys, expected, "the exact scan disagrees");
    });
  }

  test("agrees with the exact scan on arbitrary objects with repeated names (fast-check)", () => {
    const name = fc.constantFrom('"a"', '"b"', '"\\u0061"', '"a\\""', '"\\\\"', '":"', '"{"');
    const ws = fc.constantFrom("", "", "", " ", "\n", "\t ", "\r\n");
    const value = fc.oneof(
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc.constantFrom('":"', '"\\":"', '{"a":1,"a":2}', '["\\"a\\":"]', '"https://x"'),
    );
    const member = fc.tuple(ws, name, ws, ws, value).map(([w1, n, w2, w3, v]) => `${w1}${n}${w2}:${w3}${v}`);
    fc.assert(
      fc.property(fc.array(member, { maxLength: 8 }), ws, (members, w) => {
        const text = `${w}{${members.join(",")}}${w}`;
        const keys = Object.keys(JSON.parse(text)).length;
        assert.equal(hasNoDuplicateMembers(text, keys), countTopLevelMembers(text) === keys, text);
      }),
      { numRuns: 5000 },
    );
  });
});
