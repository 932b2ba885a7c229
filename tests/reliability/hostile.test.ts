/**
 * Hostile tokens and events through the **handler** (`createAuthorizer`), as API Gateway calls it.
 *
 * - The committed corpus `tests/fixtures/hostile/*.json` (written by `make-hostile-corpus.ts` with
 *   the fixed test keys under `tests/fixtures/hostile/keys/`): every case is sent as a REST `TOKEN`
 *   event and as an HTTP API 2.0 event, and must give exactly what the corpus says — `throw
 *   Error("Unauthorized")` with the expected reason in the decision log line, or (controls) an Allow.
 * - Key-header attacks built at run time against a live local "attacker" server, which must see no
 *   request at all; the only URL the authorizer ever fetches is the configured JWKS.
 * - A fast-check property: byte and character mutations, deletions, insertions, truncations and
 *   segment splices of valid tokens never produce an Allow, and never an unexpected error.
 *
 * Unit tests of the verifier (tests/unit/token/attacks.test.ts, fuzz.test.ts) cover the same classes
 * one level down; here the event adapters, the token extraction, the four key sources, the rules and
 * the logging are all in the path, so a refusal must survive the whole handler.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import fc from "fast-check";
import { createAuthorizer } from "../../src/lambda/authorizer.js";
import { createMemoryLogger } from "../../src/log.js";
import { validateAuthorizerResponse } from "../../src/policy/evaluate.js";
import { referenceEvaluate } from "../helpers/iam-reference.js";
import { b64url } from "../helpers/keys.js";
import {
  buildCorpus,
  type Expectation,
  goodClaims,
  type HostileCase,
  hostileConfig,
  keyHeaderCases,
  legit,
  loadKeys,
  METHOD_ARN,
  NOW_MS,
  readCorpus,
  trustedJwks,
} from "./make-hostile-corpus.js";
import { type CountingServer, installCrashGuard, json, startCountingServer } from "./support.js";

const keys = loadKeys();
const corpus = readCorpus();

type Kind = "rest-token" | "http-v2";

/** The event API Gateway would send for `token` in the `Authorization` header. */
function eventFor(kind: Kind, token: string): Record<string, unknown> {
  const credential = `Bearer ${token}`;
  if (kind === "rest-token") return { type: "TOKEN", authorizationToken: credential, methodArn: METHOD_ARN };
  return {
    version: "2.0",
    type: "REQUEST",
    routeArn: METHOD_ARN,
    identitySource: [credential],
    routeKey: "GET /orders/{id}",
    rawPath: "/prod/orders/42",
    rawQueryString: "",
    headers: { authorization: credential, host: "h0st1le0ap.execute-api.eu-west-1.amazonaws.com" },
    requestContext: {
      accountId: "123456789012",
      apiId: "h0st1le0ap",
      http: { method: "GET", path: "/prod/orders/42", protocol: "HTTP/1.1", sourceIp: "198.51.100.7" },
      routeKey: "GET /orders/{id}",
      stage: "prod",
    },
  };
}

let jwksServer: CountingServer;
let attacker: CountingServer;
const fetched: string[] = [];
let jwksUrl = "";
const logger = createMemoryLogger();
let handler: ReturnType<typeof createAuthorizer>;
let tokensTried = 0;
const guard = installCrashGuard();

before(async () => {
  jwksServer = await startCountingServer((_req, res) => json(res, trustedJwks(keys)));
  attacker = await startCountingServer((_req, res) => json(res, { keys: [keys.attackerEc.publicJwk] }));
  jwksUrl = `${jwksServer.url}/jwks.json`;
  // Every URL the authorizer asks for is recorded; anything but the configured JWKS fails.
  const recordingFetch: typeof fetch = async (input, init) => {
    const url = String(input instanceof Request ? input.url : input);
    fetched.push(url);
    if (url !== jwksUrl) throw new TypeError("fetch failed: not the configured JWKS");
    return fetch(input, init);
  };
  handler = createAuthorizer(hostileConfig(keys, jwksUrl), {
    now: () => NOW_MS,
    logger,
    sharedKeyCache: false,
    fetch: recordingFetch,
  });
  await handler.hydrate();
});

after(async () => {
  await jwksServer.close();
  await attacker.close();
  guard.uninstall();
  assert.deepEqual(guard.problems, [], "no unhandled rejection or uncaught exception");
});

