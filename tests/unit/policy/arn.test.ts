import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  arnFault,
  arnTarget,
  buildArn,
  parseArn,
  stageResource,
  stageWildcard,
} from "../../../src/policy/arn.js";

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
    "arn:azure:execute-api:us-east-1:123456789012:abcdef1234/dev/GET/",
    "arn:aws:execute-api:us-east-1:123456789012:abc*/dev/GET/",
    "arn:aws:execute-api:us-east-1:*:abcdef1234/dev/GET/",
    "arn:aws:execute-api:us-east-1:12?:abcdef1234/dev/GET/",
    "arn:aws:execute-api:us-east-1:123456789012:abc?/dev/GET/",
    "arn:aws:execute-api:us-east-1::abcdef1234/dev/GET/",
    "arn:aws:execute-api:us-east-1:1 2:abcdef1234/dev/GET/",
    "arn:aws:execute-api:us-east-1:12\t3:abcdef1234/dev/GET/",
    "arn:aws:execute-api:us-east-1:123456789012:ab\u0000c/dev/GET/",
    "arn:aws:execute-api:us-east-1:123456789012:ab\u00a0c/dev/GET/",
    "arn:aws:execute-api:us-east-1:123456789012:ab\u2028c/dev/GET/",
    "arn:aws:execute-api:us-east-1:a$b:abcdef1234/dev/GET/",
    "arn:aws:execute-api:us-east-1:123456789012:{x}/dev/GET/",
    "arn:aws:execute-api:us-east-1:123456789012:a$b/dev/GET/",
    'arn:aws:execute-api:us-east-1:12"3:abcdef1234/dev/GET/',
    "arn:aws:execute-api:us-east-1:123456789012:ab\\c/dev/GET/",
    `arn:aws:execute-api:us-east-1:${"1".repeat(65)}:abcdef1234/dev/GET/`,
    `arn:aws:execute-api:us-east-1:123456789012:${"a".repeat(65)}/dev/GET/`,
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

  it("accepts the emulators' account and API ids (serverless-offline: random-account-id, random-api-id)", () => {
    const arn = "arn:aws:execute-api:us-east-1:random-account-id:random-api-id/dev/GET/orders/{id}";
    const parts = parseArn(arn);
    assert.equal(parts?.accountId, "random-account-id");
    assert.equal(parts?.apiId, "random-api-id");
    assert.equal(parts?.prefix, "arn:aws:execute-api:us-east-1:random-account-id:random-api-id/dev/");
    assert.deepEqual(arnTarget(parts!), { method: "GET", path: "/orders/{id}" });
    // Other ids that cannot reach another field or widen a resource: short, dotted, LocalStack's.
    for (const [account, apiId] of [
      ["12345", "abcdef1234"],
      ["000000000000", "a.b_c-d"],
      ["acct.id_1", "x"],
      ["1".repeat(64), "a".repeat(64)],
    ] as const) {
      const ok = parseArn(`arn:aws:execute-api:eu-west-1:${account}:${apiId}/Prod/POST/x`);
      assert.equal(ok?.accountId, account);
      assert.equal(ok?.apiId, apiId);
    }
  });

  it("keeps every accepted prefix within the 290 characters the rule checks assume", () => {
    const long = `arn:aws-${"a".repeat(27)}:execute-api:${"r".repeat(32)}:${"1".repeat(64)}:${"a".repeat(64)}/${"s".repeat(128)}/GET/`;
    assert.equal(parseArn(long), null);
    assert.equal(arnFault(long), "prefix length");
    const fits = `arn:aws:execute-api:us-east-1:${"1".repeat(64)}:${"a".repeat(64)}/${"s".repeat(128)}/GET/`;
    assert.ok(parseArn(fits)!.prefix.length <= 290);
  });

  it("arnFault names the part of the ARN that is wrong, and null for a valid ARN", () => {
    const cases: Array<[unknown, string | null]> = [
      ["arn:aws:execute-api:us-east-1:123456789012:abcdef1234/dev/GET/x", null],
      ["arn:aws:execute-api:us-east-1:123456789012:abcdef1234/dev/$connect", null],
      [42, "type"],
      [`arn:aws:execute-api:us-east-1:123456789012:abcdef1234/dev/GET/${"x".repeat(1600)}`, "length"],
      ["arn:aws:execute-api", "format"],
      ["arn:aws:lambda:eu-west-1:123456789012:function:orders", "service"],
      ["ARN:aws:execute-api:us-east-1:123456789012:abcdef1234/dev/GET/", "format"],
      ["arn:azure:execute-api:us-east-1:123456789012:abcdef1234/dev/GET/", "partition"],
      ["arn:aws:execute-api:*:*:*/*/*/*", "region"],
      ["arn:aws:execute-api:us-east-1:*:abcdef1234/dev/GET/", "account"],
      ["arn:aws:execute-api:us-east-1:123456789012:abc*/dev/GET/", "API id"],
      ["arn:aws:execute-api:us-east-1:123456789012:abcdef1234", "format"],
      ["arn:aws:execute-api:us-east-1:123456789012:abcdef1234/d*v/GET/", "stage"],
      ["arn:aws:execute-api:us-east-1:123456789012:abcdef1234/dev/get/x", "method"],
      ["arn:aws:execute-api:us-east-1:123456789012:abcdef1234/dev/GET/a\nb", "path"],
      ["arn:aws:execute-api:us-east-1:123456789012:abcdef1234/dev/$default", "route key"],
    ];
    for (const [input, expected] of cases) assert.equal(arnFault(input), expected, JSON.stringify(input));
  });

  it("never throws, and what it accepts rebuilds to the same ARN", () => {
    const arnish = fc
      .tuple(
        fc.constantFrom("arn", "ARN", "x"),
        fc.constantFrom("aws", "aws-cn", "aws-us-gov", "", "aws*"),
        fc.constantFrom("execute-api", "s3"),
        fc.constantFrom("us-east-1", ""),
        fc.constantFrom("123456789012", "1", "random-account-id", "", "*", "a b"),
        fc.string(),
      )
      .map((parts) => parts.join(":"));
    fc.assert(
      fc.property(fc.oneof(fc.string(), arnish), (text) => {
        const parts = parseArn(text);
        assert.equal(arnFault(text) === null, parts !== null);
        if (parts !== null) {
          assert.equal(buildArn(parts, parts.tail), text);
          assert.equal(stageResource(parts, parts.tail), text);
        }
      }),
      { numRuns: 3000 },
    );
  });
});

