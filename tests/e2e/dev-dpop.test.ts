/**
 * e2e: DPoP (RFC 9449) with `gatepass dev` over HTTP. The client is `jose` (keys, proofs,
 * thumbprints): the development issuer binds a token to the proof key at `POST /token` (RFC 9449
 * §5: `cnf.jkt`, `token_type: "DPoP"`), and the local gateway's authorizer checks each request's
 * proof against the URL the client called (`http://127.0.0.1:<port>/…`), for REST REQUEST and HTTP
 * API 2.0 alike.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createHash, randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import {
  type CryptoKey,
  calculateJwkThumbprint,
  decodeJwt,
  exportJWK,
  generateKeyPair,
  type JWK,
  SignJWT,
} from "jose";
import { call, startTestServer, type TestServer } from "../fixtures/dev/harness.js";

const OPTS = { timeout: 20_000 };

/** A port the OS just handed out (the configuration names the server's own URL). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

let key: { privateKey: CryptoKey; jwk: JWK; jkt: string };

before(async () => {
  const pair = await generateKeyPair("ES256", { extractable: true });
  const jwk = await exportJWK(pair.publicKey);
  key = { privateKey: pair.privateKey, jwk, jkt: await calculateJwkThumbprint(jwk) };
});

/** A proof for `htm htu` (and `ath` of `token`), signed by the client key unless `o.key`. */
async function proof(
  htm: string,
  htu: string,
  token?: string,
  o: { typ?: string; iat?: number; key?: CryptoKey; jwk?: JWK } = {},
): Promise<string> {
  const claims: Record<string, unknown> = {
    htm,
    htu,
    jti: randomUUID(),
    iat: o.iat ?? Math.floor(Date.now() / 1000),
  };
  if (token !== undefined) claims.ath = createHash("sha256").update(token).digest("base64url");
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "ES256", typ: o.typ ?? "dpop+jwt", jwk: o.jwk ?? key.jwk })
    .sign(o.key ?? key.privateKey);
}

