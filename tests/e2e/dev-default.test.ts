/**
 * e2e: the embedded default (dev issuer + gatepass's authorizer + demo routes) answers the demo
 * requests the same way for every API type `--api` can select, with the result cache on.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { DevApiType } from "../../src/config/types.js";
import { bearer, call, startTestServer } from "../fixtures/dev/harness.js";

const API_TYPES: DevApiType[] = ["rest-token", "rest-request", "http-v1", "http-v2-simple", "http-v2-iam"];

describe("gatepass dev: the embedded default for every API type", () => {
  for (const api of API_TYPES) {
    it(`${api}: 200 with the scope, 401 without a token, 403 on admin routes, 200 for an admin`, async () => {
      const t = await startTestServer({ dev: { api } });
      try {
        const user = bearer(t.server.mintToken({ sub: "demo-user", scope: "orders:read" }).access_token);
        const admin = bearer(t.server.mintToken({ sub: "root", claims: { groups: ["admin"] } }).access_token);
        assert.equal((await call(`${t.url}/hello`, { headers: user })).status, 200);
        const order = await call(`${t.url}/orders/42`, { headers: user });
        assert.equal(order.status, 200, order.text);
        assert.equal((await call(`${t.url}/orders/42`)).status, 401);
        const forbidden = await call(`${t.url}/admin/users`, { headers: user });
        assert.equal(forbidden.status, 403, forbidden.text);
        assert.equal((await call(`${t.url}/admin/users`, { headers: admin })).status, 200);
        assert.equal(
          (await call(`${t.url}/orders/42`, { headers: admin })).status,
          403,
          "no orders:read scope",
        );
        assert.equal((await call(`${t.url}/orders/43`, { headers: user })).status, 200);
        assert.equal(t.requests().at(-1)!.cache, "hit", "the cache was used");
      } finally {
        await t.close();
      }
    });
  }

  it("websocket: the $connect handshake is authorized", async () => {
    const t = await startTestServer({ dev: { api: "websocket" } });
    try {
      const user = bearer(t.server.mintToken({ sub: "demo-user" }).access_token);
      assert.equal((await call(`${t.url}/`, { headers: user })).status, 200);
      assert.equal((await call(`${t.url}/`)).status, 401);
    } finally {
      await t.close();
    }
  });
});
