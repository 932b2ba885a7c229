/**
 * Local emulators do not send the 12-digit account and 10-character API ids of AWS: serverless-offline
 * (v13 and v14, `src/events/http/createAuthScheme.js`) sends
 * `arn:aws:execute-api:us-east-1:random-account-id:random-api-id/{stage}/{VERB}{route template}`.
 * The handler accepts any account and API id that cannot reach another ARN field or widen a resource,
 * builds its resources from those ids, and names the wrong part of a refused ARN in its log.
 *
 * Tokens are signed with `jose`; the Allow is checked with a glob matcher written here, not gatepass's.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { exportSPKI, generateKeyPair, SignJWT } from "jose";
import { createAuthorizer } from "../../src/lambda/authorizer.js";
import { createMemoryLogger } from "../../src/log.js";

const ISSUER = "https://emulator.issuer.test/";
const AUDIENCE = "orders-api";
const T = 1_700_000_000;
const OFFLINE_ARN = "arn:aws:execute-api:us-east-1:random-account-id:random-api-id/dev/GET/orders/{id}";
const OFFLINE_PREFIX = "arn:aws:execute-api:us-east-1:random-account-id:random-api-id/dev/";

const { publicKey, privateKey } = await generateKeyPair("RS256");
const publicPem = await exportSPKI(publicKey);

async function token(claims: Record<string, unknown>): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "RS256", typ: "JWT" })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt(T)
    .setExpirationTime(T + 600)
    .sign(privateKey);
}

function handler() {
  const logger = createMemoryLogger();
  const authorize = createAuthorizer(
    {
      issuers: [{ issuer: ISSUER, audience: [AUDIENCE], publicKey: publicPem, algorithms: ["RS256"] }],
      routes: [{ route: "GET /orders/{id}", scopes: ["orders:read"] }],
    },
    { now: () => T * 1000, logger, sharedKeyCache: false },
  );
  return { authorize, logger };
}

/** IAM's glob: `*` any run of characters, `?` one character, everything else literal. */
function globMatches(pattern: string, value: string): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\*?]/g, (c) =>
    c === "*" ? ".*" : c === "?" ? "." : `\\${c}`,
  );
  return new RegExp(`^${source}$`, "s").test(value);
}

type Statement = { Effect: string; Action: string; Resource: string | string[] };

function statementsOf(response: unknown): Statement[] {
  return (response as { policyDocument: { Statement: Statement[] } }).policyDocument.Statement;
}

describe("emulator ARNs", () => {
  test("serverless-offline's methodArn (random-account-id, random-api-id) through the handler: Allow, resources from that ARN", async () => {
    const { authorize } = handler();
    const response = await authorize({
      type: "TOKEN",
      authorizationToken: `Bearer ${await token({ sub: "offline-user", scope: "orders:read" })}`,
      methodArn: OFFLINE_ARN,
    });
    assert.equal((response as { principalId: string }).principalId, "offline-user");
    const statements = statementsOf(response);
    const resources = statements.flatMap((s) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]));
    assert.ok(resources.length > 0);
    for (const resource of resources) assert.ok(resource.startsWith(OFFLINE_PREFIX), resource);
    const matching = statements.filter((s) =>
      (Array.isArray(s.Resource) ? s.Resource : [s.Resource]).some((r) => globMatches(r, OFFLINE_ARN)),
    );
    assert.ok(matching.some((s) => s.Effect === "Allow"));
    assert.ok(!matching.some((s) => s.Effect === "Deny"));
  });

  test("serverless-offline's HTTP API routeArn (payload 2.0, simple response): authorized", async () => {
    const { authorize } = handler();
    const response = await authorize({
      version: "2.0",
      type: "REQUEST",
      routeArn: OFFLINE_ARN,
      routeKey: "GET /orders/{id}",
      identitySource: [`Bearer ${await token({ sub: "offline-user", scope: "orders:read" })}`],
      headers: { authorization: `Bearer ${await token({ sub: "offline-user", scope: "orders:read" })}` },
      requestContext: { http: { method: "GET", path: "/orders/{id}" }, stage: "dev" },
    });
    assert.equal((response as { isAuthorized: boolean }).isAuthorized, true);
  });

  const refused: Array<[string, string]> = [
    ["arn:azure:execute-api:us-east-1:random-account-id:random-api-id/dev/GET/x", "partition"],
    ["arn:aws:execute-api:us east:random-account-id:random-api-id/dev/GET/x", "region"],
    ["arn:aws:execute-api:us-east-1:*:random-api-id/dev/GET/x", "account"],
    ["arn:aws:execute-api:us-east-1:random account:random-api-id/dev/GET/x", "account"],
    ["arn:aws:execute-api:us-east-1:random-account-id:random-api-?/dev/GET/x", "API id"],
    ["arn:aws:execute-api:us-east-1:random-account-id:random-api-id/d*v/GET/x", "stage"],
    ["arn:aws:execute-api:us-east-1:random-account-id:random-api-id/dev/get/x", "method"],
    ["arn:aws:execute-api:us-east-1:random-account-id:random-api-id/dev/GET/x\u0007y", "path"],
  ];
  for (const [arn, field] of refused) {
    test(`a refused ARN is 401 and the log's detail names the ${field}: ${JSON.stringify(arn).slice(0, 70)}`, async () => {
      const { authorize, logger } = handler();
      await assert.rejects(
        authorize({
          type: "TOKEN",
          authorizationToken: `Bearer ${await token({ sub: "u", scope: "orders:read" })}`,
          methodArn: arn,
        }),
        (error: unknown) => error instanceof Error && error.message === "Unauthorized",
      );
      const decision = logger.lines.find((l) => l.event === "decision");
      assert.equal(decision?.reason, "ERR_EVENT_INVALID_ARN");
      assert.match(String(decision?.detail), new RegExp(`\\b${field}\\b`));
      // The detail names the part, it does not echo the ARN.
      assert.ok(!String(decision?.detail).includes(arn));
    });
  }
});
