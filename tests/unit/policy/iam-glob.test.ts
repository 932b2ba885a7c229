import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { globTokens, matchIamGlob } from "../../../src/policy/iam-glob.js";
import {
  intersects,
  type LanguageToken,
  literalTokens,
  ONE,
  REST,
  SEGMENT,
  STAR,
} from "../../../src/rules/languages.js";

/** A reference implementation through RegExp, only for tests. */
function tokensToRegExp(tokens: readonly LanguageToken[]): RegExp {
  const body = tokens
    .map((t) => {
      if (t === SEGMENT) return "[^/]+";
      if (t === REST) return "[\\s\\S]+";
      if (t === STAR) return "[\\s\\S]*";
      if (t === ONE) return "[\\s\\S]";
      return String.fromCharCode(t).replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
    })
    .join("");
  return new RegExp(`^${body}$`);
}

describe("matchIamGlob", () => {
  const cases: Array<[string, string, boolean]> = [
    ["a/*", "a/b/c", true], // * spans "/"
    ["a/*", "a/", true], // * may match nothing
    ["a/*/*", "a//", true],
    ["Prod/*/*", "Prod/GET/", true], // root path under …/Prod/*/* (SAM #5777)
    ["a/?", "a/b", true],
    ["a/?", "a/", false], // ? is exactly one character
    ["a/?", "a/bc", false],
    ["a*b*c", "aXbYbZc", true],
    ["a*b", "a", false],
    ["*", "", true],
    ["", "", true],
    ["abc", "ABC", false], // resources are case-sensitive
    ["GET/orders/*/items", "GET/orders/1/2/items", true],
  ];
  for (const [glob, text, expected] of cases) {
    it(`${JSON.stringify(glob)} ${expected ? "matches" : "does not match"} ${JSON.stringify(text)}`, () => {
      assert.equal(matchIamGlob(glob, text), expected);
    });
  }

  it("compares case-insensitively on request (IAM action names)", () => {
    assert.equal(matchIamGlob("execute-api:invoke", "execute-api:Invoke", true), true);
    assert.equal(matchIamGlob("EXECUTE-API:*", "execute-api:Invoke", true), true);
  });

  it("agrees with a regular-expression reference", () => {
    const glob = fc.array(fc.constantFrom("a", "b", "/", "*", "?"), { maxLength: 7 }).map((c) => c.join(""));
    const text = fc.array(fc.constantFrom("a", "b", "/"), { maxLength: 8 }).map((c) => c.join(""));
    fc.assert(
      fc.property(glob, text, (g, t) => {
        assert.equal(matchIamGlob(g, t), tokensToRegExp(globTokens(g)).test(t));
      }),
      { numRuns: 5000 },
    );
  });
});

describe("intersects", () => {
  const lang = (...parts: Array<string | LanguageToken>) =>
    parts.flatMap((p) => (typeof p === "string" ? literalTokens(p) : [p]));

  it("finds the requests a {param} glob adds", () => {
    // GET /orders/{id}/items against the resource of GET /orders/{id}
    assert.equal(intersects(lang("/orders/", SEGMENT, "/items"), globTokens("/orders/*")), true);
    // GET /orders against the resource of GET /orders/{id}: the glob needs the slash
    assert.equal(intersects(lang("/orders"), globTokens("/orders/*")), false);
    // one segment never holds "/"
    assert.equal(intersects(lang("/a/", SEGMENT), globTokens("/a/*/*")), false);
    assert.equal(intersects(lang("/a/", REST), globTokens("/a/*/*")), true);
    assert.equal(intersects(lang("/a/", SEGMENT), globTokens("/a/")), false);
  });

  it("agrees with a brute-force search for small languages", () => {
    const token = fc.constantFrom<LanguageToken>(97, 47, SEGMENT, REST, STAR, ONE);
    const alphabet = ["a", "/"];
    const strings: string[] = [""];
    for (let length = 1; length <= 7; length++) {
      const previous = strings.filter((s) => s.length === length - 1);
      for (const s of previous) for (const c of alphabet) strings.push(s + c);
    }
    fc.assert(
      fc.property(fc.array(token, { maxLength: 3 }), fc.array(token, { maxLength: 3 }), (a, b) => {
        const ra = tokensToRegExp(a);
        const rb = tokensToRegExp(b);
        const witness = strings.some((s) => ra.test(s) && rb.test(s));
        assert.equal(intersects(a, b), witness);
      }),
      { numRuns: 3000 },
    );
  });
});
