/**
 * The verified-token cache: a repeated token is served from the cache (detected by identity of the
 * result), never past exp / maxTokenAgeSeconds / its TTL, bounded in size, and off with
 * `tokenCache.maxEntries: 0`.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { AuthErrorCodes } from "../../../src/errors.js";
import type { KeySource, VerificationKey } from "../../../src/keys/types.js";
import { TokenCache } from "../../../src/token/token-cache.js";
import { createVerifier } from "../../../src/token/verifier.js";
import {
  assertAuthError,
  craftToken,
  flipSignatureBit,
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

  test("never holds more than maxEntries", () => {
    const cache = new TokenCache<number>(5, 300);
    for (let i = 0; i < 100; i++) {
      cache.set(`t${i}`, i, key, source, 0, 10_000);
      assert.ok(cache.size <= 5);
    }
    assert.equal(cache.get("t99", 1), 99);
    assert.equal(cache.get("t0", 1), undefined);
  });

  test("an entry expires at min(expiresAt, now + ttl)", () => {
    const cache = new TokenCache<string>(10, 1);
    cache.set("a", "A", key, source, 0, 10_000);
    cache.set("b", "B", key, source, 0, 500);
    assert.equal(cache.get("a", 999), "A");
    assert.equal(cache.get("a", 1000), undefined);
    assert.equal(cache.get("b", 499), "B");
    assert.equal(cache.get("b", 500), undefined);
  });

  test("an already-expired value is not stored", () => {
    const cache = new TokenCache<string>(10, 60);
    cache.set("a", "A", key, source, 1000, 1000);
    assert.equal(cache.size, 0);
  });

  test("an entry is dropped once its key is no longer current in its source", () => {
    let current = true;
    const rotating: KeySource = { ...source, isCurrent: () => current };
    const cache = new TokenCache<string>(10, 60);
    cache.set("a", "A", key, rotating, 0, 10_000);
    assert.equal(cache.get("a", 1), "A");
    current = false;
    assert.equal(cache.get("a", 2), undefined);
    assert.equal(cache.size, 0);
  });

  test("storing a token that is already cached does not evict another entry", () => {
    const cache = new TokenCache<string>(2, 60);
    cache.set("a", "A", key, source, 0, 10_000);
    cache.set("b", "B", key, source, 0, 10_000);
    // Two concurrent verifications of "b" both miss and both store it.
    cache.set("b", "B2", key, source, 0, 10_000);
    assert.equal(cache.get("a", 1), "A", "a was evicted although the cache only refreshed b");
    assert.equal(cache.get("b", 1), "B2");
  });
});
