// biome-ignore-all lint/suspicious/noTemplateCurlyInString: CloudFormation ${…} substitutions, written out as the template has them
/**
 * Local resolution of CloudFormation intrinsic functions (src/dev/definition/intrinsics.ts). The
 * expected values follow CloudFormation's documentation of each function (Template reference,
 * "Intrinsic function reference" and "Pseudo parameters reference"); what cannot be known locally
 * is one note per place with the fallback named.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { functionNameInArn, Intrinsics } from "../../../../src/dev/definition/intrinsics.js";

const T = { timeout: 10_000 };

const template = {
  Parameters: {
    Stage: { Type: "String", Default: "test" },
    Secret: { Type: "String", NoEcho: true },
    Names: { Type: "CommaDelimitedList", Default: "a, b,c" },
    Size: { Type: "Number", Default: 3 },
  },
  Mappings: { Regions: { "us-east-1": { Ami: "ami-123" } } },
  Conditions: {
    IsTest: { "Fn::Equals": [{ Ref: "Stage" }, "test"] },
    IsProd: { "Fn::Not": [{ Condition: "IsTest" }] },
    Both: { "Fn::And": [{ Condition: "IsTest" }, { "Fn::Equals": ["x", "x"] }] },
    Unknown: { "Fn::Equals": [{ "Fn::ImportValue": "x" }, "y"] },
  },
  Resources: {
    OrdersFn: { Type: "AWS::Serverless::Function", Properties: {} },
    NamedFn: {
      Type: "AWS::Lambda::Function",
      Properties: { FunctionName: { "Fn::Sub": "${AWS::StackName}-named" } },
    },
    Api: { Type: "AWS::ApiGateway::RestApi", Properties: {} },
    Table: { Type: "AWS::DynamoDB::Table", Properties: {} },
    Pool: { Type: "AWS::Cognito::UserPool", Properties: {} },
  },
};

describe("Ref and pseudo parameters", () => {
  test("parameters resolve to their Default, overrides win, lists split, numbers are text", T, () => {
    const r = new Intrinsics(template);
    assert.equal(r.resolve({ Ref: "Stage" }, "x"), "test");
    assert.deepEqual(r.resolve({ Ref: "Names" }, "x"), ["a", "b", "c"]);
    assert.equal(r.resolve({ Ref: "Size" }, "x"), "3");
    const o = new Intrinsics(template, { parameters: { Stage: "qa", Secret: "hunter2" } });
    assert.equal(o.resolve({ Ref: "Stage" }, "x"), "qa");
    assert.equal(o.resolve({ Ref: "Secret" }, "x"), "hunter2");
    assert.deepEqual(o.notes, []);
  });

  test("a parameter without Default or value: an empty string, noted without any value", T, () => {
    const r = new Intrinsics(template);
    assert.equal(r.resolve({ Ref: "Secret" }, "Resources.Fn.Properties.Environment.Variables.KEY"), "");
    assert.deepEqual(r.notes, [
      {
        at: "Resources.Fn.Properties.Environment.Variables.KEY",
        message: "parameter Secret has no Default and no value was given; an empty string is used.",
      },
    ]);
  });

  test("pseudo parameters", T, () => {
    const r = new Intrinsics(template);
    const value = (name: string) => r.resolve({ Ref: name }, "x");
    assert.equal(value("AWS::Region"), "us-east-1");
    assert.equal(value("AWS::AccountId"), "123456789012");
    assert.equal(value("AWS::Partition"), "aws");
    assert.equal(value("AWS::URLSuffix"), "amazonaws.com");
    assert.equal(value("AWS::StackName"), "gatepass-local");
    assert.deepEqual(value("AWS::NotificationARNs"), []);
    assert.deepEqual(r.resolve({ a: 1, b: { Ref: "AWS::NoValue" }, c: [1, { Ref: "AWS::NoValue" }] }, "x"), {
      a: 1,
      c: [1],
    });
  });

  test("Ref of a function is its name; of API Gateway resources, the logical id", T, () => {
    const r = new Intrinsics(template);
    assert.equal(r.resolve({ Ref: "OrdersFn" }, "x"), "OrdersFn");
    assert.equal(r.resolve({ Ref: "NamedFn" }, "x"), "gatepass-local-named");
    assert.equal(r.resolve({ Ref: "Api" }, "x"), "Api");
    assert.deepEqual(r.notes, []);
  });

  test("SAM's Ref of Function.Alias and Function.Version is a qualified ARN of that function", T, () => {
    const r = new Intrinsics(template);
    const alias = String(r.resolve({ Ref: "OrdersFn.Alias" }, "x"));
    assert.equal(alias, "arn:aws:lambda:us-east-1:123456789012:function:OrdersFn:live");
    assert.equal(functionNameInArn(alias)?.name, "OrdersFn");
    assert.equal(functionNameInArn(String(r.resolve({ Ref: "OrdersFn.Version" }, "x")))?.name, "OrdersFn");
  });

  test("Ref of a name the template does not define is refused", T, () => {
    const r = new Intrinsics(template);
    assert.throws(() => r.resolve({ Ref: "Nope" }, "Resources.X.Properties.Y"), {
      message:
        "Resources.X.Properties.Y refers to Nope, which is neither a parameter nor a resource of the template.",
    });
  });
});

describe("Fn::GetAtt and Fn::Sub", () => {
  test("a function's Arn, and the HTTP API integration URI of it, name that function", T, () => {
    const r = new Intrinsics(template);
    const arn = r.resolve({ "Fn::GetAtt": ["OrdersFn", "Arn"] }, "x");
    assert.equal(arn, "arn:aws:lambda:us-east-1:123456789012:function:OrdersFn");
    const uri = r.resolve(
      {
        "Fn::Sub":
          "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${OrdersFn.Arn}/invocations",
      },
      "x",
    );
    assert.equal(
      uri,
      "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:OrdersFn/invocations",
    );
    assert.equal(functionNameInArn(String(uri))?.name, "OrdersFn");
    assert.equal(functionNameInArn("arn:aws:lambda:eu-west-1:1:function:fn:live")?.name, "fn");
    assert.equal(functionNameInArn("https://example.com/"), undefined);
  });

  test("Fn::Sub: parameters, pseudo parameters, attributes, explicit variables, ${!Literal}", T, () => {
    const r = new Intrinsics(template);
    assert.equal(
      r.resolve(
        { "Fn::Sub": ["${Stage}-${AWS::AccountId}-${X}-${!Literal}-${Api}", { X: { Ref: "Size" } }] },
        "x",
      ),
      "test-123456789012-3-${Literal}-Api",
    );
  });

  test("GetAtt of an attribute only a deployment knows: the text Res.Attr, one note per place", T, () => {
    const r = new Intrinsics(template);
    const value = { "Fn::GetAtt": ["Table", "StreamArn"] };
    assert.equal(r.resolve(value, "a"), "Table.StreamArn");
    r.resolve(value, "a");
    r.resolve(value, "b");
    assert.deepEqual(r.notes, [
      {
        at: "a",
        message:
          "Fn::GetAtt Table.StreamArn (a AWS::DynamoDB::Table) is known only once deployed; the text Table.StreamArn is used.",
      },
      {
        at: "b",
        message:
          "Fn::GetAtt Table.StreamArn (a AWS::DynamoDB::Table) is known only once deployed; the text Table.StreamArn is used.",
      },
    ]);
  });

  test("a user pool's Arn: a placeholder pool id, noted", T, () => {
    const r = new Intrinsics(template);
    assert.equal(
      r.resolve({ "Fn::GetAtt": ["Pool", "Arn"] }, "p"),
      "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_Pool",
    );
    assert.equal(r.notes.length, 1);
  });
});

describe("other functions", () => {
  test("Join, Select, Split, FindInMap, Base64, GetAZs", T, () => {
    const r = new Intrinsics(template);
    assert.equal(r.resolve({ "Fn::Join": ["-", ["a", { Ref: "Stage" }, 3]] }, "x"), "a-test-3");
    assert.equal(r.resolve({ "Fn::Select": [1, { Ref: "Names" }] }, "x"), "b");
    assert.deepEqual(r.resolve({ "Fn::Split": ["|", "a|b"] }, "x"), ["a", "b"]);
    assert.equal(r.resolve({ "Fn::FindInMap": ["Regions", { Ref: "AWS::Region" }, "Ami"] }, "x"), "ami-123");
    assert.equal(r.resolve({ "Fn::Base64": "hi" }, "x"), "aGk=");
    assert.deepEqual(r.resolve({ "Fn::GetAZs": "" }, "x"), ["us-east-1a", "us-east-1b", "us-east-1c"]);
    assert.deepEqual(r.notes, []);
  });

  test("Fn::If on conditions that can be evaluated", T, () => {
    const r = new Intrinsics(template);
    assert.equal(r.resolve({ "Fn::If": ["IsTest", "t", "p"] }, "x"), "t");
    assert.equal(r.resolve({ "Fn::If": ["IsProd", "t", "p"] }, "x"), "p");
    assert.equal(r.resolve({ "Fn::If": ["Both", "t", "p"] }, "x"), "t");
    const o = new Intrinsics(template, { parameters: { Stage: "prod" } });
    assert.equal(o.resolve({ "Fn::If": ["IsProd", "t", { Ref: "AWS::NoValue" }] }, "x"), "t");
    assert.deepEqual(o.resolve({ a: { "Fn::If": ["IsTest", "t", { Ref: "AWS::NoValue" }] } }, "x"), {});
    assert.deepEqual([...r.notes, ...o.notes], []);
  });

  test("Fn::If on a condition that cannot be evaluated: the first branch, noted once", T, () => {
    const r = new Intrinsics(template);
    assert.equal(
      r.resolve({ "Fn::If": ["Unknown", "first", "second"] }, "Resources.A.Properties.B"),
      "first",
    );
    r.resolve({ "Fn::If": ["Unknown", "first", "second"] }, "Resources.A.Properties.B");
    assert.deepEqual(r.notes, [
      {
        at: "Resources.A.Properties.B",
        message: "Fn::If on condition Unknown cannot be evaluated locally; its first branch is used.",
      },
    ]);
  });

  test("Fn::ImportValue: the text IMPORTED_VALUE, one note", T, () => {
    const r = new Intrinsics(template);
    assert.equal(r.resolve({ "Fn::ImportValue": "shared-issuer" }, "i"), "IMPORTED_VALUE");
    assert.deepEqual(r.notes, [
      {
        at: "i",
        message:
          "Fn::ImportValue (another stack's export) cannot be resolved locally; the text IMPORTED_VALUE is used.",
      },
    ]);
  });

  test("AWS::Include of a local file is read; other transforms are left out with a note", T, () => {
    const r = new Intrinsics(template, {
      include: (location) => ({ included: location, stage: { Ref: "Stage" } }),
    });
    assert.deepEqual(
      r.resolve({ "Fn::Transform": { Name: "AWS::Include", Parameters: { Location: "api.yaml" } } }, "x"),
      { included: "api.yaml", stage: "test" },
    );
    assert.deepEqual(
      r.resolve(
        { a: { "Fn::Transform": { Name: "AWS::Include", Parameters: { Location: "s3://b/k" } } } },
        "y",
      ),
      {},
    );
    assert.equal(r.notes.length, 1);
  });

  test("malformed arguments are refused in one sentence", T, () => {
    const r = new Intrinsics(template);
    assert.throws(() => r.resolve({ "Fn::Join": ["-"] }, "Resources.A"), {
      message: "Resources.A uses Fn::Join with arguments CloudFormation does not accept.",
    });
  });
});
