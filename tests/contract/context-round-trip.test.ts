/**
 * The whole trip of a claim, for every API kind: a `jose`-signed token → the handler, called by the
 * local API Gateway (authorizer event, response check) → the backend proxy event it builds (REST,
 * WebSocket and HTTP 1.0 values stringified as API Gateway does; HTTP 2.0 under
 * `requestContext.authorizer.lambda`) → JSON, as Lambda delivers it → `readAuthorizerContext`.
 *
 * Oracles: each value reads back with the type it had in the token, and the principal the backend
 * reads is always the authorizer's (`principalClaim`), never a claim named `principalId` nor `sub`.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, test } from "node:test";
import fc from "fast-check";
import { readAuthorizerContext } from "../../src/backend/read-authorizer-context.js";
import type { DevApiType } from "../../src/config/types.js";
import { buildProxyEvent, DEFAULT_API_IDENTITY } from "../../src/dev/events.js";
import { Gateway } from "../../src/dev/gateway.js";
import { parseIdentitySources } from "../../src/dev/identity.js";
import { type DevRequest, RouteTable } from "../../src/dev/request.js";
import { createAuthorizer } from "../../src/lambda/authorizer.js";
import { createMemoryLogger } from "../../src/log.js";
import { issuerConfig, joseSign, TEST_AUDIENCE, TEST_ISSUER, testKey } from "../helpers/keys.js";

const API_KINDS: readonly DevApiType[] = [
  "rest-token",
  "rest-request",
  "http-v1",
  "http-v2-simple",
  "http-v2-iam",
  "websocket",
];

const key = testKey("HS256");

interface Setup {
  readonly principalClaim?: string;
  readonly claims: readonly string[];
}

/** The local gateway for `api`, with gatepass's handler as its authorizer. */
function gatewayFor(api: DevApiType, setup: Setup): Gateway {
  const handler = createAuthorizer(
    {
      issuers: [issuerConfig(key, "secret")],
      ...(setup.principalClaim ? { principalClaim: setup.principalClaim } : {}),
      context: { claims: [...setup.claims], maxBytes: 65536 },
      httpApi: { response: api === "http-v2-iam" ? "iam" : "simple" },
    },
    { logger: createMemoryLogger(), sharedKeyCache: false },
  );
  return new Gateway({
    api,
    stage: "test",
    identitySources: parseIdentitySources(["header:authorization"], api),
    resultTtlSeconds: 0,
    authorizer: handler,
    timeoutMs: 10_000,
    ids: DEFAULT_API_IDENTITY,
    routes: new RouteTable(["GET /items/{id}"]),
    now: Date.now,
    logger: createMemoryLogger(),
  });
}

async function tokenFor(claims: Record<string, unknown>): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return joseSign(key, { iss: TEST_ISSUER, aud: TEST_AUDIENCE, iat: now, exp: now + 600, ...claims });
}

/** What the backend Lambda reads for a request carrying `token`, through `gateway`. */
async function backendReads(gateway: Gateway, token: string) {
  const request: DevRequest = {
    method: "GET",
    path: "/items/1",
    rawQuery: "",
    rawHeaders: [
      "Host",
      "gatepass01.execute-api.us-east-1.amazonaws.com",
      "Authorization",
      `Bearer ${token}`,
    ],
    sourceIp: "127.0.0.1",
    protocol: "HTTP/1.1",
    requestId: randomUUID(),
    timeEpoch: Date.now(),
  };
  const { input, verdict } = await gateway.authorize(request);
  assert.ok(verdict.allowed, `not allowed: ${verdict.reason}`);
  const event = buildProxyEvent(input, verdict.caller, { body: null, isBase64Encoded: false });
  // Lambda hands the backend the event as JSON.
  return readAuthorizerContext(JSON.parse(JSON.stringify(event)));
}

/** A value as the token carries it (`-0` becomes `0`). */
const roundTrip = (v: unknown) => JSON.parse(JSON.stringify(v)) as unknown;

describe("context values read back with the type they had in the token", () => {
  const values: Record<string, unknown> = {
    sub: "u-1",
    groups: '["admin"]',
    address: '{"city":"Lyon"}',
    n: 7,
    zero: 0,
    negative: -2.5,
    huge: 1e21,
    tiny: 1e-7,
    flag: true,
    off: false,
    list: ["a", 1, true, null, { b: 2 }],
    object: { a: 1, b: [2, { c: "d" }], e: null },
    nested: [[[{}]]],
    emptyList: [],
    emptyObject: {},
    "string true": "true",
    "string 7": "7",
    "string null": "null",
    "string {}": "{}",
    "string []": "[]",
    "string quoted": '"x"',
    "string spaced": " 7 ",
    "string empty": "",
    "cognito:groups": ["ops", "staff"],
  };
  for (const api of API_KINDS) {
    test(`${api}: strings that look like JSON stay strings; numbers, booleans, arrays, objects keep their type`, async () => {
      const gateway = gatewayFor(api, { claims: Object.keys(values) });
      const read = await backendReads(gateway, await tokenFor(values));
      for (const [name, value] of Object.entries(values))
        assert.deepEqual(read.claims[name], value, `${api}: ${name}`);
      assert.deepEqual(Object.keys(read.claims).sort(), Object.keys(values).sort());
    });
  }

  test("property: random JSON claim values, every API kind", async () => {
    const names = ["a", "b", "c", "groups", "scope"];
    const gateways = new Map(API_KINDS.map((api) => [api, gatewayFor(api, { claims: names })]));
    const value = fc.oneof(
      fc.jsonValue({ maxDepth: 3, stringUnit: "binary" }),
      fc.constantFrom<unknown>(
        "true",
        "false",
        "7",
        "-0",
        "1e3",
        "null",
        "{}",
        "[]",
        '["admin"]',
        '{"a":1}',
        '"',
      ),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...API_KINDS),
        fc.record(Object.fromEntries(names.map((n) => [n, value])), { requiredKeys: [] }),
        async (api, claims) => {
          const read = await backendReads(gateways.get(api)!, await tokenFor({ sub: "p-1", ...claims }));
          for (const [name, sent] of Object.entries(claims)) {
            const expected = roundTrip(sent);
            if (expected === null) assert.ok(!Object.hasOwn(read.claims, name), name);
            else assert.deepEqual(read.claims[name], expected, `${api}: ${name}`);
          }
        },
      ),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 200) },
    );
  });
});

describe("the principal the backend reads is always the authorizer's", () => {
  const claims = ["sub", "email", "principalId", "scope"];
  for (const api of API_KINDS) {
    test(`${api}: a principalId claim never replaces principalClaim`, async () => {
      const gateway = gatewayFor(api, { principalClaim: "email", claims });
      const forged = await tokenFor({ sub: "u-1", email: "real@example.com", principalId: "admin" });
      assert.equal((await backendReads(gateway, forged)).principalId, "real@example.com");
      // Nor does `sub` when principalClaim names another claim.
      const plain = await tokenFor({ sub: "u-1", email: "real@example.com" });
      assert.equal((await backendReads(gateway, plain)).principalId, "real@example.com");
    });
  }
});
