import assert from "node:assert/strict";
import { generateKeyPairSync, type JsonWebKey } from "node:crypto";
import { createServer } from "node:http";
import { describe, it, type TestContext } from "node:test";
import { AuthErrorCodes } from "../../../src/errors.js";
import {
  DiscoveryKeySource,
  type DiscoveryKeySourceOptions,
  discoveryUrl,
  isAllowedKeyUrl,
} from "../../../src/keys/discovery.js";
import { clearSharedRemoteJwks } from "../../../src/keys/jwks/remote-jwks.js";
import type { KeyLookup } from "../../../src/keys/types.js";
import { createMemoryLogger } from "../../../src/log.js";
import { type Handler, json, listen } from "../../helpers/http-server.js";
import { events, rejectsWith, sync } from "../../helpers/key-source.js";

// A real issuer on 127.0.0.1: a discovery document and a JWKS, each answered by a handler the test
// can swap, with requests counted per path. Cache ages move with an injected clock.

const CONFIG_PATH = "/.well-known/openid-configuration";
const JWKS_PATH = "/keys";

async function issuerServer(t: TestContext, keys: JsonWebKey[]) {
  const state = {
    url: "",
    issuer: "",
    hits: new Map<string, number>(),
    routes: new Map<string, Handler>(),
    count(path: string) {
      return state.hits.get(path) ?? 0;
    },
  };
  const server = createServer((req, res) => {
    const path = req.url ?? "";
    state.hits.set(path, state.count(path) + 1);
    const route = state.routes.get(path);
    if (route) route(req, res);
    else json({ error: "not found" }, 404)(req, res);
  });
  state.url = await listen(t, server);
  state.issuer = `${state.url}/`;
  state.routes.set(CONFIG_PATH, json({ issuer: state.issuer, jwks_uri: `${state.url}${JWKS_PATH}` }));
  state.routes.set(JWKS_PATH, json({ keys }));
  return state;
}

