/**
 * Token introspection (RFC 7662, `issuers[].introspection`) end to end: API Gateway events (the
 * fixtures) through `createAuthorizer`, against a real introspection endpoint on 127.0.0.1 that
 * records each request and misbehaves on command (slow past the timeout, 500, an oversized body,
 * invalid JSON, a connection reset, a redirect, an answer without `active`). The oracle for the
 * request is written here from RFC 7662 §2.1 and RFC 6749 §2.3.1 (not gatepass's encoder). JWTs
 * are made with `jose`. Every log line is kept, and none may contain a token or the client secret.
 *
 * RFC 7662 sections covered: §2.1 (request: POST, form body, `token`, `token_type_hint`, client
 * authentication), §2.2 (`active` required and boolean; `active: false`; claims of an active
 * token: `sub`, `scope`, `client_id`, `exp`, `aud`, `iss`), §2.3 (an error answer is no answer:
 * fail closed), §4 (a cached answer never outlives `exp`; failures are not cached; TLS — the
 * endpoint must be https, checked by the configuration tests).
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { after, before, describe, test } from "node:test";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { parseConfigShape } from "../../src/config/schema.js";
import { createAuthorizer } from "../../src/lambda/authorizer.js";
import { createMemoryLogger } from "../../src/log.js";
import { Introspector } from "../../src/token/introspection.js";
import { createVerifier } from "../../src/token/verifier.js";
import { type FixtureName, loadEvent } from "../unit/adapters/fixtures.js";
import { type CountingServer, installCrashGuard, startCountingServer } from "./support.js";

const ISSUER = "https://as.introspection.test/";
const AUDIENCE = "orders-api";
const T0 = 1_780_000_000_000;
const NOW_S = T0 / 1000;
const TIMEOUT_MS = 600;
/** Characters that form encoding must escape (`:` would split the Basic credentials wrongly). */
const CLIENT_ID = "orders api:gw";
const SECRET = "s3cr+t/é&=%";
const SECRET_ENV = "GATEPASS_TEST_INTROSPECTION_SECRET";

type Mode =
  | "ok"
  | "slow"
  | "500"
  | "huge"
  | "invalid-json"
  | "reset"
  | "redirect"
  | "no-active"
  | "active-string";

const guard = installCrashGuard();
const servers: CountingServer[] = [];
const tokens: string[] = [];
const logLines: string[] = [];
let privateKey: Awaited<ReturnType<typeof generateKeyPair>>["privateKey"];
let publicJwk: Record<string, unknown>;

before(async () => {
  const pair = await generateKeyPair("ES256", { extractable: true });
  privateKey = pair.privateKey;
  publicJwk = { ...(await exportJWK(pair.publicKey)), kid: "k1", alg: "ES256" };
});

after(async () => {
  for (const server of servers) await server.close();
  guard.uninstall();
  assert.deepEqual(guard.problems, [], "no unhandled rejection or uncaught exception");
  assert.ok(tokens.length > 10 && logLines.length > 10);
  for (const line of logLines) {
    for (const token of tokens)
      assert.ok(!line.includes(token), `a token in a log line: ${line.slice(0, 200)}`);
    assert.ok(!line.includes(SECRET), "the client secret in a log line");
  }
});

/** A request as the endpoint saw it. */
interface Seen {
  method: string | undefined;
  contentType: string | undefined;
  authorization: string | undefined;
  body: string;
}

