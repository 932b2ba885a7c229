/**
 * e2e: `gatepass dev` pointed at the committed sample definitions (`tests/fixtures/apis/*`), each
 * read by the definition loader and driven over HTTP: the routes the file declares are found, a
 * request no route takes gets that API type's answer, an authorizer runs only where the file names
 * one, and the backend receives AWS's event shape for that type. The handlers are the fixtures'
 * own TypeScript files.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { loadApiDefinitions } from "../../src/dev/definition/load.js";
import { type DevServer, startDevServer } from "../../src/dev/server.js";

const apis = fileURLToPath(new URL("../fixtures/apis/", import.meta.url));
const cli = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));

/** An identity provider on loopback for the native JWT authorizers: discovery and a JWKS, RS256 tokens made with jose. */
async function startIssuer() {
  const { publicKey, privateKey } = await generateKeyPair("RS256");
  const jwk = { ...(await exportJWK(publicKey)), kid: "k1", alg: "RS256", use: "sig" };
  let url = "";
  const server: Server = createServer((req, res) => {
    const body =
      req.url === "/.well-known/openid-configuration"
        ? { issuer: url, jwks_uri: `${url}/jwks.json` }
        : req.url === "/jwks.json"
          ? { keys: [jwk] }
          : undefined;
    res.writeHead(body ? 200 : 404, { "content-type": "application/json" });
    res.end(JSON.stringify(body ?? {}));
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const token = (claims: Record<string, unknown>) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: "RS256", kid: "k1" })
      .setIssuer(url)
      .setIssuedAt()
      .setExpirationTime("10m")
      .sign(privateKey);
  return { url, token, close: () => new Promise<void>((done) => server.close(() => done())) };
}

/** A WebSocket upgrade's status line (101 when the connection is made). */
function upgrade(server: DevServer, headers: Record<string, string>): Promise<number> {
  return new Promise((done, fail) => {
    const req = httpRequest(`${server.url}/`, {
      headers: {
        connection: "Upgrade",
        upgrade: "websocket",
        "sec-websocket-version": "13",
        "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
        ...headers,
      },
    });
    req.on("upgrade", (res, socket) => {
      socket.destroy();
      done(res.statusCode ?? 0);
    });
    req.on("response", (res) => {
      res.resume();
      done(res.statusCode ?? 0);
    });
    req.on("error", fail);
    req.end();
  });
}

async function get(server: DevServer, path: string, headers: Record<string, string> = {}, method = "GET") {
  const res = await fetch(`${server.url}${path}`, { method, headers });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text };
}

const start = (definition: ReturnType<typeof loadApiDefinitions>[number]) =>
  startDevServer({ port: 0, definition, log: () => {}, cwd: apis });

describe("gatepass dev --template: the SAM REST API fixture", { timeout: 60_000 }, () => {
  let server: DevServer;
  before(async () => {
    const [definition] = loadApiDefinitions({ template: "sam-rest/template.yaml", cwd: apis });
    assert.ok(definition);
    assert.equal(definition.kind, "rest");
    server = await start(definition);
  });
  after(() => server?.close());

  it("an undeclared path or method gets 403 Missing Authentication Token, without the authorizer", async () => {
    for (const [method, path] of [
      ["GET", "/nothing-here"],
      ["POST", "/orders/42"],
      ["GET", "/"],
    ] as const) {
      const res = await get(server, path, { authorization: "Bearer allow" }, method);
      assert.equal(res.status, 403, `${method} ${path}`);
      assert.deepEqual(JSON.parse(res.text), { message: "Missing Authentication Token" });
      assert.equal(res.headers.get("x-amzn-errortype"), "MissingAuthenticationTokenException");
    }
  });

  it("the unauthenticated route is served without any token", async () => {
    const res = await get(server, "/health");
    assert.equal(res.status, 200, res.text);
    const body = JSON.parse(res.text);
    assert.equal(body.resource, "/health");
  });

  it("the TOKEN authorizer guards /orders/{id}: 401 (with the template's UNAUTHORIZED header), 403 on Deny", async () => {
    const none = await get(server, "/orders/42");
    assert.equal(none.status, 401);
    assert.equal(none.headers.get("www-authenticate"), 'Bearer realm="orders"');
    const denied = await get(server, "/orders/42", { authorization: "Bearer deny" });
    assert.equal(denied.status, 403);
    assert.deepEqual(JSON.parse(denied.text), {
      Message: "User is not authorized to access this resource with an explicit deny",
    });
  });

  it("an allowed request reaches the TypeScript handler with REST's proxy event and the authorizer's context", async () => {
    const res = await get(server, "/orders/42", { authorization: "Bearer allow" });
    assert.equal(res.status, 200, res.text);
    const body = JSON.parse(res.text);
    assert.equal(body.resource, "/orders/{id}");
    assert.deepEqual(body.pathParameters, { id: "42" });
    assert.equal(body.authorizer.principalId, "fixture-user");
    assert.equal(body.authorizer.user, "fixture-user");
    assert.equal(typeof body.authorizer.integrationLatency, "number");
  });

  it("{proxy+} takes the rest of the path, for any method", async () => {
    const res = await get(server, "/files/a/b.txt", { authorization: "Bearer allow" }, "DELETE");
    assert.equal(res.status, 200, res.text);
    const body = JSON.parse(res.text);
    assert.equal(body.resource, "/files/{proxy+}");
    assert.deepEqual(body.pathParameters, { proxy: "a/b.txt" });
  });
});

