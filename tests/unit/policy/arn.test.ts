import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { arnTarget, buildArn, parseArn, stageResource, stageWildcard } from "../../../src/policy/arn.js";

describe("parseArn", () => {
  it("parses a REST method ARN", () => {
    const arn = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/dev/GET/orders/7";
    assert.deepEqual(parseArn(arn), {
      arn,
      partition: "aws",
      region: "us-east-1",
      accountId: "123456789012",
      apiId: "abcdef1234",
      stage: "dev",
      prefix: "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/dev/",
      tail: "GET/orders/7",
      kind: "http",
      method: "GET",
      path: "/orders/7",
      routeKey: null,
    });
  });

  it("parses the root path, which ends in a slash", () => {
    const parts = parseArn("arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/Prod/GET/");
    assert.equal(parts?.kind, "http");
    assert.equal(parts?.kind === "http" && parts.path, "/");
    assert.deepEqual(arnTarget(parts!), { method: "GET", path: "/" });
  });

  it("parses a WebSocket $connect ARN", () => {
    const parts = parseArn("arn:aws:execute-api:us-east-1:123456789012:abcdef1234/production/$connect");
    assert.equal(parts?.kind, "route");
    assert.equal(parts?.routeKey, "$connect");
    assert.equal(parts?.method, null);
    assert.deepEqual(arnTarget(parts!), { routeKey: "$connect" });
  });

  it("parses an HTTP API route ARN on the $default stage", () => {
    const parts = parseArn("arn:aws:execute-api:us-east-1:123456789012:abcdef1234/$default/POST/orders");
    assert.equal(parts?.stage, "$default");
    assert.equal(parts?.prefix, "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/$default/");
    assert.deepEqual(arnTarget(parts!), { method: "POST", path: "/orders" });
  });

  it("takes the partition from the ARN (aws-cn, aws-us-gov)", () => {
    assert.equal(
      parseArn("arn:aws-cn:execute-api:cn-north-1:123456789012:abcdef1234/prod/GET/x")?.partition,
      "aws-cn",
    );
    const gov = parseArn("arn:aws-us-gov:execute-api:us-gov-west-1:123456789012:abcdef1234/prod/GET/x")!;
    assert.equal(gov.partition, "aws-us-gov");
    assert.equal(
      stageWildcard(gov),
      "arn:aws-us-gov:execute-api:us-gov-west-1:123456789012:abcdef1234/prod/*",
    );
  });

  it("keeps colons and encoded characters in the path as they are", () => {
    const parts = parseArn("arn:aws:execute-api:us-east-1:123456789012:abcdef1234/dev/GET/a:b/%20/*");
    assert.equal(parts?.kind === "http" && parts.path, "/a:b/%20/*");
  });

  const malformed: unknown[] = [
    undefined,
    null,
    42,
    "",
    "arn:aws:execute-api",
    "arn:aws:s3:::bucket/key",
    "arn:aws:execute-api:us-east-1:123456789012:abcdef1234",
    "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/dev",
    "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/dev/",
    "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/dev/GET",
    "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/dev/get/x",
    "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/dev/$default",
    "arn:aws:execute-api:us-east-1:12345:abcdef1234/dev/GET/",
    "arn:aws:execute-api:us-east-1:random-account-id:random-api-id/dev/GET/",
    "arn:azure:execute-api:us-east-1:123456789012:abcdef1234/dev/GET/",
    "arn:aws:execute-api:us-east-1:123456789012:abc*/dev/GET/",
    "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/d*v/GET/",
    "arn:aws:execute-api:us-east-1:123456789012:/dev/GET/",
    "arn:aws:execute-api:us-east-1:123456789012:abcdef1234//GET/",
    "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/dev/GET/a\nb",
    "ARN:aws:execute-api:us-east-1:123456789012:abcdef1234/dev/GET/",
    `arn:aws:execute-api:us-east-1:123456789012:abcdef1234/dev/GET/${"x".repeat(1600)}`,
  ];
  for (const input of malformed) {
    it(`returns null for ${JSON.stringify(input)?.slice(0, 80)}`, () => {
      assert.equal(parseArn(input), null);
    });
  }

  it("never throws, and what it accepts rebuilds to the same ARN", () => {
    const arnish = fc
      .tuple(
        fc.constantFrom("arn", "ARN", "x"),
        fc.constantFrom("aws", "aws-cn", "aws-us-gov", "", "aws*"),
        fc.constantFrom("execute-api", "s3"),
        fc.constantFrom("us-east-1", ""),
        fc.constantFrom("123456789012", "1"),
        fc.string(),
      )
      .map((parts) => parts.join(":"));
    fc.assert(
      fc.property(fc.oneof(fc.string(), arnish), (text) => {
        const parts = parseArn(text);
        if (parts !== null) {
          assert.equal(buildArn(parts, parts.tail), text);
          assert.equal(stageResource(parts, parts.tail), text);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
