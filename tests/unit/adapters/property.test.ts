/**
 * Properties (fast-check): for any value, and for fixtures mutated at random (any value anywhere,
 * null maps, prototype keys, token-looking strings in odd places), `toAuthRequest` never throws,
 * always answers a well-formed result, and never yields a token that is not in the event's own
 * string values.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { toAuthRequest } from "../../../src/adapters/detect.js";
import { MAX_SOURCE_CHARS } from "../../../src/adapters/token-source.js";
import type { AuthRequest, UnrecognizedEvent } from "../../../src/adapters/types.js";
import type { TokenSource } from "../../../src/config/types.js";
import { FIXTURES, loadEvent } from "./fixtures.js";

const KINDS = new Set(["rest-token", "rest-request", "http-v1", "http-v2", "websocket"]);

const SOURCE_POOL: TokenSource[] = [
  { kind: "header", name: "authorization" },
  { kind: "header", name: "x-api-token" },
  { kind: "header", name: "__proto__" },
  { kind: "cookie", name: "session" },
  { kind: "cookie", name: "constructor" },
  { kind: "query", name: "access_token" },
  { kind: "query", name: "toString" },
];
const sourcesArb = fc
  .subarray(SOURCE_POOL, { minLength: 1 })
  .chain((s) => fc.shuffledSubarray(s, { minLength: s.length }));

/** Every own string value in `value`, at any depth (keys excluded: a token never comes from a key). */
function ownStrings(value: unknown, out: string[] = [], seen = new Set<unknown>()): string[] {
  if (typeof value === "string") out.push(value);
  else if (typeof value === "object" && value !== null && !seen.has(value)) {
    seen.add(value);
    for (const key of Object.keys(value)) ownStrings((value as Record<string, unknown>)[key], out, seen);
  }
  return out;
}

function checkResult(event: unknown, sources: readonly TokenSource[]): void {
  const result = toAuthRequest(event, sources);
  if (result.kind === null) {
    assert.equal(typeof (result as UnrecognizedEvent).missing, "string");
    return;
  }
  const r = result as AuthRequest;
  assert.ok(KINDS.has(r.kind));
  assert.equal(typeof r.arn, "string");
  for (const field of [r.method, r.path, r.routeKey]) assert.ok(field === null || typeof field === "string");
  if (r.token === null) {
    assert.equal(typeof r.tokenProblem, "string");
    assert.ok((r.tokenProblem as string).length > 0);
  } else {
    assert.equal(r.tokenProblem, null);
    assert.ok(r.token.length > 0 && r.token.length <= MAX_SOURCE_CHARS);
    const token = r.token;
    assert.ok(
      ownStrings(event).some((s) => s.includes(token)),
      "the token must come from a string value of the event",
    );
  }
}

const b64 = fc.stringMatching(/^[A-Za-z0-9_-]{1,12}$/);
const jwtArb = fc.tuple(b64, b64, b64).map(([a, b, c]) => `${a}.${b}.${c}`);
const tokenishArb = fc.oneof(
  jwtArb,
  jwtArb.map((t) => `Bearer ${t}`),
  jwtArb.map((t) => `bearer  ${t}`),
  jwtArb.map((t) => `session=${t}`),
  jwtArb.map((t) => [`Bearer ${t}`]),
  jwtArb.map((t) => ({ authorization: `Bearer ${t}`, session: t })),
);
const hostileArb = fc.oneof(
  fc.anything({
    withNullPrototype: true,
    withBoxedValues: true,
    withMap: true,
    withSet: true,
    withSparseArray: true,
  }),
  fc.constantFrom(null, undefined, [], {}, 0, "", "TOKEN", "REQUEST", "2.0", "1.0", "$connect"),
  tokenishArb,
);
const keyArb = fc.oneof(
  fc.constantFrom(
    "__proto__",
    "constructor",
    "toString",
    "Authorization",
    "authorization",
    "AUTHORIZATION",
    "Cookie",
  ),
  fc.constantFrom(
    "cookie",
    "cookies",
    "session",
    "access_token",
    "x-api-token",
    "headers",
    "multiValueHeaders",
  ),
  fc.constantFrom(
    "queryStringParameters",
    "multiValueQueryStringParameters",
    "requestContext",
    "version",
    "type",
  ),
  fc.string({ maxLength: 12 }),
);

