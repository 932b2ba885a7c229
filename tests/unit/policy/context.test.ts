import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  CONTEXT_JSON_KEYS,
  contextStyleFor,
  encodeContext,
  RESERVED_FLAT_CONTEXT_KEYS,
} from "../../../src/policy/context.js";
import { validateAuthorizerResponse } from "../../../src/policy/evaluate.js";

const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value), "utf8");

/** Top-level claim names: a name starting with "/" is a JSON Pointer (contract §2.6), tested apart. */
const topLevelName = (names: fc.Arbitrary<string>) => names.filter((name) => !name.startsWith("/"));

describe("encodeContext", () => {
  const claims = {
    sub: "u1",
    email: null,
    groups: ["admin", "ops"],
    address: { country: "FR" },
    age: 42,
    verified: true,
    "cognito:groups": ["x"],
  };

  it("flat: keeps scalars, writes arrays and objects as JSON text, omits null", () => {
    assert.deepEqual(
      encodeContext(claims, ["sub", "email", "groups", "address", "age", "verified", "missing"], {
        flat: true,
      }),
      {
        context: {
          sub: "u1",
          groups: '["admin","ops"]',
          address: '{"country":"FR"}',
          age: 42,
          verified: true,
          "gatepass:json": '["groups","address","age","verified"]',
        },
        dropped: [],
      },
    );
  });

  it("natural (HTTP payload 2.0): keeps JSON shapes", () => {
    const { context } = encodeContext(claims, ["groups", "address", "email"], { flat: false });
    assert.deepEqual(context, { groups: ["admin", "ops"], address: { country: "FR" } });
  });

  it("keeps claim names verbatim as keys", () => {
    assert.deepEqual(encodeContext(claims, ["cognito:groups"]).context, {
      "cognito:groups": '["x"]',
      "gatepass:json": '["cognito:groups"]',
    });
  });

  it("skips reserved, empty, control-character and __proto__ keys in flat form", () => {
    const hostile = JSON.parse(
      '{"principalId": "p", "claims": "c", "integrationLatency": 1, "": "e", "a\\nb": "x", "__proto__": {"polluted": true}}',
    );
    const { context, dropped } = encodeContext(
      hostile,
      ["principalId", "claims", "integrationLatency", "", "a\nb", "__proto__"],
      { flat: true },
    );
    assert.deepEqual(context, {});
    assert.deepEqual(dropped, ["principalId", "claims", "integrationLatency", "", "a\nb", "__proto__"]);
    assert.equal(Object.getPrototypeOf(context), Object.prototype);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.deepEqual(RESERVED_FLAT_CONTEXT_KEYS, ["principalId", "integrationLatency", "claims"]);
    // Natural contexts live in their own object and reserve nothing but __proto__.
    assert.deepEqual(encodeContext(hostile, ["claims", "__proto__"], { flat: false }), {
      context: { claims: "c" },
      dropped: ["__proto__"],
    });
  });

  it("flat: lists exactly the keys that are not plain strings under gatepass:json", () => {
    const raw = { s: '["admin"]', t: "true", n: 7, b: false, a: [1], o: {} };
    assert.deepEqual(encodeContext(raw, Object.keys(raw)).context, {
      s: '["admin"]',
      t: "true",
      n: 7,
      b: false,
      a: "[1]",
      o: "{}",
      [CONTEXT_JSON_KEYS]: '["n","b","a","o"]',
    });
    // Only plain strings: no list at all.
    assert.deepEqual(encodeContext({ s: "x" }, ["s"]).context, { s: "x" });
    // Natural contexts keep types and need no list.
    assert.deepEqual(encodeContext(raw, Object.keys(raw), { flat: false }).context, raw);
  });

  it("no claim can take the gatepass:json key, in either form", () => {
    const raw = { [CONTEXT_JSON_KEYS]: '["s"]', s: '["admin"]' };
    for (const flat of [true, false]) {
      assert.deepEqual(encodeContext(raw, [CONTEXT_JSON_KEYS, "s"], { flat }), {
        context: { s: '["admin"]' },
        dropped: [CONTEXT_JSON_KEYS],
      });
    }
  });

  it("counts the gatepass:json entry in maxBytes", () => {
    // {"a":1,"gatepass:json":"[\"a\"]"} is 33 bytes; {"a":1} alone would be 7.
    assert.deepEqual(encodeContext({ a: 1 }, ["a"], { maxBytes: 32 }), { context: {}, dropped: ["a"] });
    assert.deepEqual(encodeContext({ a: 1 }, ["a"], { maxBytes: 33 }).context, {
      a: 1,
      [CONTEXT_JSON_KEYS]: '["a"]',
    });
  });

  it("reads own properties only", () => {
    assert.deepEqual(encodeContext(Object.create({ sub: "inherited" }), ["sub", "toString"]).context, {});
  });

  it("omits non-finite numbers and values JSON cannot hold", () => {
    assert.deepEqual(
      encodeContext({ a: Number.NaN, b: Number.POSITIVE_INFINITY, c: 1n, d: () => 1 }, ["a", "b", "c", "d"])
        .context,
      {},
    );
  });

  it("drops claims beyond the size cap, keeping later ones that still fit", () => {
    const big = { a: "x".repeat(50), b: "y".repeat(5000), c: "z" };
    const { context, dropped } = encodeContext(big, ["a", "b", "c"], { maxBytes: 100 });
    assert.deepEqual(context, { a: big.a, c: "z" });
    assert.deepEqual(dropped, ["b"]);
    assert.ok(bytes(context) <= 100);
  });

  it("counts bytes, not characters", () => {
    const { context, dropped } = encodeContext({ name: "é".repeat(40) }, ["name"], { maxBytes: 60 });
    assert.deepEqual(context, {});
    assert.deepEqual(dropped, ["name"]);
  });

  it("property: any JSON claims give a valid flat context within the cap", () => {
    fc.assert(
      fc.property(
        fc.dictionary(topLevelName(fc.string({ maxLength: 12 })), fc.jsonValue()),
        fc.integer({ min: 2, max: 2000 }),
        (raw, maxBytes) => {
          const names = Object.keys(raw);
          const { context, dropped } = encodeContext(raw, names, { flat: true, maxBytes });
          for (const value of Object.values(context)) {
            assert.ok(
              ["string", "number", "boolean"].includes(typeof value),
              `non-scalar ${JSON.stringify(value)}`,
            );
            if (typeof value === "number") assert.ok(Number.isFinite(value));
          }
          assert.ok(bytes(context) <= maxBytes);
          assert.deepEqual(
            validateAuthorizerResponse(
              { principalId: "p", policyDocument: { Version: "2012-10-17", Statement: [] }, context },
              "iam",
              { flatContext: true },
            ),
            [],
          );
          for (const name of dropped) assert.ok(!Object.hasOwn(context, name));
          // Everything present is either in the context or reported as dropped.
          for (const name of names) {
            const value = raw[name];
            if (value === null || value === undefined) continue;
            assert.ok(Object.hasOwn(context, name) || dropped.includes(name), name);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("property: flat contexts keep exactly what a claim-by-claim exact measurement keeps", () => {
    // Reference: add claims in order, measuring the whole context (list included) each time.
    const reference = (raw: Record<string, unknown>, maxBytes: number) => {
      const context: Record<string, unknown> = {};
      const listed: string[] = [];
      const full = (c: Record<string, unknown>, l: string[]) =>
        l.length > 0 ? { ...c, [CONTEXT_JSON_KEYS]: JSON.stringify(l) } : c;
      for (const [name, value] of Object.entries(raw)) {
        if (value === null || name === "__proto__" || name === CONTEXT_JSON_KEYS) continue;
        if (RESERVED_FLAT_CONTEXT_KEYS.includes(name) || /[\u0000-\u001f\u007f]/.test(name) || name === "")
          continue;
        const plain = typeof value === "string";
        const encoded = plain || typeof value !== "object" ? value : JSON.stringify(value);
        const nextContext = { ...context, [name]: encoded };
        const nextListed = plain ? listed : [...listed, name];
        if (bytes(full(nextContext, nextListed)) > maxBytes) continue;
        context[name] = encoded;
        if (!plain) listed.push(name);
      }
      return full(context, listed);
    };
    fc.assert(
      fc.property(
        fc.dictionary(
          topLevelName(fc.string({ maxLength: 12, unit: "binary" })),
          fc.jsonValue({ stringUnit: "binary" }),
          {
            maxKeys: 12,
          },
        ),
        fc.integer({ min: 2, max: 1500 }),
        (raw, maxBytes) => {
          const { context } = encodeContext(raw, Object.keys(raw), { flat: true, maxBytes });
          assert.deepEqual(context, reference(raw, maxBytes));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("property: natural contexts keep JSON values and respect the cap", () => {
    fc.assert(
      fc.property(fc.dictionary(topLevelName(fc.string({ maxLength: 12 })), fc.jsonValue()), (raw) => {
        const { context } = encodeContext(raw, Object.keys(raw), { flat: false, maxBytes: 512 });
        assert.ok(bytes(context) <= 512);
        for (const [key, value] of Object.entries(context)) assert.deepEqual(value, raw[key]);
      }),
      { numRuns: 500 },
    );
  });

  it("knows which APIs take a flat context", () => {
    assert.equal(contextStyleFor("rest"), true);
    assert.equal(contextStyleFor("websocket"), true);
    assert.equal(contextStyleFor("http-v1"), true);
    assert.equal(contextStyleFor("http-v2-simple"), false);
    assert.equal(contextStyleFor("http-v2-iam"), false);
  });
});

describe("encodeContext: the configured list as it is at each call", () => {
  it("a list changed in place after its first use is checked anew", () => {
    const names = ["sub", "principalId"];
    const claims = { sub: "u1", principalId: "p", email: "e@example.com" };
    assert.deepEqual(encodeContext(claims, names, { flat: true }).dropped, ["principalId"]);
    names[1] = "email";
    assert.deepEqual(encodeContext(claims, names, { flat: true }), {
      context: { sub: "u1", email: "e@example.com" },
      dropped: [],
    });
  });

  it("a name listed twice is decided by its first place, in both forms", () => {
    const claims = { sub: "u1", claims: "x", n: 7 };
    for (const flat of [true, false]) {
      const { context, dropped } = encodeContext(claims, ["n", "claims", "n", "claims", "sub"], { flat });
      assert.deepEqual(dropped, flat ? ["claims"] : []);
      assert.deepEqual(
        context,
        flat ? { n: 7, sub: "u1", "gatepass:json": '["n"]' } : { n: 7, claims: "x", sub: "u1" },
      );
    }
  });
});
