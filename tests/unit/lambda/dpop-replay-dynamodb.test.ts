/**
 * The shared DPoP replay store (`dpopReplay.store: "dynamodb"`) against a DynamoDB-compatible server
 * started here (dynalite, in process, on 127.0.0.1 port 0), with the real AWS SDK v3 client. Two
 * `createAuthorizer`s sharing the table stand for two Lambda instances. Tokens and proofs are made
 * by `jose`. dynalite does not implement `UpdateTimeToLive` (nor TTL deletion): expired items stay
 * in the table, which is exactly the case DynamoDB's lazy TTL deletion leaves the store with.
 */
import assert from "node:assert/strict";
import { createHash, randomUUID } from "node:crypto";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { createServer, type Server } from "node:net";
import { after, before, describe, test } from "node:test";
import { CreateTableCommand, DynamoDBClient, ScanCommand } from "@aws-sdk/client-dynamodb";
import dynalite from "dynalite";
import { type CryptoKey, calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import { loadConfigWith } from "../../../src/config/from-env.js";
import { ConfigError } from "../../../src/errors.js";
import { createAuthorizer } from "../../../src/lambda/authorizer.js";
import { parseConfig } from "../../../src/lambda/config.js";
import { dpop } from "../../../src/lambda/dpop.js";
import { createMemoryLogger } from "../../../src/log.js";
import { loadEvent } from "../adapters/fixtures.js";

const ISSUER = "https://as.example.test/";
const AUDIENCE = "orders-api";
const SECRET = "dpop-test-secret-of-32-bytes-or-more-please!";
const TABLE = "gatepass-dpop-replay";
const HTTP_URL = "https://abcdef123.execute-api.us-east-1.amazonaws.com/prod/orders/42";
const OPTS = { timeout: 30_000 };
const CREDENTIALS = { accessKeyId: "local", secretAccessKey: "local" };

let server: ReturnType<typeof dynalite>;
let endpoint: string;
let client: DynamoDBClient;
let key: { privateKey: CryptoKey; publicJwk: JWK; jkt: string };

async function startDynalite(): Promise<{ server: ReturnType<typeof dynalite>; endpoint: string }> {
  const s = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  s.listen(0, "127.0.0.1");
  await once(s, "listening");
  return { server: s, endpoint: `http://127.0.0.1:${(s.address() as AddressInfo).port}` };
}

async function createTable(c: DynamoDBClient, name: string): Promise<void> {
  await c.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
      KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
    }),
  );
}

before(async () => {
  ({ server, endpoint } = await startDynalite());
  client = new DynamoDBClient({ endpoint, region: "us-east-1", credentials: CREDENTIALS });
  await createTable(client, TABLE);
  const pair = await generateKeyPair("ES256", { extractable: true });
  const publicJwk = await exportJWK(pair.publicKey);
  key = { privateKey: pair.privateKey, publicJwk, jkt: await calculateJwkThumbprint(publicJwk) };
});

after(async () => {
  client.destroy();
  await new Promise((resolve) => server.close(resolve));
});

function config(replay: Record<string, unknown> | undefined) {
  return {
    issuers: [{ issuer: ISSUER, audience: [AUDIENCE], secret: SECRET, dpop: "required" }],
    tokenSources: ["header:authorization"],
    ...(replay === undefined ? {} : { dpopReplay: replay }),
  };
}

/** One Lambda instance: its own authorizer, the table shared. */
function instance(
  replay: Record<string, unknown> = { store: "dynamodb", table: TABLE },
  options: { dynamoDbClient?: unknown; now?: () => number } = { dynamoDbClient: client },
) {
  const logger = createMemoryLogger();
  const handler = createAuthorizer(config(replay), { logger, ...(options as object) });
  return { handler, logger };
}

/** A token bound to `key`, issued at `iat` (default: now). */
async function boundToken(iat?: number): Promise<string> {
  return new SignJWT({ scope: "orders:read", cnf: { jkt: key.jkt } })
    .setProtectedHeader({ alg: "HS256" })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject("client-42")
    .setIssuedAt(iat)
    .setExpirationTime("5m")
    .sign(new TextEncoder().encode(SECRET));
}

