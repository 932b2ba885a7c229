/**
 * Contract tests on what the handler returns (README, "Every API Gateway event type"; AWS: api-gateway-lambda-authorizer-output.html): resources
 * built from the incoming ARN's own partition, region, account, API id and stage; `principalId`
 * from `principalClaim`; the context (flat scalars for REST, WebSocket and HTTP 1.0, natural JSON for
 * 2.0), bounded, and readable again by `readAuthorizerContext`; the HTTP API 2.0 IAM mode.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { readAuthorizerContext } from "../../src/backend/read-authorizer-context.js";
import { referenceEvaluate } from "../helpers/iam-reference.js";
import {
  type ArnRewrite,
  assertDecisionLog,
  assertValidResponse,
  contractConfig,
  eventArn,
  FIXTURE_NAMES,
  FIXTURE_RULES,
  type FixtureName,
  fixtureEvent,
  GRANTING_SCOPE,
  type HttpApiResponse,
  invoke,
  isHttpV2Event,
  makeHandler,
  mint,
  rewriteArn,
  secretsOf,
  stagePrefix,
} from "./helpers.js";

const REWRITES: Record<string, ArnRewrite> = {
  "aws-cn partition": {
    partition: "aws-cn",
    region: "cn-north-1",
    account: "210987654321",
    apiId: "cn0api0id9",
  },
  "aws-us-gov partition": { partition: "aws-us-gov", region: "us-gov-west-1" },
  "$default stage": { stage: "$default" },
  "another account, API id and stage": { account: "999988887777", apiId: "Zy_9-api", stage: "Prod_2" },
};

const ruled = {
  simple: makeHandler(contractConfig({ routes: FIXTURE_RULES })),
  iam: makeHandler(contractConfig({ routes: FIXTURE_RULES, httpApi: { response: "iam" } })),
};
const allowedToken = mint("RS256", { sub: "user-1", scope: GRANTING_SCOPE, groups: ["staff"] });
const forbiddenToken = mint("HS256", { sub: "user-2", scope: "profile", groups: ["guest"] });

function allResources(response: unknown): string[] {
  const doc = (response as { policyDocument: { Statement: Array<{ Resource: string | string[] }> } })
    .policyDocument;
  return doc.Statement.flatMap((s) => (typeof s.Resource === "string" ? [s.Resource] : s.Resource));
}

describe("resources come from the incoming ARN", () => {
  for (const [label, to] of Object.entries(REWRITES)) {
    for (const fixture of FIXTURE_NAMES) {
      test(`${fixture}, ${label}`, async () => {
        for (const mode of ["simple", "iam"] as const) {
          const h = ruled[mode];
          // A `$default` route with the token alone as identity source: a simple response is
          // route-independent, and the allowed token fails the admin rule.
          const allowedStatus = fixture === "http-v2-default-stage" && mode === "simple" ? 403 : 200;
          for (const [token, status] of [
            [allowedToken, allowedStatus],
            [forbiddenToken, 403],
          ] as const) {
            const original = fixtureEvent(fixture, token);
            const event = rewriteArn(original, to);
            const from = h.logger.lines.length;
            const outcome = await invoke(h.handler, event);
            assert.equal(outcome.status, status, `${mode}: ${eventArn(event)}`);
            if (!("response" in outcome)) continue;
            assertValidResponse(outcome.response, event, { httpApi: mode, secrets: secretsOf(token) });
            assertDecisionLog(h.logger.lines, from, outcome, secretsOf(token));
            if ("isAuthorized" in outcome.response) continue;
            const prefix = stagePrefix(eventArn(event));
            for (const resource of allResources(outcome.response)) {
              assert.ok(resource.startsWith(prefix), `${resource} is not under ${prefix}`);
              if (to.partition) assert.ok(resource.startsWith(`arn:${to.partition}:`), resource);
            }
            // The cached answer never leaks into the original (another partition/account/API/stage).
            if (stagePrefix(eventArn(original)) !== prefix)
              assert.notEqual(
                referenceEvaluate(outcome.response.policyDocument, eventArn(original)),
                "allow",
              );
          }
        }
      });
    }
  }

  test("the $default-stage HTTP API fixture in IAM mode: Allow under …/$default/, the request allowed", async () => {
    const event = fixtureEvent("http-v2-default-stage", allowedToken);
    const outcome = await invoke(ruled.iam.handler, event);
    assert.equal(outcome.status, 200);
    assert.ok(outcome.status === 200 && !("isAuthorized" in outcome.response));
    const resources = allResources(outcome.response);
    assert.ok(resources.length > 0);
    for (const r of resources)
      assert.ok(r.startsWith("arn:aws:execute-api:eu-west-1:123456789012:lsw1ro4ipb/$default/"), r);
  });
});

describe("principalId comes from principalClaim", () => {
  const claims = {
    sub: "sub-7",
    email: "seven@example.com",
    "custom:uid": 4242,
    weird: { id: 1 },
    blank: "",
    long: "x".repeat(1025),
  };
  const token = mint("HS256", claims);
  const cases: Array<[claim: string | undefined, expected: string | null]> = [
    [undefined, "sub-7"],
    ["email", "seven@example.com"],
    ["custom:uid", "4242"],
    ["weird", null],
    ["blank", null],
    ["long", null],
    ["absent", null],
  ];
  for (const [claim, expected] of cases) {
    for (const mode of ["simple", "iam"] as HttpApiResponse[]) {
      const h = makeHandler(
        contractConfig({ ...(claim ? { principalClaim: claim } : {}), httpApi: { response: mode } }),
      );
      test(`principalClaim ${claim ?? "(default sub)"} → ${expected ?? "401"} (httpApi ${mode})`, async () => {
        for (const fixture of FIXTURE_NAMES) {
          const event = fixtureEvent(fixture, token);
          const from = h.logger.lines.length;
          const outcome = await invoke(h.handler, event);
          assertDecisionLog(h.logger.lines, from, outcome, secretsOf(token));
          if (expected === null) {
            assert.equal(outcome.status, 401, fixture);
            assert.equal(h.logger.lines.at(-1)?.reason, "ERR_JWT_CLAIM_MISSING");
            continue;
          }
          assert.equal(outcome.status, 200, fixture);
          if (outcome.status !== 200) continue;
          assertValidResponse(outcome.response, event, { httpApi: mode, secrets: secretsOf(token) });
          if ("isAuthorized" in outcome.response)
            assert.equal(outcome.response.context?.principalId, expected);
          else assert.equal(outcome.response.principalId, expected);
        }
      });
    }
  }

  test("a claim named principalId never replaces the principal in a 2.0 simple response", async () => {
    // With principalClaim "email" and "principalId" among context.claims, the simple response's
    // context.principalId (the only principal a 2.0 backend sees) must still be the email.
    const h = makeHandler(
      contractConfig({ principalClaim: "email", context: { claims: ["sub", "principalId"] } }),
    );
    const t = mint("HS256", { sub: "u-1", email: "real@example.com", principalId: "admin" });
    const event = fixtureEvent("http-v2", t);
    const outcome = await invoke(h.handler, event);
    assert.equal(outcome.status, 200);
    assert.ok(outcome.status === 200 && "isAuthorized" in outcome.response);
    assert.equal(outcome.response.context?.principalId, "real@example.com");
    assert.equal(readAuthorizerContext(deliver("http-v2", outcome.response)).principalId, "real@example.com");
  });
});

/**
 * What API Gateway hands the backend (AWS: http-api-develop-integrations-lambda.html, set-up-lambda-proxy-integrations.html): REST/WebSocket/1.0 put `principalId` and
 * every context value, stringified, in `requestContext.authorizer`; 2.0 puts the context, types
 * kept, in `requestContext.authorizer.lambda`.
 */
