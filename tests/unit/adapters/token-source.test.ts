/**
 * Token extraction: RFC 6750 Bearer parsing edge cases, bare-JWT acceptance, source order and
 * the problem sentences (which must never echo a value).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  extractToken,
  MAX_SOURCE_CHARS,
  type TokenLookup,
  tokenFromAuthorizationToken,
} from "../../../src/adapters/token-source.js";
import type { TokenSource } from "../../../src/config/types.js";
import { JWT } from "./fixtures.js";

/** The token `extractToken` finds in an `Authorization` header holding `value` (RFC 6750 `Bearer` only). */
const parseBearer = (value: unknown) =>
  extractToken([{ kind: "header", name: "authorization" }], {
    header: () => value as string | undefined,
    cookie: () => undefined,
    query: () => undefined,
  }).token;

/** True when `extractToken` takes `value` as a bare compact JWT (from a cookie, where only that is accepted). */
const isCompactJwt = (value: unknown) =>
  typeof value === "string" &&
  extractToken([{ kind: "cookie", name: "session" }], {
    header: () => undefined,
    cookie: () => value as string | undefined,
    query: () => undefined,
  }).token === value;

describe("parseBearer (RFC 6750 §2.1)", () => {
  const accepted: Array<[string, string]> = [
    ["Bearer abc", "abc"],
    ["bearer abc", "abc"],
    ["BEARER abc", "abc"],
    ["bEaReR abc", "abc"],
    [`Bearer ${JWT}`, JWT],
    // b64token: ALPHA DIGIT - . _ ~ + / then trailing '='s.
    ["Bearer a-._~+/Z9==", "a-._~+/Z9=="],
    ["Bearer mF_9.B5f-4.1JqM", "mF_9.B5f-4.1JqM"],
  ];
  for (const [value, token] of accepted) {
    test(`accepts ${JSON.stringify(value)}`, () => assert.equal(parseBearer(value), token));
  }

  const refused: Array<[string, string]> = [
    ["", "empty"],
    ["Bearer", "scheme without a token"],
    ["Bearer ", "scheme and a space, no token"],
    ["Bearer  abc", "two spaces"],
    ["Bearer\tabc", "a tab instead of the space"],
    ["Bearer abc def", "a second token"],
    ["Bearer abc ", "trailing space"],
    [" Bearer abc", "leading space"],
    ["Bearer abc\n", "trailing newline"],
    ["Bearer a=b", "'=' inside the token"],
    ["Bearer =abc", "'=' first"],
    ["Bearer abc,def", "comma (two headers joined)"],
    ["Bearer\u00a0abc", "non-breaking space"],
    ["Bearerabc", "no separator"],
    ["Basic dXNlcjpwYXNz", "Basic scheme"],
    ["Token abc", "another scheme"],
    [JWT, "a bare JWT (no scheme)"],
    ["Bearer ab\u00e9", "non-ASCII in the token"],
  ];
  for (const [value, why] of refused) {
    test(`refuses ${JSON.stringify(value)} (${why})`, () => assert.equal(parseBearer(value), null));
  }

  test("refuses non-strings", () => {
    for (const value of [undefined, null, 1, {}, ["Bearer abc"], true])
      assert.equal(parseBearer(value), null);
  });

  test(`refuses a value longer than ${MAX_SOURCE_CHARS} characters`, () => {
    assert.equal(parseBearer(`Bearer ${"a".repeat(MAX_SOURCE_CHARS)}`), null);
    const longest = `Bearer ${"a".repeat(MAX_SOURCE_CHARS - 7)}`;
    assert.equal(parseBearer(longest), "a".repeat(MAX_SOURCE_CHARS - 7));
  });
});

