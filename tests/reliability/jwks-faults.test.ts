/**
 * JWKS fault injection at the **handler** level: a real local HTTP server that misbehaves on
 * command (slow, hanging, resetting, 500, 429, invalid JSON, a 10 MiB body, a redirect loop, keys
 * rotated or removed, down for a while then back), and the authorizer's answers over time with an
 * injected clock — while the keys are fresh, within the stale window, after it, and on recovery —
 * with the number of requests the server saw, the reason in the decision log line
 * (`ERR_JWKS_UNAVAILABLE` for "identity provider down", a token reason for a bad token), and no
 * unhandled rejection or crash.
 *
 * The key-source unit tests (tests/unit/keys/jwks.test.ts, fetch-json.test.ts) check the cache and
 * the fetcher alone; here the same faults go through event → verifier → cache → decision → log.
 * Only the fetch timeouts take real time (timeoutMs 1000); cache ages move with the injected clock.
 */
import assert from "node:assert/strict";
import type { ServerResponse } from "node:http";
import { after, describe, test } from "node:test";
import { createAuthorizer } from "../../src/lambda/authorizer.js";
import { createMemoryLogger } from "../../src/log.js";
import { craftToken } from "../helpers/keys.js";
import { loadKeys } from "./make-hostile-corpus.js";
import { type CountingServer, installCrashGuard, json, startCountingServer } from "./support.js";

const keys = loadKeys();
const ISSUER = "https://idp.faults.test/";
const AUDIENCE = "faults-api";
const ARN = "arn:aws:execute-api:us-east-1:123456789012:fau1tsap1x/prod/GET/orders/7";

const MAX_AGE_S = 60;
const COOLDOWN_S = 5;
const STALE_S = 120;
// Long enough that a loaded machine (a parallel test run, 2 cores) still completes a good fetch
// within it; the "at once" thresholds below are half of it, so waiting for a fetch still fails them.
const TIMEOUT_MS = 1000;
const AT_ONCE_MS = TIMEOUT_MS / 2;

const EC1 = keys.trustedEc.publicJwk; // kid ec-1
const EC2 = { ...keys.trustedEc2.publicJwk, kid: "ec-2" };

const guard = installCrashGuard();
after(() => {
  guard.uninstall();
  assert.deepEqual(guard.problems, [], "no unhandled rejection or uncaught exception");
});

type Mode =
  | { kind: "ok" }
  | { kind: "slow"; ms: number }
  | { kind: "hang" }
  | { kind: "reset" }
  | { kind: "status"; status: number }
  | { kind: "invalid-json" }
  | { kind: "huge" }
  | { kind: "trickle" }
  | { kind: "redirect-loop" };

/** A JWKS endpoint that answers according to `mode`, serving `keySet` when it answers at all. */
interface FaultServer extends CountingServer {
  mode: Mode;
  keySet: { keys: unknown[] };
}

const servers: CountingServer[] = [];
after(async () => {
  for (const server of servers) await server.close();
});

function writeHuge(res: ServerResponse): void {
  // 10 MiB, streamed without content-length, so the cap must hold while reading, not after.
  res.writeHead(200, { "content-type": "application/json" });
  const chunk = Buffer.alloc(64 * 1024, 0x20);
  let sent = 0;
  let closed = false;
  res.on("close", () => {
    closed = true;
  });
  const pump = () => {
    while (!closed && sent < 10 * 1024 * 1024) {
      sent += chunk.length;
      if (!res.write(chunk)) {
        res.once("drain", pump);
        return;
      }
    }
    if (!closed) res.end();
  };
  res.write('{"keys":[');
  pump();
}