/** An introspection endpoint: `answers` maps a token to its answer; unknown tokens are inactive. */
async function endpoint() {
  const state = {
    mode: "ok" as Mode,
    answers: new Map<string, Record<string, unknown>>(),
    seen: [] as Seen[],
  };
  const server = await startCountingServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      state.seen.push({
        method: req.method,
        contentType: req.headers["content-type"],
        authorization: req.headers.authorization,
        body,
      });
      const token = new URLSearchParams(body).get("token") ?? "";
      const answer = state.answers.get(token) ?? { active: false };
      const send = (status: number, text: string, headers: Record<string, string> = {}) => {
        res.writeHead(status, { "content-type": "application/json", ...headers });
        res.end(text);
      };
      switch (state.mode) {
        case "ok":
          return send(200, JSON.stringify(answer));
        case "slow":
          setTimeout(() => send(200, JSON.stringify(answer)), TIMEOUT_MS * 3).unref();
          return;
        case "500":
          return send(500, JSON.stringify(answer));
        case "huge":
          return send(200, JSON.stringify({ ...answer, padding: "x".repeat(200_000) }));
        case "invalid-json":
          return send(200, '{"active": true, ');
        case "reset":
          req.socket.destroy();
          return;
        case "redirect":
          return send(302, "{}", { location: "http://127.0.0.1:1/elsewhere" });
        case "no-active":
          return send(200, JSON.stringify({ sub: "alice", scope: "orders:read" }));
        case "active-string":
          return send(200, JSON.stringify({ ...answer, active: "true" }));
      }
    });
  });
  servers.push(server);
  return Object.assign(state, { server });
}

function setup(
  server: CountingServer,
  introspection: Record<string, unknown> = {},
  options: { env?: Record<string, string | undefined>; extra?: Record<string, unknown> } = {},
) {
  const clock = { t: T0 };
  const logger = createMemoryLogger();
  const handler = createAuthorizer(
    {
      issuers: [
        {
          issuer: ISSUER,
          audience: [AUDIENCE],
          algorithms: ["ES256"],
          jwks: { keys: [publicJwk] },
          introspection: {
            endpoint: `${server.url}/introspect`,
            clientId: CLIENT_ID,
            clientSecretEnv: SECRET_ENV,
            timeoutMs: TIMEOUT_MS,
            maxResponseBytes: 64 * 1024,
            ...introspection,
          },
        },
      ],
      routes: [
        { route: "GET /orders/{id}", scopes: ["orders:read"] },
        { route: "ANY /admin/{proxy+}", scopes: ["admin"] },
      ],
      context: { claims: ["sub", "scope", "client_id"] },
      ...options.extra,
    },
    { now: () => clock.t, logger, sharedKeyCache: false, env: options.env ?? { [SECRET_ENV]: SECRET } },
  );
  const ask = async (token: string, name: FixtureName = "rest-token") => {
    const before = logger.lines.length;
    let response: Record<string, unknown> | undefined;
    try {
      response = (await handler(loadEvent(name, token))) as Record<string, unknown>;
    } catch (error) {
      assert.equal((error as Error).message, "Unauthorized");
    }
    const lines = logger.lines.slice(before);
    for (const line of lines) logLines.push(JSON.stringify(line));
    const decision = lines.find((l) => l.event === "decision");
    assert.ok(decision, "one decision line per call");
    // The decision line reports what API Gateway will answer for this request.
    const outcome = decision.outcome as "allow" | "deny" | "unauthorized";
    assert.equal(outcome === "unauthorized", response === undefined);
    return { outcome, reason: decision.reason as string | null, level: decision.level, lines, response };
  };
  const advance = (seconds: number) => {
    clock.t += seconds * 1000;
  };
  return { ask, logger, clock, advance };
}

let serial = 0;
/** An opaque token (RFC 6750 b64token characters, not a JWT). */
function opaqueToken(): string {
  serial += 1;
  const token = `opaque-${serial}-${Buffer.from(`x${serial}`).toString("base64url")}~+/=`;
  tokens.push(token);
  return token;
}

/** An active answer (RFC 7662 §2.2) for `sub` with `scope`, expiring in `ttl` seconds. */
const active = (sub: string, scope: string, ttl = 3600, extra: Record<string, unknown> = {}) => ({
  active: true,
  sub,
  scope,
  client_id: "web-app",
  token_type: "Bearer",
  iss: ISSUER,
  aud: AUDIENCE,
  iat: NOW_S,
  exp: NOW_S + ttl,
  ...extra,
});