for (const api of ["http-v2-simple", "rest-request"] as const) {
  describe(`gatepass dev (${api}): DPoP-bound tokens from the development issuer, proofs checked per request`, () => {
    let t: TestServer;
    let url: string;

    before(async () => {
      const port = await freePort();
      url = `http://127.0.0.1:${port}`;
      t = await startTestServer({
        port,
        config: {
          issuers: [{ issuer: url, audience: ["gatepass-dev"], discovery: true, dpop: "required" }],
          routes: [{ route: "GET /orders/{id}", scopes: ["orders:read"] }],
          dev: { api, resultTtlSeconds: 0 },
        },
      });
    });
    after(async () => {
      await t.close();
    });

    const mint = async (dpopProof?: string, body: Record<string, unknown> = { scope: "orders:read" }) =>
      call(`${url}/token`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(dpopProof === undefined ? {} : { dpop: dpopProof }),
        },
        body: JSON.stringify(body),
      });
    const boundToken = async () => {
      const res = await mint(await proof("POST", `${url}/token`));
      assert.equal(res.status, 200, res.text);
      return (res.json() as { access_token: string }).access_token;
    };
    const lastReason = () => String(t.requests().at(-1)?.authorizer ?? "");

    it(
      "POST /token with a DPoP proof: cnf.jkt is the proof key's thumbprint, token_type DPoP",
      OPTS,
      async () => {
        const res = await mint(await proof("POST", `${url}/token`));
        assert.equal(res.status, 200, res.text);
        const body = res.json() as { access_token: string; token_type: string };
        assert.equal(body.token_type, "DPoP");
        assert.deepEqual(decodeJwt(body.access_token).cnf, { jkt: key.jkt });
        // Without a proof: a Bearer token, unbound.
        const plain = (await mint()).json() as { access_token: string; token_type: string };
        assert.equal(plain.token_type, "Bearer");
        assert.equal(decodeJwt(plain.access_token).cnf, undefined);
        const metadata = (await call(`${url}/.well-known/openid-configuration`)).json() as Record<
          string,
          unknown
        >;
        assert.ok((metadata.dpop_signing_alg_values_supported as string[]).includes("ES256"));
      },
    );

    it(
      "the token endpoint checks the proof: 400 invalid_dpop_proof for each failed check",
      OPTS,
      async () => {
        const other = await generateKeyPair("ES256");
        const now = Math.floor(Date.now() / 1000);
        const bad: Record<string, string> = {
          "htm GET": await proof("GET", `${url}/token`),
          "htu of another endpoint": await proof("POST", `${url}/introspect`),
          "htu of another origin": await proof("POST", "https://as.example.test/token"),
          "typ JWT": await proof("POST", `${url}/token`, undefined, { typ: "JWT" }),
          "iat 10 minutes ago": await proof("POST", `${url}/token`, undefined, { iat: now - 600 }),
          "a signature by another key": await proof("POST", `${url}/token`, undefined, {
            key: other.privateKey,
          }),
          "not a JWT": "not-a-jwt",
        };
        for (const [what, p] of Object.entries(bad)) {
          const res = await mint(p);
          assert.equal(res.status, 400, what);
          assert.equal((res.json() as { error: string }).error, "invalid_dpop_proof", what);
        }
        const once = await proof("POST", `${url}/token`);
        assert.equal((await mint(once)).status, 200);
        const again = await mint(once);
        assert.equal(again.status, 400, "the same proof twice");
        assert.match((again.json() as { error_description: string }).error_description, /replay/);
      },
    );

    it("Authorization: DPoP with a fresh proof → 200; the same proof again → 401 replay", OPTS, async () => {
      const token = await boundToken();
      const p = await proof("GET", `${url}/orders/42`, token);
      const first = await call(`${url}/orders/42`, { headers: { authorization: `DPoP ${token}`, dpop: p } });
      assert.equal(first.status, 200, `${first.text} ${lastReason()}`);
      const replay = await call(`${url}/orders/42`, { headers: { authorization: `DPoP ${token}`, dpop: p } });
      assert.equal(replay.status, 401);
      assert.match(lastReason(), /ERR_DPOP_INVALID: .*already used \(replay\)/);
      // A new proof for the same request passes; a query string is not part of htu.
      const fresh = await proof("GET", `${url}/orders/42`, token);
      const withQuery = await call(`${url}/orders/42?x=1`, {
        headers: { authorization: `DPoP ${token}`, dpop: fresh },
      });
      assert.equal(withQuery.status, 200, lastReason());
    });

    it("a proof for another URL or method → 401", OPTS, async () => {
      const token = await boundToken();
      const cases = {
        "another path": await proof("GET", `${url}/orders/43`, token),
        "the deployed https URL": await proof(
          "GET",
          `https://127.0.0.1:${new URL(url).port}/orders/42`,
          token,
        ),
        "another method": await proof("POST", `${url}/orders/42`, token),
      };
      for (const [what, p] of Object.entries(cases)) {
        const res = await call(`${url}/orders/42`, { headers: { authorization: `DPoP ${token}`, dpop: p } });
        assert.equal(res.status, 401, what);
        assert.match(lastReason(), /^ERR_DPOP_INVALID: the DPoP proof's (htu|htm) does not match/, what);
      }
    });

    it("a bound token with the Bearer scheme, or without a proof → 401", OPTS, async () => {
      const token = await boundToken();
      const bearer = await call(`${url}/orders/42`, {
        headers: { authorization: `Bearer ${token}`, dpop: await proof("GET", `${url}/orders/42`, token) },
      });
      assert.equal(bearer.status, 401);
      assert.match(lastReason(), /ERR_DPOP_INVALID: a DPoP-bound token was presented without the DPoP/);
      const bare = await call(`${url}/orders/42`, { headers: { authorization: `DPoP ${token}` } });
      assert.equal(bare.status, 401);
      assert.match(lastReason(), /no DPoP proof header/);
    });
  });
}