describe("gatepass dev --template: the SAM HTTP API fixture (Lambda authorizer routes)", {
  timeout: 60_000,
}, () => {
  let server: DevServer;
  before(async () => {
    const [definition] = loadApiDefinitions({ template: "sam-http/template.yaml", cwd: apis });
    assert.ok(definition);
    assert.equal(definition.kind, "http");
    server = await start(definition);
  });
  after(() => server?.close());

  it("the unauthenticated route answers without a token; $default takes undeclared paths", async () => {
    const health = await get(server, "/health");
    assert.equal(health.status, 200, health.text);
    const other = await get(server, "/somewhere/else");
    assert.equal(other.status, 401, "the $default route carries the default authorizer");
  });

  it("the Lambda REQUEST authorizer (simple responses) guards GET /orders/{id}", async () => {
    assert.equal((await get(server, "/orders/7")).status, 401);
    assert.equal((await get(server, "/orders/7", { authorization: "Bearer deny" })).status, 403);
    const res = await get(server, "/orders/7", { authorization: "Bearer allow" });
    assert.equal(res.status, 200, res.text);
    const body = JSON.parse(res.text);
    assert.equal(body.routeKey, "GET /orders/{id}");
    assert.deepEqual(body.pathParameters, { id: "7" });
    assert.ok(
      body.authorizer.lambda,
      "HTTP API 2.0 puts a Lambda authorizer's context under authorizer.lambda",
    );
  });
});

describe("gatepass dev --template: the SAM HTTP API fixture's JWT authorizer (native emulation)", {
  timeout: 60_000,
}, () => {
  let server: DevServer;
  let issuer: Awaited<ReturnType<typeof startIssuer>>;
  before(async () => {
    issuer = await startIssuer();
    const [definition] = loadApiDefinitions({
      template: "sam-http/template.yaml",
      cwd: apis,
      parameters: { IssuerUrl: issuer.url },
    });
    server = await start(definition!);
  });
  after(async () => {
    await server?.close();
    await issuer?.close();
  });

  it("401 without a token or with a foreign one, 403 without the route's scope, the claims and scopes on allow", async () => {
    assert.equal((await get(server, "/orders")).status, 401);
    assert.equal((await get(server, "/orders", { authorization: "Bearer allow" })).status, 401);
    const readOnly = await issuer.token({ sub: "alice", aud: "orders-api", scope: "orders:read" });
    const forbidden = await get(server, "/orders", { authorization: `Bearer ${readOnly}` }, "POST");
    assert.equal(forbidden.status, 403, forbidden.text);
    const wrongAudience = await issuer.token({ sub: "alice", aud: "other", scope: "orders:read" });
    assert.equal((await get(server, "/orders", { authorization: `Bearer ${wrongAudience}` })).status, 401);
    const res = await get(server, "/orders", { authorization: `Bearer ${readOnly}` });
    assert.equal(res.status, 200, res.text);
    const body = JSON.parse(res.text);
    assert.equal(body.routeKey, "GET /orders");
    assert.equal(body.authorizer.jwt.claims.sub, "alice");
    assert.deepEqual(body.authorizer.jwt.scopes, ["orders:read"]);
  });
});