interface Answer {
  readonly outcome: "allow" | "deny" | "unauthorized" | "error";
  readonly reason: unknown;
  readonly detail: string;
  readonly problems: string[];
  readonly log: string;
}

/** Calls the handler once and classifies the answer; `problems` lists contract violations. */
async function answer(event: unknown, kind: Kind | "other"): Promise<Answer> {
  logger.lines.length = 0;
  tokensTried += 1;
  const problems: string[] = [];
  let outcome: Answer["outcome"];
  try {
    const response = (await handler(event)) as Record<string, unknown>;
    if ("isAuthorized" in response) {
      outcome = response.isAuthorized === true ? "allow" : "deny";
      problems.push(...validateAuthorizerResponse(response, "simple", { flatContext: false }));
    } else {
      const verdict = referenceEvaluate(response.policyDocument, METHOD_ARN);
      outcome = verdict === "allow" ? "allow" : "deny";
      problems.push(...validateAuthorizerResponse(response, "iam", { flatContext: kind !== "http-v2" }));
    }
  } catch (error) {
    outcome = "unauthorized";
    if (!(error instanceof Error) || error.message !== "Unauthorized") {
      outcome = "error";
      problems.push(`threw ${String(error)} instead of Error("Unauthorized")`);
    }
  }
  const decisions = logger.lines.filter((line) => line.event === "decision");
  if (decisions.length !== 1) problems.push(`expected one decision log line, got ${decisions.length}`);
  const line = decisions.at(-1);
  return {
    outcome,
    reason: line?.reason,
    detail: String(line?.detail ?? ""),
    problems,
    log: JSON.stringify(logger.lines),
  };
}

function check(name: string, got: Answer, expect: Expectation, token?: string): void {
  assert.deepEqual(got.problems, [], `${name}: ${got.problems.join("; ")}`);
  if (expect === "allow") {
    assert.equal(
      got.outcome,
      "allow",
      `${name}: expected an Allow, got ${got.outcome} (${String(got.reason)}: ${got.detail})`,
    );
  } else {
    assert.equal(got.outcome, "unauthorized", `${name}: expected 401, got ${got.outcome}`);
    assert.equal(
      got.reason,
      expect,
      `${name}: expected ${expect}, got ${String(got.reason)} (${got.detail})`,
    );
  }
  if (token !== undefined) {
    // Never the token in a log line: not whole, and not its signature.
    const signature = token.slice(token.lastIndexOf(".") + 1);
    if (token.length >= 40) assert.ok(!got.log.includes(token), `${name}: the token is in the log`);
    if (signature.length >= 40)
      assert.ok(!got.log.includes(signature), `${name}: the signature is in the log`);
  }
}

const label = (c: HostileCase) => (c.bug ? `[bug: ${c.bug}] ${c.name}` : c.name);

describe("hostile corpus through the handler", () => {
  for (const [file, content] of Object.entries(corpus)) {
    describe(`${file}.json (${content.class}; RFC 8725 ${content.rfc8725.map((s) => `§${s}`).join(", ") || "n/a"})`, () => {
      for (const c of content.cases) {
        const expected = c.expect === "allow" ? "allow" : `401 ${c.expect}`;
        test(`${label(c)} → ${expected}`, async () => {
          if (c.event !== undefined) {
            check(c.name, await answer(c.event, "other"), c.expect);
            return;
          }
          assert.ok(c.token !== undefined, "a case has a token or an event");
          for (const kind of ["rest-token", "http-v2"] as const) {
            check(`${c.name} [${kind}]`, await answer(eventFor(kind, c.token), kind), c.expect, c.token);
          }
        });
      }
    });
  }

  test("the committed corpus is current: regenerating it gives the same cases and expectations", () => {
    const fresh = buildCorpus(keys);
    assert.deepEqual(Object.keys(corpus).sort(), Object.keys(fresh).sort(), "same files");
    for (const [file, content] of Object.entries(fresh)) {
      const shape = (cases: HostileCase[]) => cases.map((c) => [c.name, c.expect, c.issuer, c.bug ?? null]);
      assert.deepEqual(
        shape(corpus[file]!.cases),
        shape(content.cases),
        `${file}.json is stale: rerun make-hostile-corpus.ts`,
      );
    }
  });

  test("the corpus covers every attack class it claims, with controls that pass", () => {
    const all = Object.values(corpus).flatMap((f) => f.cases);
    const refused = all.filter((c) => c.expect !== "allow");
    const controls = all.filter((c) => c.expect === "allow");
    assert.ok(refused.length >= 450, `${refused.length} hostile cases`);
    assert.ok(controls.length >= 20, `${controls.length} controls`);
    for (const reason of [
      "ERR_JWT_MALFORMED",
      "ERR_JWT_TOO_LARGE",
      "ERR_JWT_ALGORITHM_NOT_ALLOWED",
      "ERR_JWT_SIGNATURE_INVALID",
      "ERR_JWT_EXPIRED",
      "ERR_JWT_NOT_YET_VALID",
      "ERR_JWT_IAT_INVALID",
      "ERR_JWT_ISSUER_INVALID",
      "ERR_JWT_AUDIENCE_INVALID",
      "ERR_JWT_CLAIM_MISSING",
      "ERR_JWT_CLAIM_INVALID",
      "ERR_JWT_CRIT_UNSUPPORTED",
      "ERR_KEY_NOT_FOUND",
      "ERR_JWT_MISSING",
      "ERR_EVENT_UNSUPPORTED",
      "ERR_EVENT_INVALID_ARN",
    ]) {
      assert.ok(
        refused.some((c) => c.expect === reason),
        `no case expects ${reason}`,
      );
    }
  });
});