describe("isCompactJwt", () => {
  test("three base64url segments", () => {
    assert.equal(isCompactJwt(JWT), true);
    assert.equal(isCompactJwt("a.b.c"), true);
    assert.equal(
      isCompactJwt("eyJhbGciOiJub25lIn0.e30."),
      true,
      "empty signature: refused later by the verifier, with its reason",
    );
  });
  test("anything else", () => {
    for (const value of [
      "",
      "a.b",
      "a.b.c.d",
      "a..c",
      ".b.c",
      "a.b.c=",
      "a.b+c.d",
      "a.b/c.d",
      "a b.c.d",
      `Bearer ${JWT}`,
      `${JWT} `,
      7,
      null,
    ]) {
      assert.equal(isCompactJwt(value), false, String(value));
    }
  });
});

/** A lookup over plain maps: header names compared in lower case, like the real one. */
function lookup(parts: {
  headers?: Record<string, string | null>;
  cookies?: Record<string, string | null>;
  query?: Record<string, string | null>;
}): TokenLookup {
  const get = (map: Record<string, string | null> | undefined, name: string) =>
    map && Object.hasOwn(map, name) ? map[name] : undefined;
  return {
    header: (name) => get(parts.headers, name.toLowerCase()),
    cookie: (name) => get(parts.cookies, name),
    query: (name) => get(parts.query, name),
  };
}

const AUTH: TokenSource = { kind: "header", name: "authorization" };
const CUSTOM: TokenSource = { kind: "header", name: "x-api-token" };
const COOKIE: TokenSource = { kind: "cookie", name: "session" };
const QUERY: TokenSource = { kind: "query", name: "access_token" };

describe("extractToken: one source", () => {
  test("Authorization: Bearer only", () => {
    assert.deepEqual(extractToken([AUTH], lookup({ headers: { authorization: `Bearer ${JWT}` } })), {
      token: JWT,
      problem: null,
      code: null,
    });
    assert.deepEqual(extractToken([AUTH], lookup({ headers: { authorization: JWT } })), {
      token: null,
      problem: "Authorization scheme is not Bearer",
      code: "ERR_JWT_MISSING",
    });
    assert.deepEqual(extractToken([AUTH], lookup({ headers: { authorization: "Basic dXNlcjpwYXNz" } })), {
      token: null,
      problem: "Authorization scheme is not Bearer",
      code: "ERR_JWT_MISSING",
    });
    assert.deepEqual(extractToken([AUTH], lookup({ headers: { authorization: `Bearer  ${JWT}` } })), {
      token: null,
      problem: "Authorization header has a malformed Bearer credential",
      code: "ERR_JWT_MISSING",
    });
    assert.deepEqual(extractToken([AUTH], lookup({ headers: { authorization: "Bearer" } })), {
      token: null,
      problem: "Authorization header has a malformed Bearer credential",
      code: "ERR_JWT_MISSING",
    });
  });

  test("a custom header: Bearer or the bare JWT", () => {
    assert.equal(extractToken([CUSTOM], lookup({ headers: { "x-api-token": JWT } })).token, JWT);
    assert.equal(extractToken([CUSTOM], lookup({ headers: { "x-api-token": `Bearer ${JWT}` } })).token, JWT);
    assert.deepEqual(extractToken([CUSTOM], lookup({ headers: { "x-api-token": "secret-api-key" } })), {
      token: null,
      problem: "X-Api-Token header is neither a Bearer credential nor a JWT",
      code: "ERR_JWT_MISSING",
    });
  });

  test("cookie and query: the bare JWT only", () => {
    assert.equal(extractToken([COOKIE], lookup({ cookies: { session: JWT } })).token, JWT);
    assert.equal(extractToken([QUERY], lookup({ query: { access_token: JWT } })).token, JWT);
    assert.deepEqual(extractToken([COOKIE], lookup({ cookies: { session: `Bearer ${JWT}` } })), {
      token: null,
      problem: 'cookie "session" is not a JWT',
      code: "ERR_JWT_MISSING",
    });
    assert.deepEqual(extractToken([QUERY], lookup({ query: { access_token: "abc" } })), {
      token: null,
      problem: 'query parameter "access_token" is not a JWT',
      code: "ERR_JWT_MISSING",
    });
  });

  test("absent, empty, too large", () => {
    assert.deepEqual(extractToken([AUTH], lookup({})), {
      token: null,
      problem: "no Authorization header",
      code: "ERR_JWT_MISSING",
    });
    assert.deepEqual(extractToken([AUTH], lookup({ headers: { authorization: "" } })), {
      token: null,
      problem: "Authorization header is empty",
      code: "ERR_JWT_MISSING",
    });
    assert.deepEqual(extractToken([AUTH], lookup({ headers: { authorization: null } })), {
      token: null,
      problem: "Authorization header too large",
      code: "ERR_JWT_TOO_LARGE",
    });
    const huge = `Bearer ${"a".repeat(MAX_SOURCE_CHARS)}`;
    assert.deepEqual(extractToken([AUTH], lookup({ headers: { authorization: huge } })), {
      token: null,
      problem: "Authorization header too large",
      code: "ERR_JWT_TOO_LARGE",
    });
  });

  test("problems never echo the value", () => {
    const secret = "Basic c2VjcmV0LXZhbHVlLTEyMzQ1";
    for (const source of [AUTH, CUSTOM, COOKIE, QUERY]) {
      const { problem } = extractToken(
        [source],
        lookup({
          headers: { authorization: secret, "x-api-token": secret },
          cookies: { session: secret },
          query: { access_token: secret },
        }),
      );
      assert.ok(problem !== null && !problem.includes("c2VjcmV0"), String(problem));
    }
  });

  test("no usable configuration: no sources, junk entries", () => {
    assert.deepEqual(extractToken([], lookup({})), {
      token: null,
      problem: "no token source configured",
      code: "ERR_JWT_MISSING",
    });
    assert.deepEqual(extractToken(null as unknown as TokenSource[], lookup({})), {
      token: null,
      problem: "no token source configured",
      code: "ERR_JWT_MISSING",
    });
    const junk = [null, 3, { kind: "header" }, { kind: "body", name: "x" }] as unknown as TokenSource[];
    assert.equal(extractToken(junk, lookup({ headers: { authorization: `Bearer ${JWT}` } })).token, null);
  });
});

