import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { evaluatePolicy, validateAuthorizerResponse } from "../../../src/policy/evaluate.js";

const P = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234";
const doc = (...Statement: unknown[]) => ({ Version: "2012-10-17", Statement });
const allow = (Resource: unknown, extra: Record<string, unknown> = {}) => ({
  Effect: "Allow",
  Action: "execute-api:Invoke",
  Resource,
  ...extra,
});
const deny = (Resource: unknown, extra: Record<string, unknown> = {}) => ({
  Effect: "Deny",
  Action: "execute-api:Invoke",
  Resource,
  ...extra,
});

describe("evaluatePolicy: IAM semantics", () => {
  it("lets * span slashes and match nothing (…/Prod/*/* covers the root …/Prod/GET/)", () => {
    assert.equal(evaluatePolicy(doc(allow(`${P}/Prod/*/*`)), `${P}/Prod/GET/`), "allow");
    assert.equal(evaluatePolicy(doc(allow(`${P}/Prod/*`)), `${P}/Prod/GET/a/b/c`), "allow");
    assert.equal(
      evaluatePolicy(doc(allow(`${P}/Prod/GET/orders/*`)), `${P}/Prod/GET/orders/1/items`),
      "allow",
    );
    assert.equal(
      evaluatePolicy(doc(allow(`${P}/Prod/GET/orders/*`)), `${P}/Prod/GET/orders`),
      "implicit-deny",
    );
  });

  it("reads ? as exactly one character", () => {
    assert.equal(evaluatePolicy(doc(allow(`${P}/Prod/GET/v?`)), `${P}/Prod/GET/v1`), "allow");
    assert.equal(evaluatePolicy(doc(allow(`${P}/Prod/GET/v?`)), `${P}/Prod/GET/v`), "implicit-deny");
    assert.equal(evaluatePolicy(doc(allow(`${P}/Prod/GET/v?`)), `${P}/Prod/GET/v12`), "implicit-deny");
  });

  it("lets an explicit Deny win over any Allow, in any order", () => {
    const arn = `${P}/Prod/DELETE/orders/1`;
    assert.equal(evaluatePolicy(doc(allow(`${P}/Prod/*`), deny(`${P}/Prod/DELETE/*`)), arn), "explicit-deny");
    assert.equal(evaluatePolicy(doc(deny(`${P}/Prod/DELETE/*`), allow(`${P}/Prod/*`)), arn), "explicit-deny");
    assert.equal(evaluatePolicy(doc(allow([`${P}/Prod/GET/*`, `${P}/Prod/POST/*`])), arn), "implicit-deny");
    assert.equal(evaluatePolicy(doc(), arn), "implicit-deny");
  });

  it("matches resources case-sensitively and stays within the stage", () => {
    assert.equal(evaluatePolicy(doc(allow(`${P}/prod/*`)), `${P}/Prod/GET/`), "implicit-deny");
    assert.equal(evaluatePolicy(doc(allow(`${P}/dev/*`)), `${P}/devx/GET/`), "implicit-deny");
  });

  it("accepts action wildcards, case-insensitively, and nothing else", () => {
    const arn = `${P}/Prod/GET/`;
    for (const Action of [
      "execute-api:Invoke",
      "execute-api:*",
      "*",
      "EXECUTE-API:invoke",
      ["s3:GetObject", "execute-api:Invoke"],
    ]) {
      assert.equal(
        evaluatePolicy(doc({ Effect: "Allow", Action, Resource: `${P}/*` }), arn),
        "allow",
        JSON.stringify(Action),
      );
    }
    for (const Action of ["s3:*", "execute-api:ManageConnections", []]) {
      assert.equal(
        evaluatePolicy(doc({ Effect: "Allow", Action, Resource: `${P}/*` }), arn),
        "implicit-deny",
        JSON.stringify(Action),
      );
    }
  });

  it("lets a * ending an ARN segment run past colons for an Allow, and no other", () => {
    // A "*" ending the region segment may swallow the account's colon (AWS: "it can expand to match
    // beyond the colon boundaries")...
    assert.equal(evaluatePolicy(doc(allow("arn:aws:execute-api:*:abcdef1234/*")), `${P}/dev/GET/`), "allow");
    assert.equal(
      evaluatePolicy(doc(allow("arn:aws:execute-api:*:*:abcdef1234/*")), `${P}/dev/GET/`),
      "allow",
    );
    // ...a "*" inside a segment may not.
    assert.equal(
      evaluatePolicy(doc(allow("arn:aws:execute-api:us-*1234/*")), `${P}/dev/GET/`),
      "implicit-deny",
    );
    // A trailing * runs to the end.
    assert.equal(evaluatePolicy(doc(allow("arn:aws:execute-api:*")), `${P}/dev/GET/`), "allow");
    assert.equal(evaluatePolicy(doc(allow("*")), `${P}/dev/GET/`), "allow");
    // A Deny reads the whole string, so it applies whenever it might.
    assert.equal(
      evaluatePolicy(doc(allow("*"), deny("arn:aws:execute-api:*:abcdef1234/*")), `${P}/dev/GET/`),
      "explicit-deny",
    );
    assert.equal(
      evaluatePolicy(doc(allow("*"), deny("arn:aws:execute-api:us-*1234/*")), `${P}/dev/GET/`),
      "explicit-deny",
    );
  });

  it("lets a * inside an ARN segment stay within it for an Allow (only a segment's last * spans :)", () => {
    // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html:
    // wildcards work "within the individual segments of an ARN (the parts separated by colons)"; "If
    // the * wildcard is the last character of a resource ARN segment, it can expand to match beyond
    // the colon boundaries".
    const ws = "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5";
    assert.equal(
      evaluatePolicy(
        doc(allow("arn:aws:execute-api:eu-west-1:12*a1b2c3d4e5/Prod/$connect")),
        `${ws}/Prod/$connect`,
      ),
      "implicit-deny",
    );
    assert.equal(evaluatePolicy(doc(allow(`${ws}/dev*b/%2F`)), `${ws}/dev/GET/a:b/%2F`), "implicit-deny");
    assert.equal(
      evaluatePolicy(doc(allow(`${ws}/dev/GET/a?b/%2F`)), `${ws}/dev/GET/a:b/%2F`),
      "implicit-deny",
    );
    assert.equal(evaluatePolicy(doc(allow(`${ws}/dev/GET/*/x`)), `${ws}/dev/GET/a:b/x`), "implicit-deny");
    // Without a colon in the way, the same wildcards match.
    assert.equal(evaluatePolicy(doc(allow(`${ws}/dev*b/%2F`)), `${ws}/dev/GET/a-b/%2F`), "allow");
    assert.equal(evaluatePolicy(doc(allow(`${ws}/dev/GET/a?b/%2F`)), `${ws}/dev/GET/a-b/%2F`), "allow");
    // A * ending a segment (before a : of the pattern, or at its end) runs past colons.
    assert.equal(evaluatePolicy(doc(allow(`${ws}/dev/*`)), `${ws}/dev/GET/a:b/x`), "allow");
    assert.equal(evaluatePolicy(doc(allow(`${ws}/dev/GET/a*:b/x`)), `${ws}/dev/GET/a:b:b/x`), "allow");
    assert.equal(evaluatePolicy(doc(allow(`${ws}/dev/GET/a*:*/x`)), `${ws}/dev/GET/a:b:c/x`), "allow");
    // A Deny still applies whenever it might (every * read as spanning colons).
    assert.equal(
      evaluatePolicy(doc(allow(`${ws}/*`), deny(`${ws}/dev*b/%2F`)), `${ws}/dev/GET/a:b/%2F`),
      "explicit-deny",
    );
  });

  it("treats what it cannot evaluate conservatively", () => {
    const arn = `${P}/dev/GET/`;
    // An Allow with a Condition or a Not* element never allows.
    assert.equal(
      evaluatePolicy(
        doc(allow(`${P}/*`, { Condition: { IpAddress: { "aws:SourceIp": "10.0.0.0/8" } } })),
        arn,
      ),
      "implicit-deny",
    );
    assert.equal(
      evaluatePolicy(doc({ Effect: "Allow", Action: "execute-api:Invoke", NotResource: `${P}/x` }), arn),
      "implicit-deny",
    );
    // A Deny with a Condition, NotAction or NotResource always applies.
    assert.equal(
      evaluatePolicy(doc(allow(`${P}/*`), deny(`${P}/*`, { Condition: { Bool: { x: "false" } } })), arn),
      "explicit-deny",
    );
    assert.equal(
      evaluatePolicy(doc(allow(`${P}/*`), { Effect: "Deny", NotAction: "s3:*", Resource: `${P}/*` }), arn),
      "explicit-deny",
    );
    assert.equal(
      evaluatePolicy(doc(allow(`${P}/*`), { Effect: "Deny", Action: "*", NotResource: arn }), arn),
      "explicit-deny",
    );
  });

  it("never allows from a malformed document", () => {
    const arn = `${P}/dev/GET/`;
    assert.equal(evaluatePolicy(undefined, arn), "implicit-deny");
    assert.equal(evaluatePolicy({ Statement: allow(`${P}/*`) }, arn), "implicit-deny");
    assert.equal(evaluatePolicy(doc({ ...allow(`${P}/*`), Effect: "allow" }), arn), "implicit-deny");
    assert.equal(evaluatePolicy(doc(allow(`${P}/*`), "nonsense"), arn), "implicit-deny");
    assert.equal(
      evaluatePolicy(doc(allow(`${P}/*`), { Effect: "Deny", Action: "execute-api:Invoke" }), arn),
      "implicit-deny",
    );
    assert.equal(evaluatePolicy(doc(allow([`${P}/*`, 7])), arn), "implicit-deny");
    assert.equal(evaluatePolicy(doc(allow(`${P}/*`)), undefined as unknown as string), "implicit-deny");
  });
});