function deliver(fixture: FixtureName, response: unknown): Record<string, unknown> {
  const r = response as { principalId?: string; context?: Record<string, unknown> };
  if (fixture.startsWith("http-v2")) {
    return { version: "2.0", requestContext: { authorizer: { lambda: r.context ?? {} } } };
  }
  const authorizer: Record<string, unknown> = { principalId: r.principalId, integrationLatency: 0 };
  for (const [k, v] of Object.entries(r.context ?? {})) authorizer[k] = String(v);
  return { requestContext: { authorizer } };
}

describe("context: flat scalars for REST, WebSocket and HTTP 1.0; natural JSON for 2.0", () => {
  const contextClaims = ["sub", "email", "groups", "address", "age", "verified", "nickname", "aud", "claims"];
  const claims = {
    sub: "ctx-user",
    email: "ctx@example.com",
    groups: ["staff", "ops"],
    address: { city: "Lyon", zip: "69001" },
    age: 42,
    verified: true,
    nickname: null,
    claims: "reserved-in-1.0",
  };
  const token = mint("RS256", claims, { audience: ["orders-api", "other-api"] });

  for (const mode of ["simple", "iam"] as HttpApiResponse[]) {
    const h = makeHandler(
      contractConfig({ context: { claims: contextClaims }, httpApi: { response: mode } }),
    );
    for (const fixture of FIXTURE_NAMES) {
      test(`${fixture} (httpApi ${mode})`, async () => {
        const event = fixtureEvent(fixture, token);
        const outcome = await invoke(h.handler, event);
        assert.equal(outcome.status, 200);
        if (outcome.status !== 200) return;
        assertValidResponse(outcome.response, event, { httpApi: mode, secrets: secretsOf(token) });
        const context = outcome.response.context as Record<string, unknown>;
        assert.ok(!("nickname" in context), "a null claim must be omitted");
        if (isHttpV2Event(event)) {
          assert.deepEqual(context.groups, ["staff", "ops"]);
          assert.deepEqual(context.address, { city: "Lyon", zip: "69001" });
          assert.equal(context.age, 42);
          assert.equal(context.verified, true);
          assert.equal(context.claims, "reserved-in-1.0");
          assert.deepEqual(context.aud, ["orders-api", "other-api"]);
        } else {
          assert.equal(context.groups, '["staff","ops"]');
          assert.equal(context.address, '{"city":"Lyon","zip":"69001"}');
          assert.equal(context.age, 42);
          assert.equal(context.verified, true);
          assert.equal(context.aud, '["orders-api","other-api"]');
          assert.ok(!("claims" in context), "claims is reserved in flat contexts (HTTP 1.0)");
          for (const [k, v] of Object.entries(context))
            assert.ok(["string", "number", "boolean"].includes(typeof v), `${k} is ${typeof v}`);
        }
        // The backend reads the same claims back.
        const read = readAuthorizerContext(deliver(fixture, outcome.response));
        assert.equal(read.principalId, "ctx-user");
        assert.deepEqual(read.claims.groups, ["staff", "ops"]);
        assert.deepEqual(read.claims.address, { city: "Lyon", zip: "69001" });
        assert.equal(read.claims.email, "ctx@example.com");
      });
    }
  }

  test("the context is bounded: claims beyond context.maxBytes are dropped and logged by name only", async () => {
    const h = makeHandler(contractConfig({ context: { claims: ["sub", "bio", "notes"], maxBytes: 1024 } }));
    const t = mint("HS256", { sub: "big", bio: "b".repeat(700), notes: "n".repeat(700) });
    for (const fixture of FIXTURE_NAMES) {
      const event = fixtureEvent(fixture, t);
      const from = h.logger.lines.length;
      const outcome = await invoke(h.handler, event);
      assert.equal(outcome.status, 200);
      if (outcome.status !== 200) continue;
      assertValidResponse(outcome.response, event, { secrets: secretsOf(t), maxContextBytes: 1024 + 40 });
      const context = outcome.response.context as Record<string, unknown>;
      assert.equal(context.bio, "b".repeat(700));
      assert.ok(!("notes" in context));
      const warn = h.logger.lines.slice(from).find((l) => l.event === "context_truncated");
      assert.deepEqual(warn?.dropped, ["notes"]);
      assert.ok(!JSON.stringify(warn).includes("nnnn"));
    }
  });
});