async function faultServer(): Promise<FaultServer> {
  // The handler reads `mode` and `keySet` from the returned object, which tests change at will.
  let state: { mode: Mode; keySet: { keys: unknown[] } } = { mode: { kind: "ok" }, keySet: { keys: [EC1] } };
  const server = await startCountingServer((req, res) => {
    const mode = state.mode;
    switch (mode.kind) {
      case "ok":
        return json(res, state.keySet);
      case "slow":
        setTimeout(() => json(res, state.keySet), mode.ms).unref();
        return;
      case "hang":
        return; // never answers; the server closes the socket when it goes down
      case "reset":
        req.socket.destroy();
        return;
      case "status":
        res.writeHead(mode.status, mode.status === 429 ? { "retry-after": "3600" } : {});
        res.end(JSON.stringify({ error: "sorry", keys: [EC1] }));
        return;
      case "invalid-json":
        return json(res, '{"keys": [ {"kty": "EC", ');
      case "huge":
        return writeHuge(res);
      case "trickle": {
        res.writeHead(200, { "content-type": "application/json" });
        const text = JSON.stringify(state.keySet);
        let i = 0;
        const timer = setInterval(() => {
          if (i >= text.length || res.destroyed) {
            clearInterval(timer);
            if (!res.destroyed) res.end();
            return;
          }
          res.write(text[i++]!);
        }, 50);
        timer.unref();
        res.on("close", () => clearInterval(timer));
        return;
      }
      case "redirect-loop":
        res.writeHead(302, { location: req.url ?? "/jwks.json" });
        res.end();
        return;
    }
  });
  servers.push(server);
  const faulty = Object.assign(server, state);
  state = faulty;
  return faulty;
}

/** One authorizer on its own clock, against `server`. */
function setup(server: CountingServer, extra: Record<string, unknown> = {}) {
  const clock = { t: 1_700_000_000_000 };
  const logger = createMemoryLogger();
  const handler = createAuthorizer(
    {
      issuers: [
        {
          issuer: ISSUER,
          audience: [AUDIENCE],
          algorithms: ["ES256"],
          jwksUri: `${server.url}/jwks.json`,
          jwksCache: {
            maxAgeSeconds: MAX_AGE_S,
            cooldownSeconds: COOLDOWN_S,
            timeoutMs: TIMEOUT_MS,
            staleIfErrorSeconds: STALE_S,
          },
        },
      ],
      ...extra,
    },
    { now: () => clock.t, logger, sharedKeyCache: false },
  );
  let serial = 0;
  /** A token signed now by `key` under `kid` (each one unique, so the token cache never answers). */
  const mint = (kid = "ec-1", key = keys.trustedEc.privateKey, ttl = 3600) => {
    serial += 1;
    const iat = Math.floor(clock.t / 1000);
    return craftToken(
      { alg: "ES256", kid, typ: "JWT" },
      { iss: ISSUER, aud: AUDIENCE, sub: `user-${serial}`, iat, exp: iat + ttl, jti: `j${serial}` },
      { key, alg: "ES256" },
    );
  };
  const advance = (seconds: number) => {
    clock.t += seconds * 1000;
  };
  /** Calls the handler; the outcome, the decision line's reason and level, and how long it took. */
  const ask = async (token: string) => {
    const before = logger.lines.length;
    const started = performance.now();
    let outcome: "allow" | "deny" | "unauthorized";
    try {
      const response = await handler({
        type: "TOKEN",
        authorizationToken: `Bearer ${token}`,
        methodArn: ARN,
      });
      outcome = "principalId" in response ? "allow" : "deny";
    } catch (error) {
      assert.equal((error as Error).message, "Unauthorized", "only Error('Unauthorized') is ever thrown");
      outcome = "unauthorized";
    }
    const ms = performance.now() - started;
    const decision = logger.lines.slice(before).find((l) => l.event === "decision");
    assert.ok(decision, "one decision line per call");
    return { outcome, reason: decision.reason as string | null, level: decision.level, ms };
  };
  const lines = (event: string) => logger.lines.filter((l) => l.event === event);
  return { clock, logger, handler, mint, advance, ask, lines };
}

/** The faults that make the endpoint unusable, and the reason each one is logged with. */
const FAULTS: Array<{ name: string; mode: Mode; reason: RegExp; realTime?: boolean }> = [
  {
    name: "hangs (never answers)",
    mode: { kind: "hang" },
    reason: /^timeout after 1000 ms$/,
    realTime: true,
  },
  {
    name: "sends the body too slowly (trickle)",
    mode: { kind: "trickle" },
    reason: /^timeout after 1000 ms$/,
    realTime: true,
  },
  { name: "resets the connection", mode: { kind: "reset" }, reason: /^connection failed/ },
  { name: "answers 500", mode: { kind: "status", status: 500 }, reason: /^HTTP 500$/ },
  { name: "answers 429 with Retry-After", mode: { kind: "status", status: 429 }, reason: /^HTTP 429$/ },
  { name: "answers 503", mode: { kind: "status", status: 503 }, reason: /^HTTP 503$/ },
  { name: "answers invalid JSON", mode: { kind: "invalid-json" }, reason: /^invalid JSON$/ },
  { name: "answers a 10 MiB body", mode: { kind: "huge" }, reason: /^response larger than 262144 bytes$/ },
  {
    name: "redirects to itself (redirect loop)",
    mode: { kind: "redirect-loop" },
    reason: /^redirect refused$/,
  },
];

