/**
 * Claim pointers (RFC 6901) against the RFC's own example (§5) and an independent reference
 * evaluator written here from the RFC text; hostile payloads and prototype reach.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  claimPath,
  MAX_POINTER_DEPTH,
  MAX_POINTER_LENGTH,
  pointerProblem,
  readClaimPath,
  readPointer,
} from "../../../src/util/json-pointer.js";

/** RFC 6901 §5's example document. */
const RFC_DOCUMENT = JSON.parse(`{
  "foo": ["bar", "baz"],
  "": 0,
  "a/b": 1,
  "c%d": 2,
  "e^f": 3,
  "g|h": 4,
  "i\\\\j": 5,
  "k\\"l": 6,
  " ": 7,
  "m~n": 8
}`);

/** RFC 6901 §5's JSON String Representation column (the whole-document pointer "" left out). */
const RFC_VECTORS: ReadonlyArray<[string, unknown]> = [
  ["/foo", ["bar", "baz"]],
  ["/foo/0", "bar"],
  ["/", 0],
  ["/a~1b", 1],
  ["/c%d", 2],
  ["/e^f", 3],
  ["/g|h", 4],
  ["/i\\j", 5],
  ['/k"l', 6],
  ["/ ", 7],
  ["/m~0n", 8],
];

/**
 * The reference: RFC 6901 §3–4 read literally. Split on "/", unescape "~1" then "~0" in each token,
 * walk: objects by own member name, arrays by `0` or a digit string without a leading zero that is
 * less than the length. Written apart from the product (a regular expression over the whole pointer
 * for the syntax, `Object.prototype.hasOwnProperty`, `parseInt`).
 */
function reference(doc: unknown, pointer: string): unknown {
  if (!/^(\/([^~/]|~[01])*)*$/.test(pointer)) throw new Error("not a pointer");
  let node: unknown = doc;
  for (const raw of pointer.split("/").slice(1)) {
    const token = raw.split("~1").join("/").split("~0").join("~");
    if (Array.isArray(node)) {
      if (!(token === "0" || /^[1-9]\d*$/.test(token))) return undefined;
      const index = Number.parseInt(token, 10);
      if (index >= node.length) return undefined;
      node = node[index];
    } else if (node !== null && typeof node === "object") {
      if (token === "__proto__") return undefined; // gatepass never reads this member
      if (!Object.hasOwn(node, token)) return undefined;
      node = (node as Record<string, unknown>)[token];
    } else {
      return undefined;
    }
  }
  return node;
}

const read = (doc: unknown, pointer: string) =>
  readClaimPath(doc as Record<string, unknown>, claimPath(pointer));

describe("RFC 6901 §5 example", () => {
  for (const [pointer, expected] of RFC_VECTORS) {
    test(`${JSON.stringify(pointer)} evaluates to ${JSON.stringify(expected)}`, () => {
      assert.equal(pointerProblem(pointer), null);
      assert.deepEqual(read(RFC_DOCUMENT, pointer), expected);
      assert.deepEqual(reference(RFC_DOCUMENT, pointer), expected);
    });
  }

  test('"~01" is the token "~1" (unescape ~1 first, then ~0), not "/"', () => {
    const doc = { "~1": "tilde-one", "/": "slash" };
    assert.equal(read(doc, "/~01"), "tilde-one");
    assert.equal(read(doc, "/~1"), "slash");
  });
});

describe("array indices", () => {
  const doc = { a: ["x", "y", "z"], n: [[0, [1, 2]]] };
  const cases: ReadonlyArray<[string, unknown]> = [
    ["/a/0", "x"],
    ["/a/2", "z"],
    ["/a/3", undefined],
    ["/a/-", undefined], // RFC 6901 §4: the (nonexistent) element after the last: never matches
    ["/a/01", undefined],
    ["/a/00", undefined],
    ["/a/+1", undefined],
    ["/a/1e0", undefined],
    ["/a/ 1", undefined],
    ["/a/1.0", undefined],
    ["/a/-0", undefined],
    ["/a/0x1", undefined],
    ["/a/length", undefined],
    ["/a/99999999999999999999999", undefined],
    ["/n/0/1/1", 2],
  ];
  for (const [pointer, expected] of cases) {
    test(`${pointer} → ${JSON.stringify(expected)}`, () => {
      assert.deepEqual(read(doc, pointer), expected);
      assert.deepEqual(reference(doc, pointer), expected);
    });
  }

  test('"01" is still an ordinary member name of an object', () => {
    assert.equal(read({ o: { "01": "member" } }, "/o/01"), "member");
  });
});