function ecJwk(kid: string): JsonWebKey {
  const { publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  return { ...publicKey.export({ format: "jwk" }), kid, alg: "ES256", use: "sig" };
}

const COOLDOWN_S = 30;
const MAX_AGE_S = 600;

function setup(t: TestContext, issuer: string, options: DiscoveryKeySourceOptions = {}) {
  const clock = { t: 1_700_000_000_000 };
  const logger = createMemoryLogger();
  const source = new DiscoveryKeySource(issuer, {
    now: () => clock.t,
    logger,
    allowedAlgorithms: ["ES256"],
    ...options,
    cache: { maxAgeSeconds: MAX_AGE_S, cooldownSeconds: COOLDOWN_S, timeoutMs: 2000, ...options.cache },
  });
  t.after(() => source.hydrate());
  return { clock, logger, source };
}

const es = (kid: string): KeyLookup => ({ kid, alg: "ES256" });

describe("isAllowedKeyUrl", () => {
  const cases: Array<[string, boolean]> = [
    ["https://id.example.com/.well-known/jwks.json", true],
    ["HTTPS://ID.EXAMPLE.COM/keys", true],
    ["https://id.example.com:8443/tenant/keys?x=1", true],
    ["http://127.0.0.1:4000/.well-known/jwks.json", true],
    ["http://localhost/keys", true],
    ["http://LOCALHOST:8080/keys", true],
    ["http://[::1]:4000/keys", true],
    ["http://id.example.com/keys", false],
    ["http://127.0.0.2/keys", false],
    ["http://localhost.example.com/keys", false],
    ["http://127.0.0.1.nip.io/keys", false],
    ["http://0.0.0.0/keys", false],
    ["https://user:pass@id.example.com/keys", false],
    ["ftp://id.example.com/keys", false],
    ["file:///etc/jwks.json", false],
    ["//id.example.com/keys", false],
    ["not a url", false],
    ["", false],
  ];
  for (const [url, allowed] of cases) {
    it(`${JSON.stringify(url)} → ${allowed}`, () => assert.equal(isAllowedKeyUrl(url), allowed));
  }
});

describe("discoveryUrl", () => {
  it("appends the well-known path to the issuer without its trailing slash", () => {
    assert.equal(
      discoveryUrl("https://id.example.com/"),
      "https://id.example.com/.well-known/openid-configuration",
    );
    assert.equal(
      discoveryUrl("https://id.example.com"),
      "https://id.example.com/.well-known/openid-configuration",
    );
    assert.equal(
      discoveryUrl("https://login.example.com/tenant/v2.0"),
      "https://login.example.com/tenant/v2.0/.well-known/openid-configuration",
    );
  });
});

describe("DiscoveryKeySource", () => {
  it("discovers the jwks_uri, then caches both the document and the keys", async (t) => {
    const server = await issuerServer(t, [ecJwk("k1"), ecJwk("k2")]);
    const { source, clock } = setup(t, server.issuer);

    const key = await source.getKey(es("k1"));
    assert.equal(key.kid, "k1");
    assert.equal(sync(source.getKey(es("k1"))), key);
    assert.equal(server.count(CONFIG_PATH), 1);
    assert.equal(server.count(JWKS_PATH), 1);
    assert.ok(source.isCurrent(key));

    // An unknown kid refetches the keys only: the discovery document is still fresh.
    clock.t += COOLDOWN_S * 1000;
    await rejectsWith(() => source.getKey(es("k9")), AuthErrorCodes.KEY_NOT_FOUND);
    assert.equal(server.count(CONFIG_PATH), 1);
    assert.equal(server.count(JWKS_PATH), 2);

    // After maxAgeSeconds both are fetched again; the document may move the keys.
    const moved = ecJwk("k3");
    server.routes.set(CONFIG_PATH, json({ issuer: server.issuer, jwks_uri: `${server.url}/v2/keys` }));
    server.routes.set("/v2/keys", json({ keys: [moved] }));
    clock.t += MAX_AGE_S * 1000;
    assert.equal((await source.getKey(es("k3"))).kid, "k3");
    assert.equal(server.count(CONFIG_PATH), 2);
    assert.equal(server.count("/v2/keys"), 1);
    assert.equal(source.isCurrent(key), false);
  });

  it("hydrate discovers and fetches ahead of the first token", async (t) => {
    const server = await issuerServer(t, [ecJwk("k1")]);
    const { source } = setup(t, server.issuer);
    await source.hydrate();
    assert.equal(server.count(CONFIG_PATH), 1);
    assert.equal(server.count(JWKS_PATH), 1);
    assert.equal(sync(source.getKey(es("k1"))).kid, "k1");
  });

  it("refuses a document whose issuer differs from the configured one", async (t) => {
    const server = await issuerServer(t, [ecJwk("k1")]);
    // The document says `http://127.0.0.1:port` (no trailing slash); the configuration has one.
    server.routes.set(CONFIG_PATH, json({ issuer: server.url, jwks_uri: `${server.url}${JWKS_PATH}` }));
    const { source, logger } = setup(t, server.issuer);

    const error = await rejectsWith(() => source.getKey(es("k1")), AuthErrorCodes.KEYS_UNAVAILABLE);
    assert.match(error.message, /issuer mismatch/);
    const [line] = events(logger, "discovery_failed");
    assert.equal(line?.reason, "issuer mismatch (differs only by a trailing slash)");
    assert.equal(line?.uri, `${server.url}${CONFIG_PATH}`);
    assert.equal(line?.servingStale, false);
    assert.equal(events(logger, "jwks_fetch_failed").length, 0, "one failure, one log line");
    assert.equal(server.count(JWKS_PATH), 0);

    server.routes.set(
      CONFIG_PATH,
      json({ issuer: "https://evil.example.com/", jwks_uri: `${server.url}${JWKS_PATH}` }),
    );
    const other = setup(t, server.issuer);
    await rejectsWith(() => other.source.getKey(es("k1")), AuthErrorCodes.KEYS_UNAVAILABLE);
    assert.equal(events(other.logger, "discovery_failed")[0]?.reason, "issuer mismatch");
    assert.equal(server.count(JWKS_PATH), 0);
  });

  it("refuses an http jwks_uri on a non-loopback host without fetching it", async (t) => {
    const server = await issuerServer(t, [ecJwk("k1")]);
    server.routes.set(CONFIG_PATH, json({ issuer: server.issuer, jwks_uri: "http://keys.example.com/jwks" }));
    const urls: string[] = [];
    const recording = ((input: string | URL | Request, init?: RequestInit) => {
      urls.push(String(input));
      return fetch(input, init);
    }) as typeof fetch;
    const { source, logger } = setup(t, server.issuer, { fetch: recording });

    await rejectsWith(() => source.getKey(es("k1")), AuthErrorCodes.KEYS_UNAVAILABLE);
    assert.match(String(events(logger, "discovery_failed")[0]?.reason), /jwks_uri refused/);
    assert.deepEqual(urls, [`${server.url}${CONFIG_PATH}`]);
  });

  for (const [name, doc, reason] of [
    ["no jwks_uri", { issuer: "ISSUER" }, "jwks_uri missing"],
    ["a jwks_uri that is not a string", { issuer: "ISSUER", jwks_uri: 42 }, "jwks_uri missing"],
    [
      "a jwks_uri with credentials",
      { issuer: "ISSUER", jwks_uri: "https://u:p@id.example.com/keys" },
      "jwks_uri refused",
    ],
  ] as const) {
    it(`refuses a document with ${name}`, async (t) => {
      const server = await issuerServer(t, [ecJwk("k1")]);
      server.routes.set(CONFIG_PATH, json({ ...doc, issuer: server.issuer }));
      const { source, logger } = setup(t, server.issuer);
      await rejectsWith(() => source.getKey(es("k1")), AuthErrorCodes.KEYS_UNAVAILABLE);
      assert.ok(String(events(logger, "discovery_failed")[0]?.reason).startsWith(reason));
    });
  }

  it("retries a failed discovery at most once per cooldown", async (t) => {
    const server = await issuerServer(t, [ecJwk("k1")]);
    const working = server.routes.get(CONFIG_PATH)!;
    server.routes.set(CONFIG_PATH, json({ error: "SECRET-BODY" }, 500));
    const { source, clock, logger } = setup(t, server.issuer);

    const error = await rejectsWith(() => source.getKey(es("k1")), AuthErrorCodes.KEYS_UNAVAILABLE);
    assert.match(error.message, /HTTP 500/);
    assert.equal(events(logger, "discovery_failed")[0]?.reason, "HTTP 500");
    assert.equal(events(logger, "discovery_failed")[0]?.level, "ERROR");
    for (let i = 0; i < 100; i++)
      await rejectsWith(() => source.getKey(es("k1")), AuthErrorCodes.KEYS_UNAVAILABLE);
    const storm = await Promise.allSettled(
      Array.from({ length: 100 }, () => (async () => source.getKey(es("k1")))()),
    );
    assert.ok(storm.every((r) => r.status === "rejected"));
    assert.equal(server.count(CONFIG_PATH), 1);

    clock.t += COOLDOWN_S * 1000 - 1;
    await rejectsWith(() => source.getKey(es("k1")), AuthErrorCodes.KEYS_UNAVAILABLE);
    assert.equal(server.count(CONFIG_PATH), 1);

    server.routes.set(CONFIG_PATH, working);
    clock.t += 1;
    assert.equal((await source.getKey(es("k1"))).kid, "k1");
    assert.equal(server.count(CONFIG_PATH), 2);
    assert.doesNotMatch(JSON.stringify(logger.lines), /SECRET-BODY/);
  });

  it("keeps using the last discovered jwks_uri when a later discovery fails", async (t) => {
    const server = await issuerServer(t, [ecJwk("k1")]);
    const { source, clock, logger } = setup(t, server.issuer);
    await source.hydrate();

    server.routes.set(CONFIG_PATH, json({}, 503));
    clock.t += MAX_AGE_S * 1000;
    assert.equal((await source.getKey(es("k1"))).kid, "k1");
    const [line] = events(logger, "discovery_failed");
    assert.equal(line?.reason, "HTTP 503");
    assert.equal(line?.usingPreviousJwksUri, true);
    assert.equal(line?.level, "WARN");
    assert.equal(server.count(CONFIG_PATH), 2);
    assert.equal(server.count(JWKS_PATH), 2, "the keys were refreshed from the known jwks_uri");
  });

  it("serves stale keys when discovery and keys both fail, within the stale window", async (t) => {
    const server = await issuerServer(t, [ecJwk("k1")]);
    const { source, clock, logger } = setup(t, server.issuer, { cache: { staleIfErrorSeconds: 60 } });
    const key = await source.getKey(es("k1"));

    server.routes.set(CONFIG_PATH, json({}, 503));
    server.routes.set(JWKS_PATH, json({}, 503));
    clock.t += MAX_AGE_S * 1000;
    assert.equal(await source.getKey(es("k1")), key);
    assert.equal(events(logger, "jwks_fetch_failed")[0]?.servingStale, true);

    clock.t += 60 * 1000;
    await rejectsWith(() => source.getKey(es("k1")), AuthErrorCodes.KEYS_UNAVAILABLE);
  });

  it("a seed answers at cold start without any network", async (t) => {
    let calls = 0;
    const offline = (() => {
      calls += 1;
      return Promise.reject(new TypeError("fetch failed"));
    }) as typeof fetch;
    const { source } = setup(t, "https://id.example.com/", { seed: { keys: [ecJwk("k1")] }, fetch: offline });
    assert.equal(sync(source.getKey(es("k1"))).kid, "k1");
    await source.hydrate();
    assert.equal(calls, 0);
  });

  it("shares the key cache per issuer and settings when asked to", (t) => {
    t.after(clearSharedRemoteJwks);
    const a = new DiscoveryKeySource("https://id.example.com/", { shared: true });
    const b = new DiscoveryKeySource("https://id.example.com/", { shared: true });
    const c = new DiscoveryKeySource("https://id.example.com/", {
      shared: true,
      cache: { maxAgeSeconds: 60 },
    });
    const d = new DiscoveryKeySource("https://id.example.com/");
    assert.equal(a.jwks, b.jwks);
    assert.notEqual(a.jwks, c.jwks);
    assert.notEqual(a.jwks, d.jwks);
  });
});
