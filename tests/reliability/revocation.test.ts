/**
 * The revocation list (`issuers[].revocation`) end to end: API Gateway events (the fixtures) through
 * `createAuthorizer`, against a real list server on 127.0.0.1 that misbehaves on command (slow past
 * the timeout, 500, an oversized body, invalid JSON, a connection reset, down). Tokens are made with
 * `jose`; time moves with an injected clock (only fetch timeouts take real time). Every log line of
 * every test is kept, and none may contain a token.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import type { ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { createAuthorizer } from "../../src/lambda/authorizer.js";
import { createMemoryLogger } from "../../src/log.js";
import { type FixtureName, loadEvent } from "../unit/adapters/fixtures.js";
import { type CountingServer, installCrashGuard, json, startCountingServer } from "./support.js";

const ISSUER = "https://idp.revocation.test/";
const AUDIENCE = "orders-api";
const T0 = 1_780_000_000_000;
const TIMEOUT_MS = 600;

type Mode = "ok" | "slow" | "500" | "huge" | "invalid-json" | "reset" | "not-an-object" | "too-many";

const guard = installCrashGuard();
const servers: CountingServer[] = [];
const tokens: string[] = [];
const logLines: string[] = [];
let privateKey: Awaited<ReturnType<typeof generateKeyPair>>["privateKey"];
let publicJwk: Record<string, unknown>;
let dir: string;

before(async () => {
  const pair = await generateKeyPair("ES256", { extractable: true });
  privateKey = pair.privateKey;
  publicJwk = { ...(await exportJWK(pair.publicKey)), kid: "k1", alg: "ES256" };
  dir = mkdtempSync(join(tmpdir(), "gatepass-revocation-"));
});

after(async () => {
  for (const server of servers) await server.close();
  rmSync(dir, { recursive: true, force: true });
  guard.uninstall();
  assert.deepEqual(guard.problems, [], "no unhandled rejection or uncaught exception");
  // No token in any log line of this file (decision lines, fetch failures, warnings).
  assert.ok(tokens.length > 10 && logLines.length > 10);
  for (const line of logLines)
    for (const token of tokens)
      assert.ok(!line.includes(token), `a token in a log line: ${line.slice(0, 200)}`);
});

/** A list server answering `list` as the mode says. */
async function listServer() {
  const state = {
    mode: "ok" as Mode,
    list: { revoked_jti: [] as string[], subjects: {} as Record<string, number> },
  };
  const server = await startCountingServer((req, res) => {
    switch (state.mode) {
      case "ok":
        return json(res, state.list);
      case "slow":
        setTimeout(() => json(res, state.list), TIMEOUT_MS * 3).unref();
        return;
      case "500":
        res.writeHead(500);
        res.end(JSON.stringify(state.list));
        return;
      case "huge":
        return writeHuge(res);
      case "invalid-json":
        return json(res, '{"revoked_jti": ["a", ');
      case "reset":
        req.socket.destroy();
        return;
      case "not-an-object":
        return json(res, "[1, 2, 3]");
      case "too-many":
        return json(res, { revoked_jti: Array.from({ length: 11 }, (_, i) => `j${i}`) });
    }
  });
  servers.push(server);
  return Object.assign(state, { server });
}

function writeHuge(res: ServerResponse): void {
  // 4 MiB streamed without content-length: the cap must hold while reading.
  res.writeHead(200, { "content-type": "application/json" });
  res.write('{"revoked_jti":[');
  const chunk = Buffer.alloc(64 * 1024, 0x20);
  let sent = 0;
  const pump = () => {
    while (!res.destroyed && sent < 4 * 1024 * 1024) {
      sent += chunk.length;
      if (!res.write(chunk)) return void res.once("drain", pump);
    }
    if (!res.destroyed) res.end("]}");
  };
  res.on("error", () => {});
  pump();
}

