/**
 * Claims at a path, as users meet them: route rules and `context.claims` naming a JSON Pointer
 * (RFC 6901) into a Keycloak-shaped token, through `createAuthorizer` and real API Gateway events,
 * and back out of `readAuthorizerContext`. Tokens are signed with `jose`.
 *
 * Token shape: Keycloak access tokens carry realm roles at `realm_access.roles` and client roles at
 * `resource_access.<client>.roles` (Keycloak Server Administration Guide, "Role scope mappings" /
 * the default `roles` client scope mappers).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { readAuthorizerContext } from "../../src/backend/read-authorizer-context.js";
import { ConfigError } from "../../src/errors.js";
import { createAuthorizer } from "../../src/lambda/authorizer.js";
import { parseConfig } from "../../src/lambda/config.js";
import { createMemoryLogger } from "../../src/log.js";
import { checkRequirement, compileRequirement } from "../../src/rules/requirements.js";
import { craftToken, issuerConfig, joseSign, TEST_AUDIENCE, TEST_ISSUER, testKey } from "../helpers/keys.js";
import { loadEvent } from "../unit/adapters/fixtures.js";

const key = testKey("HS256");
const now = Math.floor(Date.now() / 1000);

const keycloakClaims = (realmRoles: unknown, clientRoles: unknown) => ({
  iss: TEST_ISSUER,
  aud: TEST_AUDIENCE,
  sub: "f:1234:alice",
  exp: now + 600,
  iat: now,
  azp: "my-client",
  realm_access: { roles: realmRoles },
  resource_access: { "my-client": { roles: clientRoles }, account: { roles: ["view-profile"] } },
  "https://example.com/roles": ["ns-admin"],
  "cognito:groups": ["g1"],
});

function setup(extra: Record<string, unknown> = {}) {
  const logger = createMemoryLogger();
  const handler = createAuthorizer(
    {
      issuers: [issuerConfig(key, "secret")],
      tokenSources: ["header:authorization", "query:access_token"],
      routes: [
        { route: "GET /orders/{id}", claims: { "/realm_access/roles": "admin" } },
        { route: "$connect", claims: { "/resource_access/my-client/roles": { anyOf: ["reader"] } } },
      ],
      context: {
        claims: ["sub", "/realm_access/roles", "/resource_access/my-client/roles", "/azp", "/nope/x"],
      },
      tokenCache: { maxEntries: 0 },
      ...extra,
    },
    { logger, sharedKeyCache: false },
  );
  return { handler, logger };
}

type Policy = {
  principalId: string;
  policyDocument: { Statement: { Effect: string; Resource: string[] | string }[] };
  context?: Record<string, unknown>;
};

/** Whether a policy answer allows its own event's ARN (explicit Deny wins; wildcards as IAM). */
function allowsArn(policy: Policy, arn: string): boolean {
  const matches = (pattern: string) =>
    new RegExp(
      `^${pattern
        .replace(/[.+^${}()|[\]\\]/g, "\\$&")
        .replace(/\*/g, ".*")
        .replace(/\?/g, ".")}$`,
    ).test(arn);
  const hits = (effect: string) =>
    policy.policyDocument.Statement.some(
      (s) => s.Effect === effect && [s.Resource].flat().some((r) => matches(r)),
    );
  return !hits("Deny") && hits("Allow");
}