describe("the JWKS endpoint fails after a good start: stale keys, then fail closed, then recovery", () => {
  for (const fault of FAULTS) {
    test(`it ${fault.name}`, async () => {
      const server = await faultServer();
      const { handler, mint, advance, ask, lines } = setup(server);

      // t = 0: cold start fetches the keys once; tokens are verified without the network.
      await handler.hydrate();
      assert.equal(server.requests, 1);
      assert.equal((await ask(mint())).outcome, "allow");
      assert.equal(server.requests, 1, "fresh keys: no request per token");

      // The endpoint starts failing. t = 61 s: keys stale; the refresh fails, the stale key answers.
      server.mode = fault.mode;
      advance(MAX_AGE_S + 1);
      const first = await ask(mint());
      assert.equal(first.outcome, "allow", "within the stale window the last good keys are used");
      assert.equal(server.requests, 2, "one refresh attempt");
      if (fault.realTime) assert.ok(first.ms >= TIMEOUT_MS * 0.8, `waited for the timeout (${first.ms} ms)`);
      assert.ok(first.ms < TIMEOUT_MS + 1000, `bounded by timeoutMs (${first.ms} ms)`);
      const failed = lines("jwks_fetch_failed");
      assert.equal(failed.length, 1);
      assert.match(String(failed[0]!.reason), fault.reason);
      assert.equal(failed[0]!.servingStale, true);
      assert.equal(failed[0]!.level, "WARN", "serving stale keys is a warning, not yet an alert");

      // t = 62 s (within the cooldown): answered at once from the stale keys, no request.
      advance(1);
      const quick = await ask(mint());
      assert.equal(quick.outcome, "allow");
      assert.ok(quick.ms < AT_ONCE_MS, `no waiting during a known outage (${quick.ms} ms)`);
      assert.equal(server.requests, 2, "no retry within the cooldown");

      // Bad tokens during the outage keep their own reasons: they are not "IdP down".
      const forged = await ask(mint("ec-1", keys.attackerEc.privateKey));
      assert.deepEqual([forged.outcome, forged.reason], ["unauthorized", "ERR_JWT_SIGNATURE_INVALID"]);
      const unknown = await ask(mint("rotated-in-secret", keys.attackerEc.privateKey));
      assert.deepEqual([unknown.outcome, unknown.reason], ["unauthorized", "ERR_KEY_NOT_FOUND"]);
      const expired = await ask(mint("ec-1", keys.trustedEc.privateKey, -60));
      assert.deepEqual([expired.outcome, expired.reason], ["unauthorized", "ERR_JWT_EXPIRED"]);
      assert.equal(server.requests, 2, "an unknown kid during a known outage costs no request");

      // t = 68 s (past the cooldown): the stale key answers at once, a retry runs in the background.
      advance(COOLDOWN_S + 1);
      const background = await ask(mint());
      assert.equal(background.outcome, "allow");
      assert.ok(background.ms < AT_ONCE_MS, `the caller does not wait for the retry (${background.ms} ms)`);
      await handler.hydrate(); // waits for the background retry
      assert.equal(server.requests, 3, "one background retry");

      // Past maxAge + staleIfError since the last good fetch: fail closed, logged as IdP down.
      advance(MAX_AGE_S + STALE_S);
      const closed = await ask(mint());
      assert.deepEqual([closed.outcome, closed.reason], ["unauthorized", "ERR_JWKS_UNAVAILABLE"]);
      assert.equal(closed.level, "ERROR", "fail-closed decisions are logged at error level");
      assert.equal(server.requests, 4);
      const last = lines("jwks_fetch_failed").at(-1)!;
      assert.equal(last.servingStale, false);
      assert.equal(last.level, "ERROR");
      // Within the cooldown, every caller gets the same answer at once, with no request.
      advance(1);
      const burst = await Promise.all(Array.from({ length: 20 }, () => ask(mint())));
      assert.ok(burst.every((a) => a.outcome === "unauthorized" && a.reason === "ERR_JWKS_UNAVAILABLE"));
      assert.ok(Math.max(...burst.map((a) => a.ms)) < AT_ONCE_MS, "fails fast");
      assert.equal(server.requests, 4, "no request within the cooldown");
      // A bad token is still told apart from an outage when no key is usable: the verdict is "IdP down".
      const forgedWhileDown = await ask(mint("ec-1", keys.attackerEc.privateKey));
      assert.equal(forgedWhileDown.reason, "ERR_JWKS_UNAVAILABLE", "nothing to verify against");

      // Recovery: the endpoint answers again; after the cooldown the next token refetches and passes.
      server.mode = { kind: "ok" };
      advance(COOLDOWN_S);
      const recovered = await ask(mint());
      assert.equal(recovered.outcome, "allow");
      assert.equal(server.requests, 5);
      const fetchedLine = lines("jwks_fetched").at(-1)!;
      assert.equal(fetchedLine.recovered, true);
      assert.equal((await ask(mint())).outcome, "allow");
      assert.equal(server.requests, 5, "fresh again: no request per token");
    });
  }
});

