/**
 * The CDK construct with sender-constrained tokens (`dpop`, RFC 9449; `certificateBound`, RFC 8705),
 * synthesized offline with aws-cdk-lib/assertions: the TOKEN authorizer refused (it receives neither
 * the proof nor the certificate), a REQUEST authorizer instead, the authorizer result cache off (a
 * cached Allow would skip the per-request check), and the DPoP replay table: `dynamodb:PutItem` on
 * that table and nothing else, its name in `GATEPASS_DPOP_REPLAY_TABLE`. The expected values are
 * written out here, not computed by gatepass.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { App, Duration, Stack } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import * as apigateway from "aws-cdk-lib/aws-apigateway";
import * as apigwv2 from "aws-cdk-lib/aws-apigatewayv2";
import { HttpLambdaIntegration } from "aws-cdk-lib/aws-apigatewayv2-integrations";
import * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as kms from "aws-cdk-lib/aws-kms";
import * as lambda from "aws-cdk-lib/aws-lambda";
import { GatepassAuthorizer, type GatepassAuthorizerProps } from "../../src/cdk/index.js";

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const ISSUER = { issuer: "https://id.example.com/", audience: ["orders-api"], discovery: true };
const DPOP = { issuers: [{ ...ISSUER, dpop: "required" as const }] };
const CERT = { issuers: [{ ...ISSUER, certificateBound: "if-present" as const }] };
const PLAIN = { issuers: [ISSUER] };

function bundle(): string {
  const bundleDir = mkdtempSync(join(tmpdir(), "gatepass-cdk-bound-"));
  dirs.push(bundleDir);
  writeFileSync(join(bundleDir, "index.mjs"), "export const handler = async () => ({});\n");
  return bundleDir;
}

function stack(name = "Bound"): Stack {
  return new Stack(new App(), name, { env: { account: "123456789012", region: "eu-west-1" } });
}

function backend(scope: Stack): lambda.Function {
  return new lambda.Function(scope, "Backend", {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: "index.handler",
    code: lambda.Code.fromInline("exports.handler = async () => ({ statusCode: 200 });"),
  });
}

function authorizer(scope: Stack, props: Omit<GatepassAuthorizerProps, "bundleDir">): GatepassAuthorizer {
  return new GatepassAuthorizer(scope, "Auth", { bundleDir: bundle(), ...props });
}

for (const [name, config] of [
  ["dpop", DPOP],
  ["certificateBound", CERT],
] as const) {
  test(`${name}: tokenAuthorizer is refused at synth, naming the REQUEST authorizer`, () => {
    const auth = authorizer(stack(), { config });
    assert.throws(
      () => auth.tokenAuthorizer,
      (error: unknown) =>
        error instanceof Error &&
        error.message.includes(name) &&
        /TOKEN authorizer/.test(error.message) &&
        /401/.test(error.message) &&
        /requestAuthorizer/.test(error.message) &&
        !error.message.includes("\n"),
    );
  });

  test(`${name}: an explicit resultsCacheTtl above 0 is refused at synth`, () => {
    assert.throws(
      () => authorizer(stack(), { config, resultsCacheTtl: Duration.seconds(1) }),
      (error: unknown) =>
        error instanceof Error && error.message.includes(name) && /resultsCacheTtl/.test(error.message),
    );
    // 0 is what it needs: accepted.
    assert.equal(
      authorizer(stack(), { config, resultsCacheTtl: Duration.seconds(0) }).resultsCacheTtl.toSeconds(),
      0,
    );
  });

  test(`${name}: the result cache is off by default, on the REST REQUEST and the HTTP API authorizers`, () => {
    const scope = stack();
    const auth = authorizer(scope, { config });
    assert.equal(auth.resultsCacheTtl.toSeconds(), 0);
    const fn = backend(scope);
    const rest = new apigateway.RestApi(scope, "Rest");
    rest.root
      .addResource("orders")
      .addMethod("GET", new apigateway.LambdaIntegration(fn), { authorizer: auth.requestAuthorizer });
    const http = new apigwv2.HttpApi(scope, "Http");
    http.addRoutes({
      path: "/orders",
      integration: new HttpLambdaIntegration("Orders", fn),
      authorizer: auth.httpAuthorizer(),
    });
    const template = Template.fromStack(scope);
    template.resourceCountIs("AWS::ApiGateway::Authorizer", 1);
    template.hasResourceProperties("AWS::ApiGateway::Authorizer", {
      Type: "REQUEST",
      IdentitySource: "method.request.header.Authorization",
      AuthorizerResultTtlInSeconds: 0,
    });
    template.hasResourceProperties("AWS::ApiGatewayV2::Authorizer", {
      AuthorizerType: "REQUEST",
      AuthorizerResultTtlInSeconds: 0,
    });
    template.hasResourceProperties("AWS::ApiGateway::Method", {
      HttpMethod: "GET",
      AuthorizationType: "CUSTOM",
    });
  });
}

test("without dpop or certificateBound: the TOKEN authorizer and the 5-minute cache stay; requestAuthorizer uses that TTL", () => {
  const scope = stack();
  const auth = authorizer(scope, { config: PLAIN });
  assert.equal(auth.resultsCacheTtl.toSeconds(), 300);
  const rest = new apigateway.RestApi(scope, "Rest");
  rest.root.addMethod("GET", new apigateway.MockIntegration(), { authorizer: auth.requestAuthorizer });
  rest.root
    .addResource("t")
    .addMethod("GET", new apigateway.MockIntegration(), { authorizer: auth.tokenAuthorizer });
  // One getter, one authorizer however often it is read.
  assert.equal(auth.requestAuthorizer, auth.requestAuthorizer);
  const template = Template.fromStack(scope);
  template.resourceCountIs("AWS::ApiGateway::Authorizer", 2);
  template.hasResourceProperties("AWS::ApiGateway::Authorizer", {
    Type: "TOKEN",
    AuthorizerResultTtlInSeconds: 300,
  });
  template.hasResourceProperties("AWS::ApiGateway::Authorizer", {
    Type: "REQUEST",
    IdentitySource: "method.request.header.Authorization",
    AuthorizerResultTtlInSeconds: 300,
  });
});

/** The IAM statements of the authorizer function's role policies. */
function statementsOf(template: Template): { Action: unknown; Resource: unknown; Effect: string }[] {
  return Object.values(template.findResources("AWS::IAM::Policy")).flatMap(
    (p) =>
      (
        p as {
          Properties: {
            PolicyDocument: { Statement: { Action: unknown; Resource: unknown; Effect: string }[] };
          };
        }
      ).Properties.PolicyDocument.Statement,
  );
}

