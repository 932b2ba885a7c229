/**
 * The JWKS metrics against a local JWKS server that misbehaves on command: fetches, fetch failures,
 * stale keys served and unknown-kid refetches are counted by the key source, and each count lands
 * once, in the EMF document of the invocation during (or after) which it happened — a cold start's
 * fetch in the first document. Cache ages move with an injected clock; tokens are signed with jose;
 * documents are checked against the EMF specification (tests/helpers/emf.ts).
 */
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { after, test } from "node:test";
import { SignJWT } from "jose";
import { createAuthorizer } from "../../src/lambda/authorizer.js";
import { createMemoryLogger } from "../../src/log.js";
import { type EmfDocument, emfProblems } from "../helpers/emf.js";
import { type CountingServer, json, startCountingServer } from "./support.js";

const ISSUER = "https://idp.metrics.test/";
const AUDIENCE = "metrics-api";
const ARN = "arn:aws:execute-api:us-east-1:123456789012:m3tr1csap1/prod/GET/orders/7";
const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
const JWK = { ...publicKey.export({ format: "jwk" }), kid: "ec-1", alg: "ES256", use: "sig" };

let server: CountingServer | undefined;
after(async () => server?.close());

test("JWKS fetches, failures, stale keys and unknown-kid refetches, one document per invocation", async () => {
  const state = { failing: false };
  server = await startCountingServer((_req, res) => {
    if (state.failing) {
      res.writeHead(500);
      res.end("down");
      return;
    }
    json(res, { keys: [JWK] });
  });
  const clock = { t: Date.now() };
  const handler = createAuthorizer(
    {
      issuers: [
        {
          issuer: ISSUER,
          audience: [AUDIENCE],
          algorithms: ["ES256"],
          jwksUri: `${server.url}/jwks.json`,
          jwksCache: { maxAgeSeconds: 60, cooldownSeconds: 5, staleIfErrorSeconds: 120, timeoutMs: 500 },
        },
      ],
      metrics: { namespace: "Gatepass/Faults" },
    },
    { now: () => clock.t, logger: createMemoryLogger(), sharedKeyCache: false },
  );
  const sign = (kid: string) =>
    new SignJWT({ sub: "user-1" })
      .setProtectedHeader({ alg: "ES256", kid })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt(Math.floor(clock.t / 1000))
      .setExpirationTime(Math.floor(clock.t / 1000) + 3600)
      .sign(privateKey);

  /** One invocation: its outcome and the one EMF document it wrote, as Lambda would ship it. */
  const ask = async (kid: string) => {
    const event = { type: "TOKEN", authorizationToken: `Bearer ${await sign(kid)}`, methodArn: ARN };
    const lines: string[] = [];
    const original = process.stdout.write;
    process.stdout.write = ((chunk: string | Uint8Array) => {
      lines.push(...String(chunk).split("\n").filter(Boolean));
      return true;
    }) as typeof process.stdout.write;
    try {
      await handler(event).catch(() => undefined);
    } finally {
      process.stdout.write = original;
    }
    const docs = lines.filter((l) => l.includes('"_aws"'));
    assert.equal(docs.length, 1, "one EMF document per invocation");
    assert.deepEqual(emfProblems(docs[0]!), []);
    const doc = JSON.parse(docs[0]!) as EmfDocument;
    const keyDirective = doc._aws.CloudWatchMetrics.find((d) =>
      d.Metrics.some((m) => m.Name.startsWith("Jwks")),
    );
    if (keyDirective !== undefined) assert.deepEqual(keyDirective.Dimensions, [["service"]]);
    const counts: Record<string, number> = {};
    for (const m of keyDirective?.Metrics ?? []) counts[m.Name] = doc[m.Name] as number;
    return { outcome: doc.outcome, reason: doc.reason, counts };
  };

  // Cold start: the fetch of hydrate is reported with the first invocation.
  await handler.hydrate();
  assert.deepEqual(await ask("ec-1"), { outcome: "allow", reason: undefined, counts: { JwksFetches: 1 } });
  assert.deepEqual(await ask("ec-1"), { outcome: "allow", reason: undefined, counts: {} });

  // A token naming an unknown kid: one refetch, counted as such.
  clock.t += 10_000;
  assert.deepEqual(await ask("rotated-away"), {
    outcome: "unauthorized",
    reason: "ERR_KEY_NOT_FOUND",
    counts: { JwksFetches: 1, JwksUnknownKidRefetches: 1 },
  });

  // The endpoint fails after the keys expire: the refresh fails and the stale key answers.
  state.failing = true;
  clock.t += 61_000;
  assert.deepEqual(await ask("ec-1"), {
    outcome: "allow",
    reason: undefined,
    counts: { JwksFetches: 1, JwksFetchFailures: 1, JwksStaleKeysServed: 1 },
  });
  // Within the cooldown: no fetch, the stale key answers at once.
  clock.t += 1_000;
  assert.deepEqual(await ask("ec-1"), {
    outcome: "allow",
    reason: undefined,
    counts: { JwksStaleKeysServed: 1 },
  });

  // Past the stale window: keys unavailable, counted as an error (not a bad token).
  clock.t += 200_000;
  assert.deepEqual(await ask("ec-1"), {
    outcome: "error",
    reason: "ERR_JWKS_UNAVAILABLE",
    counts: { JwksFetches: 1, JwksFetchFailures: 1 },
  });

  // Recovery.
  state.failing = false;
  clock.t += 6_000;
  assert.deepEqual(await ask("ec-1"), { outcome: "allow", reason: undefined, counts: { JwksFetches: 1 } });
});