describe("validateAuthorizerResponse", () => {
  const valid = {
    principalId: "u1",
    policyDocument: doc(allow([`${P}/dev/GET/*`]), deny(`${P}/dev/DELETE/*`)),
    context: { sub: "u1", n: 1, ok: true },
  };

  it("accepts valid IAM and simple responses", () => {
    assert.deepEqual(validateAuthorizerResponse(valid, "iam", { flatContext: true }), []);
    assert.deepEqual(
      validateAuthorizerResponse({ ...valid, context: undefined }, "iam", { flatContext: true }),
      [],
    );
    assert.deepEqual(
      validateAuthorizerResponse({ isAuthorized: false }, "simple", { flatContext: false }),
      [],
    );
    assert.deepEqual(
      validateAuthorizerResponse(
        { isAuthorized: true, context: { groups: ["a"], m: { k: null } } },
        "simple",
        { flatContext: false },
      ),
      [],
    );
    assert.deepEqual(
      validateAuthorizerResponse(
        {
          ...valid,
          policyDocument: doc({ Effect: "Allow", Action: ["execute-api:*"], Resource: "*", Sid: "a" }),
        },
        "iam",
        { flatContext: true },
      ),
      [],
    );
  });

  const iam = (patch: Record<string, unknown>) => ({ ...valid, ...patch });
  const statement = (patch: Record<string, unknown>) =>
    iam({ policyDocument: doc({ ...allow([`${P}/dev/*`]), ...patch }) });
  const cases: Array<[string, unknown, string]> = [
    ["not an object", "Allow", 'the response must be an object (got "Allow")'],
    [
      "no principalId",
      iam({ principalId: undefined }),
      "principalId must be a non-empty string (got undefined)",
    ],
    ["empty principalId", iam({ principalId: "" }), 'principalId must be a non-empty string (got "")'],
    ["numeric principalId", iam({ principalId: 42 }), "principalId must be a non-empty string (got 42)"],
    [
      "no policyDocument",
      iam({ policyDocument: undefined }),
      "policyDocument must be an object (got undefined)",
    ],
    [
      "a {statusCode, body} response",
      { statusCode: 401, body: "no" },
      "policyDocument must be an object (got undefined)",
    ],
    [
      "old Version",
      iam({ policyDocument: { ...valid.policyDocument, Version: "2008-10-17" } }),
      'policyDocument.Version must be "2012-10-17" (got "2008-10-17")',
    ],
    [
      "Statement not an array",
      iam({ policyDocument: { Version: "2012-10-17", Statement: allow("*") } }),
      "policyDocument.Statement must be an array (got an object)",
    ],
    [
      "a statement that is not an object",
      iam({ policyDocument: doc("x") }),
      'policyDocument.Statement[0] must be an object (got "x")',
    ],
    [
      "lower-case Effect",
      statement({ Effect: "allow" }),
      'policyDocument.Statement[0].Effect must be "Allow" or "Deny" (got "allow")',
    ],
    ["missing Action", statement({ Action: undefined }), "policyDocument.Statement[0].Action is required"],
    [
      "another service's Action",
      statement({ Action: "s3:GetObject" }),
      'policyDocument.Statement[0].Action must be "execute-api:Invoke" (or a wildcard such as "execute-api:*" covering it) (got "s3:GetObject")',
    ],
    [
      "an Action list with a stranger",
      statement({ Action: ["execute-api:Invoke", "s3:*"] }),
      'policyDocument.Statement[0].Action[1] must be "execute-api:Invoke" (or a wildcard such as "execute-api:*" covering it) (got "s3:*")',
    ],
    [
      "an empty Action list",
      statement({ Action: [] }),
      "policyDocument.Statement[0].Action must be a string or a non-empty array of strings (got an array)",
    ],
    [
      "missing Resource",
      statement({ Resource: undefined }),
      "policyDocument.Statement[0].Resource is required",
    ],
    [
      "a numeric Resource",
      statement({ Resource: 7 }),
      "policyDocument.Statement[0].Resource must be an ARN string or an array of ARN strings (got 7)",
    ],
    [
      "a Resource that is not an ARN",
      statement({ Resource: ["/dev/GET/*"] }),
      'policyDocument.Statement[0].Resource[0] must be an ARN ("arn:…") or "*" (got "/dev/GET/*")',
    ],
    [
      "a Resource over 512 characters",
      statement({ Resource: `${P}/dev/GET/${"x".repeat(500)}` }),
      "policyDocument.Statement[0].Resource must be at most 512 characters (got 562)",
    ],
    [
      "an unknown element",
      statement({ Principal: "*" }),
      "policyDocument.Statement[0].Principal is not a statement element (expected Sid, Effect, Action, NotAction, Resource, NotResource, Condition)",
    ],
    [
      "a non-object Condition",
      statement({ Condition: "x" }),
      'policyDocument.Statement[0].Condition must be an object (got "x")',
    ],
    [
      "an object in a flat context",
      iam({ context: { groups: ["a"] } }),
      "context.groups must be a string, number or boolean (got an array)",
    ],
    [
      "null in a flat context",
      iam({ context: { email: null } }),
      "context.email must be a string, number or boolean (got null)",
    ],
    [
      "NaN in a flat context",
      iam({ context: { n: Number.NaN } }),
      "context.n must be a string, number or boolean (got NaN)",
    ],
    ["a non-object context", iam({ context: "x" }), 'context must be an object (got "x")'],
    [
      "an odd key in a flat context",
      iam({ context: { "cognito:groups": {} } }),
      'context["cognito:groups"] must be a string, number or boolean (got an object)',
    ],
    [
      "a non-string usageIdentifierKey",
      iam({ usageIdentifierKey: 1 }),
      "usageIdentifierKey must be a string (got 1)",
    ],
  ];
  for (const [name, response, message] of cases) {
    it(`rejects ${name}`, () => {
      assert.ok(
        validateAuthorizerResponse(response, "iam", { flatContext: true }).includes(message),
        JSON.stringify(validateAuthorizerResponse(response, "iam", { flatContext: true })),
      );
    });
  }

  it("rejects a simple response whose isAuthorized is not a boolean", () => {
    assert.deepEqual(validateAuthorizerResponse({ isAuthorized: "true" }, "simple", { flatContext: false }), [
      'isAuthorized must be a boolean (got "true")',
    ]);
    assert.deepEqual(validateAuthorizerResponse({}, "simple", { flatContext: false }), [
      "isAuthorized must be a boolean (got undefined)",
    ]);
    assert.deepEqual(
      validateAuthorizerResponse({ isAuthorized: true, context: { b: 1n } }, "simple", {
        flatContext: false,
      }),
      ["context.b must be a JSON value (got a bigint)"],
    );
  });

  it("refuses reserved context keys when asked to", () => {
    assert.deepEqual(
      validateAuthorizerResponse({ ...valid, context: { claims: "x" } }, "iam", {
        flatContext: true,
        reservedContextKeys: ["claims"],
      }),
      ["context.claims uses a reserved key"],
    );
  });
});