describe("the JWKS endpoint fails from the cold start (nothing cached)", () => {
  for (const fault of FAULTS) {
    test(`it ${fault.name}: 401 ERR_JWKS_UNAVAILABLE, one request per cooldown, concurrent callers share it`, async () => {
      const server = await faultServer();
      server.mode = fault.mode;
      const { handler, mint, advance, ask, lines } = setup(server);
      await handler.hydrate(); // never throws
      assert.equal(server.requests, 1);
      assert.equal(lines("jwks_fetch_failed").length, 1);
      // Within the cooldown: every caller fails fast, no request.
      const burst = await Promise.all(Array.from({ length: 25 }, () => ask(mint())));
      assert.ok(burst.every((a) => a.outcome === "unauthorized" && a.reason === "ERR_JWKS_UNAVAILABLE"));
      assert.ok(Math.max(...burst.map((a) => a.ms)) < AT_ONCE_MS);
      assert.equal(server.requests, 1);
      // After the cooldown: 25 concurrent callers, one request (single flight), all 401.
      advance(COOLDOWN_S + 1);
      const second = await Promise.all(Array.from({ length: 25 }, () => ask(mint())));
      assert.ok(second.every((a) => a.outcome === "unauthorized" && a.reason === "ERR_JWKS_UNAVAILABLE"));
      assert.equal(server.requests, 2, "single flight");
      assert.ok(Math.max(...second.map((a) => a.ms)) < TIMEOUT_MS + 1000);
      // Recovery.
      server.mode = { kind: "ok" };
      advance(COOLDOWN_S + 1);
      assert.equal((await ask(mint())).outcome, "allow");
      assert.equal(server.requests, 3);
    });
  }
});

