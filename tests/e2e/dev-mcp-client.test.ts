/**
 * e2e: a real MCP client completes the authorization flow against `gatepass dev` over HTTP, with the
 * official TypeScript SDK's `auth()` (@modelcontextprotocol/sdk, a devDependency; MCP authorization
 * revision 2025-11-25): request → 401 with resource_metadata → RFC 9728 metadata → RFC 8414 metadata
 * → RFC 7591 registration → authorization (the redirect followed here, as a browser would) → token
 * with PKCE and `resource` → the route answers 200; a token lacking a scope gets 403.
 */
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, before, describe, it } from "node:test";
import {
  auth,
  extractWWWAuthenticateParams,
  type OAuthClientProvider,
} from "@modelcontextprotocol/sdk/client/auth.js";
import type {
  OAuthClientInformationMixed,
  OAuthClientMetadata,
  OAuthTokens,
} from "@modelcontextprotocol/sdk/shared/auth.js";
import { createRemoteJWKSet, jwtVerify } from "jose";
import { startTestServer, type TestServer } from "../fixtures/dev/harness.js";

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

const REDIRECT = "http://127.0.0.1:33418/oauth/callback";
const INITIALIZE = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: {} });

/** The client side a host application implements: everything kept in memory. */
class MemoryProvider implements OAuthClientProvider {
  info: OAuthClientInformationMixed | undefined;
  saved: OAuthTokens | undefined;
  verifier = "";
  authorizationUrl: URL | undefined;
  get redirectUrl() {
    return REDIRECT;
  }
  get clientMetadata(): OAuthClientMetadata {
    return {
      redirect_uris: [REDIRECT],
      client_name: "gatepass MCP test client",
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
    };
  }
  state() {
    return "state-42";
  }
  clientInformation() {
    return this.info;
  }
  saveClientInformation(info: OAuthClientInformationMixed) {
    this.info = info;
  }
  tokens() {
    return this.saved;
  }
  saveTokens(tokens: OAuthTokens) {
    this.saved = tokens;
  }
  redirectToAuthorization(url: URL) {
    this.authorizationUrl = url;
  }
  saveCodeVerifier(verifier: string) {
    this.verifier = verifier;
  }
  codeVerifier() {
    return this.verifier;
  }
}

describe("an MCP client (@modelcontextprotocol/sdk auth()) against gatepass dev", { timeout: 60_000 }, () => {
  let t: TestServer;
  let url: string;
  let mcp: string;
  const seen: string[] = [];
  /** The SDK's fetch, recording what it asked for (method and path). */
  const fetchFn = (input: string | URL, init?: RequestInit) => {
    const target = new URL(String(input));
    seen.push(`${init?.method ?? "GET"} ${target.pathname}`);
    return fetch(input, init);
  };

  /** Runs the flow as an MCP client does; answers the provider holding the tokens. */
  async function connect(scope?: string): Promise<MemoryProvider> {
    const provider = new MemoryProvider();
    const first = await fetch(mcp, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: INITIALIZE,
    });
    assert.equal(first.status, 401);
    const challenge = extractWWWAuthenticateParams(first);
    assert.equal(challenge.resourceMetadataUrl?.href, `${url}/.well-known/oauth-protected-resource/mcp`);
    const options = {
      serverUrl: mcp,
      resourceMetadataUrl: challenge.resourceMetadataUrl!,
      fetchFn,
      ...(scope !== undefined ? { scope } : {}),
    };
    assert.equal(await auth(provider, options), "REDIRECT");
    // The browser's part: the authorization endpoint approves at once and redirects to the client.
    const authorization = provider.authorizationUrl!;
    assert.equal(authorization.searchParams.get("code_challenge_method"), "S256");
    assert.equal(authorization.searchParams.get("resource"), mcp);
    const approved = await fetch(authorization, { redirect: "manual" });
    assert.equal(approved.status, 302);
    const callback = new URL(approved.headers.get("location")!);
    assert.equal(`${callback.origin}${callback.pathname}`, REDIRECT);
    assert.equal(callback.searchParams.get("state"), "state-42");
    assert.equal(callback.searchParams.get("iss"), url);
    const code = callback.searchParams.get("code");
    assert.ok(code);
    assert.equal(await auth(provider, { ...options, authorizationCode: code }), "AUTHORIZED");
    return provider;
  }

  before(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    mcp = `${url}/mcp`;
    t = await startTestServer({
      port,
      // The MCP server behind the gateway: answers every JSON-RPC request with an empty result.
      lambda: async () => ({
        statusCode: 200,
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, result: {} }),
      }),
      config: {
        resource: { uri: mcp, authorizationServers: [url], scopesSupported: ["mcp:read", "mcp:write"] },
        routes: [
          { route: "POST /mcp", scopes: ["mcp:read"] },
          { route: "DELETE /mcp", scopes: ["mcp:write"] },
        ],
      },
    });
  });
  after(() => t.close());

  it("discovers, registers, authorizes with PKCE and resource, and calls the route (200)", async () => {
    seen.length = 0;
    const provider = await connect();
    assert.deepEqual(seen, [
      "GET /.well-known/oauth-protected-resource/mcp",
      "GET /.well-known/oauth-authorization-server",
      "POST /oauth2/register",
      // auth() discovers again when it exchanges the code.
      "GET /.well-known/oauth-protected-resource/mcp",
      "GET /.well-known/oauth-authorization-server",
      "POST /token",
    ]);
    const tokens = provider.saved!;
    assert.equal(tokens.token_type, "Bearer");
    assert.equal(tokens.scope, "mcp:read mcp:write");
    assert.ok(tokens.refresh_token);
    const { payload } = await jwtVerify(
      tokens.access_token,
      createRemoteJWKSet(new URL(`${url}/.well-known/jwks.json`)),
      {
        issuer: url,
        audience: mcp,
      },
    );
    assert.equal(payload.scope, "mcp:read mcp:write");
    const res = await fetch(mcp, {
      method: "POST",
      headers: { authorization: `Bearer ${tokens.access_token}`, "content-type": "application/json" },
      body: INITIALIZE,
    });
    assert.equal(res.status, 200, await res.text());
  });

  it("a token for mcp:read only is refused on the mcp:write route with 403", async () => {
    const provider = await connect("mcp:read");
    const res = await fetch(mcp, {
      method: "DELETE",
      headers: { authorization: `Bearer ${provider.saved!.access_token}` },
    });
    assert.equal(res.status, 403);
  });

  it("that 403 carries error=insufficient_scope and the scope for the client's step-up", {}, async () => {
    const provider = await connect("mcp:read");
    const res = await fetch(mcp, {
      method: "DELETE",
      headers: { authorization: `Bearer ${provider.saved!.access_token}` },
    });
    assert.equal(res.status, 403);
    const challenge = extractWWWAuthenticateParams(res);
    assert.equal(challenge.error, "insufficient_scope");
    // The scope held and the one missing: a client asking for these loses nothing it had.
    assert.equal(challenge.scope, "mcp:read mcp:write");
    // Step-up: the client authorizes again with the challenged scope, and the route answers.
    const stepped = await connect(challenge.scope);
    const again = await fetch(mcp, {
      method: "DELETE",
      headers: { authorization: `Bearer ${stepped.saved!.access_token}` },
    });
    assert.equal(again.status, 200);
  });
});