/** An authorizer on its own clock with `revocation` settings. */
function setup(revocation: Record<string, unknown>, extra: Record<string, unknown> = {}) {
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
          revocation: { timeoutMs: TIMEOUT_MS, ...revocation },
        },
      ],
      // The WebSocket fixture carries its token in the query string, as browsers must.
      tokenSources: ["header:authorization", "query:access_token"],
      ...extra,
    },
    { now: () => clock.t, logger, sharedKeyCache: false },
  );
  /** A token made with jose, issued now (or at `iat`). */
  const mint = async (claims: { sub?: string; jti?: string; iat?: number }) => {
    const iat = claims.iat ?? Math.floor(clock.t / 1000);
    const payload: Record<string, unknown> = {};
    if (claims.jti !== undefined) payload.jti = claims.jti;
    let jwt = new SignJWT(payload)
      .setProtectedHeader({ alg: "ES256", kid: "k1" })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt(iat)
      .setExpirationTime(iat + 3600);
    if (claims.sub !== undefined) jwt = jwt.setSubject(claims.sub);
    const token = await jwt.sign(privateKey);
    tokens.push(token);
    return token;
  };
  /** One call with the fixture event `name`: the outcome and the decision line. */
  const ask = async (token: string, name: FixtureName = "rest-token") => {
    const before = logger.lines.length;
    let outcome: "allow" | "deny" | "unauthorized";
    try {
      const response = (await handler(loadEvent(name, token))) as Record<string, unknown>;
      outcome =
        "isAuthorized" in response
          ? response.isAuthorized
            ? "allow"
            : "deny"
          : JSON.stringify(response.policyDocument).includes('"Allow"')
            ? "allow"
            : "deny";
    } catch (error) {
      assert.equal((error as Error).message, "Unauthorized");
      outcome = "unauthorized";
    }
    const lines = logger.lines.slice(before);
    for (const line of lines) logLines.push(JSON.stringify(line));
    const decision = lines.find((l) => l.event === "decision");
    assert.ok(decision, "one decision line per call");
    return { outcome, reason: decision.reason as string | null, level: decision.level, lines };
  };
  const advance = (seconds: number) => {
    clock.t += seconds * 1000;
  };
  return { handler, logger, mint, ask, advance, clock };
}

describe("revocation list: decisions through the handler", () => {
  test("a revoked jti is refused with ERR_JWT_REVOKED on REST TOKEN, REST REQUEST, HTTP API 1.0/2.0 and WebSocket events", async () => {
    const list = await listServer();
    list.list.revoked_jti = ["revoked-1"];
    const { mint, ask } = setup({ url: `${list.server.url}/revocations.json` });
    const revoked = await mint({ sub: "alice", jti: "revoked-1" });
    for (const name of ["rest-token", "rest-request", "http-v1", "http-v2", "websocket-connect"] as const) {
      const result = await ask(revoked, name);
      assert.equal(result.outcome, "unauthorized", name);
      assert.equal(result.reason, "ERR_JWT_REVOKED", name);
    }
  });

  test("an unrelated token (other jti, other subject) is allowed", async () => {
    const list = await listServer();
    list.list = { revoked_jti: ["revoked-1"], subjects: { mallory: T0 / 1000 + 100 } };
    const { mint, ask } = setup({ url: `${list.server.url}/revocations.json` });
    for (const name of ["rest-token", "http-v2"] as const) {
      const result = await ask(await mint({ sub: "alice", jti: "fine-1" }), name);
      assert.equal(result.outcome, "allow", name);
      assert.equal(result.reason, null);
    }
  });

  test("a subject's not-before time revokes every token issued before it, with or without jti; later ones pass", async () => {
    const list = await listServer();
    const signOut = T0 / 1000;
    list.list.subjects = { alice: signOut };
    const { mint, ask } = setup({ url: `${list.server.url}/revocations.json` });
    const before = await mint({ sub: "alice", jti: "a-1", iat: signOut - 1 });
    const beforeNoJti = await mint({ sub: "alice", iat: signOut - 600 });
    const atSignOut = await mint({ sub: "alice", jti: "a-2", iat: signOut });
    const bob = await mint({ sub: "bob", iat: signOut - 600 });
    assert.equal((await ask(before)).reason, "ERR_JWT_REVOKED");
    assert.equal((await ask(beforeNoJti)).reason, "ERR_JWT_REVOKED");
    assert.equal((await ask(atSignOut)).outcome, "allow");
    assert.equal((await ask(bob)).outcome, "allow");
  });

  test("a token cached by the verifier is refused once the refreshed list names it", async () => {
    const list = await listServer();
    const { mint, ask, advance } = setup({ url: `${list.server.url}/r.json`, maxAgeSeconds: 30 });
    const token = await mint({ sub: "alice", jti: "later-revoked" });
    assert.equal((await ask(token)).outcome, "allow");
    list.list.revoked_jti = ["later-revoked"];
    // Within the list's max age the cached list (and the cached verification) still answer.
    advance(10);
    assert.equal((await ask(token)).outcome, "allow");
    advance(21);
    assert.equal((await ask(token)).reason, "ERR_JWT_REVOKED");
    assert.equal(list.server.requests, 2);
  });
});