async function jwt(sub: string): Promise<string> {
  const token = await new SignJWT({ scope: "orders:read", jti: `jti-${sub}` })
    .setProtectedHeader({ alg: "ES256", kid: "k1" })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject(sub)
    .setIssuedAt(NOW_S)
    .setExpirationTime(NOW_S + 3600)
    .sign(privateKey);
  tokens.push(token);
  return token;
}

describe("introspection: the request (RFC 7662 §2.1, RFC 6749 §2.3.1)", () => {
  test("POST, form-encoded token and token_type_hint, client_secret_basic with form-encoded id and secret", async () => {
    const ep = await endpoint();
    const token = opaqueToken();
    ep.answers.set(token, active("alice", "orders:read"));
    const { ask } = setup(ep.server);
    assert.equal((await ask(token)).outcome, "allow");
    assert.equal(ep.seen.length, 1);
    const seen = ep.seen[0]!;
    assert.equal(seen.method, "POST");
    assert.equal(seen.contentType, "application/x-www-form-urlencoded");
    const form = new URLSearchParams(seen.body);
    assert.equal(form.get("token"), token);
    assert.equal(form.get("token_type_hint"), "access_token");
    // RFC 6749 §2.3.1: Basic base64(urlform(client_id) ":" urlform(secret)), written out by hand here.
    const hand = (s: string) =>
      [...Buffer.from(s, "utf8")]
        .map((b) => {
          const c = String.fromCharCode(b);
          if (/[A-Za-z0-9*\-._]/.test(c)) return c;
          if (c === " ") return "+";
          return `%${b.toString(16).toUpperCase().padStart(2, "0")}`;
        })
        .join("");
    assert.equal(hand(CLIENT_ID), "orders+api%3Agw");
    const expected = `Basic ${Buffer.from(`${hand(CLIENT_ID)}:${hand(SECRET)}`).toString("base64")}`;
    assert.equal(seen.authorization, expected);
  });
});

describe("introspection: answers through the handler (RFC 7662 §2.2)", () => {
  test("active: the answer's claims decide as a JWT's would (principal, scope rules, context) on REST and HTTP API events", async () => {
    const ep = await endpoint();
    const token = opaqueToken();
    ep.answers.set(token, active("alice", "orders:read"));
    const { ask } = setup(ep.server);
    const rest = await ask(token, "rest-token");
    assert.equal(rest.outcome, "allow");
    assert.equal(rest.response?.principalId, "alice");
    assert.deepEqual(rest.response?.context, { sub: "alice", scope: "orders:read", client_id: "web-app" });
    const http = await ask(token, "http-v2");
    assert.equal(http.outcome, "allow");
    assert.equal((http.response?.context as Record<string, unknown> | undefined)?.principalId, "alice");
    // The same answer without the orders scope: the rules refuse the route (403), as for a JWT.
    const other = opaqueToken();
    ep.answers.set(other, active("bob", "profile"));
    const denied = await ask(other, "http-v2");
    assert.equal(denied.outcome, "deny");
    assert.equal(denied.reason, "ERR_SCOPE_MISSING");
  });

  test("active: false is a 401 ERR_TOKEN_INACTIVE; so is a token the endpoint does not know", async () => {
    const ep = await endpoint();
    const token = opaqueToken();
    ep.answers.set(token, { active: false });
    const { ask } = setup(ep.server);
    for (const t of [token, opaqueToken()]) {
      const result = await ask(t);
      assert.equal(result.outcome, "unauthorized");
      assert.equal(result.reason, "ERR_TOKEN_INACTIVE");
    }
  });

  test("active answers go through the issuer's claim checks: exp, aud, iss", async () => {
    const ep = await endpoint();
    const { ask } = setup(ep.server);
    const cases: Array<[Record<string, unknown>, string]> = [
      [active("alice", "orders:read", -60), "ERR_JWT_EXPIRED"],
      [active("alice", "orders:read", 3600, { aud: "another-api" }), "ERR_JWT_AUDIENCE_INVALID"],
      [active("alice", "orders:read", 3600, { iss: "https://elsewhere.test/" }), "ERR_JWT_ISSUER_INVALID"],
      [active("alice", "orders:read", 3600, { exp: undefined }), "ERR_JWT_CLAIM_MISSING"],
    ];
    for (const [answer, reason] of cases) {
      const token = opaqueToken();
      ep.answers.set(token, JSON.parse(JSON.stringify(answer)));
      const result = await ask(token);
      assert.equal(result.outcome, "unauthorized", reason);
      assert.equal(result.reason, reason);
    }
  });

  test("checkJwts: a verified JWT is refused when the endpoint says it is inactive, allowed when active", async () => {
    const ep = await endpoint();
    const { ask } = setup(ep.server, { checkJwts: true, cacheMaxSeconds: 0 });
    const token = await jwt("carol");
    ep.answers.set(token, active("carol", "orders:read"));
    assert.equal((await ask(token)).outcome, "allow");
    ep.answers.set(token, { active: false });
    assert.equal((await ask(token)).reason, "ERR_TOKEN_INACTIVE");
    assert.equal(ep.seen.length, 2);
  });

  test("without checkJwts, JWTs are verified locally and never sent to the endpoint", async () => {
    const ep = await endpoint();
    const { ask } = setup(ep.server);
    assert.equal((await ask(await jwt("dave"))).outcome, "allow");
    assert.equal(ep.seen.length, 0);
  });
});