describe("extractToken: source order", () => {
  const all = lookup({
    headers: { authorization: `Bearer ${JWT}` },
    cookies: { session: `${JWT}c` },
    query: { access_token: `${JWT}q` },
  });

  test("the first configured source that is present wins", () => {
    assert.equal(extractToken([AUTH, COOKIE, QUERY], all).token, JWT);
    assert.equal(extractToken([COOKIE, AUTH, QUERY], all).token, `${JWT}c`);
    assert.equal(extractToken([QUERY, COOKIE, AUTH], all).token, `${JWT}q`);
  });

  test("an absent source is skipped", () => {
    const l = lookup({ cookies: { session: JWT } });
    assert.deepEqual(extractToken([AUTH, COOKIE], l), { token: JWT, problem: null, code: null });
  });

  test("an empty source is skipped (API Gateway treats empty as missing)", () => {
    const l = lookup({ headers: { authorization: "" }, cookies: { session: JWT } });
    assert.deepEqual(extractToken([AUTH, COOKIE], l), { token: JWT, problem: null, code: null });
  });

  test("a present but malformed source decides: no fall-through to the next one", () => {
    const l = lookup({ headers: { authorization: "Basic dXNlcjpwYXNz" }, cookies: { session: JWT } });
    assert.deepEqual(extractToken([AUTH, COOKIE], l), {
      token: null,
      problem: "Authorization scheme is not Bearer",
      code: "ERR_JWT_MISSING",
    });
  });

  test("nothing present: every source named", () => {
    assert.deepEqual(extractToken([AUTH, COOKIE, QUERY], lookup({})), {
      token: null,
      problem: 'no Authorization header, no cookie "session", no query parameter "access_token"',
      code: "ERR_JWT_MISSING",
    });
  });

  test("nothing present but one empty: that one is named", () => {
    const l = lookup({ cookies: { session: "" } });
    assert.deepEqual(extractToken([AUTH, COOKIE], l), {
      token: null,
      problem: 'cookie "session" is empty',
      code: "ERR_JWT_MISSING",
    });
  });
});

