/**
 * Fuzzing the handler (fast-check): arbitrary values as events, real fixtures with fields mutated,
 * deleted or set to junk, and arbitrary strings as tokens. Whatever comes in:
 * - without a valid token, the answer is always exactly `Error("Unauthorized")` (never an Allow,
 *   never a response at all, never another error);
 * - with a valid token somewhere in a mangled event, any answer is a valid response for the
 *   event's own ARN, or `Error("Unauthorized")`;
 * - nothing ever rejects unhandled, and every invocation logs exactly one decision line.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import fc from "fast-check";
import {
  assertUnauthorizedError,
  assertValidResponse,
  contractConfig,
  FIXTURE_NAMES,
  FIXTURE_RULES,
  fixtureEvent,
  flipSignatureBit,
  GRANTING_SCOPE,
  invoke,
  makeHandler,
  mint,
  SECRET,
  secretsOf,
  type TestHandler,
} from "../contract/helpers.js";
import { b64url } from "../helpers/keys.js";

const RUNS = Number(process.env.FUZZ_RUNS ?? 400);

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
before(() => process.on("unhandledRejection", onUnhandled));
after(() => process.off("unhandledRejection", onUnhandled));

const SOURCES = ["header:authorization", "query:access_token", "cookie:session", "header:x-token"];
const HANDLERS: Record<string, TestHandler> = {
  open: makeHandler(contractConfig({ tokenSources: SOURCES })),
  "open, httpApi iam": makeHandler(contractConfig({ tokenSources: SOURCES, httpApi: { response: "iam" } })),
  "ruled, unmatched deny": makeHandler(
    contractConfig({ tokenSources: SOURCES, routes: FIXTURE_RULES, unmatchedRoutes: "deny" }),
  ),
};
/** A handler picked by name, so that a counterexample prints short. */
const handlerArb = fc.constantFrom(...Object.keys(HANDLERS));

const VALID = mint("RS256", { sub: "fuzz-user", scope: GRANTING_SCOPE, groups: ["staff"] });
const VALID_HS = mint("HS256", { sub: "fuzz-user-2", email: "f@example.com" });

/** Calls the handler and demands exactly `Error("Unauthorized")` and one decision line. */
async function mustBeUnauthorized(handlerName: string, event: unknown): Promise<void> {
  const h = HANDLERS[handlerName]!;
  const from = h.logger.lines.length;
  let response: unknown;
  try {
    response = await h.handler(event);
  } catch (error) {
    assertUnauthorizedError(error);
    const decisions = h.logger.lines.slice(from).filter((l) => l.event === "decision");
    assert.equal(decisions.length, 1);
    assert.equal(decisions[0]!.outcome, "unauthorized");
    assert.ok(!JSON.stringify(h.logger.lines.slice(from)).includes(SECRET));
    return;
  }
  assert.fail(`answered ${JSON.stringify(response)} without a valid token`);
}

/** Calls the handler; any answer must be valid for the event, else exactly `Error("Unauthorized")`. */
async function mustBeValidOrUnauthorized(handlerName: string, event: unknown, token: string): Promise<void> {
  const h = HANDLERS[handlerName]!;
  const from = h.logger.lines.length;
  const outcome = await invoke(h.handler, event);
  const decisions = h.logger.lines.slice(from).filter((l) => l.event === "decision");
  assert.equal(decisions.length, 1);
  for (const secret of secretsOf(token))
    assert.ok(!JSON.stringify(h.logger.lines.slice(from)).includes(secret), "a secret in the logs");
  if (outcome.status === 401) return;
  assertValidResponse(outcome.response, event, { httpApi: h.httpApi, secrets: secretsOf(token) });
}

// ---------------------------------------------------------------------------------------------
// Generators

const junk = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom<unknown>(
      null,
      "",
      [],
      {},
      0,
      true,
      "Bearer ",
      "Bearer",
      "TOKEN",
      "REQUEST",
      "1.0",
      "2.0",
      "$connect",
      "CONNECT",
      "__proto__",
      "arn:aws:execute-api:us-east-1:123456789012:abc/prod/GET/",
      "arn:aws-cn:execute-api:cn-north-1:123456789012:abc/$default/$connect",
      "arn:aws:execute-api:us-east-1:123456789012:abc/prod/GET/a*b",
      "arn:aws:s3:::bucket",
      `arn:aws:execute-api:us-east-1:123456789012:abc/prod/GET/${"x".repeat(2000)}`,
      ["Bearer a", "Bearer b"],
      { Authorization: ["Bearer x"] },
    ),
  },
);

type Path = Array<string | number>;

