/**
 * The verified-token cache: a repeated token is served from the cache (detected by identity of the
 * result), never past exp / maxTokenAgeSeconds / its TTL, bounded in size, and off with
 * `tokenCache.maxEntries: 0`.
 */
import assert from "node:assert/strict";
import { describe, type TestContext, test } from "node:test";
import { AuthError, AuthErrorCodes } from "../../../src/errors.js";
import type { KeySource, VerificationKey } from "../../../src/keys/types.js";
import { TokenCache } from "../../../src/token/token-cache.js";
import { createVerifier } from "../../../src/token/verifier.js";
import { json, serve } from "../../helpers/http-server.js";
import {
  assertAuthError,
  craftToken,
  flipSignatureBit,
  joseSign,
  jwksOf,
  TEST_AUDIENCE,
  TEST_ISSUER,
  testKey,
} from "../../helpers/keys.js";

const T = 1_700_000_000;
const hs = testKey("HS256");

function setup(top: Record<string, unknown> = {}, issuer: Record<string, unknown> = {}) {
  const clock = { seconds: T };
  const verifier = createVerifier(
    { issuers: [{ issuer: TEST_ISSUER, audience: TEST_AUDIENCE, secret: hs.secret, ...issuer }], ...top },
    { now: () => clock.seconds * 1000, sharedKeyCache: false },
  );
  return { verifier, clock };
}

const token = (claims: Record<string, unknown> = {}) =>
  craftToken({ alg: "HS256" }, { iss: TEST_ISSUER, aud: TEST_AUDIENCE, exp: T + 60, ...claims }, { key: hs });

describe("verified-token cache in the verifier", () => {
  test("a repeated token is served from the cache (the same result object)", async () => {
    const { verifier } = setup();
    const t = token();
    const first = await verifier.verify(t);
    const second = await verifier.verify(t);
    assert.equal(second, first);
  });

  test("tokenCache.maxEntries 0 disables it (a fresh result each time)", async () => {
    const { verifier } = setup({ tokenCache: { maxEntries: 0 } });
    const t = token();
    const first = await verifier.verify(t);
    const second = await verifier.verify(t);
    assert.notEqual(second, first);
    assert.deepEqual(second, first);
  });

  test("a cached token is refused once the clock passes exp (plus tolerance)", async () => {
    const { verifier, clock } = setup();
    const t = token({ exp: T + 60 });
    const first = await verifier.verify(t);
    clock.seconds = T + 64.999;
    assert.equal(await verifier.verify(t), first, "still cached within the tolerance");
    clock.seconds = T + 65;
    await assertAuthError(verifier.verify(t), AuthErrorCodes.EXPIRED);
    clock.seconds = T + 3600;
    await assertAuthError(verifier.verify(t), AuthErrorCodes.EXPIRED);
  });

  test("a cached token is refused once it is older than maxTokenAgeSeconds", async () => {
    const { verifier, clock } = setup({}, { maxTokenAgeSeconds: 30, clockToleranceSeconds: 0 });
    const t = token({ iat: T, exp: T + 3600 });
    const first = await verifier.verify(t);
    clock.seconds = T + 29;
    assert.equal(await verifier.verify(t), first);
    clock.seconds = T + 30.001;
    await assertAuthError(verifier.verify(t), AuthErrorCodes.IAT_INVALID);
  });

  test("entries live no longer than tokenCache.ttlSeconds, then the token is verified afresh", async () => {
    const { verifier, clock } = setup({ tokenCache: { ttlSeconds: 2 } }, { requireExp: false });
    const t = token({ exp: undefined });
    const first = await verifier.verify(t);
    clock.seconds = T + 1.999;
    assert.equal(await verifier.verify(t), first);
    clock.seconds = T + 2;
    const again = await verifier.verify(t);
    assert.notEqual(again, first);
    assert.deepEqual(again.payload, first.payload);
  });

  test("the cache is bounded: with maxEntries 2 the oldest token is evicted", async () => {
    const { verifier } = setup({ tokenCache: { maxEntries: 2 } });
    const [a, b, c] = [token({ jti: "a" }), token({ jti: "b" }), token({ jti: "c" })];
    const ra = await verifier.verify(a);
    const rb = await verifier.verify(b);
    const rc = await verifier.verify(c);
    assert.equal(await verifier.verify(c), rc);
    assert.equal(await verifier.verify(b), rb);
    assert.notEqual(await verifier.verify(a), ra, "a should have been evicted");
  });

  test("a hit needs the exact bytes: a cached token with a flipped signature bit is refused", async () => {
    const { verifier } = setup();
    const t = token();
    await verifier.verify(t);
    await assertAuthError(verifier.verify(flipSignatureBit(t)), AuthErrorCodes.SIGNATURE_INVALID);
    await assertAuthError(verifier.verify(`${t} `), AuthErrorCodes.MALFORMED);
  });

  test("refused tokens are not cached: an expired token stays refused and a valid one is unaffected", async () => {
    const { verifier } = setup();
    const expired = token({ exp: T - 100 });
    await assertAuthError(verifier.verify(expired), AuthErrorCodes.EXPIRED);
    await assertAuthError(verifier.verify(expired), AuthErrorCodes.EXPIRED);
  });

  test("thousands of distinct tokens keep working (no unbounded growth visible as errors)", async () => {
    const { verifier } = setup({ tokenCache: { maxEntries: 10 } });
    for (let i = 0; i < 300; i++) await verifier.verify(token({ jti: `t${i}` }));
  });
});

