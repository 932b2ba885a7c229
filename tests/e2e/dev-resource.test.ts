/**
 * e2e: `gatepass dev` as an OAuth protected resource (RFC 9728): the metadata document served
 * without authorization, and the `WWW-Authenticate` challenges of REST APIs emulated exactly as the
 * deployed UNAUTHORIZED and ACCESS_DENIED Gateway Responses give them — from the configuration, and
 * from a SAM template declaring them. The expected documents and headers are written out by hand.
 */
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { loadApiDefinitions } from "../../src/dev/definition/load.js";
import { resourceBanner } from "../../src/dev/oauth/protected-resource.js";
import { startDevServer } from "../../src/dev/server.js";
import { bearer, call, startTestServer, type TestServer } from "../fixtures/dev/harness.js";

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

/** The smallest configuration of a protected MCP endpoint on `url`, trusting the dev issuer. */
const mcpConfig = (url: string, api = "rest-token", uri = `${url}/mcp`) => ({
  resource: {
    uri,
    authorizationServers: [url],
    scopesSupported: ["mcp:read", "mcp:write"],
    resourceName: "Orders MCP",
  },
  routes: [
    { route: "GET /mcp", scopes: ["mcp:read"] },
    { route: "POST /mcp", scopes: ["mcp:write"] },
  ],
  dev: { api },
});

describe("gatepass dev: a REST API protecting resource.uri", { timeout: 30_000 }, () => {
  let t: TestServer;
  let url: string;
  let metadataUrl: string;
  let challenge: string;
  before(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    metadataUrl = `${url}/.well-known/oauth-protected-resource/mcp`;
    challenge = `Bearer resource_metadata="${metadataUrl}"`;
    t = await startTestServer({ port, config: mcpConfig(url) });
  });
  after(() => t.close());

  it("serves the RFC 9728 metadata at the well-known path of resource.uri, without a token, with CORS *", async () => {
    const res = await call(metadataUrl);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers["content-type"], "application/json");
    assert.equal(res.headers["access-control-allow-origin"], "*");
    assert.deepEqual(res.json(), {
      resource: `${url}/mcp`,
      authorization_servers: [url],
      bearer_methods_supported: ["header"],
      scopes_supported: ["mcp:read", "mcp:write"],
      resource_name: "Orders MCP",
    });
    const head = await call(metadataUrl, { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(head.text, "");
    const preflight = await call(metadataUrl, {
      method: "OPTIONS",
      headers: {
        origin: "http://localhost:6274",
        "access-control-request-method": "GET",
        "access-control-request-headers": "mcp-protocol-version",
      },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers["access-control-allow-origin"], "*");
    const post = await call(metadataUrl, { method: "POST" });
    assert.equal(post.status, 405);
    assert.equal(t.requests().at(-1)!.outcome, "metadata");
  });

  it("the console's routes view has the resource's metadata and where it is served", async () => {
    const res = await call(`${url}/_gatepass/api/routes`);
    assert.equal(res.status, 200, res.text);
    const { resource } = res.json() as { resource: { metadataUrl: string; path: string; document: unknown } };
    assert.equal(resource.metadataUrl, metadataUrl);
    assert.equal(resource.path, "/.well-known/oauth-protected-resource/mcp");
    assert.equal((resource.document as { resource: string }).resource, `${url}/mcp`);
  });

  it("every 401 carries WWW-Authenticate: Bearer resource_metadata (no token, a bad token)", async () => {
    for (const headers of [{}, bearer("not-a-jwt")]) {
      const res = await call(`${url}/mcp`, { headers });
      assert.equal(res.status, 401, res.text);
      assert.equal(res.headers["www-authenticate"], challenge);
      assert.deepEqual(res.json(), { message: "Unauthorized" });
    }
  });

  it("a token for the resource with the route's scope gets 200", async () => {
    const token = t.server.mintToken({ sub: "alice", scope: "mcp:read", aud: `${url}/mcp` }).access_token;
    const res = await call(`${url}/mcp`, { headers: bearer(token) });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers["www-authenticate"], undefined);
  });

  it("a token lacking the route's scope gets 403", async () => {
    const token = t.server.mintToken({ sub: "alice", scope: "mcp:read", aud: `${url}/mcp` }).access_token;
    const res = await call(`${url}/mcp`, { method: "POST", headers: bearer(token) });
    assert.equal(res.status, 403, res.text);
  });

  it("the 403 of a missing scope carries error=insufficient_scope and the scope (the Deny's context)", {}, async () => {
    const token = t.server.mintToken({ sub: "alice", scope: "mcp:read", aud: `${url}/mcp` }).access_token;
    const res = await call(`${url}/mcp`, { method: "POST", headers: bearer(token) });
    assert.equal(res.status, 403);
    assert.equal(
      res.headers["www-authenticate"],
      // The scopes of the failing rule plus the ones held (MCP 2025-11-25's step-up: nothing is lost).
      `Bearer resource_metadata="${metadataUrl}", error="insufficient_scope", scope="mcp:read mcp:write"`,
    );
  });
});