describe("route rules on a claim at a path, through real events", { timeout: 30_000 }, () => {
  test("REST TOKEN and REQUEST, HTTP 1.0: realm role present → the route is allowed", async () => {
    const { handler } = setup();
    const token = await joseSign(key, keycloakClaims(["admin", "user"], ["reader"]));
    for (const name of ["rest-token", "rest-request"] as const) {
      const event = loadEvent(name, token) as { methodArn: string };
      const answer = (await handler(event as unknown)) as Policy;
      assert.equal(allowsArn(answer, event.methodArn), true, name);
    }
  });

  test("realm role absent (or the path holds something else) → Deny (403), not 401", async () => {
    const { handler, logger } = setup();
    for (const roles of [["user"], "user", { admin: true }, null, []]) {
      const token = await joseSign(key, keycloakClaims(roles, ["reader"]));
      const event = loadEvent("rest-token", token) as { methodArn: string };
      const answer = (await handler(event as unknown)) as Policy;
      assert.equal(allowsArn(answer, event.methodArn), false, JSON.stringify(roles));
      const http = (await handler(loadEvent("http-v2", token) as unknown)) as { isAuthorized: boolean };
      assert.equal(http.isAuthorized, false);
    }
    const denied = logger.lines.filter((l) => l.event === "decision" && l.outcome === "deny");
    assert.ok(denied.length >= 10);
    assert.ok(denied.every((l) => l.reason === "ERR_CLAIM_MISMATCH"));
    assert.match(String(denied[0]!.detail), /"\/realm_access\/roles"/);
  });

  test("HTTP API 2.0 simple response and WebSocket $connect on client roles", async () => {
    const { handler } = setup();
    const yes = await joseSign(key, keycloakClaims(["admin"], ["reader"]));
    const no = await joseSign(key, keycloakClaims(["admin"], ["writer"]));
    assert.equal(
      ((await handler(loadEvent("http-v2", yes) as unknown)) as { isAuthorized: boolean }).isAuthorized,
      true,
    );
    const ws = loadEvent("websocket-connect", yes) as { methodArn: string };
    assert.equal(allowsArn((await handler(ws as unknown)) as Policy, ws.methodArn), true);
    const wsNo = loadEvent("websocket-connect", no) as { methodArn: string };
    assert.equal(allowsArn((await handler(wsNo as unknown)) as Policy, wsNo.methodArn), false);
  });

  test("top-level names keep working verbatim: namespaced URLs and cognito:groups", async () => {
    const { handler } = setup({
      routes: [
        {
          route: "GET /orders/{id}",
          claims: { "https://example.com/roles": "ns-admin", "cognito:groups": "g1" },
        },
      ],
    });
    const token = await joseSign(key, keycloakClaims([], []));
    const event = loadEvent("rest-token", token) as { methodArn: string };
    assert.equal(allowsArn((await handler(event as unknown)) as Policy, event.methodArn), true);
  });
});

describe("context.claims at a path: the key is the pointer text", { timeout: 30_000 }, () => {
  test("REST: flat values, JSON-listed, restored by readAuthorizerContext with their types", async () => {
    const { handler } = setup();
    const token = await joseSign(key, keycloakClaims(["admin", "user"], ["reader"]));
    const answer = (await handler(loadEvent("rest-token", token) as unknown)) as Policy;
    const context = answer.context!;
    assert.equal(context["/realm_access/roles"], '["admin","user"]');
    assert.equal(context["/resource_access/my-client/roles"], '["reader"]');
    assert.equal(context["/azp"], "my-client");
    assert.equal(Object.hasOwn(context, "/nope/x"), false);
    for (const value of Object.values(context))
      assert.ok(["string", "number", "boolean"].includes(typeof value));
    // As API Gateway hands it to a REST proxy integration: every value a string.
    const authorizer: Record<string, string> = { principalId: answer.principalId };
    for (const [k, v] of Object.entries(context)) authorizer[k] = String(v);
    const read = readAuthorizerContext({ requestContext: { authorizer } });
    assert.equal(read.principalId, "f:1234:alice");
    assert.deepEqual(read.claims["/realm_access/roles"], ["admin", "user"]);
    assert.deepEqual(read.claims["/resource_access/my-client/roles"], ["reader"]);
    assert.equal(read.claims["/azp"], "my-client");
  });

  test("HTTP API 2.0: natural JSON under the pointer key", async () => {
    const { handler } = setup();
    const token = await joseSign(key, keycloakClaims(["admin"], ["reader"]));
    const answer = (await handler(loadEvent("http-v2", token) as unknown)) as {
      context: Record<string, unknown>;
    };
    assert.deepEqual(answer.context["/realm_access/roles"], ["admin"]);
    const read = readAuthorizerContext({ requestContext: { authorizer: { lambda: answer.context } } });
    assert.deepEqual(read.claims["/resource_access/my-client/roles"], ["reader"]);
  });
});

describe("invalid pointers are a ConfigError at cold start, naming the field", () => {
  const base = { issuers: [issuerConfig(key, "secret")] };
  const cases: ReadonlyArray<[string, Record<string, unknown>, string]> = [
    ["a rule's claim", { routes: [{ route: "GET /a", claims: { "/a~2b": "x" } }] }, "routes[0].claims./a~2b"],
    [
      "a rule's claim, too deep",
      { routes: [{ route: "GET /a", claims: { ["/x".repeat(17)]: "x" } }] },
      `routes[0].claims.${"/x".repeat(17)}`,
    ],
    ["a context claim", { context: { claims: ["sub", "/ok", "/bad~"] } }, "context.claims[2]"],
    ["a context claim naming __proto__", { context: { claims: ["/__proto__/x"] } }, "context.claims[0]"],
  ];
  for (const [what, extra, field] of cases) {
    test(what, () => {
      for (const make of [
        () => createAuthorizer({ ...base, ...extra }),
        () => parseConfig({ ...base, ...extra }),
      ]) {
        assert.throws(make, (error: unknown) => error instanceof ConfigError && error.field === field);
      }
    });
  }
});

