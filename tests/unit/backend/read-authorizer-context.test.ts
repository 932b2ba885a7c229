/**
 * `readAuthorizerContext` on hand-built events: the `gatepass:json` list decides which flat values
 * are JSON text; anything forged, malformed or hostile in it (or around it) never throws and leaves
 * the values as delivered (plain strings).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { readAuthorizerContext } from "../../../src/backend/read-authorizer-context.js";
import { encodeContext } from "../../../src/policy/context.js";

/** A REST/WebSocket/1.0 proxy event: API Gateway's principalId and every context value as a string. */
function restEvent(context: Record<string, unknown>, principalId = "p-1"): unknown {
  const authorizer: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(context))
    authorizer[k] = typeof v === "object" && v !== null ? JSON.stringify(v) : String(v);
  authorizer.principalId = principalId;
  authorizer.integrationLatency = 12;
  return { requestContext: { authorizer } };
}

const v2Event = (lambda: unknown) => ({ version: "2.0", requestContext: { authorizer: { lambda } } });

describe("readAuthorizerContext: the gatepass:json list", () => {
  it("decodes exactly the listed keys; others stay strings, even when they look like JSON", () => {
    const read = readAuthorizerContext(
      restEvent({
        groups: '["admin"]',
        roles: '["ops"]',
        n: 7,
        t: "true",
        ok: true,
        "gatepass:json": '["roles","n","ok"]',
      }),
    );
    assert.deepEqual(read, {
      principalId: "p-1",
      claims: { groups: '["admin"]', roles: ["ops"], n: 7, t: "true", ok: true },
    });
  });

  it("without the list, every flat value stays a plain string", () => {
    const read = readAuthorizerContext(restEvent({ groups: '["a"]', n: "7", b: "true", o: "{}" }));
    assert.deepEqual(read.claims, { groups: '["a"]', n: "7", b: "true", o: "{}" });
  });

  const forged: Array<[string, unknown]> = [
    ["not JSON", "[groups"],
    ["truncated", '["groups"'],
    ["an object", '{"groups":true}'],
    ["a string", '"groups"'],
    ["a number", "1"],
    ["null", "null"],
    ["an array with a non-string", '["groups",1]'],
    ["a nested array", '[["groups"]]'],
    ["a non-string value", ["groups"]],
    ["a number value", 5],
    ["an object value", { groups: true }],
    ["empty", ""],
    ["deeply nested", `${"[".repeat(100_000)}${"]".repeat(100_000)}`],
  ];
  for (const [label, list] of forged) {
    it(`a forged list (${label}) decodes nothing`, () => {
      const authorizer = { principalId: "p-1", groups: '["admin"]', n: "7", "gatepass:json": list };
      const read = readAuthorizerContext({ requestContext: { authorizer } });
      assert.deepEqual(read, { principalId: "p-1", claims: { groups: '["admin"]', n: "7" } });
    });
  }

  it("listed keys that are absent, reserved or not JSON text do no harm", () => {
    const authorizer = {
      principalId: "p-1",
      integrationLatency: "3",
      bad: "{not json",
      deep: `${"[".repeat(50_000)}${"]".repeat(50_000)}`,
      proto: '{"__proto__":{"polluted":true}}',
      "gatepass:json":
        '["absent","principalId","integrationLatency","__proto__","bad","deep","proto","gatepass:json"]',
    };
    const read = readAuthorizerContext({ requestContext: { authorizer } });
    assert.equal(read.principalId, "p-1");
    assert.deepEqual(Object.keys(read.claims).sort(), ["bad", "deep", "proto"]);
    assert.equal(read.claims.bad, "{not json");
    assert.ok(Array.isArray(read.claims.deep));
    assert.equal(Object.getPrototypeOf(read.claims.proto), Object.prototype);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it("an inherited list is not a list", () => {
    const authorizer = Object.assign(Object.create({ "gatepass:json": '["n"]' }), {
      principalId: "p",
      n: "7",
    });
    assert.deepEqual(readAuthorizerContext({ requestContext: { authorizer } }).claims, { n: "7" });
  });

  it("HTTP API 2.0: values as delivered; JSON-looking strings stay strings", () => {
    const read = readAuthorizerContext(
      v2Event({
        principalId: "p-2",
        groups: '["admin"]',
        list: ["a"],
        n: 7,
        t: "true",
        integrationLatency: 5,
      }),
    );
    assert.deepEqual(read, {
      principalId: "p-2",
      claims: { groups: '["admin"]', list: ["a"], n: 7, t: "true", integrationLatency: 5 },
    });
  });

  it("never throws, whatever the event", () => {
    fc.assert(
      fc.property(
        fc.anything({ maxDepth: 4, withObjectString: true, withNullPrototype: true }),
        (anything) => {
          for (const event of [
            anything,
            { requestContext: anything },
            { requestContext: { authorizer: anything } },
            { requestContext: { authorizer: { lambda: anything } } },
            {
              requestContext: {
                authorizer: { principalId: anything, "gatepass:json": anything, k: anything },
              },
            },
          ]) {
            const read = readAuthorizerContext(event);
            assert.ok(
              read.principalId === null || (typeof read.principalId === "string" && read.principalId !== ""),
            );
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe("readAuthorizerContext: the principal", () => {
  it("is API Gateway's principalId in flat events, never a claim of that name", () => {
    assert.equal(readAuthorizerContext(restEvent({ sub: "s" }, "real")).principalId, "real");
    // No principalId from API Gateway: no claim (sub) stands in for it.
    const authorizer = { sub: "s", email: "e" };
    assert.equal(readAuthorizerContext({ requestContext: { authorizer } }).principalId, null);
  });

  it("is the principalId the authorizer put in an HTTP API 2.0 context, never sub", () => {
    assert.equal(readAuthorizerContext(v2Event({ principalId: "real", sub: "s" })).principalId, "real");
    assert.equal(readAuthorizerContext(v2Event({ sub: "s" })).principalId, null);
    assert.equal(readAuthorizerContext(v2Event({ principalId: "" })).principalId, null);
    assert.equal(readAuthorizerContext(v2Event({ principalId: ["a"] })).principalId, null);
  });

  it("API Gateway's own principalId wins over the 2.0 context's", () => {
    const event = { requestContext: { authorizer: { principalId: "gw", lambda: { principalId: "ctx" } } } };
    assert.equal(readAuthorizerContext(event).principalId, "gw");
  });
});

describe("encodeContext → API Gateway's stringification → readAuthorizerContext", () => {
  it("property: every flat value delivered reads back with its JSON type", () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ maxLength: 12, unit: "binary" }), fc.jsonValue({ stringUnit: "binary" })),
        fc.integer({ min: 2, max: 3000 }),
        (raw, maxBytes) => {
          const { context } = encodeContext(raw, Object.keys(raw), { flat: true, maxBytes });
          const read = readAuthorizerContext(restEvent(context));
          for (const key of Object.keys(context)) {
            if (key === "gatepass:json") continue;
            assert.deepEqual(read.claims[key], JSON.parse(JSON.stringify(raw[key])), key);
          }
          assert.equal(
            Object.keys(read.claims).length,
            Object.keys(context).length - (context["gatepass:json"] ? 1 : 0),
          );
        },
      ),
      { numRuns: 1000 },
    );
  });
});