describe("introspection: failures fail closed with ERR_INTROSPECTION_UNAVAILABLE (RFC 7662 §2.3)", () => {
  const faults: Array<[Mode | "down", string]> = [
    ["slow", "timeout after"],
    ["500", "HTTP 500"],
    ["huge", "response larger than"],
    ["invalid-json", "invalid JSON"],
    ["reset", "connection failed"],
    ["redirect", "redirect refused"],
    ["no-active", 'no boolean "active"'],
    ["active-string", 'no boolean "active"'],
    ["down", "connection failed"],
  ];
  for (const [mode, reason] of faults) {
    test(`endpoint ${mode}: 401 ERR_INTROSPECTION_UNAVAILABLE, logged at error with its reason, not cached`, async () => {
      const ep = await endpoint();
      const token = opaqueToken();
      ep.answers.set(token, active("alice", "orders:read"));
      if (mode === "down") await ep.server.down();
      else ep.mode = mode;
      const { ask } = setup(ep.server);
      const result = await ask(token);
      assert.equal(result.outcome, "unauthorized");
      assert.equal(result.reason, "ERR_INTROSPECTION_UNAVAILABLE");
      assert.equal(result.level, "ERROR");
      const failure = result.lines.find((l) => l.event === "introspection_failed");
      assert.ok(failure);
      assert.match(String(failure.reason), new RegExp(reason));
      // Back to normal: the failure was not cached, the next call asks again and passes.
      if (mode === "down") await ep.server.up();
      ep.mode = "ok";
      assert.equal((await ask(token)).outcome, "allow");
    });
  }

  test("no client secret in the environment: logged at cold start by variable name, every call fails closed", async () => {
    const ep = await endpoint();
    const token = opaqueToken();
    ep.answers.set(token, active("alice", "orders:read"));
    const { ask, logger } = setup(ep.server, {}, { env: {} });
    const missing = logger.lines.find((l) => l.event === "introspection_secret_missing");
    assert.ok(missing);
    assert.equal(missing.variable, SECRET_ENV);
    const result = await ask(token);
    assert.equal(result.reason, "ERR_INTROSPECTION_UNAVAILABLE");
    assert.equal(ep.seen.length, 0);
  });

  test("a token that is neither a JWT nor a b64token is refused before any request (handler and createVerifier)", async () => {
    const ep = await endpoint();
    const { ask } = setup(ep.server);
    // The adapter reads only RFC 6750 b64token bearer values; the verifier checks again on its own.
    assert.equal((await ask("tok@en!")).reason, "ERR_JWT_MISSING");
    const verifier = createVerifier(
      {
        issuers: [
          {
            issuer: ISSUER,
            audience: [AUDIENCE],
            jwks: { keys: [publicJwk] },
            introspection: {
              endpoint: `${ep.server.url}/i`,
              clientId: CLIENT_ID,
              clientSecretEnv: SECRET_ENV,
            },
          },
        ],
      },
      { env: { [SECRET_ENV]: SECRET } },
    );
    await assert.rejects(verifier.verify("tok@en!"), { code: "ERR_JWT_MALFORMED" });
    await assert.rejects(verifier.verify("x".repeat(9000)), { code: "ERR_JWT_TOO_LARGE" });
    assert.equal(ep.seen.length, 0);
  });
});