describe("TokenCache", () => {
  const key: VerificationKey = {
    kid: undefined,
    key: hs.verifyKey,
    algorithms: new Set(["HS256"]),
    id: "k#1",
  };
  const source: KeySource = { getKey: () => key, hydrate: async () => {} };
  const lookup = { kid: undefined, alg: "HS256" } as const;

  /** A key source whose keys change: fresh until `freshUntil`, answering `answer()` when asked. */
  function changing(answer: () => VerificationKey | Promise<VerificationKey>) {
    const state = { freshUntil: 1000, generation: 1, current: true, asked: 0 };
    const dynamic: KeySource = {
      getKey: () => {
        state.asked += 1;
        return answer();
      },
      hydrate: async () => {},
      isCurrent: () => state.current,
      get freshUntil() {
        return state.freshUntil;
      },
      get generation() {
        return state.generation;
      },
    };
    return { state, dynamic };
  }

  test("never holds more than maxEntries", () => {
    const cache = new TokenCache<number>(5, 300);
    for (let i = 0; i < 100; i++) {
      cache.set(`t${i}`, i, key, source, 0, 10_000, lookup);
      assert.ok(cache.size <= 5);
    }
    assert.equal(cache.get("t99", 1), 99);
    assert.equal(cache.get("t0", 1), undefined);
  });

  test("an entry expires at min(expiresAt, now + ttl)", () => {
    const cache = new TokenCache<string>(10, 1);
    cache.set("a", "A", key, source, 0, 10_000, lookup);
    cache.set("b", "B", key, source, 0, 500, lookup);
    assert.equal(cache.get("a", 999), "A");
    assert.equal(cache.get("a", 1000), undefined);
    assert.equal(cache.get("b", 499), "B");
    assert.equal(cache.get("b", 500), undefined);
  });

  test("an already-expired value is not stored", () => {
    const cache = new TokenCache<string>(10, 60);
    cache.set("a", "A", key, source, 1000, 1000, lookup);
    assert.equal(cache.size, 0);
  });

  test("an entry is dropped once its key is no longer current in its source", () => {
    let answer = key;
    const { state, dynamic } = changing(() => answer);
    const cache = new TokenCache<string>(10, 60);
    cache.set("a", "A", key, dynamic, 0, 10_000, lookup);
    assert.equal(cache.get("a", 1), "A");
    // A refresh replaced the key (same lookup, another key instance).
    state.generation = 2;
    answer = { ...key, id: "k#2" };
    assert.equal(cache.get("a", 2), undefined);
    assert.equal(cache.size, 0);
  });

  test("a key found no longer current when storing is not cached", () => {
    const { state, dynamic } = changing(() => key);
    state.current = false;
    const cache = new TokenCache<string>(10, 60);
    cache.set("a", "A", key, dynamic, 0, 10_000, lookup);
    assert.equal(cache.size, 0);
  });

  test("a fresh, unchanged source is not asked; a stale or changed one is asked once per check", () => {
    const { state, dynamic } = changing(() => key);
    const cache = new TokenCache<string>(10, 60);
    cache.set("a", "A", key, dynamic, 0, 10_000, lookup);
    assert.equal(cache.get("a", 999), "A");
    assert.equal(state.asked, 0);
    state.generation = 2; // a key was added: "a"'s key is still there
    assert.equal(cache.get("a", 999), "A");
    assert.equal(cache.get("a", 999), "A");
    assert.equal(state.asked, 1, "the new generation is remembered");
    assert.equal(cache.get("a", 1000), "A", "stale: asked again, the same key answers");
    assert.equal(state.asked, 2);
  });

  test("the source's error on a stale hit is thrown as is, and the entry dropped", () => {
    const { dynamic } = changing(() => {
      throw new AuthError(AuthErrorCodes.KEY_NOT_FOUND, "No key matches the token's kid.");
    });
    const cache = new TokenCache<string>(10, 60);
    cache.set("a", "A", key, dynamic, 0, 10_000, lookup);
    assert.throws(() => cache.get("a", 1000), { code: AuthErrorCodes.KEY_NOT_FOUND });
    assert.equal(cache.size, 0);
  });

  test("a stale hit waits for the source's refresh: the value, or its rejection", async () => {
    let outcome: Promise<VerificationKey> = Promise.resolve(key);
    const { dynamic } = changing(() => outcome);
    const cache = new TokenCache<string>(10, 60);
    cache.set("a", "A", key, dynamic, 0, 10_000, lookup);
    const waited = cache.get("a", 1000);
    assert.ok(waited instanceof Promise);
    assert.equal(await waited, "A");
    outcome = Promise.reject(new AuthError(AuthErrorCodes.KEYS_UNAVAILABLE, "unavailable"));
    await assertAuthError(async () => cache.get("a", 1000), AuthErrorCodes.KEYS_UNAVAILABLE);
    assert.equal(cache.size, 0);
  });

  test("storing a token that is already cached does not evict another entry", () => {
    const cache = new TokenCache<string>(2, 60);
    cache.set("a", "A", key, source, 0, 10_000, lookup);
    cache.set("b", "B", key, source, 0, 10_000, lookup);
    // Two concurrent verifications of "b" both miss and both store it.
    cache.set("b", "B2", key, source, 0, 10_000, lookup);
    assert.equal(cache.get("a", 1), "A", "a was evicted although the cache only refreshed b");
    assert.equal(cache.get("b", 1), "B2");
  });
});