describe("the JWKS endpoint is down for a while, then back", () => {
  test("connection refused: stale keys serve, then fail closed; back up on the same port: recovered", async () => {
    const server = await faultServer();
    const { handler, mint, advance, ask, lines } = setup(server);
    await handler.hydrate();
    assert.equal((await ask(mint())).outcome, "allow");
    const before = server.requests;

    await server.down();
    advance(MAX_AGE_S + 1);
    assert.equal((await ask(mint())).outcome, "allow", "stale keys while the endpoint is down");
    assert.match(String(lines("jwks_fetch_failed").at(-1)!.reason), /^connection failed/);
    advance(MAX_AGE_S + STALE_S);
    const closed = await ask(mint());
    assert.deepEqual([closed.outcome, closed.reason], ["unauthorized", "ERR_JWKS_UNAVAILABLE"]);
    assert.equal(server.requests, before, "a server that is down sees nothing");

    await server.up();
    advance(COOLDOWN_S + 1);
    assert.equal((await ask(mint())).outcome, "allow");
    assert.equal(server.requests, before + 1);
    assert.equal(lines("jwks_fetched").at(-1)!.recovered, true);
  });

  test("slow but within timeoutMs: the refresh succeeds and the answer waits for it once", async () => {
    const server = await faultServer();
    const { handler, mint, advance, ask, lines } = setup(server);
    await handler.hydrate();
    server.mode = { kind: "slow", ms: 100 };
    advance(MAX_AGE_S + 1);
    const slow = await ask(mint());
    assert.equal(slow.outcome, "allow");
    assert.ok(slow.ms >= 80 && slow.ms < TIMEOUT_MS + 500, `${slow.ms} ms`);
    assert.equal(lines("jwks_fetch_failed").length, 0);
    assert.equal(server.requests, 2);
    assert.ok((await ask(mint())).ms < 50, "fresh again");
  });

  test("a verified token in the token cache does not outlive the keys' stale window", async () => {
    const server = await faultServer();
    const { handler, mint, advance, ask } = setup(server, {
      tokenCache: { maxEntries: 100, ttlSeconds: 86400 },
    });
    await handler.hydrate();
    const token = mint("ec-1", keys.trustedEc.privateKey, 7 * 86400);
    assert.equal((await ask(token)).outcome, "allow");
    server.mode = { kind: "status", status: 500 };
    advance(MAX_AGE_S + 1);
    assert.equal((await ask(token)).outcome, "allow", "stale window: still good");
    advance(MAX_AGE_S + STALE_S);
    const refused = await ask(token);
    assert.deepEqual([refused.outcome, refused.reason], ["unauthorized", "ERR_JWKS_UNAVAILABLE"]);
  });

  test("a verified token in the token cache is refused (401) right after maxAge once its key left the JWKS", {
    timeout: 30_000,
  }, async () => {
    const server = await faultServer();
    server.keySet = { keys: [EC1, EC2] };
    const { handler, mint, advance, ask } = setup(server, {
      tokenCache: { maxEntries: 100, ttlSeconds: 86400 },
    });
    await handler.hydrate();
    const token = mint("ec-1", keys.trustedEc.privateKey, 7 * 86400);
    assert.equal((await ask(token)).outcome, "allow");
    server.keySet = { keys: [EC2] };
    advance(MAX_AGE_S - 1);
    assert.equal((await ask(token)).outcome, "allow", "keys still fresh");
    assert.equal(server.requests, 1);
    advance(1);
    const refused = await ask(token);
    assert.deepEqual([refused.outcome, refused.reason], ["unauthorized", "ERR_KEY_NOT_FOUND"]);
    assert.equal(server.requests, 2, "the cached token's request refreshed the keys");
    assert.equal((await ask(mint("ec-2", keys.trustedEc2.privateKey))).outcome, "allow");
  });

  test("a verified token in the token cache triggers the refresh past maxAge while the endpoint fails", {
    timeout: 30_000,
  }, async () => {
    const server = await faultServer();
    const { handler, mint, advance, ask } = setup(server, {
      tokenCache: { maxEntries: 100, ttlSeconds: 86400 },
    });
    await handler.hydrate();
    const token = mint("ec-1", keys.trustedEc.privateKey, 7 * 86400);
    assert.equal((await ask(token)).outcome, "allow");
    server.mode = { kind: "status", status: 500 };
    advance(MAX_AGE_S + 1);
    assert.equal((await ask(token)).outcome, "allow", "stale window: still good");
    assert.equal(server.requests, 2, "one refresh attempt, as for an uncached token");
    advance(1);
    assert.equal((await ask(token)).outcome, "allow");
    assert.equal(server.requests, 2, "no retry within the cooldown");
    advance(COOLDOWN_S);
    assert.equal((await ask(token)).outcome, "allow");
    await handler.hydrate(); // the background retry
    assert.equal(server.requests, 3);
    advance(STALE_S - COOLDOWN_S - 2);
    const refused = await ask(token);
    assert.deepEqual([refused.outcome, refused.reason], ["unauthorized", "ERR_JWKS_UNAVAILABLE"]);
  });
});

