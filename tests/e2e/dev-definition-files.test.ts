/**
 * e2e: `gatepass dev` pointed at the committed sample definitions (`tests/fixtures/apis/*`), each
 * read by the definition loader and driven over HTTP: the routes the file declares are found, a
 * request no route takes gets that API type's answer, an authorizer runs only where the file names
 * one, and the backend receives AWS's event shape for that type. The handlers are the fixtures'
 * own TypeScript files.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { loadApiDefinitions } from "../../src/dev/definition/load.js";
import { type DevServer, startDevServer } from "../../src/dev/server.js";

const apis = fileURLToPath(new URL("../fixtures/apis/", import.meta.url));

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