describe("introspection: the cache (RFC 7662 §4)", () => {
  test("an answer is reused until cacheMaxSeconds, then asked again", async () => {
    const ep = await endpoint();
    const token = opaqueToken();
    ep.answers.set(token, active("alice", "orders:read"));
    const { ask, advance } = setup(ep.server, { cacheMaxSeconds: 20 });
    await ask(token);
    advance(19);
    assert.equal((await ask(token)).outcome, "allow");
    assert.equal(ep.seen.length, 1);
    ep.answers.set(token, { active: false });
    advance(2);
    assert.equal((await ask(token)).reason, "ERR_TOKEN_INACTIVE");
    assert.equal(ep.seen.length, 2);
  });

  test("an answer is never reused past the token's exp, even within cacheMaxSeconds and the clock tolerance", async () => {
    const ep = await endpoint();
    const token = opaqueToken();
    ep.answers.set(token, active("alice", "orders:read", 2));
    const { ask, advance } = setup(ep.server, { cacheMaxSeconds: 300 });
    assert.equal((await ask(token)).outcome, "allow");
    // Past exp but within the 5 s clock tolerance: the claims still pass, the cache must not answer.
    advance(3);
    assert.equal((await ask(token)).outcome, "allow");
    assert.equal(ep.seen.length, 2);
  });

  test("N concurrent calls with one token share one request; the cache is keyed by SHA-256, never the token", async () => {
    const ep = await endpoint();
    ep.mode = "ok";
    const token = opaqueToken();
    ep.answers.set(token, active("alice", "orders:read"));
    const { ask } = setup(ep.server);
    const results = await Promise.all(Array.from({ length: 25 }, () => ask(token)));
    assert.ok(results.every((r) => r.outcome === "allow"));
    assert.equal(ep.seen.length, 1);
    // What the cache holds: keys are SHA-256 digests (base64url), and no key or value holds the token.
    const introspector = new Introspector(
      parseConfigShape({
        issuers: [
          {
            issuer: ISSUER,
            audience: [AUDIENCE],
            jwks: { keys: [publicJwk] },
            introspection: {
              endpoint: `${ep.server.url}/i`,
              clientId: CLIENT_ID,
              clientSecretEnv: SECRET_ENV,
            },
          },
        ],
      }).issuers[0]!,
      new Set([ISSUER]),
      { now: () => T0, fetch: undefined, env: { [SECRET_ENV]: SECRET } },
    );
    await introspector.introspect(token);
    const cache = (introspector as unknown as { cache: Map<string, unknown> }).cache;
    assert.deepEqual([...cache.keys()], [createHash("sha256").update(token).digest("base64url")]);
    assert.ok(!JSON.stringify([...cache.entries()]).includes(token));
  });

  test("cacheMaxSeconds 0: every call asks", async () => {
    const ep = await endpoint();
    const token = opaqueToken();
    ep.answers.set(token, active("alice", "orders:read"));
    const { ask } = setup(ep.server, { cacheMaxSeconds: 0 });
    await ask(token);
    await ask(token);
    assert.equal(ep.seen.length, 2);
  });
});