describe("key headers against a live attacker server", () => {
  test("jku, x5u, jwk and x5c naming a local server: every token refused or ignored, the server sees 0 requests", async () => {
    const cases = keyHeaderCases(keys, attacker.url);
    for (const c of cases) {
      for (const kind of ["rest-token", "http-v2"] as const) {
        check(`${c.name} [${kind}]`, await answer(eventFor(kind, c.token!), kind), c.expect, c.token);
      }
    }
    assert.equal(attacker.requests, 0, "the attacker's server was contacted");
  });

  test("the authorizer only ever fetched the configured JWKS URL, at most twice (hydrate + one unknown-kid refetch)", () => {
    assert.ok(fetched.length >= 1, "hydrate fetched the JWKS");
    assert.deepEqual([...new Set(fetched)], [jwksUrl]);
    assert.ok(jwksServer.requests <= 2, `the JWKS server saw ${jwksServer.requests} requests`);
    assert.deepEqual([...jwksServer.paths.keys()], ["/jwks.json"]);
  });
});

describe("hostile sizes built at run time (too big to commit)", () => {
  test("a 1 MiB token of nested arrays → 401, quickly", async () => {
    const token = `${b64url({ alg: "RS256" })}.${b64url(`{"x":${"[".repeat(400_000)}${"]".repeat(400_000)}}`)}.AAAA`;
    const started = performance.now();
    for (const kind of ["rest-token", "http-v2"] as const) {
      const got = await answer(eventFor(kind, token), kind);
      assert.equal(got.outcome, "unauthorized");
      assert.match(String(got.reason), /^ERR_JWT_(TOO_LARGE|MISSING)$/);
    }
    assert.ok(performance.now() - started < 500, "refused without parsing");
  });
});