describe("gatepass dev --serverless: the serverless.yml fixture's three APIs", { timeout: 60_000 }, () => {
  let issuer: Awaited<ReturnType<typeof startIssuer>>;
  const servers: DevServer[] = [];
  const load = (api: string) =>
    loadApiDefinitions({
      serverless: "serverless/serverless.yml",
      cwd: apis,
      api,
      env: { GATEPASS_FIXTURE_ISSUER: issuer.url },
    });
  before(async () => {
    issuer = await startIssuer();
  });
  after(async () => {
    for (const server of servers) await server.close();
    await issuer?.close();
  });

  it("defines a REST, an HTTP and a WebSocket API", () => {
    const all = loadApiDefinitions({ serverless: "serverless/serverless.yml", cwd: apis, env: {} });
    assert.deepEqual(all.map((d) => d.kind).sort(), ["http", "rest", "websocket"]);
  });

  it("http events (REST): the TOKEN authorizer on /orders/{id}, none on /health, 403 Missing Authentication Token elsewhere", async () => {
    const server = await start(load("rest")[0]!);
    servers.push(server);
    assert.equal((await get(server, "/health")).status, 200);
    assert.equal((await get(server, "/orders/1")).status, 401);
    const ok = await get(server, "/orders/1", { authorization: "Bearer allow" });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(JSON.parse(ok.text).pathParameters.id, "1");
    const none = await get(server, "/nowhere");
    assert.equal(none.status, 403);
    assert.deepEqual(JSON.parse(none.text), { message: "Missing Authentication Token" });
  });

  it("httpApi events: the Lambda authorizer, the JWT authorizer with its scope, the public route and the catch-all", async () => {
    const server = await start(load("http")[0]!);
    servers.push(server);
    assert.equal((await get(server, "/health")).status, 200);
    assert.equal((await get(server, "/orders/9")).status, 401);
    assert.equal((await get(server, "/orders/9", { authorization: "Bearer allow" })).status, 200);
    const token = await issuer.token({ sub: "bob", aud: "orders-api", scope: "orders:read" });
    const list = await get(server, "/orders", { authorization: `Bearer ${token}` });
    assert.equal(list.status, 200, list.text);
    const noScope = await issuer.token({ sub: "bob", aud: "orders-api" });
    assert.equal((await get(server, "/orders", { authorization: `Bearer ${noScope}` })).status, 403);
  });

  it("websocket events: the $connect authorizer decides the upgrade", async () => {
    const server = await start(load("websocket")[0]!);
    servers.push(server);
    assert.equal(await upgrade(server, {}), 401);
    assert.equal(await upgrade(server, { authorization: "Bearer deny" }), 403);
    assert.equal(await upgrade(server, { authorization: "Bearer allow" }), 101);
  });
});

describe("gatepass dev --openapi: the OpenAPI fixture", { timeout: 60_000 }, () => {
  let server: DevServer;
  before(async () => {
    const [definition] = loadApiDefinitions({ openapi: "openapi/openapi.yaml", cwd: apis });
    assert.equal(definition!.kind, "rest");
    assert.equal(definition!.stage, "v1");
    server = await start(definition!);
  });
  after(() => server?.close());

  it("the TOKEN authorizer (with its validation expression) where security names it, none where security is []", async () => {
    assert.equal((await get(server, "/health")).status, 200);
    const none = await get(server, "/orders/5");
    assert.equal(none.status, 401);
    assert.equal(none.headers.get("www-authenticate"), 'Bearer realm="orders"');
    assert.equal((await get(server, "/orders/5", { authorization: "Bearer deny" })).status, 403);
    const ok = await get(server, "/orders/5", { authorization: "Bearer allow" });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(JSON.parse(ok.text).resource, "/orders/{id}");
    assert.equal((await get(server, "/orders/5", {}, "DELETE")).status, 403);
  });
});