describe("gatepass dev: the DPoP configuration on the banner", () => {
  it("the result-cache warning of a dpop configuration", OPTS, async () => {
    const { dpopBannerLines } = await import("../../src/dev/dpop-local.js");
    const { parseConfig } = await import("../../src/lambda/config.js");
    const config = parseConfig({
      issuers: [
        { issuer: "https://as.example.test/", audience: ["a"], secret: "x".repeat(40), dpop: "required" },
      ],
    });
    const lines = dpopBannerLines(
      config,
      { api: "rest-request", resultTtlSeconds: 300 },
      "http://127.0.0.1:4000",
      null,
    );
    assert.match(
      lines.join("\n"),
      /dpop {8}proofs checked against the URL called here \(http:\/\/127\.0\.0\.1:4000\/…\)/,
    );
    assert.match(
      lines.join("\n"),
      /warning: dpop checks a new proof on every call: set the authorizer's result TTL to 0/,
    );
    const shared = parseConfig({
      issuers: [
        { issuer: "https://as.example.test/", audience: ["a"], secret: "x".repeat(40), dpop: "required" },
      ],
      dpopReplay: { store: "dynamodb", table: "replay-table" },
    });
    assert.match(
      dpopBannerLines(
        shared,
        { api: "rest-request", resultTtlSeconds: 0 },
        "http://127.0.0.1:4000",
        null,
      )[0]!,
      /remembered in the DynamoDB table of dpopReplay/,
    );
    assert.deepEqual(
      dpopBannerLines(
        parseConfig({
          issuers: [{ issuer: "https://as.example.test/", audience: ["a"], secret: "x".repeat(40) }],
        }),
        { api: "rest-request", resultTtlSeconds: 300 },
        "http://127.0.0.1:4000",
        null,
      ),
      [],
    );
  });
});

/** The fenced block of `lang` that follows the first line of README.md containing `marker`. */
function readmeBlock(marker: string, lang: string): string {
  const text = readFileSync(fileURLToPath(new URL("../../README.md", import.meta.url)), "utf8");
  const after = text.slice(text.indexOf(marker));
  const match = new RegExp(`^\`\`\`${lang}\\n([\\s\\S]*?)^\`\`\`$`, "m").exec(after);
  assert.ok(match, `no ${lang} block after ${marker}`);
  return match[1]!;
}

describe("the README's DPoP commands for gatepass dev, as processes", { timeout: 60_000 }, () => {
  it("npx gatepass dev --config dpop.config.json, then node dpop-client.mjs <url>/orders/42: DPoP 200 401", async () => {
    const cli = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));
    const dir = mkdtempSync(join(tmpdir(), "gatepass-dev-dpop-"));
    // The printed configuration and client; the port is a free one (tests never listen on 4000).
    const port = await freePort();
    const printed = "http://127.0.0.1:4000";
    const url = `http://127.0.0.1:${port}`;
    writeFileSync(
      join(dir, "dpop.config.json"),
      readmeBlock("`dpop.config.json`:", "json").replaceAll(printed, url),
    );
    writeFileSync(join(dir, "dpop-client.mjs"), readmeBlock("`dpop-client.mjs`", "js"));
    // `npm install jose`: the repository's own.
    symlinkSync(fileURLToPath(new URL("../../node_modules", import.meta.url)), join(dir, "node_modules"));
    const child = spawn(
      process.execPath,
      [cli, "dev", "--config", "dpop.config.json", "--port", String(port)],
      {
        cwd: dir,
        env: { PATH: process.env.PATH ?? "", HOME: tmpdir() },
      },
    );
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      out += chunk.toString();
    });
    try {
      const deadline = Date.now() + 30_000;
      while (!out.includes("Ctrl-C")) {
        assert.ok(Date.now() < deadline, `no banner: ${out}`);
        assert.equal(child.exitCode, null, out);
        await new Promise((r) => setTimeout(r, 25));
      }
      assert.match(out, /dpop {8}proofs checked against the URL called here/);
      assert.doesNotMatch(out, /warning: dpop/, "the printed configuration has the result cache off");
      // A Bearer token is refused under dpop "required": the banner prints no ready token or curl line for it.
      assert.doesNotMatch(out, /Ready token|Authorization: Bearer/);
      assert.match(
        out,
        /POST http:\/\/127\.0\.0\.1:\d+\/token with a DPoP proof header mints a DPoP-bound token/,
      );
      const client = spawnSync(process.execPath, ["dpop-client.mjs", `${url}/orders/42`], {
        cwd: dir,
        encoding: "utf8",
        timeout: 30_000,
      });
      assert.equal(client.status, 0, client.stderr);
      assert.equal(client.stdout.trim(), "DPoP 200 401");
    } finally {
      child.kill("SIGTERM");
      await new Promise((done) => child.once("exit", done));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
