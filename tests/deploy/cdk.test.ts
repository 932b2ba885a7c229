/**
 * The CDK construct, synthesized offline with aws-cdk-lib/assertions: runtime, handler,
 * environment, and both authorizers' identity sources and TTL.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { App, Duration, Stack } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import * as apigateway from "aws-cdk-lib/aws-apigateway";
import * as apigwv2 from "aws-cdk-lib/aws-apigatewayv2";
import { HttpLambdaIntegration } from "aws-cdk-lib/aws-apigatewayv2-integrations";
import * as lambda from "aws-cdk-lib/aws-lambda";
import { GatepassAuthorizer } from "../../deploy/cdk/gatepass-authorizer.js";

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const CONFIG = {
  issuers: [{ issuer: "https://id.example.com/", audience: ["orders-api"], discovery: true }],
};

function synth(options: { ttl?: Duration; http?: boolean; rest?: boolean } = {}) {
  const bundleDir = mkdtempSync(join(tmpdir(), "gatepass-cdk-bundle-"));
  const outdir = mkdtempSync(join(tmpdir(), "gatepass-cdk-out-"));
  dirs.push(bundleDir, outdir);
  // What `gatepass bundle --out` writes; the construct deploys index.mjs, not the zip.
  writeFileSync(
    join(bundleDir, "index.mjs"),
    "export const handler = async () => { throw new Error('Unauthorized'); };\n",
  );
  writeFileSync(join(bundleDir, "function.zip"), "");
  const app = new App({ outdir });
  const stack = new Stack(app, "GatepassTest", { env: { account: "123456789012", region: "eu-west-1" } });
  const auth = new GatepassAuthorizer(stack, "Auth", {
    bundleDir,
    config: CONFIG,
    ...(options.ttl ? { resultsCacheTtl: options.ttl } : {}),
  });
  const backend = new lambda.Function(stack, "Backend", {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: "index.handler",
    code: lambda.Code.fromInline("exports.handler = async () => ({ statusCode: 200 });"),
  });
  if (options.rest !== false) {
    const api = new apigateway.RestApi(stack, "Rest");
    const orders = api.root.addResource("orders");
    orders.addMethod("GET", new apigateway.LambdaIntegration(backend), { authorizer: auth.tokenAuthorizer });
    orders.addMethod("POST", new apigateway.LambdaIntegration(backend), { authorizer: auth.tokenAuthorizer });
  }
  if (options.http !== false) {
    const http = new apigwv2.HttpApi(stack, "Http");
    http.addRoutes({
      path: "/orders",
      integration: new HttpLambdaIntegration("Orders", backend),
      authorizer: auth.httpAuthorizer(),
    });
  }
  return { template: Template.fromStack(stack), auth };
}

test("the authorizer function: nodejs22.x, index.handler, GATEPASS_CONFIG", () => {
  const { template } = synth();
  template.hasResourceProperties("AWS::Lambda::Function", {
    Runtime: "nodejs22.x",
    Handler: "index.handler",
    Architectures: ["arm64"],
    Environment: { Variables: { GATEPASS_CONFIG: JSON.stringify(CONFIG) } },
  });
  const runtimes = Object.values(template.findResources("AWS::Lambda::Function")).map(
    (r) => (r as { Properties: { Runtime: string } }).Properties.Runtime,
  );
  assert.ok(
    runtimes.every((r) => r === "nodejs22.x"),
    runtimes.join(),
  );
});

test("REST: one TOKEN authorizer on the Authorization header, TTL 300 by default, shared by methods", () => {
  const { template } = synth();
  template.resourceCountIs("AWS::ApiGateway::Authorizer", 1);
  template.hasResourceProperties("AWS::ApiGateway::Authorizer", {
    Type: "TOKEN",
    IdentitySource: "method.request.header.Authorization",
    AuthorizerResultTtlInSeconds: 300,
  });
  template.hasResourceProperties("AWS::ApiGateway::Method", {
    HttpMethod: "GET",
    AuthorizationType: "CUSTOM",
  });
  template.hasResourceProperties("AWS::Lambda::Permission", {
    Action: "lambda:InvokeFunction",
    Principal: "apigateway.amazonaws.com",
  });
});

test("HTTP API: payload 2.0, simple responses, identity sources incl. $context.routeKey, TTL", () => {
  const { template } = synth({ ttl: Duration.seconds(120) });
  template.hasResourceProperties("AWS::ApiGatewayV2::Authorizer", {
    AuthorizerType: "REQUEST",
    AuthorizerPayloadFormatVersion: "2.0",
    EnableSimpleResponses: true,
    IdentitySource: ["$request.header.Authorization", "$context.routeKey"],
    AuthorizerResultTtlInSeconds: 120,
  });
  template.hasResourceProperties("AWS::ApiGateway::Authorizer", { AuthorizerResultTtlInSeconds: 120 });
  template.hasResourceProperties("AWS::ApiGatewayV2::Route", {
    RouteKey: "ANY /orders",
    AuthorizationType: "CUSTOM",
  });
});

test("an HTTP-only stack needs no REST authorizer (created on first use only)", () => {
  const { template } = synth({ rest: false });
  template.resourceCountIs("AWS::ApiGateway::Authorizer", 0);
  template.resourceCountIs("AWS::ApiGatewayV2::Authorizer", 1);
  template.hasResourceProperties("AWS::Lambda::Function", {
    Handler: "index.handler",
    Environment: Match.anyValue(),
  });
});

test("props are checked: exactly one of bundleDir or code, TTL at most 1 hour", () => {
  const stack = new Stack(new App());
  assert.throws(() => new GatepassAuthorizer(stack, "A", {}), /exactly one of bundleDir or code/);
  assert.throws(
    () =>
      new GatepassAuthorizer(stack, "B", {
        code: lambda.Code.fromInline("x"),
        resultsCacheTtl: Duration.hours(2),
      }),
    /at most 1 hour/,
  );
});