/** Every path to a value inside `root` (not the root itself). */
function pathsOf(root: unknown): Path[] {
  const out: Path[] = [];
  const walk = (value: unknown, path: Path) => {
    if (Array.isArray(value)) {
      value.forEach((v, i) => {
        out.push([...path, i]);
        walk(v, [...path, i]);
      });
    } else if (typeof value === "object" && value !== null) {
      for (const key of Object.keys(value)) {
        out.push([...path, key]);
        walk((value as Record<string, unknown>)[key], [...path, key]);
      }
    }
  };
  walk(root, []);
  return out;
}

type Mutation =
  | { readonly at: number; readonly op: "delete" }
  | { readonly at: number; readonly op: "set"; readonly value: unknown }
  | { readonly at: number; readonly op: "add"; readonly key: string; readonly value: unknown };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ at: fc.nat(), op: fc.constant("delete" as const) }),
  fc.record({ at: fc.nat(), op: fc.constant("set" as const), value: junk }),
  fc.record({
    at: fc.nat(),
    op: fc.constant("add" as const),
    key: fc.oneof(
      fc.constantFrom(
        "version",
        "type",
        "routeArn",
        "methodArn",
        "authorizationToken",
        "__proto__",
        "constructor",
      ),
      fc.string({ maxLength: 12 }),
    ),
    value: junk,
  }),
);

/**
 * Applies mutations in order to a JSON copy of `event` (own properties only, as `JSON.parse` makes
 * them). Values are copied in, so constants shared between runs are never mutated (nor made cyclic).
 */