describe("hostile payloads through the handler", { timeout: 30_000 }, () => {
  test("__proto__ members, inherited names, deep nesting: no Allow by accident, no pollution", async () => {
    const { handler, logger } = setup({
      routes: [
        { route: "GET /orders/{id}", claims: { "/realm_access/roles": "admin" } },
        { route: "GET /x", claims: { "/constructor/name": "Object" } },
      ],
    });
    let deep: unknown = ["admin"];
    for (let i = 0; i < 300; i++) deep = { roles: deep };
    const payloads = [
      `{"iss":"${TEST_ISSUER}","aud":"${TEST_AUDIENCE}","sub":"u","exp":${now + 600},"realm_access":{"__proto__":{"roles":["admin"]}}}`,
      `{"iss":"${TEST_ISSUER}","aud":"${TEST_AUDIENCE}","sub":"u","exp":${now + 600},"realm_access":{"constructor":{"roles":["admin"]}}}`,
      JSON.stringify({ iss: TEST_ISSUER, aud: TEST_AUDIENCE, sub: "u", exp: now + 600, realm_access: deep }),
      JSON.stringify({
        iss: TEST_ISSUER,
        aud: TEST_AUDIENCE,
        sub: "u",
        exp: now + 600,
        realm_access: ["admin"],
      }),
    ];
    for (const payload of payloads) {
      const token = craftToken({ alg: "HS256" }, payload, { key });
      const event = loadEvent("rest-token", token) as { methodArn: string };
      // Refused either way: a Deny, or or a 401, never an Allow.
      const answer = (await handler(event as unknown).catch((error: Error) => error)) as Policy | Error;
      if (answer instanceof Error) assert.equal(answer.message, "Unauthorized");
      else assert.equal(allowsArn(answer, event.methodArn), false, payload.slice(0, 120));
    }
    const reasons = logger.lines.filter((l) => l.event === "decision").map((l) => l.reason);
    assert.deepEqual(reasons, [
      "ERR_CLAIM_MISMATCH",
      "ERR_CLAIM_MISMATCH",
      "ERR_CLAIM_MISMATCH",
      "ERR_CLAIM_MISMATCH",
    ]);
    assert.equal(({} as Record<string, unknown>).roles, undefined);
  });
});

describe("property: top-level claim names decide exactly as before", () => {
  /** The pre-pointer semantics, written out: the own top-level property, any-of over scalars/arrays. */
  const holdsAny = (claims: Record<string, unknown>, name: string, wanted: readonly unknown[]) => {
    const value = Object.hasOwn(claims, name) ? claims[name] : undefined;
    return wanted.some((w) => value === w || (Array.isArray(value) && value.includes(w)));
  };
  const name = fc
    .string({ minLength: 1, maxLength: 12 })
    .filter((s) => !s.startsWith("/") && s !== "__proto__");
  const scalar = fc.oneof(fc.string({ maxLength: 4 }), fc.integer({ min: -3, max: 3 }), fc.boolean());

  test("a rule on a name not starting with / passes exactly when the own top-level claim holds a value", () => {
    fc.assert(
      fc.property(
        name,
        fc.array(scalar, { minLength: 1, maxLength: 3 }),
        fc.dictionary(
          fc.oneof(name, fc.constantFrom("toString", "constructor")),
          fc.oneof(scalar, fc.array(scalar, { maxLength: 3 }), fc.constant(null)),
        ),
        fc.boolean(),
        (claim, wanted, dict, include) => {
          const claims: Record<string, unknown> = { ...dict };
          if (include) claims[claim] = wanted[0];
          const requirement = compileRequirement({ claims: { [claim]: wanted } }, "routes[0]");
          assert.equal(checkRequirement(requirement, claims) === null, holdsAny(claims, claim, wanted));
        },
      ),
      { numRuns: 1000 },
    );
  });
});