describe("invalid pointers (cold start)", () => {
  for (const pointer of ["/a~2b", "/a~", "/~", "/a/~x", "/~~1"]) {
    test(`${JSON.stringify(pointer)}: "~" not followed by 0 or 1`, () => {
      assert.match(pointerProblem(pointer) ?? "", /~/);
    });
  }

  test(`depth is capped at ${MAX_POINTER_DEPTH} levels, length at ${MAX_POINTER_LENGTH} characters`, () => {
    assert.equal(pointerProblem("/a".repeat(MAX_POINTER_DEPTH)), null);
    assert.match(pointerProblem("/a".repeat(MAX_POINTER_DEPTH + 1)) ?? "", /levels/);
    assert.equal(pointerProblem(`/${"x".repeat(MAX_POINTER_LENGTH - 1)}`), null);
    assert.match(pointerProblem(`/${"x".repeat(MAX_POINTER_LENGTH)}`) ?? "", /characters/);
  });

  test("control characters and __proto__ members are refused", () => {
    assert.notEqual(pointerProblem("/a\nb"), null);
    assert.notEqual(pointerProblem("/a\u0000"), null);
    assert.notEqual(pointerProblem("/__proto__"), null);
    assert.notEqual(pointerProblem("/a/__proto__/b"), null);
    assert.equal(pointerProblem("/__proto_"), null);
  });
});

describe("prototype reach and hostile payloads", () => {
  test("inherited members never resolve: constructor, toString, __proto__, length", () => {
    const doc = { sub: "abc", groups: ["a"], o: {} };
    for (const pointer of [
      "/constructor",
      "/constructor/prototype",
      "/toString",
      "/hasOwnProperty",
      "/o/constructor/name",
      "/groups/constructor",
      "/groups/map",
      "/sub/length",
      "/sub/0",
      "/valueOf",
    ]) {
      assert.equal(read(doc, pointer), undefined, pointer);
    }
    assert.equal(readPointer(doc, ["__proto__"]), undefined);
    assert.equal(readPointer(doc, ["o", "__proto__", "toString"]), undefined);
  });

  test("an own __proto__ member from JSON is never read; own constructor members are", () => {
    const doc = JSON.parse('{"a":{"__proto__":{"admin":true},"constructor":{"name":"own"}}}');
    assert.equal(readPointer(doc, ["a", "__proto__", "admin"]), undefined);
    assert.equal(readPointer(doc, ["a", "__proto__"]), undefined);
    assert.equal(read(doc, "/a/constructor/name"), "own");
    // A pointer naming __proto__ is a configuration error, and compiles to one that never resolves.
    assert.equal(read(doc, "/a/__proto__/admin"), undefined);
  });

  test("objects with a null prototype, deep nesting and huge arrays: bounded, no throw", () => {
    const bare = Object.assign(Object.create(null), { a: { b: 1 } });
    assert.equal(read(bare, "/a/b"), 1);
    let deep: unknown = "bottom";
    for (let i = 0; i < 10_000; i++) deep = { d: deep };
    assert.equal(typeof read({ x: deep }, `/x${"/d".repeat(MAX_POINTER_DEPTH - 1)}`), "object");
    const big = { a: Array.from({ length: 100_000 }, (_, i) => i) };
    assert.equal(read(big, "/a/99999"), 99_999);
    for (const root of [null, undefined, 7, "s", true, [], [1]]) {
      assert.doesNotThrow(() => read(root, "/a/b"));
      assert.equal(read(root, "/a/b"), undefined);
    }
  });

  test("reading never writes: Object.prototype stays clean", () => {
    const doc = JSON.parse('{"__proto__":{"polluted":1},"a":{"__proto__":{"polluted":2}}}');
    for (const pointer of ["/__proto__/polluted", "/a/__proto__/polluted", "/polluted", "/a/polluted"]) {
      assert.equal(read(doc, pointer), undefined);
    }
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
});

describe("property: agrees with the reference on random documents", () => {
  const key = fc.oneof(
    fc.constantFrom("a", "b", "", "~", "/", "~1", "~0", "0", "01", "-", "constructor", "toString", "length"),
    fc.string({ maxLength: 4 }),
  );
  const doc = fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: "small" },
      fc.constant(null),
      fc.boolean(),
      fc.integer(),
      fc.string({ maxLength: 3 }),
      fc.array(tie("value"), { maxLength: 4 }),
      fc.dictionary(key, tie("value"), { maxKeys: 4 }),
    ),
  })).value;
  const encode = (token: string) => token.replaceAll("~", "~0").replaceAll("/", "~1");
  const pointer = fc
    .array(fc.oneof(key, fc.constantFrom("0", "1", "2", "3", "-", "00")), { minLength: 1, maxLength: 6 })
    .map((tokens) => tokens.map((t) => `/${encode(t)}`).join(""));

  test("readClaimPath(doc, pointer) deep-equals the reference, and never throws", () => {
    fc.assert(
      fc.property(doc, pointer, (d, p) => {
        assert.equal(pointerProblem(p), null);
        assert.deepEqual(read(d, p), reference(d, p));
      }),
      { numRuns: 2000 },
    );
  });

  test("a pointer built from a path that exists finds the value at that path", () => {
    fc.assert(
      fc.property(
        fc.array(
          key.filter((k) => k !== "__proto__"),
          { minLength: 1, maxLength: 5 },
        ),
        fc.jsonValue(),
        (path, leaf) => {
          let built: unknown = leaf;
          for (let i = path.length - 1; i >= 0; i--)
            built = Object.defineProperty({}, path[i]!, { value: built, enumerable: true });
          const p = path.map((t) => `/${encode(t)}`).join("");
          assert.deepEqual(read(built, p), leaf);
        },
      ),
      { numRuns: 500 },
    );
  });
});