describe("gatepass dev --template --watch as a process: a change is served within a second", {
  timeout: 90_000,
}, () => {
  it("reloads an edited handler and an edited template without dropping the server", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gatepass-def-"));
    try {
      cpSync(join(apis, "sam-rest"), dir, { recursive: true });
      const child = spawn(
        process.execPath,
        [cli, "dev", "--template", "template.yaml", "--watch", "--port", "0"],
        {
          cwd: dir,
          env: { PATH: process.env.PATH ?? "", HOME: dir },
        },
      );
      let out = "";
      child.stdout.on("data", (c: Buffer) => {
        out += c.toString();
      });
      child.stderr.on("data", (c: Buffer) => {
        out += c.toString();
      });
      try {
        const deadline = Date.now() + 30_000;
        while (!/on (http:\/\/127\.0\.0\.1:\d+)/.test(out) || !out.includes("Ctrl-C")) {
          assert.ok(Date.now() < deadline, `no banner: ${out}`);
          assert.equal(child.exitCode, null, out);
          await new Promise((r) => setTimeout(r, 25));
        }
        const url = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)![1]!;
        assert.match(out, /GET \/health/, "the banner lists the template's routes");
        const fetchText = async (path: string) => {
          const res = await fetch(`${url}${path}`);
          return { status: res.status, text: await res.text() };
        };
        assert.equal((await fetchText("/health")).status, 200);
        /** Polls until `check` holds; returns how long it took, ms. */
        const until = async (check: () => Promise<boolean>) => {
          const started = Date.now();
          while (!(await check())) {
            assert.ok(Date.now() - started < 5_000, `not reloaded: ${out}`);
            await new Promise((r) => setTimeout(r, 20));
          }
          return Date.now() - started;
        };
        // The handler: its answer changes.
        const source = join(dir, "src/orders.ts");
        writeFileSync(source, readFileSync(source, "utf8").replace("statusCode: 200", "statusCode: 203"));
        const handlerMs = await until(async () => (await fetchText("/health")).status === 203);
        assert.ok(handlerMs < 1_000, `handler reload took ${handlerMs} ms`);
        // The template: a new unauthenticated route appears.
        const template = join(dir, "template.yaml");
        writeFileSync(
          template,
          readFileSync(template, "utf8").replace(
            "        Health:\n",
            "        Status:\n          Type: Api\n          Properties:\n            RestApiId: !Ref OrdersApi\n            Path: /status\n            Method: get\n            Auth:\n              Authorizer: NONE\n        Health:\n",
          ),
        );
        assert.equal((await fetchText("/status")).status, 403);
        const templateMs = await until(async () => (await fetchText("/status")).status === 203);
        assert.ok(templateMs < 1_000, `template reload took ${templateMs} ms`);
      } finally {
        child.kill("SIGTERM");
        await new Promise((done) => child.once("exit", done));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the README's gatepass dev commands for a definition, as processes", { timeout: 120_000 }, () => {
  const cases = [
    {
      dir: "sam-rest",
      args: ["--template", "template.yaml"],
      open: "/health",
      closed: "/orders/1",
      none: 403,
    },
    {
      dir: "serverless",
      args: ["--serverless", "serverless.yml", "--api-name", "http"],
      open: "/health",
      closed: "/orders/1",
      none: 200, // its catch-all route takes every other path
    },
    { dir: "openapi", args: ["--openapi", "openapi.yaml"], open: "/health", closed: "/orders/1", none: 403 },
  ];
  for (const c of cases) {
    it(`gatepass dev ${c.args.join(" ")}: the banner lists the routes; open, guarded and undeclared paths answer as AWS`, async () => {
      const child = spawn(process.execPath, [cli, "dev", ...c.args, "--port", "0"], {
        cwd: join(apis, c.dir),
        env: { PATH: process.env.PATH ?? "", HOME: tmpdir() },
      });
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
        const url = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)![1]!;
        assert.match(out, new RegExp(`GET ${c.open}`), "the banner lists the routes");
        assert.match(out, /\/_gatepass\//, "the banner prints the console URL");
        assert.equal((await fetch(`${url}${c.open}`)).status, 200);
        assert.equal((await fetch(`${url}${c.closed}`)).status, 401);
        const allowed = await fetch(`${url}${c.closed}`, { headers: { authorization: "Bearer allow" } });
        assert.equal(allowed.status, 200, await allowed.clone().text());
        const undeclared = await fetch(`${url}/not/declared`, { headers: { authorization: "Bearer allow" } });
        assert.equal(undeclared.status, c.none);
      } finally {
        child.kill("SIGTERM");
        await new Promise((done) => child.once("exit", done));
      }
    });
  }
});
