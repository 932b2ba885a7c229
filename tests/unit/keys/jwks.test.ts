import assert from "node:assert/strict";
import { generateKeyPairSync, type JsonWebKey } from "node:crypto";
import { describe, it, type TestContext } from "node:test";
import { type AuthError, AuthErrorCodes } from "../../../src/errors.js";
import {
  clearSharedRemoteJwks,
  getSharedRemoteJwks,
  type RemoteJwksOptions,
  RemoteJwksSource,
} from "../../../src/keys/jwks/remote-jwks.js";
import type { KeyLookup } from "../../../src/keys/types.js";
import { createMemoryLogger } from "../../../src/log.js";
import { type Handler, json, serve } from "../../helpers/http-server.js";
import { events, rejectsWith, sync } from "../../helpers/key-source.js";

// Every test talks to a real HTTP server on 127.0.0.1 that counts requests; cache ages move with an
// injected clock, never with sleeps (only the timeout test waits, 200 ms).

/** Serves whatever `doc.current` is at request time. */
function jwksServer(t: TestContext, keys: JsonWebKey[]) {
  const doc = { current: { keys } as unknown };
  return serve(t, (req, res) => json(doc.current)(req, res)).then((server) => Object.assign(server, { doc }));
}

function ecJwk(kid: string, extra: Record<string, unknown> = {}): JsonWebKey {
  const { publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  return { ...publicKey.export({ format: "jwk" }), kid, alg: "ES256", use: "sig", ...extra };
}

function rsaJwk(kid: string, bits: number): JsonWebKey {
  const { publicKey } = generateKeyPairSync("rsa", { modulusLength: bits });
  return { ...publicKey.export({ format: "jwk" }), kid, alg: "RS256" };
}

const RSA_2048 = rsaJwk("rsa-2048", 2048);
const RSA_1024 = rsaJwk("rsa-1024", 1024);

const COOLDOWN_S = 30;
const MAX_AGE_S = 600;
const STALE_S = 3600;

function setup(t: TestContext, url: string, options: RemoteJwksOptions = {}) {
  const clock = { t: 1_700_000_000_000 };
  const logger = createMemoryLogger();
  const source = new RemoteJwksSource(url, {
    now: () => clock.t,
    logger,
    allowedAlgorithms: ["ES256", "RS256"],
    ...options,
    cache: {
      maxAgeSeconds: MAX_AGE_S,
      cooldownSeconds: COOLDOWN_S,
      staleIfErrorSeconds: STALE_S,
      timeoutMs: 2000,
      ...options.cache,
    },
  });
  t.after(() => source.hydrate()); // let a background refresh finish before its server closes
  return { clock, logger, source };
}

const es = (kid: string | undefined): KeyLookup => ({ kid, alg: "ES256" });

describe("RemoteJwksSource: cache", () => {
  it("fetches once, then answers from the cache without a promise", async (t) => {
    const k1 = ecJwk("k1");
    const server = await jwksServer(t, [k1, RSA_2048]);
    const { source, logger } = setup(t, `${server.url}/jwks`);

    const first = source.getKey(es("k1"));
    assert.ok(first instanceof Promise);
    const key = await first;
    assert.equal(key.kid, "k1");
    assert.deepEqual([...key.algorithms], ["ES256"]);
    assert.equal((key.key.export({ format: "jwk" }) as JsonWebKey).x, k1.x);

    const again = source.getKey(es("k1"));
    assert.equal(again, key, "a fresh, known kid is answered synchronously with the same key");
    assert.equal((await source.getKey({ kid: "rsa-2048", alg: "RS256" })).kid, "rsa-2048");
    await source.hydrate(); // fresh: nothing to do
    assert.equal(server.requests, 1);
    assert.equal(source.generation, 1);
    assert.equal(events(logger, "jwks_fetched").length, 1);
  });

  it("refreshes after maxAgeSeconds and keeps unchanged keys (same id, same generation)", async (t) => {
    const server = await jwksServer(t, [ecJwk("k1")]);
    const { source, clock } = setup(t, `${server.url}/jwks`);
    const key = await source.getKey(es("k1"));

    clock.t += MAX_AGE_S * 1000 - 1;
    assert.equal(source.getKey(es("k1")), key);
    assert.equal(server.requests, 1);

    clock.t += 1;
    const refreshed = source.getKey(es("k1"));
    assert.ok(refreshed instanceof Promise, "an expired set waits for the refresh");
    assert.equal(await refreshed, key);
    assert.equal(server.requests, 2);
    assert.equal(source.generation, 1);
    assert.ok(source.isCurrent(key));
  });

  it("freshUntil: -Infinity before any keys, then fetchedAt + maxAge (seed, refresh); a failure keeps it", async (t) => {
    const server = await jwksServer(t, [ecJwk("k1")]);
    const { source, clock } = setup(t, `${server.url}/jwks`);
    assert.equal(source.freshUntil, Number.NEGATIVE_INFINITY);
    const start = clock.t;
    await source.hydrate();
    assert.equal(source.freshUntil, start + MAX_AGE_S * 1000);
    clock.t += MAX_AGE_S * 1000;
    await source.getKey(es("k1"));
    assert.equal(source.freshUntil, clock.t + MAX_AGE_S * 1000);
    const refreshedUntil = source.freshUntil;
    server.handle = json({ error: "down" }, 503);
    clock.t += MAX_AGE_S * 1000;
    await source.getKey(es("k1")); // stale key served after the failed refresh
    assert.equal(source.freshUntil, refreshedUntil, "a failed refresh does not make stale keys fresh");

    const seeded = setup(t, `${server.url}/jwks`, { seed: { keys: [ecJwk("k9")] } });
    assert.equal(seeded.source.freshUntil, seeded.clock.t + MAX_AGE_S * 1000);
  });

  it("key rotation: a new kid is fetched on first sight, once the cooldown allows", async (t) => {
    const k1 = ecJwk("k1");
    const k2 = ecJwk("k2");
    const server = await jwksServer(t, [k1]);
    const { source, clock } = setup(t, `${server.url}/jwks`);
    const key1 = await source.getKey(es("k1"));

    server.doc.current = { keys: [k1, k2] };
    // Within the cooldown of the last fetch: an unknown kid is answered without the network.
    await rejectsWith(() => source.getKey(es("k2")), AuthErrorCodes.KEY_NOT_FOUND);
    assert.equal(server.requests, 1);

    clock.t += COOLDOWN_S * 1000;
    const key2 = await source.getKey(es("k2"));
    assert.equal(key2.kid, "k2");
    assert.equal(server.requests, 2);
    assert.equal(source.generation, 2);
    assert.equal(source.getKey(es("k1")), key1, "k1 is unchanged, so its key (and id) is reused");
    assert.ok(source.isCurrent(key1));

    // k1 retired: a token cache must drop what k1 verified.
    server.doc.current = { keys: [k2] };
    clock.t += MAX_AGE_S * 1000;
    await source.getKey(es("k2"));
    assert.equal(server.requests, 3);
    assert.equal(source.generation, 3);
    assert.equal(source.isCurrent(key1), false);
    assert.ok(source.isCurrent(key2));
    await rejectsWith(() => source.getKey(es("k1")), AuthErrorCodes.KEY_NOT_FOUND);
    assert.equal(server.requests, 3);
  });

  it("an unknown-kid storm costs at most one request per cooldown (concurrent and sequential)", async (t) => {
    const server = await jwksServer(t, [ecJwk("k1")]);
    const { source, clock } = setup(t, `${server.url}/jwks`);
    await source.hydrate();
    assert.equal(server.requests, 1);
    const random = () => es(`kid-${Math.random().toString(36).slice(2)}`);

    // Right after a fetch: no request at all.
    for (let i = 0; i < 1000; i++)
      await rejectsWith(() => source.getKey(random()), AuthErrorCodes.KEY_NOT_FOUND);
    assert.equal(server.requests, 1);

    clock.t += COOLDOWN_S * 1000;
    const storm = await Promise.allSettled(
      Array.from({ length: 1000 }, () => (async () => source.getKey(random()))()),
    );
    assert.ok(
      storm.every(
        (r) => r.status === "rejected" && (r.reason as AuthError).code === AuthErrorCodes.KEY_NOT_FOUND,
      ),
    );
    assert.equal(server.requests, 2, "1,000 concurrent unknown kids: one shared request");

    for (let i = 0; i < 1000; i++)
      await rejectsWith(() => source.getKey(random()), AuthErrorCodes.KEY_NOT_FOUND);
    clock.t += (COOLDOWN_S * 1000) / 2;
    for (let i = 0; i < 1000; i++)
      await rejectsWith(() => source.getKey(random()), AuthErrorCodes.KEY_NOT_FOUND);
    assert.equal(server.requests, 2, "1,000 sequential unknown kids within the cooldown: no request");

    clock.t += COOLDOWN_S * 1000;
    await rejectsWith(() => source.getKey(random()), AuthErrorCodes.KEY_NOT_FOUND);
    assert.equal(server.requests, 3);
    assert.ok(source.getKey(es("k1")), "known keys keep working throughout");
  });

  it("concurrent misses share one in-flight request", async (t) => {
    const k1 = ecJwk("k1");
    const server = await serve(t, (req, res) => setTimeout(() => json({ keys: [k1] })(req, res), 50));
    const { source } = setup(t, `${server.url}/jwks`);

    const known = Array.from({ length: 100 }, () => (async () => source.getKey(es("k1")))());
    const unknown = Array.from({ length: 20 }, (_, i) => (async () => source.getKey(es(`nope-${i}`)))());
    const keys = await Promise.all(known);
    assert.ok(keys.every((k) => k === keys[0]));
    const misses = await Promise.allSettled(unknown);
    assert.ok(
      misses.every(
        (r) => r.status === "rejected" && (r.reason as AuthError).code === AuthErrorCodes.KEY_NOT_FOUND,
      ),
    );
    assert.equal(server.requests, 1);
  });

  it("looks up by kid and algorithm: a wrong alg is refused without a refetch, no kid needs one candidate", async (t) => {
    const server = await jwksServer(t, [ecJwk("k1")]);
    const { source } = setup(t, `${server.url}/jwks`);
    await source.hydrate();
    await rejectsWith(() => source.getKey({ kid: "k1", alg: "RS256" }), AuthErrorCodes.ALGORITHM_NOT_ALLOWED);
    assert.equal((await source.getKey(es(undefined))).kid, "k1");
    assert.equal(server.requests, 1);
  });

  it("pre-seeded keys answer without the network, count as fetched at construction", async (t) => {
    const k1 = ecJwk("k1");
    const k2 = ecJwk("k2");
    const server = await jwksServer(t, [k1, k2]);
    const { source } = setup(t, `${server.url}/jwks`, { seed: { keys: [k1] } });

    const key = source.getKey(es("k1"));
    assert.ok(!(key instanceof Promise));
    await source.hydrate();
    assert.equal(server.requests, 0);

    // No fetch has happened yet, so an unknown kid may fetch at once.
    assert.equal((await source.getKey(es("k2"))).kid, "k2");
    assert.equal(server.requests, 1);

    // Seeded and then refreshed with the same k1: the seeded key is kept.
    assert.equal(source.getKey(es("k1")), key);
  });

  it("a seed alone survives an unreachable endpoint for maxAge + staleIfError", async (t) => {
    let calls = 0;
    const offline = (() => {
      calls += 1;
      return Promise.reject(new TypeError("fetch failed"));
    }) as typeof fetch;
    const { source, clock, logger } = setup(t, "https://id.example.com/jwks", {
      seed: { keys: [ecJwk("k1")] },
      fetch: offline,
    });
    assert.equal(sync(source.getKey(es("k1"))).kid, "k1");
    assert.equal(calls, 0);

    clock.t += (MAX_AGE_S + 1) * 1000;
    assert.equal((await source.getKey(es("k1"))).kid, "k1");
    assert.equal(calls, 1);
    assert.equal(events(logger, "jwks_fetch_failed")[0]?.servingStale, true);
    clock.t += STALE_S * 1000;
    await rejectsWith(() => source.getKey(es("k1")), AuthErrorCodes.KEYS_UNAVAILABLE);
  });

  it("shares one instance per uri and settings through the registry", (t) => {
    t.after(clearSharedRemoteJwks);
    const a = getSharedRemoteJwks("https://id.example.com/jwks", { cache: { maxAgeSeconds: 600 } });
    const b = getSharedRemoteJwks("https://id.example.com/jwks", { cache: { maxAgeSeconds: 600 } });
    const c = getSharedRemoteJwks("https://id.example.com/jwks", { cache: { maxAgeSeconds: 60 } });
    const d = getSharedRemoteJwks("https://id.example.com/jwks", { allowedAlgorithms: ["RS256"] });
    const e = getSharedRemoteJwks("https://other.example.com/jwks");
    assert.equal(a, b);
    assert.equal(new Set([a, c, d, e]).size, 4);
    assert.equal(a, getSharedRemoteJwks("https://id.example.com/jwks"), "defaults are the same settings");
    clearSharedRemoteJwks();
    assert.notEqual(getSharedRemoteJwks("https://id.example.com/jwks"), a);
  });
});

describe("RemoteJwksSource: failures", () => {
  it("times out a hanging endpoint, fails closed, then fails fast within the cooldown", async (t) => {
    const server = await serve(t, () => {});
    const { source, logger } = setup(t, `${server.url}/jwks`, { cache: { timeoutMs: 200 } });

    const error = await rejectsWith(() => source.getKey(es("k1")), AuthErrorCodes.KEYS_UNAVAILABLE);
    assert.match(error.message, /timeout after 200 ms/);
    const [line] = events(logger, "jwks_fetch_failed");
    assert.equal(line?.reason, "timeout after 200 ms");
    assert.equal(line?.servingStale, false);
    assert.equal(line?.level, "ERROR");
    assert.equal(line?.uri, `${server.url}/jwks`);

    const started = performance.now();
    for (let i = 0; i < 50; i++)
      await rejectsWith(() => source.getKey(es("k1")), AuthErrorCodes.KEYS_UNAVAILABLE);
    assert.ok(performance.now() - started < 100, "no caller waits for another timeout");
    assert.equal(server.requests, 1);
  });

  const bad: Array<[string, Handler, string, Partial<RemoteJwksOptions["cache"]>?]> = [
    ["HTTP 500", json({ error: "SECRET-BODY" }, 500), "HTTP 500"],
    ["HTTP 429", json({ error: "slow down" }, 429), "HTTP 429"],
    ["invalid JSON", json('{"keys": [SECRET-BODY'), "invalid JSON"],
    ["a JSON array", json([]), "not a JSON object"],
    ['{"keys": "x"}', json({ keys: "x" }), 'the document is not a JWKS (no "keys" array)'],
    ["no keys member", json({ jwks: [] }), 'the document is not a JWKS (no "keys" array)'],
    [
      "an oversize body with content-length",
      json({ keys: [], pad: "x".repeat(4096) }),
      "response larger than 1024 bytes",
      { maxResponseBytes: 1024 },
    ],
    [
      "an oversize body without content-length",
      (_req, res) => {
        res.writeHead(200, { "content-type": "application/json" });
        res.write('{"keys":[],"pad":"');
        res.end(`${"x".repeat(4096)}"}`);
      },
      "response larger than 1024 bytes",
      { maxResponseBytes: 1024 },
    ],
  ];
  for (const [name, handler, reason, cache] of bad) {
    it(`fails closed on ${name} and logs why, never the body`, async (t) => {
      const server = await serve(t, handler);
      const { source, logger } = setup(t, `${server.url}/jwks`, { cache: cache ?? {} });
      const error = await rejectsWith(() => source.getKey(es("k1")), AuthErrorCodes.KEYS_UNAVAILABLE);
      assert.ok(error.message.includes(reason));
      assert.equal(events(logger, "jwks_fetch_failed")[0]?.reason, reason);
      assert.equal(source.lastFailure, reason);
      assert.doesNotMatch(JSON.stringify(logger.lines) + error.message, /SECRET-BODY/);
      assert.equal(server.requests, 1);
    });
  }

  it("never follows a redirect: its target sees no request", async (t) => {
    const target = await jwksServer(t, [ecJwk("k1")]);
    const server = await serve(t, (_req, res) => {
      res.writeHead(302, { location: `${target.url}/jwks` });
      res.end();
    });
    const { source, logger } = setup(t, `${server.url}/jwks`);
    await rejectsWith(() => source.getKey(es("k1")), AuthErrorCodes.KEYS_UNAVAILABLE);
    assert.equal(events(logger, "jwks_fetch_failed")[0]?.reason, "redirect refused");
    assert.equal(server.requests, 1);
    assert.equal(target.requests, 0);
  });

  it("maps a throwing HTTP client to ERR_JWKS_UNAVAILABLE, never anything else", async (t) => {
    const broken = (() => {
      throw new Error("client bug");
    }) as typeof fetch;
    const { source } = setup(t, "https://id.example.com/jwks", { fetch: broken });
    await rejectsWith(() => source.getKey(es("k1")), AuthErrorCodes.KEYS_UNAVAILABLE);
    await source.hydrate();
  });

  it("hydrate never throws, and a later request recovers after the cooldown", async (t) => {
    const k1 = ecJwk("k1");
    const server = await serve(t, json({}, 503));
    const { source, clock, logger } = setup(t, `${server.url}/jwks`);
    await source.hydrate();
    await source.hydrate(); // within the cooldown: no second attempt
    assert.equal(server.requests, 1);
    await rejectsWith(() => source.getKey(es("k1")), AuthErrorCodes.KEYS_UNAVAILABLE);
    assert.equal(server.requests, 1);

    server.handle = json({ keys: [k1] });
    clock.t += COOLDOWN_S * 1000;
    assert.equal((await source.getKey(es("k1"))).kid, "k1");
    assert.equal(server.requests, 2);
    assert.equal(events(logger, "jwks_fetched")[0]?.recovered, true);
    assert.equal(source.lastFailure, undefined);
  });
});

describe("RemoteJwksSource: stale if error", () => {
  it("serves the last good keys through an outage until maxAge + staleIfError, then fails closed", async (t) => {
    const k1 = ecJwk("k1");
    const server = await jwksServer(t, [k1]);
    const { source, clock, logger } = setup(t, `${server.url}/jwks`);
    const fetchedAt = clock.t;
    const key = await source.getKey(es("k1"));

    server.handle = json({ error: "down" }, 503);
    clock.t = fetchedAt + MAX_AGE_S * 1000 + 1;
    // The first refresh after expiry is awaited; when it fails, the stale key answers.
    assert.equal(await source.getKey(es("k1")), key);
    assert.equal(server.requests, 2);
    const [failed] = events(logger, "jwks_fetch_failed");
    assert.equal(failed?.reason, "HTTP 503");
    assert.equal(failed?.servingStale, true);
    assert.equal(failed?.level, "WARN");
    assert.equal(failed?.staleUntil, new Date(fetchedAt + (MAX_AGE_S + STALE_S) * 1000).toISOString());

    // Within the cooldown: the stale key answers synchronously, no request.
    assert.equal(source.getKey(es("k1")), key);
    assert.equal(server.requests, 2);
    // An unknown kid during the outage is still a missing key, answered at once.
    await rejectsWith(() => source.getKey(es("k9")), AuthErrorCodes.KEY_NOT_FOUND);

    // After the cooldown: one background retry; callers are not held up by it.
    clock.t += COOLDOWN_S * 1000;
    assert.equal(source.getKey(es("k1")), key);
    assert.equal(source.getKey(es("k1")), key);
    await source.hydrate(); // waits for the retry under way
    assert.equal(server.requests, 3);
    assert.ok(source.isCurrent(key));

    // Past the stale window: fail closed.
    clock.t = fetchedAt + (MAX_AGE_S + STALE_S) * 1000;
    const error = await rejectsWith(() => source.getKey(es("k1")), AuthErrorCodes.KEYS_UNAVAILABLE);
    assert.match(error.message, /HTTP 503/);
    assert.equal(source.isCurrent(key), false);
    const last = events(logger, "jwks_fetch_failed").at(-1);
    assert.equal(last?.servingStale, false);
    assert.equal(last?.level, "ERROR");
    // Fail fast from then on.
    await rejectsWith(() => source.getKey(es("k1")), AuthErrorCodes.KEYS_UNAVAILABLE);
    assert.equal(server.requests, 4);
  });

  it("recovers after an outage: the background retry installs the new keys", async (t) => {
    const k1 = ecJwk("k1");
    const k2 = ecJwk("k2");
    const server = await jwksServer(t, [k1]);
    const { source, clock, logger } = setup(t, `${server.url}/jwks`);
    const key1 = await source.getKey(es("k1"));

    server.handle = (req) => req.socket.destroy();
    clock.t += MAX_AGE_S * 1000;
    assert.equal(await source.getKey(es("k1")), key1);
    assert.match(String(events(logger, "jwks_fetch_failed")[0]?.reason), /^connection failed/);

    server.handle = json({ keys: [k2] });
    clock.t += COOLDOWN_S * 1000;
    assert.equal(source.getKey(es("k1")), key1, "stale key served while the retry runs");
    await source.hydrate();
    const fetched = events(logger, "jwks_fetched").at(-1);
    assert.equal(fetched?.recovered, true);
    assert.equal(fetched?.changed, true);
    assert.equal(sync(source.getKey(es("k2"))).kid, "k2");
    assert.equal(source.isCurrent(key1), false);
    await rejectsWith(() => source.getKey(es("k1")), AuthErrorCodes.KEY_NOT_FOUND);
    assert.equal(server.requests, 3);
  });

  it("recovers after failing closed: the next attempt after the cooldown is awaited", async (t) => {
    const server = await serve(t, json({}, 500));
    const { source, clock } = setup(t, `${server.url}/jwks`);
    await rejectsWith(() => source.getKey(es("k1")), AuthErrorCodes.KEYS_UNAVAILABLE);
    server.handle = json({ keys: [ecJwk("k1")] });
    clock.t += COOLDOWN_S * 1000;
    assert.equal((await source.getKey(es("k1"))).kid, "k1");
  });
});

describe("RemoteJwksSource: untrusted keys", () => {
  it("skips unusable keys, one warning each, and serves the others", async (t) => {
    const good = ecJwk("good");
    const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const server = await jwksServer(t, [
      ecJwk("wrong-use", { use: "enc" }),
      ecJwk("wrong-ops", { key_ops: ["encrypt"] }),
      RSA_1024,
      { kty: "XYZ", kid: "unknown-kty", x: "AAAA" },
      { kty: "oct", kid: "secret", k: Buffer.alloc(32, 7).toString("base64url") },
      ecJwk("bad-alg", { alg: "none" }),
      { kty: "EC", crv: "secp256k1", kid: "bad-curve", x: "AAAA", y: "AAAA" },
      "not an object" as unknown as JsonWebKey,
      good,
      { ...privateKey.export({ format: "jwk" }), kid: "private" },
    ]);
    const { source, logger } = setup(t, `${server.url}/jwks`);
    assert.equal((await source.getKey(es("good"))).kid, "good");
    // A private JWK yields its public half only.
    const fromPrivate = sync(source.getKey(es("private")));
    assert.equal(fromPrivate.key.type, "public");

    const skipped = events(logger, "jwks_key_skipped");
    const byKid = new Map(skipped.map((line) => [line.kid, String(line.reason)]));
    assert.equal(skipped.length, 8);
    assert.match(byKid.get("wrong-use")!, /use is "enc"/);
    assert.match(byKid.get("wrong-ops")!, /key_ops/);
    assert.match(byKid.get("rsa-1024")!, /at least 2048 bits/);
    assert.match(byKid.get("unknown-kty")!, /kty "XYZ" is not supported/);
    assert.match(byKid.get("secret")!, /symmetric/);
    assert.match(byKid.get("bad-alg")!, /alg "none" is not supported/);
    assert.match(byKid.get("bad-curve")!, /curve/);
    assert.ok(byKid.has(undefined));
    assert.ok(skipped.every((line) => line.level === "WARN" && line.uri === `${server.url}/jwks`));
    for (const kid of ["wrong-use", "unknown-kty", "secret"]) {
      await rejectsWith(() => source.getKey({ kid, alg: "RS256" }), AuthErrorCodes.KEY_NOT_FOUND);
    }
    // A key judged untrustworthy (too short) is named as refused, not as missing.
    await rejectsWith(() => source.getKey({ kid: "rsa-1024", alg: "RS256" }), AuthErrorCodes.KEY_REFUSED);
    await rejectsWith(() => source.getKey({ kid: "secret", alg: "HS256" }), AuthErrorCodes.KEY_NOT_FOUND);
    assert.equal(server.requests, 1);
  });

  it("binds keys to the issuer's allowlist: an RSA key pinned to RS256 is skipped when only ES256 is allowed", async (t) => {
    const server = await jwksServer(t, [RSA_2048, ecJwk("k1")]);
    const { source, logger } = setup(t, `${server.url}/jwks`, { allowedAlgorithms: ["ES256"] });
    await source.hydrate();
    assert.equal(source.keySet?.size, 1);
    assert.match(String(events(logger, "jwks_key_skipped")[0]?.reason), /none of which is allowed/);
  });

  it("accepts at most maxKeys keys; the extra ones are skipped and logged", async (t) => {
    const keys = ["a", "b", "c", "d", "e"].map((kid) => ecJwk(kid));
    const server = await jwksServer(t, keys);
    const { source, logger } = setup(t, `${server.url}/jwks`, { cache: { maxKeys: 3 } });
    await source.hydrate();
    assert.equal(source.keySet?.size, 3);
    assert.ok(source.getKey(es("c")));
    await rejectsWith(() => source.getKey(es("d")), AuthErrorCodes.KEY_NOT_FOUND);
    const skipped = events(logger, "jwks_key_skipped");
    assert.deepEqual(
      skipped.map((line) => line.kid),
      ["d", "e"],
    );
    assert.match(String(skipped[0]?.reason), /more than 3 usable keys/);
  });

  it("caps skip warnings for a hostile document", async (t) => {
    const junk = Array.from({ length: 500 }, (_, i) => ({ kty: "junk", kid: `j${i}` }));
    const server = await jwksServer(t, junk as JsonWebKey[]);
    const { source, logger } = setup(t, `${server.url}/jwks`);
    await source.hydrate();
    assert.equal(events(logger, "jwks_key_skipped").length, 20);
    assert.equal(events(logger, "jwks_keys_skipped")[0]?.skipped, 500);
    assert.equal(events(logger, "jwks_fetched")[0]?.level, "WARN", "an empty usable set is worth a warning");
  });

  it("a duplicated kid is refused rather than guessed", async (t) => {
    const server = await jwksServer(t, [ecJwk("dup"), ecJwk("dup")]);
    const { source } = setup(t, `${server.url}/jwks`);
    await source.hydrate();
    await rejectsWith(() => source.getKey(es("dup")), AuthErrorCodes.KEY_NOT_FOUND);
    assert.equal(server.requests, 1);
  });
});