describe("revocation list: cache and single flight", () => {
  test("N concurrent calls share one fetch, and a fresh list answers without the network", async () => {
    const list = await listServer();
    const { mint, ask } = setup({ url: `${list.server.url}/r.json` });
    const tokensNow = await Promise.all(
      Array.from({ length: 20 }, (_, i) => mint({ sub: `u${i}`, jti: `c${i}` })),
    );
    const results = await Promise.all(tokensNow.map((t) => ask(t)));
    assert.ok(results.every((r) => r.outcome === "allow"));
    assert.equal(list.server.requests, 1);
    await ask(tokensNow[0]!);
    assert.equal(list.server.requests, 1);
  });

  test("stale if error: the last good list answers within staleIfErrorSeconds, then the call fails closed", async () => {
    const list = await listServer();
    list.list.revoked_jti = ["gone"];
    const { mint, ask, advance } = setup({
      url: `${list.server.url}/r.json`,
      maxAgeSeconds: 60,
      cooldownSeconds: 5,
      staleIfErrorSeconds: 120,
    });
    const good = await mint({ sub: "alice", jti: "ok" });
    const revoked = await mint({ sub: "bob", jti: "gone" });
    assert.equal((await ask(good)).outcome, "allow");
    list.mode = "500";
    advance(61);
    // The refresh fails: the stale list still says which tokens are revoked.
    assert.equal((await ask(good)).outcome, "allow");
    assert.equal((await ask(revoked)).reason, "ERR_JWT_REVOKED");
    advance(120);
    const closed = await ask(good);
    assert.equal(closed.outcome, "unauthorized");
    assert.equal(closed.reason, "ERR_REVOCATION_UNAVAILABLE");
    assert.equal(closed.level, "ERROR");
    // Back: the next fetch after the cooldown recovers.
    list.mode = "ok";
    advance(6);
    assert.equal((await ask(good)).outcome, "allow");
  });

  test("a list file (development) is read like a fetch: cached for maxAgeSeconds, then read again", async () => {
    const file = join(dir, "revocations.json");
    writeFileSync(file, JSON.stringify({ revoked_jti: [] }));
    const { mint, ask, advance } = setup({ file, maxAgeSeconds: 5 });
    const token = await mint({ sub: "alice", jti: "file-1" });
    assert.equal((await ask(token)).outcome, "allow");
    writeFileSync(file, JSON.stringify({ revoked_jti: ["file-1"] }));
    assert.equal((await ask(token)).outcome, "allow");
    advance(6);
    assert.equal((await ask(token)).reason, "ERR_JWT_REVOKED");
  });
});

describe("revocation list: an unusable list fails closed by default", () => {
  const faults: Array<[Mode | "down", string]> = [
    ["slow", "timeout after"],
    ["500", "HTTP 500"],
    ["huge", "response larger than"],
    ["invalid-json", "invalid JSON"],
    ["reset", "connection failed"],
    ["not-an-object", "not a JSON object"],
    ["too-many", "more than 10 entries"],
    ["down", "connection failed"],
  ];
  for (const [mode, reason] of faults) {
    test(`list ${mode}: 401 ERR_REVOCATION_UNAVAILABLE, the fetch failure logged with its reason`, async () => {
      const list = await listServer();
      if (mode === "down") await list.server.down();
      else list.mode = mode;
      const { mint, ask } = setup({
        url: `${list.server.url}/r.json`,
        maxResponseBytes: 64 * 1024,
        maxEntries: 10,
      });
      const result = await ask(await mint({ sub: "alice", jti: `f-${mode}` }));
      assert.equal(result.outcome, "unauthorized");
      assert.equal(result.reason, "ERR_REVOCATION_UNAVAILABLE");
      const failure = result.lines.find((l) => l.event === "revocation_fetch_failed");
      assert.ok(failure, "the fetch failure has its own line");
      assert.match(String(failure.reason), new RegExp(reason));
      assert.equal(failure.level, "ERROR");
      if (mode === "down") await list.server.up();
    });
  }

  test('onUnavailable "allow": the token is accepted and a revocation_unchecked warning is logged (once per cooldown)', async () => {
    const list = await listServer();
    list.mode = "500";
    const { mint, ask } = setup({
      url: `${list.server.url}/r.json`,
      onUnavailable: "allow",
      cooldownSeconds: 30,
    });
    const first = await ask(await mint({ sub: "alice", jti: "allow-1" }));
    assert.equal(first.outcome, "allow");
    const warning = first.lines.find((l) => l.event === "revocation_unchecked");
    assert.ok(warning);
    assert.equal(warning.level, "WARN");
    const second = await ask(await mint({ sub: "alice", jti: "allow-2" }));
    assert.equal(second.outcome, "allow");
    assert.equal(second.lines.filter((l) => l.event === "revocation_unchecked").length, 0);
  });
});