test("dpopReplayTable: dynamodb:PutItem on that table's ARN only, and GATEPASS_DPOP_REPLAY_TABLE = its name", () => {
  const scope = stack();
  const table = new dynamodb.Table(scope, "Replay", {
    partitionKey: { name: "pk", type: dynamodb.AttributeType.STRING },
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
  });
  authorizer(scope, { config: DPOP, dpopReplayTable: table });
  const template = Template.fromStack(scope);
  const tableId = scope.getLogicalId(table.node.defaultChild as dynamodb.CfnTable);
  assert.deepEqual(statementsOf(template), [
    { Action: "dynamodb:PutItem", Effect: "Allow", Resource: [{ "Fn::GetAtt": [tableId, "Arn"] }] },
  ]);
  template.hasResourceProperties("AWS::Lambda::Function", {
    Handler: "index.handler",
    Environment: {
      Variables: { GATEPASS_DPOP_REPLAY_TABLE: { Ref: tableId }, GATEPASS_CONFIG: JSON.stringify(DPOP) },
    },
  });
});

test("dpopReplayTable: an imported TableV2 by name gets PutItem on its ARN", () => {
  const scope = stack();
  const table = dynamodb.TableV2.fromTableName(scope, "Imported", "gatepass-dpop-replay");
  authorizer(scope, { config: DPOP, dpopReplayTable: table });
  const template = Template.fromStack(scope);
  const statements = statementsOf(template);
  assert.equal(statements.length, 1);
  assert.equal(statements[0]?.Action, "dynamodb:PutItem");
  assert.match(JSON.stringify(statements[0]?.Resource), /:table\/gatepass-dpop-replay"/);
  template.hasResourceProperties("AWS::Lambda::Function", {
    Environment: { Variables: { GATEPASS_DPOP_REPLAY_TABLE: "gatepass-dpop-replay" } },
  });
});

test("dpopReplayTable: a table encrypted with a customer-managed key also gets that key's use for writes, nothing else", () => {
  const scope = stack();
  const key = new kms.Key(scope, "Key");
  const table = new dynamodb.Table(scope, "Replay", {
    partitionKey: { name: "pk", type: dynamodb.AttributeType.STRING },
    encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
    encryptionKey: key,
  });
  authorizer(scope, { config: DPOP, dpopReplayTable: table });
  const statements = statementsOf(Template.fromStack(scope));
  const tableId = scope.getLogicalId(table.node.defaultChild as dynamodb.CfnTable);
  const keyId = scope.getLogicalId(key.node.defaultChild as kms.CfnKey);
  assert.deepEqual(statements[0], {
    Action: "dynamodb:PutItem",
    Effect: "Allow",
    Resource: [{ "Fn::GetAtt": [tableId, "Arn"] }],
  });
  assert.equal(statements.length, 2);
  assert.deepEqual(statements[1]?.Resource, { "Fn::GetAtt": [keyId, "Arn"] });
  const keyActions = statements[1]?.Action as string[];
  assert.ok(
    keyActions.every((a) => a.startsWith("kms:")),
    JSON.stringify(statements[1]),
  );
});

test("dpopReplayTable is refused at synth without an issuer using dpop", () => {
  for (const config of [PLAIN, CERT]) {
    const scope = stack();
    const table = dynamodb.TableV2.fromTableName(scope, "Imported", "gatepass-dpop-replay");
    assert.throws(
      () => authorizer(scope, { config, dpopReplayTable: table }),
      (error: unknown) =>
        error instanceof Error && /dpopReplayTable/.test(error.message) && /dpop/.test(error.message),
    );
  }
});

test("GatepassAuthorizer.dpopReplayTable(): on-demand, partition key pk (String), TTL on expiresAt", () => {
  const scope = stack();
  const table = GatepassAuthorizer.dpopReplayTable(scope, "Replay");
  authorizer(scope, { config: DPOP, dpopReplayTable: table });
  const template = Template.fromStack(scope);
  template.resourceCountIs("AWS::DynamoDB::Table", 1);
  template.hasResourceProperties("AWS::DynamoDB::Table", {
    BillingMode: "PAY_PER_REQUEST",
    KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
    AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
    TimeToLiveSpecification: { AttributeName: "expiresAt", Enabled: true },
  });
  assert.deepEqual(
    statementsOf(template).map((s) => s.Action),
    ["dynamodb:PutItem"],
  );
  template.hasResourceProperties("AWS::Lambda::Function", {
    Environment: { Variables: Match.objectLike({ GATEPASS_DPOP_REPLAY_TABLE: Match.anyValue() }) },
  });
});

/** deploy/cdk/README.md's snippet, as printed there; the test below synthesizes the same code. */
const SNIPPET = `const bound = new GatepassAuthorizer(this, "BoundAuth", {
  bundleDir: "dist-lambda",
  config: {
    issuers: [{ issuer: "https://id.example.com/", audience: ["orders-api"], discovery: true, dpop: "required" }],
  },
  dpopReplayTable: GatepassAuthorizer.dpopReplayTable(this, "DpopReplay"), // PutItem on it only
});
const payments = new apigateway.RestApi(this, "Payments");
payments.root.addMethod("POST", new apigateway.LambdaIntegration(backend), {
  authorizer: bound.requestAuthorizer, // REQUEST, TTL 0; bound.tokenAuthorizer fails synth
});
`;

test("deploy/cdk/README.md's DPoP snippet synthesizes: REQUEST authorizer with TTL 0, PutItem on the replay table", () => {
  const readme = readFileSync(fileURLToPath(new URL("../../deploy/cdk/README.md", import.meta.url)), "utf8");
  assert.ok(readme.includes(`\`\`\`ts\n${SNIPPET}\`\`\``), "the snippet is printed as written here");
  const self = stack("Snippet");
  const fn = backend(self);
  // The snippet's code, `this` being the stack and bundleDir a bundle directory.
  const bound = new GatepassAuthorizer(self, "BoundAuth", {
    bundleDir: bundle(),
    config: {
      issuers: [
        { issuer: "https://id.example.com/", audience: ["orders-api"], discovery: true, dpop: "required" },
      ],
    },
    dpopReplayTable: GatepassAuthorizer.dpopReplayTable(self, "DpopReplay"),
  });
  const payments = new apigateway.RestApi(self, "Payments");
  payments.root.addMethod("POST", new apigateway.LambdaIntegration(fn), {
    authorizer: bound.requestAuthorizer,
  });
  assert.throws(() => bound.tokenAuthorizer, /TOKEN authorizer/);
  const template = Template.fromStack(self);
  template.hasResourceProperties("AWS::ApiGateway::Authorizer", {
    Type: "REQUEST",
    AuthorizerResultTtlInSeconds: 0,
  });
  assert.deepEqual(
    statementsOf(template).map((s) => s.Action),
    ["dynamodb:PutItem"],
  );
});