describe("property: mutated valid tokens never get an Allow", () => {
  const pool = [
    legit(keys, "rs"),
    legit(keys, "jwks"),
    legit(keys, "hs"),
    legit(keys, "remote"),
    legit(keys, "rs", goodClaims("rs", { sub: "alice", scope: "orders:read orders:write" })),
  ];
  const valid = new Set(pool);
  const BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

  /** A mutation of one pool token: bytes of a decoded segment, characters, structure, or splices. */
  const mutated = fc.oneof(
    // flip bits of one byte of one decoded segment, re-encoded canonically
    fc
      .tuple(fc.nat(pool.length - 1), fc.nat(2), fc.nat(100_000), fc.integer({ min: 1, max: 255 }))
      .map(([t, seg, at, xor]) => {
        const parts = pool[t]!.split(".");
        const bytes = Buffer.from(parts[seg]!, "base64url");
        const i = at % bytes.length;
        bytes[i] = bytes[i]! ^ xor;
        parts[seg] = bytes.toString("base64url");
        return parts.join(".");
      }),
    // insert bytes into a decoded segment
    fc
      .tuple(
        fc.nat(pool.length - 1),
        fc.nat(2),
        fc.nat(100_000),
        fc.uint8Array({ minLength: 1, maxLength: 4 }),
      )
      .map(([t, seg, at, extra]) => {
        const parts = pool[t]!.split(".");
        const bytes = Buffer.from(parts[seg]!, "base64url");
        const i = at % (bytes.length + 1);
        parts[seg] = Buffer.concat([bytes.subarray(0, i), extra, bytes.subarray(i)]).toString("base64url");
        return parts.join(".");
      }),
    // delete bytes from a decoded segment
    fc
      .tuple(fc.nat(pool.length - 1), fc.nat(2), fc.nat(100_000), fc.integer({ min: 1, max: 8 }))
      .map(([t, seg, at, n]) => {
        const parts = pool[t]!.split(".");
        const bytes = Buffer.from(parts[seg]!, "base64url");
        const i = at % bytes.length;
        parts[seg] = Buffer.concat([bytes.subarray(0, i), bytes.subarray(i + n)]).toString("base64url");
        return parts.join(".");
      }),
    // replace one character of the compact text by another base64url character
    fc.tuple(fc.nat(pool.length - 1), fc.nat(100_000), fc.constantFrom(...BASE64URL)).map(([t, at, c]) => {
      const token = pool[t]!;
      const i = at % token.length;
      return token[i] === "." ? token : token.slice(0, i) + c + token.slice(i + 1);
    }),
    // insert or delete characters of the compact text (any printable ASCII)
    fc
      .tuple(
        fc.nat(pool.length - 1),
        fc.nat(100_000),
        fc.string({ unit: "binary-ascii", minLength: 0, maxLength: 3 }),
        fc.integer({ min: 0, max: 3 }),
      )
      .map(([t, at, insert, remove]) => {
        const token = pool[t]!;
        const i = at % token.length;
        return token.slice(0, i) + insert + token.slice(i + remove);
      }),
    // swap two segments of one token, or splice segments of different tokens
    fc
      .tuple(fc.nat(pool.length - 1), fc.nat(pool.length - 1), fc.nat(pool.length - 1), fc.nat(5))
      .map(([a, b, c, order]) => {
        const pa = pool[a]!.split(".");
        const pb = pool[b]!.split(".");
        const pc = pool[c]!.split(".");
        const orders = [
          [pa[0], pb[1], pc[2]],
          [pa[1], pa[0], pa[2]],
          [pa[0], pa[2], pa[1]],
          [pa[2], pa[1], pa[0]],
          [pa[0], pa[1], pb[2]],
          [pb[0], pa[1], pa[2]],
        ];
        return orders[order]!.join(".");
      }),
    // truncate
    fc
      .tuple(fc.nat(pool.length - 1), fc.nat(100_000))
      .map(([t, n]) => pool[t]!.slice(0, n % pool[t]!.length)),
  );

  test("every control token is allowed (so a refusal below is the mutation's doing)", async () => {
    for (const token of pool)
      check("control", await answer(eventFor("rest-token", token), "rest-token"), "allow", token);
  });

  test("10,000 mutations through REST TOKEN and HTTP API 2.0 events: only 401 Unauthorized, never an internal error", async (t) => {
    let tried = 0;
    let unchanged = 0;
    const reasons = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(mutated, fc.constantFrom<Kind>("rest-token", "http-v2"), async (token, kind) => {
        if (valid.has(token)) {
          unchanged += 1; // e.g. two equal segments swapped back: not a mutation
          return;
        }
        tried += 1;
        const got = await answer(eventFor(kind, token), kind);
        assert.deepEqual(got.problems, []);
        assert.equal(
          got.outcome,
          "unauthorized",
          `Allowed or denied a mutated token: ${JSON.stringify(token)}`,
        );
        assert.notEqual(
          got.reason,
          "ERR_INTERNAL",
          `internal error for ${JSON.stringify(token)}: ${got.detail}`,
        );
        reasons.set(String(got.reason), (reasons.get(String(got.reason)) ?? 0) + 1);
      }),
      { numRuns: 10_000, seed: 8725 },
    );
    t.diagnostic(`mutated tokens tried: ${tried} (skipped ${unchanged} equal to a valid token)`);
    t.diagnostic(`reasons: ${JSON.stringify(Object.fromEntries([...reasons].sort((a, b) => b[1] - a[1])))}`);
    assert.ok(tried > 9000);
  });
});

test("tokens tried through the handler (all of this file)", (t) => {
  const cases = Object.values(corpus).reduce((n, f) => n + f.cases.length, 0);
  t.diagnostic(`corpus cases: ${cases}; handler invocations: ${tokensTried}`);
  assert.ok(tokensTried > 1000);
});