describe("tokenFromAuthorizationToken (REST TOKEN)", () => {
  test("Bearer or the bare JWT", () => {
    assert.deepEqual(tokenFromAuthorizationToken(`Bearer ${JWT}`), { token: JWT, problem: null, code: null });
    assert.deepEqual(tokenFromAuthorizationToken(`bearer ${JWT}`), { token: JWT, problem: null, code: null });
    assert.deepEqual(tokenFromAuthorizationToken(JWT), { token: JWT, problem: null, code: null });
  });
  test("anything else has a problem", () => {
    assert.deepEqual(tokenFromAuthorizationToken(""), {
      token: null,
      problem: "authorizationToken is empty",
      code: "ERR_JWT_MISSING",
    });
    assert.deepEqual(tokenFromAuthorizationToken("Basic dXNlcjpwYXNz"), {
      token: null,
      problem: "authorizationToken is neither a Bearer credential nor a JWT",
      code: "ERR_JWT_MISSING",
    });
    assert.deepEqual(tokenFromAuthorizationToken(`Bearer\t${JWT}`), {
      token: null,
      problem: "authorizationToken has a malformed Bearer credential",
      code: "ERR_JWT_MISSING",
    });
    assert.deepEqual(tokenFromAuthorizationToken(`Bearer ${JWT} x`), {
      token: null,
      problem: "authorizationToken has a malformed Bearer credential",
      code: "ERR_JWT_MISSING",
    });
    assert.deepEqual(tokenFromAuthorizationToken(42), {
      token: null,
      problem: "no authorizationToken",
      code: "ERR_JWT_MISSING",
    });
    assert.deepEqual(tokenFromAuthorizationToken(`${"a".repeat(MAX_SOURCE_CHARS)}.b.c`), {
      token: null,
      problem: "authorizationToken too large",
      code: "ERR_JWT_TOO_LARGE",
    });
  });
});

describe("reason codes of the problems", () => {
  const AUTH: TokenSource = { kind: "header", name: "authorization" };
  const COOKIE: TokenSource = { kind: "cookie", name: "session" };
  const lookup = (values: Record<string, string | null>): TokenLookup => ({
    header: (name) => values[`h:${name}`],
    cookie: (name) => values[`c:${name}`],
    query: () => undefined,
  });

  test("each problem carries its reason code: ERR_JWT_TOO_LARGE for an oversized value, ERR_JWT_MISSING otherwise", () => {
    const huge = `Bearer ${"a".repeat(MAX_SOURCE_CHARS)}`;
    const cases: Array<[ReturnType<typeof extractToken>, string]> = [
      [extractToken([AUTH], lookup({ "h:authorization": huge })), "ERR_JWT_TOO_LARGE"],
      [extractToken([AUTH], lookup({ "h:authorization": null })), "ERR_JWT_TOO_LARGE"],
      [
        extractToken([COOKIE], lookup({ "c:session": "x".repeat(MAX_SOURCE_CHARS + 1) })),
        "ERR_JWT_TOO_LARGE",
      ],
      [extractToken([AUTH], lookup({})), "ERR_JWT_MISSING"],
      [extractToken([AUTH], lookup({ "h:authorization": "" })), "ERR_JWT_MISSING"],
      [extractToken([AUTH], lookup({ "h:authorization": "Basic abc" })), "ERR_JWT_MISSING"],
      [extractToken([COOKIE], lookup({ "c:session": "not a jwt" })), "ERR_JWT_MISSING"],
      [extractToken([], lookup({})), "ERR_JWT_MISSING"],
      [tokenFromAuthorizationToken("x".repeat(MAX_SOURCE_CHARS + 1)), "ERR_JWT_TOO_LARGE"],
      [tokenFromAuthorizationToken(undefined), "ERR_JWT_MISSING"],
      [tokenFromAuthorizationToken("Basic abc"), "ERR_JWT_MISSING"],
    ];
    for (const [result, code] of cases) {
      assert.equal(result.token, null);
      assert.equal(result.code, code, String(result.problem));
    }
    assert.equal(extractToken([AUTH], lookup({ "h:authorization": `Bearer ${JWT}` })).code, null);
  });
});