function mutate(event: Record<string, unknown>, mutations: readonly Mutation[]): unknown {
  const root: { event: unknown } = { event: JSON.parse(JSON.stringify(event)) };
  for (const original of mutations) {
    const m = "value" in original ? { ...original, value: structuredClone(original.value) } : original;
    const paths = pathsOf(root).filter((p) => p.length > 0);
    const path = paths[m.at % paths.length]!;
    // biome-ignore lint/suspicious/noExplicitAny: walking a JSON value by an arbitrary path.
    let parent: any = root;
    for (const key of path.slice(0, -1)) parent = parent[key];
    const last = path.at(-1)!;
    if (m.op === "delete") {
      if (path.length === 1) root.event = undefined;
      else if (Array.isArray(parent)) parent.splice(last as number, 1);
      else delete parent[last];
    } else if (m.op === "set") {
      parent[last] = m.value;
    } else {
      const target = parent[last];
      if (typeof target === "object" && target !== null && !Array.isArray(target))
        Object.defineProperty(target, m.key, {
          value: m.value,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      else parent[last] = m.value;
    }
  }
  return root.event;
}

const fixtureArb = fc.constantFrom(...FIXTURE_NAMES);
const base64urlSegment = fc.stringMatching(/^[A-Za-z0-9_-]{0,40}$/);

/** Strings that are not a valid token for any configured issuer. */
const badToken = fc.oneof(
  fc.string({ unit: "binary", maxLength: 80 }),
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.tuple(base64urlSegment, base64urlSegment, base64urlSegment).map((s) => s.join(".")),
  // Well-formed JSON segments with arbitrary content and a junk signature, alg none included.
  fc
    .tuple(
      fc.oneof(
        fc.jsonValue({ maxDepth: 2 }),
        fc.record({ alg: fc.constantFrom("none", "HS256", "RS256", "NONE") }),
      ),
      fc.jsonValue({ maxDepth: 2 }),
      base64urlSegment,
    )
    .map(([h, p, s]) => `${b64url(JSON.stringify(h))}.${b64url(JSON.stringify(p))}.${s}`),
  // The valid token, changed by one character (or cut, or extended).
  fc
    .tuple(
      fc.nat(),
      fc.string({ unit: "binary", minLength: 1, maxLength: 3 }),
      fc.constantFrom(VALID, VALID_HS),
    )
    .map(([i, s, t]) => {
      const at = i % t.length;
      const out = t.slice(0, at) + s + t.slice(at + 1);
      return out === t ? `${t}x` : out;
    }),
  fc.constantFrom(VALID, VALID_HS).map((t) => flipSignatureBit(t)),
  fc.constantFrom(VALID, VALID_HS).map((t) => t.slice(0, t.lastIndexOf("."))),
  fc.constantFrom(VALID, VALID_HS).map((t) => `${t}.${t.split(".")[2]}`),
);

// ---------------------------------------------------------------------------------------------

describe("fuzzing the handler", () => {
  test("arbitrary JSON values and arbitrary JS values as events → exactly Error('Unauthorized')", async () => {
    await fc.assert(
      fc.asyncProperty(handlerArb, fc.jsonValue({ maxDepth: 4 }), async (h, event) =>
        mustBeUnauthorized(h, event),
      ),
      { numRuns: RUNS },
    );
    await fc.assert(
      fc.asyncProperty(
        handlerArb,
        fc.anything({
          maxDepth: 3,
          withNullPrototype: true,
          withObjectString: true,
          withBoxedValues: true,
          withMap: true,
        }),
        async (h, event) => mustBeUnauthorized(h, event),
      ),
      { numRuns: RUNS },
    );
  });

  test("fixtures with an arbitrary string as the token, and mutated fields → exactly Error('Unauthorized')", async () => {
    await fc.assert(
      fc.asyncProperty(
        handlerArb,
        fixtureArb,
        badToken,
        fc.array(mutation, { maxLength: 4 }),
        async (h, fixture, token, mutations) => {
          await mustBeUnauthorized(h, mutate(fixtureEvent(fixture, token), mutations));
        },
      ),
      { numRuns: RUNS },
    );
  });

  test("REST TOKEN events with an arbitrary authorizationToken → exactly Error('Unauthorized')", async () => {
    await fc.assert(
      fc.asyncProperty(
        handlerArb,
        badToken,
        fc.constantFrom("", "Bearer ", "bearer ", "Bearer  ", "Basic ", "JWT "),
        async (h, token, scheme) => {
          await mustBeUnauthorized(h, {
            ...fixtureEvent("rest-token", "x"),
            authorizationToken: scheme + token,
          });
        },
      ),
      { numRuns: RUNS },
    );
  });

  test("fixtures holding a valid token, with fields mutated, deleted or set to junk → a valid response or Error('Unauthorized')", async () => {
    let answered = 0;
    await fc.assert(
      fc.asyncProperty(
        handlerArb,
        fixtureArb,
        fc.constantFrom(VALID, VALID_HS),
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        async (h, fixture, token, mutations) => {
          const event = mutate(fixtureEvent(fixture, token), mutations);
          const lines = HANDLERS[h]!.logger.lines;
          const before = lines.length;
          await mustBeValidOrUnauthorized(h, event, token);
          if (lines.slice(before).some((l) => l.event === "decision" && l.outcome !== "unauthorized"))
            answered++;
        },
      ),
      { numRuns: RUNS },
    );
    // Most single mutations leave the event answerable: the responses were really checked.
    assert.ok(answered > RUNS / 4, `only ${answered} answered`);
  });

  test("events that throw when read (getters, proxies) → exactly Error('Unauthorized')", async () => {
    const h = "open";
    const throwing = new Proxy(
      {},
      {
        get() {
          throw new Error("boom");
        },
        has() {
          throw new Error("boom");
        },
        ownKeys() {
          throw new Error("boom");
        },
        getOwnPropertyDescriptor() {
          throw new Error("boom");
        },
        getPrototypeOf() {
          throw new Error("boom");
        },
      },
    );
    const getter = Object.defineProperty({ ...fixtureEvent("rest-token", VALID) }, "methodArn", {
      enumerable: true,
      get() {
        throw new Error("boom");
      },
    });
    const headers = { ...fixtureEvent("rest-request", VALID) };
    Object.defineProperty(headers, "headers", {
      enumerable: true,
      get() {
        throw new Error("boom");
      },
    });
    const inherited = Object.create({ type: "TOKEN", authorizationToken: `Bearer ${VALID}` });
    inherited.methodArn = "arn:aws:execute-api:us-east-1:123456789012:abc/prod/GET/";
    const protoJson = JSON.parse(
      `{"__proto__": {"type": "TOKEN", "authorizationToken": "Bearer ${VALID}"}, "methodArn": "arn:aws:execute-api:us-east-1:123456789012:abc/prod/GET/"}`,
    );
    for (const event of [throwing, getter, headers, inherited, protoJson]) await mustBeUnauthorized(h, event);
  });

  test("a cyclic event (not JSON, but a JS object) holding a valid token is still answered", async () => {
    for (const fixture of FIXTURE_NAMES) {
      const event = fixtureEvent(fixture, VALID);
      event.self = event;
      if (typeof event.requestContext === "object" && event.requestContext !== null)
        (event.requestContext as Record<string, unknown>).parent = event;
      await mustBeValidOrUnauthorized("open", event, VALID);
      const lines = HANDLERS.open!.logger.lines;
      assert.equal(lines.at(-1)?.outcome, "allow", `${fixture}: ${JSON.stringify(lines.at(-1))}`);
    }
  });

  test("no unhandled rejection was seen", async () => {
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(unhandled, []);
  });
});