/** Counts the regular-expression tests made while `run` runs (every field check of parseArn is one). */
function regexTests(run: () => void): number {
  const test = RegExp.prototype.test;
  let count = 0;
  RegExp.prototype.test = function (this: RegExp, input: string) {
    count++;
    return test.call(this, input);
  };
  try {
    run();
  } finally {
    RegExp.prototype.test = test;
  }
  return count;
}

describe("parseArn: stage prefixes checked once", () => {
  const prefix = "arn:aws:execute-api:eu-west-3:210987654321:prefixonce/live/";

  it("checks a stage's prefix fields on its first ARN only, the route on every ARN", () => {
    parseArn(`${prefix}GET/first`);
    // Only the route's two checks (verb, control characters in the path) remain.
    assert.equal(
      regexTests(() => parseArn(`${prefix}POST/orders/42`)),
      2,
    );
    assert.equal(parseArn(`${prefix}POST/orders/42`)?.method, "POST");
  });

  it("parses an ARN with a known prefix exactly as a fresh one, faults included", () => {
    const routes = ["GET/", "GET/orders/7", "$connect", "get/x", "GET/a\u0001b", "$disconnect", "GET"];
    // A reference: the same ARNs under a prefix never seen before each time (a new stage name).
    routes.forEach((route, i) => {
      const fresh = `arn:aws:execute-api:eu-west-3:210987654321:prefixonce/fresh${i}/${route}`;
      const expected = parseArn(fresh);
      const again = parseArn(`${prefix}${route}`);
      assert.equal(arnFault(`${prefix}${route}`), arnFault(fresh));
      if (expected === null) assert.equal(again, null);
      else
        assert.deepEqual(again, {
          ...expected,
          arn: `${prefix}${route}`,
          stage: "live",
          prefix,
        });
    });
  });

  it("never keeps an invalid prefix: it is refused every time, with its fault", () => {
    const bad = "arn:aws:execute-api:eu-west-3:2109*7654321:prefixonce/live/GET/";
    assert.equal(arnFault(bad), "account");
    assert.equal(arnFault(bad), "account");
    assert.equal(parseArn(bad), null);
  });
});