// A hit must be worth exactly what a fresh verification is: past the remote key set's maxAge it
// triggers (or waits for) the same refresh, with the same cooldown, single flight and stale window,
// and a token whose key the refresh removed is refused. Real JWKS (and discovery) servers on
// 127.0.0.1 count their requests; the clock is injected. A re-verification shows as a new result
// object (a hit returns the cached, frozen one), so "same object" means "no signature verified".
describe("verified-token cache hits follow the freshness of remote keys", () => {
  const TIMEOUT = { timeout: 30_000 };
  const MAX_AGE_S = 600;
  const COOLDOWN_S = 30;
  const STALE_S = 3600;
  const k1 = testKey("ES256", 0);
  const k2 = testKey("ES256", 1);
  const jwksCache = { maxAgeSeconds: MAX_AGE_S, cooldownSeconds: COOLDOWN_S, staleIfErrorSeconds: STALE_S };

  /** A JWKS endpoint serving `state.doc`, or 503 while `state.down`, after `state.delayMs`. */
  async function jwksEndpoint(t: TestContext, doc: { keys: unknown[] }) {
    const state = { doc, down: false, delayMs: 0 };
    const server = await serve(t, (req, res) => {
      const answer = () => (state.down ? json({ error: "down" }, 503) : json(state.doc))(req, res);
      if (state.delayMs > 0) setTimeout(answer, state.delayMs);
      else answer();
    });
    return Object.assign(state, { server });
  }

  function remoteVerifier(t: TestContext, issuer: Record<string, unknown>) {
    const clock = { ms: T * 1000 };
    const verifier = createVerifier(
      {
        issuers: [
          { issuer: TEST_ISSUER, audience: [TEST_AUDIENCE], algorithms: ["ES256"], jwksCache, ...issuer },
        ],
        tokenCache: { maxEntries: 2000, ttlSeconds: 86400 },
      },
      { now: () => clock.ms, sharedKeyCache: false },
    );
    t.after(() => verifier.hydrate()); // a background refresh finishes before its server closes
    const advance = (s: number) => {
      clock.ms += s * 1000;
    };
    return { verifier, clock, advance };
  }

  /** A week-long token signed with jose by `key` (its kid in the header). */
  const sign = (key = k1, claims: Record<string, unknown> = {}, issuer = TEST_ISSUER) =>
    joseSign(key, { iss: issuer, aud: TEST_AUDIENCE, iat: T, exp: T + 7 * 86400, ...claims });

  test(
    "(a) a cached token whose key left the JWKS is refused right after maxAge (ERR_KEY_NOT_FOUND), not after the stale window",
    TIMEOUT,
    async (t) => {
      const endpoint = await jwksEndpoint(t, jwksOf(k1, k2));
      const { verifier, advance } = remoteVerifier(t, { jwksUri: `${endpoint.server.url}/jwks` });
      const token = await sign(k1);
      const first = await verifier.verify(token);
      assert.equal(endpoint.server.requests, 1);

      endpoint.doc = jwksOf(k2); // k1 retired at the identity provider
      advance(MAX_AGE_S - 1);
      assert.equal(await verifier.verify(token), first, "keys still fresh: a hit, no request");
      assert.equal(endpoint.server.requests, 1);

      advance(1); // exactly maxAge: an uncached verification would refresh now, so does a hit
      await assertAuthError(verifier.verify(token), AuthErrorCodes.KEY_NOT_FOUND);
      assert.equal(endpoint.server.requests, 2, "the hit caused the refresh");
      await assertAuthError(verifier.verify(token), AuthErrorCodes.KEY_NOT_FOUND);
      await assertAuthError(verifier.verify(await sign(k1, { jti: "fresh" })), AuthErrorCodes.KEY_NOT_FOUND);
      assert.ok(await verifier.verify(await sign(k2)), "the remaining key still verifies");
      assert.equal(endpoint.server.requests, 2);
    },
  );

  test(
    "(b) JWKS endpoint down past maxAge: a cached token is served within the stale window, then refused",
    TIMEOUT,
    async (t) => {
      const endpoint = await jwksEndpoint(t, jwksOf(k1));
      const { verifier, advance } = remoteVerifier(t, { jwksUri: `${endpoint.server.url}/jwks` });
      const token = await sign(k1);
      const first = await verifier.verify(token);

      endpoint.down = true;
      advance(MAX_AGE_S + 1);
      assert.equal(await verifier.verify(token), first, "stale keys still vouch for it");
      assert.equal(endpoint.server.requests, 2, "one refresh attempt, as an uncached verification makes");
      advance(1);
      assert.equal(await verifier.verify(token), first);
      assert.equal(endpoint.server.requests, 2, "no retry within the cooldown");
      advance(COOLDOWN_S);
      assert.equal(await verifier.verify(token), first, "answered at once; the retry runs in the background");
      await verifier.hydrate();
      assert.equal(endpoint.server.requests, 3);

      advance(MAX_AGE_S + STALE_S - (MAX_AGE_S + 2 + COOLDOWN_S) - 1); // 1 s before the stale window ends
      assert.equal(await verifier.verify(token), first);
      advance(1);
      await assertAuthError(verifier.verify(token), AuthErrorCodes.KEYS_UNAVAILABLE);
      await assertAuthError(
        verifier.verify(await sign(k1, { jti: "fresh" })),
        AuthErrorCodes.KEYS_UNAVAILABLE,
      );

      endpoint.down = false; // back: after the cooldown, the token passes again
      advance(COOLDOWN_S);
      assert.deepEqual((await verifier.verify(token)).payload, first.payload);
    },
  );

  test(
    "(c) 1,000 concurrent hits past maxAge share one JWKS request; after a failed refresh the cooldown holds",
    TIMEOUT,
    async (t) => {
      const endpoint = await jwksEndpoint(t, jwksOf(k1));
      endpoint.delayMs = 20; // a real identity provider is not instantaneous
      const { verifier, advance } = remoteVerifier(t, { jwksUri: `${endpoint.server.url}/jwks` });
      const token = await sign(k1);
      const first = await verifier.verify(token);
      const burst = async () => {
        const results = await Promise.all(Array.from({ length: 1000 }, () => verifier.verify(token)));
        assert.ok(
          results.every((r) => r === first),
          "every one is the cached result",
        );
      };

      advance(MAX_AGE_S);
      await burst();
      assert.equal(endpoint.server.requests, 2, "single flight: one refresh for 1,000 hits");
      advance(MAX_AGE_S - 1);
      await burst();
      assert.equal(endpoint.server.requests, 2, "refreshed keys are fresh for another maxAge");

      endpoint.down = true;
      advance(1);
      await burst();
      assert.equal(endpoint.server.requests, 3, "one failed refresh; the stale key answers");
      advance(COOLDOWN_S - 1);
      await burst();
      assert.equal(endpoint.server.requests, 3, "no retry within the cooldown after a failure");
      advance(1);
      await burst();
      await verifier.hydrate();
      assert.equal(endpoint.server.requests, 4, "one retry once the cooldown has passed");
    },
  );

  test(
    "(d) a refresh that returns the same keys keeps hits hitting (no re-verification)",
    TIMEOUT,
    async (t) => {
      const endpoint = await jwksEndpoint(t, jwksOf(k1));
      const { verifier, advance } = remoteVerifier(t, { jwksUri: `${endpoint.server.url}/jwks` });
      const tokens = await Promise.all(Array.from({ length: 50 }, (_, i) => sign(k1, { jti: `t${i}` })));
      const firsts = await Promise.all(tokens.map((tk) => verifier.verify(tk)));

      advance(MAX_AGE_S);
      const again = await Promise.all(tokens.map((tk) => verifier.verify(tk)));
      assert.equal(endpoint.server.requests, 2, "the hits refreshed the keys");
      assert.ok(
        again.every((r, i) => r === firsts[i]),
        "same keys: every token is still a hit",
      );
      advance(MAX_AGE_S - 1);
      assert.ok(
        (await Promise.all(tokens.map((tk) => verifier.verify(tk)))).every((r, i) => r === firsts[i]),
      );
      assert.equal(endpoint.server.requests, 2);

      // A refresh that adds a key changes the set but keeps k1: its tokens stay hits too.
      endpoint.doc = jwksOf(k1, k2);
      advance(1);
      assert.ok(
        (await Promise.all(tokens.map((tk) => verifier.verify(tk)))).every((r, i) => r === firsts[i]),
      );
      assert.equal(endpoint.server.requests, 3);
    },
  );

  test(
    "a discovery-backed issuer: a cached token whose key left the JWKS is refused right after maxAge",
    TIMEOUT,
    async (t) => {
      const state = { doc: jwksOf(k1, k2) };
      const server = await serve(t, (req, res) => {
        if (req.url === "/.well-known/openid-configuration")
          return json({ issuer: `${server.url}/`, jwks_uri: `${server.url}/keys` })(req, res);
        return json(state.doc)(req, res);
      });
      const issuer = `${server.url}/`;
      const { verifier, advance } = remoteVerifier(t, { issuer, discovery: true });
      const token = await sign(k1, {}, issuer);
      const first = await verifier.verify(token);
      const requests = server.requests; // discovery + JWKS

      state.doc = jwksOf(k2);
      advance(MAX_AGE_S - 1);
      assert.equal(await verifier.verify(token), first);
      assert.equal(server.requests, requests);
      advance(1);
      await assertAuthError(verifier.verify(token), AuthErrorCodes.KEY_NOT_FOUND);
      assert.ok(server.requests > requests, "the hit caused the refresh");
      assert.ok(await verifier.verify(await sign(k2, {}, issuer)));
    },
  );

  test(
    "static keys (secret) are always fresh: a hit long after any maxAge asks nothing",
    TIMEOUT,
    async () => {
      const { verifier, clock } = setup({ tokenCache: { ttlSeconds: 86400 } });
      const t = token({ exp: T + 2 * 86400 });
      const first = await verifier.verify(t);
      clock.seconds = T + 86399;
      assert.equal(await verifier.verify(t), first);
    },
  );
});
