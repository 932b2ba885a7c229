/**
 * Strict compact-JWS parsing (src/token/decode.ts), below the verifier: canonical base64url,
 * segment structure, size cap, JSON shape, and messages that never echo the token.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { AuthErrorCodes } from "../../../src/errors.js";
import {
  DEFAULT_MAX_TOKEN_BYTES,
  decodeToken,
  decodeUnverified,
  isCanonicalBase64url,
} from "../../../src/token/decode.js";
import { countTopLevelMembers } from "../../../src/util/json.js";
import { assertAuthError, b64url, craftToken, testKey } from "../../helpers/keys.js";

const hs = testKey("HS256");
const claims = { sub: "someone", exp: 2_000_000_000, marker: "SENSITIVE-CLAIM-VALUE" };

describe("isCanonicalBase64url", () => {
  test("accepts the canonical encoding of every length 1..64 of random bytes", () => {
    for (let n = 1; n <= 64; n++) {
      const encoded = Buffer.from(Array.from({ length: n }, (_, i) => (i * 37 + n) & 0xff)).toString(
        "base64url",
      );
      assert.equal(isCanonicalBase64url(encoded), true, encoded);
    }
  });

  for (const [what, value] of [
    ["the empty string", ""],
    ["padding", "QQ=="],
    ["one padding char", "QUI="],
    ["'+'", "a+bc"],
    ["'/'", "a/bc"],
    ["a space", "ab cd"],
    ["a newline", "ab\ncd"],
    ["a length of 1 mod 4", "QUJDR"],
    ["non-zero unused bits (2 chars)", "QR"],
    ["non-zero unused bits (3 chars)", "QUJ"],
    ["a non-ASCII letter", "QUé"],
    ["a dot", "QU.J"],
  ] as Array<[string, string]>) {
    test(`refuses ${what}`, () => {
      assert.equal(isCanonicalBase64url(value), false);
    });
  }

  test("each byte string has exactly one accepted encoding (2 and 3 char tails)", () => {
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    for (const prefix of ["Q", "QU"]) {
      const accepted = [...alphabet].filter((c) => isCanonicalBase64url(`${prefix}${c}`));
      assert.equal(accepted.length, prefix.length === 1 ? 4 : 16);
      const decoded = new Set(accepted.map((c) => Buffer.from(`${prefix}${c}`, "base64url").toString("hex")));
      assert.equal(decoded.size, accepted.length, "two accepted encodings decode to the same bytes");
    }
  });
});

describe("decodeToken", () => {
  test("returns header, payload, the exact signing input and the signature bytes", () => {
    const token = craftToken({ alg: "HS256", typ: "JWT" }, claims, { key: hs });
    const decoded = decodeToken(token);
    assert.deepEqual(decoded.header, { alg: "HS256", typ: "JWT" });
    assert.deepEqual(decoded.payload, claims);
    assert.equal(decoded.signingInput, token.slice(0, token.lastIndexOf(".")));
    assert.equal(decoded.signature.length, 32);
    assert.equal(decoded.signature.toString("base64url"), token.split(".")[2]);
  });

  test("the default size cap is 8192 bytes and is inclusive", async () => {
    assert.equal(DEFAULT_MAX_TOKEN_BYTES, 8192);
    let token = "";
    for (let n = 5000; token.length < 8192; n++) {
      token = craftToken({ alg: "HS256" }, { ...claims, pad: "x".repeat(n) }, { key: hs });
    }
    if (token.length === 8192) decodeToken(token);
    else await assertAuthError(() => decodeToken(token), AuthErrorCodes.TOO_LARGE);
    const fits = craftToken({ alg: "HS256" }, claims, { key: hs });
    decodeToken(fits, fits.length);
    await assertAuthError(() => decodeToken(fits, fits.length - 1), AuthErrorCodes.TOO_LARGE);
  });

  test("the size check comes first: an oversized garbage string is TOO_LARGE, not MALFORMED", async () => {
    await assertAuthError(() => decodeToken("@".repeat(9000)), AuthErrorCodes.TOO_LARGE);
  });

  test("decodes a header and payload with insignificant JSON whitespace (RFC 7515 allows it)", () => {
    const token = `${b64url('{ "alg" :\t"HS256" }')}.${b64url('\r\n{"exp": 1}\n')}.AAAA`;
    const decoded = decodeToken(token);
    assert.equal(decoded.header.alg, "HS256");
    assert.equal(decoded.payload.exp, 1);
  });

  test("a payload with a BOM is not a JSON object", async () => {
    const token = `${b64url('{"alg":"HS256"}')}.${b64url('\uFEFF{"exp":1}')}.AAAA`;
    await assertAuthError(() => decodeToken(token), AuthErrorCodes.MALFORMED);
  });

  test("error messages never contain the token or its segments", () => {
    const token = craftToken({ alg: "HS256" }, claims, { key: hs });
    const [h, p, s] = token.split(".") as [string, string, string];
    const broken = [
      `${token}.x`,
      `${h}.${p}`,
      `${h}.${p}.${s}=`,
      `${h} .${p}.${s}`,
      `${h}.${b64url('{"a":1,"a":2}')}.${s}`,
      `${h}.${b64url("[1]")}.${s}`,
      `${h}.${p}.${s}`.repeat(200),
    ];
    for (const t of broken) {
      try {
        decodeToken(t);
        assert.fail(`accepted ${t.slice(0, 40)}`);
      } catch (error) {
        const message = (error as Error).message;
        assert.equal((error as Error).name, "AuthError");
        assert.ok(!message.includes(p) && !message.includes(s) && !message.includes(h), message);
        assert.ok(!message.includes("SENSITIVE"), message);
        assert.ok(!message.includes("\n"), message);
      }
    }
  });
});

describe("decodeUnverified", () => {
  test("trims surrounding whitespace (display only) and returns header and payload", () => {
    const token = craftToken({ alg: "HS256" }, claims, { key: hs });
    const { header, payload } = decodeUnverified(`  ${token}\n`);
    assert.equal(header.alg, "HS256");
    assert.equal(payload.sub, "someone");
  });

  test("still refuses inner whitespace and bad shapes", async () => {
    await assertAuthError(() => decodeUnverified("a b.c.d"), AuthErrorCodes.MALFORMED);
  });
});

describe("countTopLevelMembers (duplicate detection)", () => {
  for (const [text, count] of [
    ["{}", 0],
    ['{"a":1}', 1],
    ['{"a":1,"a":2}', 2],
    ['{"a":{"b":1,"c":2},"d":[{"e":1}]}', 2],
    ['{"a":"x,\\"y\\":1","b":2}', 2],
    ['{"a\\"":1,"b":[",\\"c\\":"]}', 2],
    [' { "a" : 1 ,\r\n\t"b" : 2 } ', 2],
    ['{"a":"\\\\","b":1}', 2],
  ] as Array<[string, number]>) {
    test(`${text} has ${count} top-level members`, () => {
      JSON.parse(text);
      assert.equal(countTopLevelMembers(text), count);
    });
  }
});