type Mutation = { op: "set" | "delete" | "define" | "assign"; pick: number; key: string; value: unknown };
const mutationArb: fc.Arbitrary<Mutation> = fc.record({
  op: fc.constantFrom("set", "delete", "define", "assign"),
  pick: fc.nat(),
  key: keyArb,
  value: hostileArb,
});

/** Every object inside `value` (including itself), to pick a mutation target from. */
function objects(value: unknown, out: Array<Record<string, unknown>> = []): Array<Record<string, unknown>> {
  if (typeof value === "object" && value !== null) {
    out.push(value as Record<string, unknown>);
    for (const key of Object.keys(value)) objects((value as Record<string, unknown>)[key], out);
  }
  return out;
}

function mutate(event: Record<string, unknown>, mutations: readonly Mutation[]): Record<string, unknown> {
  // Targets are the fixture's own objects only: generated values are shared with fast-check's
  // shrinking, so they must never be modified in place.
  const targets = objects(event);
  for (const m of mutations) {
    const target = targets[m.pick % targets.length]!;
    const keys = Object.keys(target);
    const existing = keys.length > 0 ? keys[m.pick % keys.length]! : m.key;
    switch (m.op) {
      case "set":
        target[existing] = m.value;
        break;
      case "delete":
        delete target[existing];
        break;
      case "define":
        // An own property even for "__proto__", as JSON.parse makes it. An array's `length` cannot
        // be redefined: the mutation is skipped (it threw here, failing the property for the harness's sake).
        try {
          Object.defineProperty(target, m.key, {
            value: m.value,
            enumerable: true,
            configurable: true,
            writable: true,
          });
        } catch {
          // The event stays as it is.
        }
        break;
      case "assign":
        // Plain assignment: `__proto__` changes the prototype; the adapters must not read through it.
        try {
          target[m.key] = m.value;
        } catch {
          // Frozen or exotic targets may refuse; the event stays as it is.
        }
        break;
    }
  }
  return event;
}

describe("properties", () => {
  test("any value: never throws, well-formed answer, no invented token", () => {
    fc.assert(
      fc.property(hostileArb, sourcesArb, (event, sources) => checkResult(event, sources)),
      { numRuns: 500 },
    );
  });

  test("any JSON value: same", () => {
    fc.assert(
      fc.property(fc.jsonValue(), sourcesArb, (event, sources) => checkResult(event, sources)),
      { numRuns: 300 },
    );
  });

  test("a mutation the harness cannot apply (an array's length redefined) leaves the event as it is", () => {
    const event = loadEvent("websocket-connect");
    const before = JSON.stringify(event);
    const arrays = objects(event).filter(Array.isArray);
    assert.ok(arrays.length > 0, "the fixture has an array to aim at");
    const pick = objects(event).indexOf(arrays[0]!);
    assert.doesNotThrow(() => mutate(event, [{ op: "define", pick, key: "length", value: null }]));
    assert.equal(JSON.stringify(event), before);
  });

  test("fixtures mutated at random: same", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...FIXTURES),
        fc.array(mutationArb, { minLength: 1, maxLength: 6 }),
        sourcesArb,
        (name, mutations, sources) => checkResult(mutate(loadEvent(name), mutations), sources),
      ),
      { numRuns: Number(process.env.FC_RUNS ?? 1000) },
    );
  });

  test("a Bearer JWT under any spelling of Authorization in a REST event is found exactly", () => {
    fc.assert(
      fc.property(jwtArb, fc.array(fc.boolean(), { minLength: 13, maxLength: 13 }), (jwt, upper) => {
        const name = [..."authorization"].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join("");
        const event = loadEvent("rest-request");
        event.headers = { [name]: `Bearer ${jwt}` };
        event.multiValueHeaders = { [name]: [`Bearer ${jwt}`] };
        const r = toAuthRequest(event, [{ kind: "header", name: "authorization" }]) as AuthRequest;
        assert.equal(r.token, jwt);
      }),
      { numRuns: 200 },
    );
  });
});