describe("gatepass dev: ACCESS_DENIED copies a Deny's context.wwwAuthenticate", { timeout: 30_000 }, () => {
  let t: TestServer;
  let url: string;
  const denyWith = (context: Record<string, string>, methodArn: string) => ({
    principalId: "p",
    policyDocument: {
      Version: "2012-10-17",
      Statement: [{ Action: "execute-api:Invoke", Effect: "Deny", Resource: methodArn }],
    },
    context,
  });
  before(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    t = await startTestServer({
      port,
      config: mcpConfig(url),
      authorizer: async (event: unknown) => {
        const { authorizationToken, methodArn } = event as { authorizationToken: string; methodArn: string };
        if (authorizationToken === "Bearer challenge")
          return denyWith(
            { wwwAuthenticate: 'Bearer error="insufficient_scope", scope="mcp:write"' },
            methodArn,
          );
        if (authorizationToken === "Bearer plain") return denyWith({ tier: "gold" }, methodArn);
        throw new Error("Unauthorized");
      },
    });
  });
  after(() => t.close());

  it("a Deny with the context key: 403 with that WWW-Authenticate", async () => {
    const res = await call(`${url}/mcp`, { headers: { authorization: "Bearer challenge" } });
    assert.equal(res.status, 403, res.text);
    assert.equal(res.headers["www-authenticate"], 'Bearer error="insufficient_scope", scope="mcp:write"');
  });

  it("a Deny without it: 403 without WWW-Authenticate (an unfilled mapping is left out)", async () => {
    const res = await call(`${url}/mcp`, { headers: { authorization: "Bearer plain" } });
    assert.equal(res.status, 403, res.text);
    assert.equal(res.headers["www-authenticate"], undefined);
  });

  it("the authorizer's 401 carries the resource_metadata challenge", async () => {
    const res = await call(`${url}/mcp`, { headers: { authorization: "Bearer other" } });
    assert.equal(res.status, 401);
    assert.equal(
      res.headers["www-authenticate"],
      `Bearer resource_metadata="${url}/.well-known/oauth-protected-resource/mcp"`,
    );
  });
});

describe("gatepass dev: HTTP APIs and WebSocket with resource", { timeout: 30_000 }, () => {
  for (const api of ["http-v2-simple", "http-v1", "websocket"] as const) {
    it(`${api}: metadata served, 401 without a challenge (no Gateway Responses), and the banner says so`, async () => {
      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      const t = await startTestServer({ port, config: mcpConfig(url, api) });
      try {
        const meta = await call(`${url}/.well-known/oauth-protected-resource/mcp`);
        assert.equal(meta.status, 200, meta.text);
        assert.equal((meta.json() as { resource: string }).resource, `${url}/mcp`);
        const res = await call(`${url}/mcp`);
        assert.equal(res.status, 401);
        assert.equal(res.headers["www-authenticate"], undefined);
        const banner = resourceBanner(t.server.config, t.server.dev.api, url, false).join("\n");
        assert.match(
          banner,
          /no WWW-Authenticate challenges on 401\/403 \(no Gateway Responses, as on AWS\)/,
        );
      } finally {
        await t.close();
      }
    });
  }
});

describe("gatepass dev: resource.uri on another origin", { timeout: 30_000 }, () => {
  it("the metadata is served at its path here, and the banner names the local URL and the advice", async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const t = await startTestServer({
      port,
      config: mcpConfig(url, "rest-token", "https://mcp.example.com/mcp"),
    });
    try {
      const meta = await call(`${url}/.well-known/oauth-protected-resource/mcp`);
      assert.equal(meta.status, 200, meta.text);
      assert.equal((meta.json() as { resource: string }).resource, "https://mcp.example.com/mcp");
      const res = await call(`${url}/mcp`);
      assert.equal(
        res.headers["www-authenticate"],
        'Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp"',
      );
      const banner = resourceBanner(t.server.config, t.server.dev.api, url, false).join("\n");
      assert.ok(
        banner.includes(`RFC 9728 metadata at ${url}/.well-known/oauth-protected-resource/mcp`),
        banner,
      );
      assert.ok(banner.includes(`set resource.uri to ${url}/mcp`), banner);
      const prefixed = resourceBanner(t.server.config, "rest-token", url, false, `${url}/_gatepass/issuer`);
      assert.ok(
        prefixed
          .join("\n")
          .includes(`authorization server: ${url}/.well-known/oauth-authorization-server/_gatepass/issuer (`),
        prefixed.join("\n"),
      );
    } finally {
      await t.close();
    }
  });
});

describe("gatepass dev --template: a SAM template's own challenge Gateway Responses", {
  timeout: 60_000,
}, () => {
  const apis = fileURLToPath(new URL("../fixtures/apis/", import.meta.url));
  const metadata = "https://mcp.example.com/.well-known/oauth-protected-resource/mcp";
  it("UNAUTHORIZED's static header on 401, ACCESS_DENIED's context.authorizer.wwwAuthenticate on 403", async () => {
    const [definition] = loadApiDefinitions({ template: "sam-mcp/template.yaml", cwd: apis });
    assert.ok(definition);
    const server = await startDevServer({ port: 0, definition, log: () => {}, cwd: apis });
    try {
      const none = await fetch(`${server.url}/mcp`);
      assert.equal(none.status, 401);
      assert.equal(none.headers.get("www-authenticate"), `Bearer resource_metadata="${metadata}"`);
      const denied = await fetch(`${server.url}/mcp`, { headers: { authorization: "Bearer scope" } });
      assert.equal(denied.status, 403);
      assert.equal(
        denied.headers.get("www-authenticate"),
        `Bearer resource_metadata="${metadata}", error="insufficient_scope", scope="mcp:write"`,
      );
      const allowed = await fetch(`${server.url}/mcp`, { headers: { authorization: "Bearer allow" } });
      assert.equal(allowed.status, 200, await allowed.text());
      assert.equal(allowed.headers.get("www-authenticate"), null);
    } finally {
      await server.close();
    }
  });
});