async function proof(token: string, o: { jti?: string; iat?: number } = {}): Promise<string> {
  return new SignJWT({
    htm: "GET",
    htu: HTTP_URL,
    iat: o.iat ?? Math.floor(Date.now() / 1000),
    jti: o.jti ?? randomUUID(),
    ath: createHash("sha256").update(token).digest("base64url"),
  })
    .setProtectedHeader({ alg: "ES256", typ: "dpop+jwt", jwk: key.publicJwk })
    .sign(key.privateKey);
}

function event(token: string, dpopProof: string): Record<string, unknown> {
  const e = loadEvent("http-v2", "unused");
  const headers = e.headers as Record<string, string>;
  headers.authorization = `DPoP ${token}`;
  headers.dpop = dpopProof;
  e.identitySource = [`DPoP ${token}`];
  return e;
}

async function allows(handler: ReturnType<typeof instance>["handler"], e: unknown): Promise<boolean> {
  const response = (await handler(e)) as { isAuthorized?: boolean };
  return response.isAuthorized === true;
}

/** A 401 `ERR_DPOP_INVALID` whose logged detail contains `detailPart`. */
async function assertRefused(
  { handler, logger }: ReturnType<typeof instance>,
  e: unknown,
  detailPart: string,
): Promise<void> {
  await assert.rejects(() => handler(e), { message: "Unauthorized" });
  const decision = logger.lines.filter((l) => l.event === "decision").at(-1);
  assert.equal(decision?.reason, "ERR_DPOP_INVALID");
  assert.ok(String(decision?.detail).includes(detailPart), String(decision?.detail));
}

