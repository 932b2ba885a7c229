/**
 * Section 3: repeated tokens. gatepass's verified-token cache hit against fast-jwt's (the only
 * peer with a token cache), each operation with a fresh string of the same token (as a newly
 * parsed event gives: its hash is not computed yet); a hit of a token whose key came from a remote
 * JWKS (a loopback server) also checks that the key set is still fresh. Then what the cache key
 * costs: the issue asks for a hash of the whole token as the key; the second table times the
 * candidates for that key, each followed by the Map lookup that a hit needs.
 */
import * as crypto from "node:crypto";
import { checkVerifier, microTiming } from "../lib/checks.js";
import { AUDIENCE, benchKey, ISSUER, issuerConfig, signJwt, standardClaims } from "../lib/fixtures.js";
import { createFloorVerifier } from "../lib/floor.js";
import { createVerifier } from "../lib/gatepass.js";
import { type Candidate, freshStrings, measure, ratio } from "../lib/harness.js";
import { startJwksServer } from "../lib/jwks-server.js";
import { createFastJwtPeer } from "../lib/peer-verifiers.js";
import type { BenchContext, Section, SectionResult } from "../lib/section.js";
import { markdownTable, num, opsPerSecond, ratioText, withRange } from "../lib/table.js";

/** `crypto.hash` (one-shot, Node ≥ 20.12): not in every @types/node 20. */
const oneShotHash = (crypto as { hash?: (algorithm: string, data: string, encoding: "base64") => string })
  .hash;

export const cacheSection: Section = {
  id: "cache",
  title: "3. Repeated tokens (verified-token cache)",
  async run(context: BenchContext): Promise<SectionResult> {
    context.progress("cache: hits");
    const key = benchKey("RS256");
    const token = signJwt(standardClaims(), key);
    const next = freshStrings(token);
    const gatepass = createVerifier(
      { issuers: [issuerConfig(key)], tokenCache: { maxEntries: 1000, ttlSeconds: 300 } },
      { sharedKeyCache: false },
    );
    const uncached = createVerifier(
      { issuers: [issuerConfig(key)], tokenCache: { maxEntries: 0 } },
      { sharedKeyCache: false },
    );
    const jwksServer = await startJwksServer([key.publicJwk]);
    const remote = createVerifier(
      {
        issuers: [{ issuer: ISSUER, audience: [AUDIENCE], algorithms: [key.alg], jwksUri: jwksServer.url }],
        tokenCache: { maxEntries: 1000, ttlSeconds: 300 },
      },
      { sharedKeyCache: false },
    );
    const fastJwt = createFastJwtPeer(key, true).verify!;
    const floor = createFloorVerifier({
      alg: "RS256",
      key: key.verifyKey,
      issuer: ISSUER,
      audience: AUDIENCE,
    });
    let hits: Awaited<ReturnType<typeof measure>>;
    try {
      await checkVerifier("gatepass (cache)", (t) => gatepass.verify(t), token);
      await checkVerifier("gatepass (cache, remote JWKS)", (t) => remote.verify(t), token);
      await checkVerifier("fast-jwt (cache)", fastJwt, token);
      // Fill the caches before timing: every timed call is a hit.
      await gatepass.verify(token);
      await remote.verify(token);
      fastJwt(token);
      hits = await measure(
        [
          { name: "gatepass, cache hit", run: () => gatepass.verify(next()) },
          { name: "gatepass, cache hit (remote JWKS)", run: () => remote.verify(next()) },
          { name: "fast-jwt, cache hit", run: () => fastJwt(next()) },
          { name: "gatepass, cache off", run: () => uncached.verify(next()) },
          { name: "floor (no cache)", run: () => floor(next()) },
          { name: "baseline: a fresh token string, flattened", run: () => next().charCodeAt(0) },
        ],
        microTiming(context),
      );
    } finally {
      await jwksServer.close();
    }
    const fast = hits[2]!;
    const hitRows = hits.map((m) => [
      m.name,
      withRange(m.stats),
      opsPerSecond(m.stats.median),
      m === fast ? "1.00×" : ratioText(ratio(m, fast)),
    ]);

    context.progress("cache: key derivation");
    const map = new Map<string, number>();
    const sha256Hex = (t: string) => crypto.createHash("sha256").update(t).digest("hex");
    const sha256B64 = (t: string) => crypto.createHash("sha256").update(t).digest("base64");
    map.set(token, 1);
    map.set(sha256Hex(token), 1);
    map.set(sha256B64(token), 1);
    const keyCandidates: Candidate[] = [
      { name: "the token itself (current)", run: () => map.get(next()) },
      { name: 'createHash("sha256") → hex', run: () => map.get(sha256Hex(next())) },
      { name: 'createHash("sha256") → base64', run: () => map.get(sha256B64(next())) },
    ];
    if (oneShotHash !== undefined) {
      keyCandidates.push({
        name: 'crypto.hash("sha256", token, "base64")',
        run: () => map.get(oneShotHash("sha256", next(), "base64")),
      });
    }
    const keys = await measure(keyCandidates, microTiming(context));
    const keyRows = keys.map((m) => [m.name, withRange(m.stats), ratioText(ratio(m, keys[0]!))]);

    const gatepassHit = hits[0]!;
    const vsFast = ratio(gatepassHit, fast).median;
    const body = [
      `An RS256 token (${token.length} characters) verified again and again, each call with a fresh`,
      "string of it. gatepass: `tokenCache: {maxEntries: 1000, ttlSeconds: 300}`; fast-jwt: `cache: 1000`",
      "(its key: a SHA-256 of the token). The remote JWKS hit: the same with the key from a `jwksUri`",
      "(a loopback server), whose freshness every hit checks. µs/op: median of the rounds (min–max).",
      "",
      markdownTable(
        [
          { title: "candidate" },
          { title: "µs/op", align: "right" },
          { title: "ops/s", align: "right" },
          { title: "× fast-jwt hit", align: "right" },
        ],
        hitRows,
      ),
      "",
      "Cache key cost: derive the key from a fresh token string, then look it up in a Map (a hit).",
      "",
      markdownTable(
        [
          { title: "key" },
          { title: "µs/op", align: "right" },
          { title: "× the token itself", align: "right" },
        ],
        keyRows,
      ),
    ].join("\n");
    return {
      title: this.title,
      body,
      targets: [
        {
          target: "gatepass cache hit faster than fast-jwt's cache hit",
          measured: `${vsFast.toFixed(2)}× fast-jwt's time (${num(gatepassHit.stats.median)} vs ${num(fast.stats.median)} µs)`,
          met: vsFast < 1,
        },
      ],
    };
  },
};
