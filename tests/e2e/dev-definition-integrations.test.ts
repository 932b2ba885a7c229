/**
 * e2e: HTTP integrations of a definition: the request goes to the integration URL with its path
 * variables filled from the route's parameters; a `$default` route sends the full request path
 * (http-api-develop-routes: "When the $default route receives a request, API Gateway sends the
 * full request path to the integration"); the query string goes along.
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import type { ApiDefinition, RouteDefinition } from "../../src/dev/definition/model.js";
import { call, startTestServer, type TestServer } from "../fixtures/dev/harness.js";

const route = (routeKey: string, url: string): RouteDefinition => {
  const [method, path] = routeKey === "$default" ? ["", ""] : (routeKey.split(" ") as [string, string]);
  return {
    method,
    path,
    routeKey,
    authorizer: null,
    integration: { kind: "http", url, method: "ANY", timeoutMs: 5_000 },
    at: routeKey,
  };
};

const api = (kind: "rest" | "http", routes: RouteDefinition[]): ApiDefinition => ({
  format: "openapi",
  file: "/tmp/openapi.json",
  name: "Proxy",
  kind,
  stage: kind === "rest" ? "dev" : "$default",
  routes,
  authorizers: {},
  gatewayResponses: [],
  notes: [],
});

describe("a definition's HTTP integrations", () => {
  let upstream: Server;
  let base: string;
  const seen: string[] = [];
  let rest: TestServer;
  let http: TestServer;
  before(async () => {
    upstream = createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      res.writeHead(200, { "content-type": "text/plain" });
      res.end("upstream");
    });
    await new Promise<void>((done) => upstream.listen(0, "127.0.0.1", done));
    base = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    rest = await startTestServer({
      definition: api("rest", [
        route("GET /pets/{id}", `${base}/backend/pets/{id}`),
        route("ANY /files/{proxy+}", `${base}/store/{proxy}`),
      ]),
    });
    http = await startTestServer({ definition: api("http", [route("$default", `${base}/base`)]) });
  });
  after(async () => {
    await rest.close();
    await http.close();
    await new Promise<void>((done) => upstream.close(() => done()));
  });

  it("fills the URL's path variables from the route's parameters, and passes the query", async () => {
    seen.length = 0;
    const res = await call(`${rest.url}/pets/7?x=1`);
    assert.equal(res.status, 200);
    assert.equal(res.text, "upstream");
    assert.equal((await call(`${rest.url}/files/a/b%20c.txt`, { method: "PUT", body: "z" })).status, 200);
    assert.deepEqual(seen, ["GET /backend/pets/7?x=1", "PUT /store/a/b%20c.txt"]);
  });

  it("a $default route sends the full request path after the URL's", async () => {
    seen.length = 0;
    assert.equal((await call(`${http.url}/store/checkout?q=2`, { method: "POST", body: "{}" })).status, 200);
    assert.deepEqual(seen, ["POST /base/store/checkout?q=2"]);
  });
});
