/**
 * e2e: where `gatepass dev` gets its configuration (`--config FILE` > `GATEPASS_CONFIG` / the
 * `GATEPASS_*` and `SECRET_KEY` shortcuts > the embedded demo), what the banner says about it (the
 * source by name, never a value), when the development issuer is served (not for a configuration
 * that does not trust it, unless `--issuer`), and where (under `/_gatepass/issuer` when the
 * configuration's routes use its paths). Drives the built CLI as a process over HTTP.
 */
import assert from "node:assert/strict";
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { SignJWT } from "jose";
import { call, startTestServer } from "../fixtures/dev/harness.js";
import { CLI, cleanEnv, cleanupTempDirs, tempDir } from "./cli-helpers.js";

const SECRET = "a-development-secret-of-32-bytes!!";

interface Dev {
  child: ChildProcessWithoutNullStreams;
  out: () => string;
  url: string;
  exited: Promise<number | null>;
}

async function startDev(args: string[], env: Record<string, string> = {}): Promise<Dev> {
  const cwd = tempDir("gatepass-dev-config-");
  const child = spawn(process.execPath, [CLI, "dev", "--port", "0", ...args], { cwd, env: cleanEnv(env) });
  let out = "";
  let err = "";
  child.stdout.on("data", (c: Buffer) => {
    out += c.toString();
  });
  child.stderr.on("data", (c: Buffer) => {
    err += c.toString();
  });
  const exited = new Promise<number | null>((done) => child.on("exit", (code) => done(code)));
  const deadline = Date.now() + 20_000;
  while (!out.includes("Ctrl-C to stop")) {
    if (child.exitCode !== null) throw new Error(`exited ${child.exitCode}: ${err}`);
    if (Date.now() > deadline) throw new Error(`timed out; stdout: ${out} stderr: ${err}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  const url = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)![1]!;
  return { child, out: () => out, url, exited };
}

async function stop(dev: Dev): Promise<void> {
  dev.child.kill("SIGTERM");
  await dev.exited;
}

const banner = (dev: Dev) => dev.out().split("Ctrl-C to stop")[0]!;

const secretToken = (claims: Record<string, unknown> = {}) =>
  new SignJWT({ sub: "alice", ...claims })
    .setProtectedHeader({ alg: "HS256" })
    .setIssuedAt()
    .setExpirationTime("10m")
    .sign(new TextEncoder().encode(SECRET));

const CONFIG = {
  issuers: [{ secret: SECRET, algorithms: ["HS256"] }],
  routes: [{ route: "GET /orders/{id}", scopes: ["orders:read"] }],
  dev: { resultTtlSeconds: 0 },
};

describe("gatepass dev: one configuration story", { timeout: 120_000 }, () => {
  after(() => cleanupTempDirs());

  it("uses GATEPASS_CONFIG (inline JSON), says so in the banner without printing it, and keeps /token off", async () => {
    const dev = await startDev([], { GATEPASS_CONFIG: JSON.stringify(CONFIG) });
    try {
      const text = banner(dev);
      assert.match(text, /config: GATEPASS_CONFIG\)/);
      assert.ok(!text.includes(SECRET), "the secret is never printed");
      assert.match(text, /dev issuer {2}off: this configuration does not trust it \(add --issuer/);
      assert.doesNotMatch(text, /Ready token/);
      // The configuration is the one in effect: its secret's tokens pass, its rule applies.
      const ok = await call(`${dev.url}/orders/1`, {
        headers: { authorization: `Bearer ${await secretToken({ scope: "orders:read" })}` },
      });
      assert.equal(ok.status, 200, ok.text);
      const forbidden = await call(`${dev.url}/orders/1`, {
        headers: { authorization: `Bearer ${await secretToken()}` },
      });
      assert.equal(forbidden.status, 403);
      // No token endpoint, no discovery: those paths are the API's (here: the gateway answers them).
      const token = await call(`${dev.url}/token`, { method: "POST", body: "sub=x" });
      assert.notEqual(token.status, 200);
      assert.ok(!token.text.includes("access_token"));
      const discovery = await call(`${dev.url}/.well-known/openid-configuration`);
      assert.ok(!discovery.text.includes("jwks_uri"));
    } finally {
      await stop(dev);
    }
  });

  it("uses the SECRET_KEY shortcut and names it in the banner", async () => {
    const dev = await startDev([], { SECRET_KEY: SECRET });
    try {
      assert.match(banner(dev), /config: SECRET_KEY shortcut\)/);
      assert.ok(!banner(dev).includes(SECRET));
      const res = await call(`${dev.url}/anything`, {
        headers: { authorization: `Bearer ${await secretToken()}` },
      });
      assert.equal(res.status, 200, res.text);
      const bad = await call(`${dev.url}/anything`, { headers: { authorization: "Bearer x.y.z" } });
      assert.equal(bad.status, 401);
    } finally {
      await stop(dev);
    }
  });

  it("--config FILE wins over the environment and is named as given", async () => {
    const dir = tempDir("gatepass-dev-config-file-");
    const file = join(dir, "gatepass.config.json");
    writeFileSync(file, JSON.stringify(CONFIG));
    const dev = await startDev(["--config", file], { GATEPASS_CONFIG: "{not json" });
    try {
      assert.match(banner(dev), new RegExp(`config: ${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\)`));
    } finally {
      await stop(dev);
    }
  });

  it("without any configuration: the embedded demo, named so, with its issuer at the root", async () => {
    const dev = await startDev([]);
    try {
      assert.match(banner(dev), /config: embedded demo\)/);
      assert.match(banner(dev), /Ready token/);
      const token = await call(`${dev.url}/token`, { method: "POST", body: "sub=alice" });
      assert.equal(token.status, 200);
    } finally {
      await stop(dev);
    }
  });

  it("a bad GATEPASS_CONFIG fails the start in one line naming the variable, never echoing it", async () => {
    const cwd = tempDir("gatepass-dev-config-bad-");
    const child = spawn(process.execPath, [CLI, "dev", "--port", "0"], {
      cwd,
      env: cleanEnv({ GATEPASS_CONFIG: '{"issuers": "secret-value-xyz"' }),
    });
    let err = "";
    child.stderr.on("data", (c: Buffer) => {
      err += c.toString();
    });
    const code = await new Promise<number | null>((done) => child.on("exit", (c) => done(c)));
    assert.equal(code, 1);
    assert.match(err, /^gatepass: .*GATEPASS_CONFIG/);
    assert.equal(err.trim().split("\n").length, 1);
    assert.ok(!err.includes("secret-value-xyz"));
  });

  it("--issuer serves /token for a configuration that does not trust it, and says its tokens are refused", async () => {
    const dev = await startDev(["--issuer"], { GATEPASS_CONFIG: JSON.stringify(CONFIG) });
    try {
      assert.match(banner(dev), /dev issuer {2}http:\/\/127\.0\.0\.1:\d+ \(/);
      assert.match(banner(dev), /does not trust it: its tokens get 401 here/);
      const token = await call(`${dev.url}/token`, { method: "POST", body: "sub=alice" });
      assert.equal(token.status, 200, token.text);
      const { access_token } = token.json() as { access_token: string };
      const res = await call(`${dev.url}/orders/1`, { headers: { authorization: `Bearer ${access_token}` } });
      assert.equal(res.status, 401);
    } finally {
      await stop(dev);
    }
  });

  it("serves the issuer under /_gatepass/issuer when the configuration's routes use its paths", async () => {
    const dir = tempDir("gatepass-dev-config-shadow-");
    const file = join(dir, "rules.json");
    // No issuers: the document trusts the dev issuer; its routes include POST /token.
    writeFileSync(
      file,
      JSON.stringify({
        routes: [
          { route: "POST /token", allow: true },
          { route: "GET /orders/{id}", scopes: ["orders:read"] },
        ],
        dev: { resultTtlSeconds: 0 },
      }),
    );
    const dev = await startDev(["--config", file]);
    try {
      const text = banner(dev);
      assert.match(text, /dev issuer {2}http:\/\/127\.0\.0\.1:\d+\/_gatepass\/issuer \(/);
      assert.match(
        text,
        /under \/_gatepass\/issuer: the API's routes use the issuer's paths \(POST \/token\)/,
      );
      // The issuer answers under the prefix; its iss and discovery carry the prefix.
      const discovery = await call(`${dev.url}/_gatepass/issuer/.well-known/openid-configuration`);
      assert.equal(discovery.status, 200);
      const doc = discovery.json() as { issuer: string; jwks_uri: string };
      assert.equal(doc.issuer, `${dev.url}/_gatepass/issuer`);
      assert.equal(doc.jwks_uri, `${dev.url}/_gatepass/issuer/.well-known/jwks.json`);
      const minted = await call(`${dev.url}/_gatepass/issuer/token`, {
        method: "POST",
        body: "sub=alice&scope=orders:read",
      });
      assert.equal(minted.status, 200, minted.text);
      const { access_token } = minted.json() as { access_token: string };
      // The user's POST /token is the API's route: the gateway runs the authorizer there.
      const noToken = await call(`${dev.url}/token`, { method: "POST", body: "sub=alice" });
      assert.equal(noToken.status, 401);
      assert.ok(!noToken.text.includes("access_token"));
      const routed = await call(`${dev.url}/token`, {
        method: "POST",
        headers: { authorization: `Bearer ${access_token}` },
      });
      // Allowed by the authorizer, answered by the (demo) backend, not by the issuer.
      assert.ok(![401, 403].includes(routed.status), `${routed.status} ${routed.text}`);
      assert.ok(!routed.text.includes("access_token"), "the backend answered, not the issuer");
      // Tokens of the prefixed issuer are trusted (discovery through the prefix).
      const orders = await call(`${dev.url}/orders/1`, {
        headers: { authorization: `Bearer ${access_token}` },
      });
      assert.equal(orders.status, 200, orders.text);
    } finally {
      await stop(dev);
    }
  });

  it("an issuer whose jwksUri is the dev issuer's key set (the preset workflow) keeps /token on", async () => {
    const probe = createServer();
    await new Promise<void>((done) => probe.listen(0, "127.0.0.1", done));
    const port = (probe.address() as { port: number }).port;
    await new Promise((done) => probe.close(done));
    const t = await startTestServer({
      port,
      config: {
        issuers: [
          {
            preset: "keycloak",
            url: "https://kc.acme.example",
            realm: "acme",
            audience: ["orders-api"],
            jwksUri: `http://localhost:${port}/.well-known/jwks.json`,
          },
        ],
        dev: { resultTtlSeconds: 0 },
      },
    });
    try {
      assert.equal(t.server.issuerPlacement.state, "on");
      const res = await call(`${t.url}/token`, {
        method: "POST",
        body: "preset=keycloak&url=https://kc.acme.example&realm=acme&aud=orders-api&sub=alice",
      });
      assert.equal(res.status, 200, res.text);
      const { access_token } = res.json() as { access_token: string };
      const ok = await call(`${t.url}/anything`, { headers: { authorization: `Bearer ${access_token}` } });
      assert.equal(ok.status, 200, ok.text);
    } finally {
      await t.close();
    }
  });
});