describe("key rotation and removal at the endpoint", () => {
  test("a new key published alongside the old one: both kids pass; the new kid costs one request", async () => {
    const server = await faultServer();
    const { handler, mint, advance, ask } = setup(server);
    await handler.hydrate();
    server.keySet = { keys: [EC1, EC2] };
    advance(COOLDOWN_S + 1);
    const fresh = await ask(mint("ec-2", keys.trustedEc2.privateKey));
    assert.equal(fresh.outcome, "allow", "an unknown kid refetches once the cooldown allows");
    assert.equal(server.requests, 2);
    assert.equal((await ask(mint())).outcome, "allow", "the old kid still passes");
    assert.equal((await ask(mint("ec-2", keys.trustedEc2.privateKey))).outcome, "allow");
    assert.equal(server.requests, 2);
  });

  test("keys rotated (old kid removed, new kid added): new kid passes, old kid → ERR_KEY_NOT_FOUND", async () => {
    const server = await faultServer();
    const { handler, mint, advance, ask } = setup(server);
    await handler.hydrate();
    const oldToken = mint();
    server.keySet = { keys: [EC2] };
    advance(COOLDOWN_S + 1);
    assert.equal((await ask(mint("ec-2", keys.trustedEc2.privateKey))).outcome, "allow");
    assert.equal(server.requests, 2);
    const old = await ask(oldToken);
    assert.deepEqual([old.outcome, old.reason], ["unauthorized", "ERR_KEY_NOT_FOUND"]);
    assert.equal(server.requests, 2, "within the cooldown an unknown kid costs no request");
  });

  test("a new kid within the cooldown of the last fetch is refused until the cooldown passes", async () => {
    const server = await faultServer();
    const { handler, mint, advance, ask } = setup(server);
    await handler.hydrate();
    server.keySet = { keys: [EC1, EC2] };
    advance(1);
    const early = await ask(mint("ec-2", keys.trustedEc2.privateKey));
    assert.deepEqual([early.outcome, early.reason], ["unauthorized", "ERR_KEY_NOT_FOUND"]);
    assert.equal(server.requests, 1);
    advance(COOLDOWN_S);
    assert.equal((await ask(mint("ec-2", keys.trustedEc2.privateKey))).outcome, "allow");
    assert.equal(server.requests, 2);
  });

  test("an unknown-kid storm costs at most one request per cooldown", async () => {
    const server = await faultServer();
    const { handler, mint, advance, ask } = setup(server);
    await handler.hydrate();
    for (let second = 0; second < 30; second++) {
      const answers = await Promise.all(
        Array.from({ length: 10 }, (_, i) => ask(mint(`random-${second}-${i}`, keys.attackerEc.privateKey))),
      );
      assert.ok(answers.every((a) => a.reason === "ERR_KEY_NOT_FOUND"));
      advance(1);
    }
    // 30 s of storm, cooldown 5 s: at most 30 / 5 + 1 refetches, plus the initial fetch.
    assert.ok(server.requests <= 1 + 30 / COOLDOWN_S + 1, `${server.requests} requests`);
    assert.equal((await ask(mint())).outcome, "allow", "legitimate tokens are unaffected");
  });

  test("keys removed (an empty key set): ERR_KEY_NOT_FOUND, not ERR_JWKS_UNAVAILABLE, and a warning", async () => {
    const server = await faultServer();
    const { handler, mint, advance, ask, lines } = setup(server);
    await handler.hydrate();
    server.keySet = { keys: [] };
    advance(MAX_AGE_S + 1);
    const answer = await ask(mint());
    assert.deepEqual([answer.outcome, answer.reason], ["unauthorized", "ERR_KEY_NOT_FOUND"]);
    const fetched = lines("jwks_fetched").at(-1)!;
    assert.equal(fetched.keys, 0);
    assert.equal(fetched.level, "WARN");
    server.keySet = { keys: [EC1] };
    advance(MAX_AGE_S + 1);
    assert.equal((await ask(mint())).outcome, "allow", "keys back: accepted again");
  });

  test("a key set whose keys are all unusable (wrong curve, oct, private RSA under 2048 bits) is an empty set", async () => {
    const server = await faultServer();
    const { handler, mint, advance, ask, lines } = setup(server);
    await handler.hydrate();
    server.keySet = {
      keys: [
        { ...EC1, crv: "secp256k1" },
        { kty: "oct", k: "c2VjcmV0", kid: "ec-1" },
        { ...EC1, use: "enc" },
        { ...EC1, alg: "RS256" },
      ],
    };
    advance(MAX_AGE_S + 1);
    const answer = await ask(mint());
    assert.deepEqual([answer.outcome, answer.reason], ["unauthorized", "ERR_KEY_NOT_FOUND"]);
    assert.ok(lines("jwks_key_skipped").length >= 4, "each skipped key is logged");
  });
});