describe("DPoP replay store on DynamoDB (dynalite)", () => {
  test(
    "a proof accepted by one instance is a replay for a second instance sharing the table",
    OPTS,
    async () => {
      const token = await boundToken();
      const e = event(token, await proof(token));
      const first = instance();
      const second = instance();
      assert.equal(await allows(first.handler, e), true);
      await assertRefused(second, e, "already used (replay)");
      await assertRefused(first, e, "already used (replay)");
      // A new proof (new jti) from the same client is accepted by either.
      assert.equal(await allows(second.handler, event(token, await proof(token))), true);
    },
  );

  test(
    "the client made from the configuration (region, the SDK's own endpoint and credentials) shares the table too",
    OPTS,
    async () => {
      const saved = { ...process.env };
      process.env.AWS_ENDPOINT_URL_DYNAMODB = endpoint;
      process.env.AWS_ACCESS_KEY_ID = CREDENTIALS.accessKeyId;
      process.env.AWS_SECRET_ACCESS_KEY = CREDENTIALS.secretAccessKey;
      try {
        const replay = { store: "dynamodb", table: TABLE, region: "eu-west-1" };
        const token = await boundToken();
        const e = event(token, await proof(token));
        assert.equal(await allows(instance(replay, {}).handler, e), true);
        await assertRefused(instance(replay, { dynamoDbClient: client }), e, "already used (replay)");
      } finally {
        for (const name of ["AWS_ENDPOINT_URL_DYNAMODB", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"])
          if (saved[name] === undefined) delete process.env[name];
          else process.env[name] = saved[name];
      }
    },
  );

  test("an expired item still in the table (TTL deletes lazily) is not a replay", OPTS, async () => {
    const jti = randomUUID();
    const past = Date.now() - 200_000;
    const then = Math.floor(past / 1000);
    const token = await boundToken(then - 10);
    // An instance 200 s ago accepted the proof: its item expired 140 s ago (60 s window).
    const earlier = instance(undefined, { dynamoDbClient: client, now: () => past });
    assert.equal(await allows(earlier.handler, event(token, await proof(token, { jti, iat: then }))), true);
    const scan = await client.send(new ScanCommand({ TableName: TABLE }));
    const stored = (scan.Items ?? []).filter((item) => Number(item.expiresAt?.N) === then + 60);
    assert.equal(stored.length, 1, "the expired item is still there, as after a lazy TTL deletion");
    // The same key and jti in a fresh proof now: the expired item does not make it a replay.
    assert.equal(await allows(instance().handler, event(token, await proof(token, { jti }))), true);
    const again = event(token, await proof(token, { jti }));
    await assertRefused(instance(), again, "already used (replay)");
  });

  test("a table that does not exist fails closed with the store's error named", OPTS, async () => {
    const token = await boundToken();
    const refused = instance({ store: "dynamodb", table: "no-such-table" });
    await assertRefused(
      refused,
      event(token, await proof(token)),
      "replay store failed (ResourceNotFoundException)",
    );
    const reported = refused.logger.lines.find((l) => l.event === "dpop_replay_store_failed");
    assert.equal(String(reported?.level).toLowerCase(), "error");
  });

  test("the server stopped: 401 fail closed, within the timeout", OPTS, async () => {
    const stopped = await startDynalite();
    await new Promise((resolve) => stopped.server.close(resolve));
    const dead = new DynamoDBClient({
      endpoint: stopped.endpoint,
      region: "us-east-1",
      credentials: CREDENTIALS,
    });
    const token = await boundToken();
    const started = Date.now();
    const refused = instance({ store: "dynamodb", table: TABLE, timeoutMs: 2000 }, { dynamoDbClient: dead });
    const e = event(token, await proof(token));
    await assert.rejects(() => refused.handler(e), { message: "Unauthorized" });
    assert.ok(Date.now() - started < 5000);
    const decision = refused.logger.lines.filter((l) => l.event === "decision").at(-1);
    assert.equal(decision?.reason, "ERR_DPOP_INVALID");
    assert.match(
      String(decision?.detail),
      /^the DPoP replay store (failed \(\w+\)|did not answer within 2000 ms)$/,
    );
    dead.destroy();
  });

  test("a server that never answers: 401 after timeoutMs, with its own detail", OPTS, async () => {
    const sockets = new Set<import("node:net").Socket>();
    const silent: Server = createServer((socket) => sockets.add(socket));
    silent.listen(0, "127.0.0.1");
    await once(silent, "listening");
    const slow = new DynamoDBClient({
      endpoint: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`,
      region: "us-east-1",
      credentials: CREDENTIALS,
    });
    try {
      const token = await boundToken();
      const refused = instance({ store: "dynamodb", table: TABLE, timeoutMs: 300 }, { dynamoDbClient: slow });
      const started = Date.now();
      await assertRefused(refused, event(token, await proof(token)), "did not answer within 300 ms");
      const took = Date.now() - started;
      assert.ok(took >= 250 && took < 3000, `${took} ms`);
      // A client that ignores the abort signal cannot hold the request either.
      const deaf = { send: () => new Promise<never>(() => undefined) };
      const stuck = instance({ store: "dynamodb", table: TABLE, timeoutMs: 200 }, { dynamoDbClient: deaf });
      await assertRefused(stuck, event(token, await proof(token)), "did not answer within 200 ms");
    } finally {
      slow.destroy();
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  test(
    "latency per authorized request, in-memory vs this local DynamoDB (printed; the README quotes it)",
    OPTS,
    async () => {
      const token = await boundToken();
      const proofs = await Promise.all(Array.from({ length: 400 }, () => proof(token)));
      const median = async (one: ReturnType<typeof instance>, from: number) => {
        const times: number[] = [];
        for (const p of proofs.slice(from, from + 200)) {
          const started = process.hrtime.bigint();
          assert.equal(await allows(one.handler, event(token, p)), true);
          times.push(Number(process.hrtime.bigint() - started) / 1e6);
        }
        times.sort((a, b) => a - b);
        return times[times.length >> 1]!;
      };
      const memory = await median(instance({ store: "memory" }), 0);
      const shared = await median(instance(), 200);
      console.log(
        `# dpop replay: median ${memory.toFixed(2)} ms per request in memory, ${shared.toFixed(2)} ms with the conditional PutItem to dynalite on 127.0.0.1`,
      );
      assert.ok(shared >= 0 && memory >= 0);
    },
  );

  test(
    "hydrate (the cold start) loads the store's SDK and never rejects; the first put's timeout is its own",
    OPTS,
    async () => {
      let sends = 0;
      const slow = {
        send: async () => {
          sends++;
          await new Promise((resolve) => setTimeout(resolve, 50));
        },
      };
      const one = instance({ store: "dynamodb", table: TABLE, timeoutMs: 1000 }, { dynamoDbClient: slow });
      await one.handler.hydrate();
      assert.equal(sends, 0, "hydrate writes nothing");
      const token = await boundToken();
      assert.equal(await allows(one.handler, event(token, await proof(token))), true);
      assert.equal(sends, 1);
    },
  );

  test("a proof failing another check never reaches the store", OPTS, async () => {
    let puts = 0;
    const counting = { send: async () => void puts++ };
    const token = await boundToken();
    const wrongUrl = await new SignJWT({
      htm: "GET",
      htu: "https://elsewhere.example/orders/42",
      iat: Math.floor(Date.now() / 1000),
      jti: randomUUID(),
      ath: createHash("sha256").update(token).digest("base64url"),
    })
      .setProtectedHeader({ alg: "ES256", typ: "dpop+jwt", jwk: key.publicJwk })
      .sign(key.privateKey);
    const one = instance(undefined, { dynamoDbClient: counting });
    await assertRefused(one, event(token, wrongUrl), "htu does not match");
    assert.equal(puts, 0);
    assert.equal(await allows(one.handler, event(token, await proof(token))), true);
    assert.equal(puts, 1);
  });
});

describe("dpopReplay configuration", () => {
  const refused = (replay: unknown, field: string) =>
    assert.throws(
      () => parseConfig({ ...config(undefined), dpopReplay: replay }),
      (error: unknown) => error instanceof ConfigError && error.field === field,
    );

  test("hostile or impossible table names and regions are refused, and never echoed when long", () => {
    for (const table of [
      "../other",
      "a b",
      "t;drop",
      "arn:aws:dynamodb:eu-west-1:123456789012:table/replay",
      "ab",
      "x".repeat(256),
      "tåble",
      "http://evil.example/",
      "",
      42,
    ])
      refused({ store: "dynamodb", table }, "dpopReplay.table");
    for (const region of ["eu-west-1/../", "EU-WEST-1", "localhost:8000", "eu-west-1.evil.example"])
      refused({ store: "dynamodb", table: TABLE, region }, "dpopReplay.region");
    assert.throws(
      () =>
        parseConfig({
          ...config(undefined),
          dpopReplay: { store: "dynamodb", table: `${"y".repeat(40)}/x` },
        }),
      (error: unknown) => error instanceof Error && !error.message.includes("yyyy"),
    );
  });

  test("store rules: a table only with dynamodb, required there, and no dpopReplay without dpop", () => {
    refused({ store: "dynamodb" }, "dpopReplay.table");
    refused({ store: "memory", table: TABLE }, "dpopReplay.table");
    refused({ store: "redis" }, "dpopReplay.store");
    refused({ store: "dynamodb", table: TABLE, timeoutMs: 0 }, "dpopReplay.timeoutMs");
    refused({ store: "dynamodb", table: TABLE, endpoint: "http://x" }, "dpopReplay.endpoint");
    assert.throws(
      () =>
        parseConfig({
          issuers: [{ issuer: ISSUER, audience: [AUDIENCE], secret: SECRET }],
          dpopReplay: { store: "memory" },
        }),
      (error: unknown) => error instanceof ConfigError && error.field === "dpopReplay",
    );
    assert.deepEqual(
      parseConfig({ ...config(undefined), dpopReplay: { store: "dynamodb", table: TABLE } }).dpopReplay,
      {
        store: "dynamodb",
        table: TABLE,
        timeoutMs: 1000,
      },
    );
  });

  test("GATEPASS_DPOP_REPLAY_TABLE puts the store on DynamoDB; a bad name is reported under the variable", () => {
    const doc = JSON.stringify(config(undefined));
    const loaded = loadConfigWith(
      { GATEPASS_CONFIG: doc, GATEPASS_DPOP_REPLAY_TABLE: ` ${TABLE} ` },
      parseConfig,
    );
    assert.deepEqual(loaded.dpopReplay, { store: "dynamodb", table: TABLE, timeoutMs: 1000 });
    assert.throws(
      () => loadConfigWith({ GATEPASS_CONFIG: doc, GATEPASS_DPOP_REPLAY_TABLE: "../x" }, parseConfig),
      (error: unknown) => error instanceof ConfigError && error.field === "GATEPASS_DPOP_REPLAY_TABLE",
    );
    // Blank: unset.
    assert.equal(
      loadConfigWith({ GATEPASS_CONFIG: doc, GATEPASS_DPOP_REPLAY_TABLE: " " }, parseConfig).dpopReplay,
      undefined,
    );
  });

  test("the in-memory store answers synchronously: check returns no promise", async () => {
    const check = dpop(parseConfig(config(undefined)));
    assert.ok(check !== undefined);
    const token = await boundToken();
    const verified = { issuer: ISSUER, payload: { cnf: { jkt: key.jkt } } };
    const e = event(token, await proof(token));
    assert.equal(check.check(verified, token, true, e, "http-v2", "GET"), undefined);
    assert.throws(() => check.check(verified, token, true, e, "http-v2", "GET"), /replay/);
  });
});
