/**
 * The CDK construct `gatepass/cdk` (src/cdk), synthesized offline with aws-cdk-lib/assertions:
 * runtime, handler, environment, both authorizers' identity sources and TTL, the configuration
 * validated at synth, one HTTP authorizer per API however often it is asked for, and the REST
 * API's 401/403 Gateway Responses with CORS headers.
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
import { GatepassAuthorizer, type GatepassAuthorizerProps } from "../../src/cdk/index.js";
import { ConfigError, parseConfig } from "../../src/index.js";

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

function bundle(): string {
  const bundleDir = mkdtempSync(join(tmpdir(), "gatepass-cdk-bundle-"));
  dirs.push(bundleDir);
  writeFileSync(join(bundleDir, "index.mjs"), "export const handler = async () => ({});\n");
  return bundleDir;
}

/** The props are typed with GatepassConfigInput: the same typo, written in place, is a type error. */
export const typedProps: GatepassAuthorizerProps = {
  bundleDir: "dist-lambda",
  // @ts-expect-error: `audiance` is no issuer field
  config: { issuers: [{ issuer: "https://id.example.com/", audiance: ["orders-api"] }] },
};

test("a configuration typo fails synth with the same one-sentence ConfigError as the cold start", () => {
  const typo = {
    issuers: [{ issuer: "https://id.example.com/", audiance: ["orders-api"], discovery: true }],
  };
  let expected: unknown;
  try {
    parseConfig(typo);
  } catch (error) {
    expected = error;
  }
  assert.ok(expected instanceof ConfigError);
  const stack = new Stack(new App());
  assert.throws(
    () => new GatepassAuthorizer(stack, "Auth", { bundleDir: bundle(), config: typo }),
    (error: unknown) =>
      error instanceof ConfigError &&
      error.message === (expected as ConfigError).message &&
      !error.message.includes("\n"),
  );
  // A bad route rule too: it would fail the cold start, so it fails synth.
  assert.throws(
    () =>
      new GatepassAuthorizer(stack, "Auth2", {
        bundleDir: bundle(),
        config: { ...CONFIG, routes: [{ route: "GET orders", scopes: ["x"] }] },
      }),
    ConfigError,
  );
});

test("httpAuthorizer(): reusable across routes and calls, one authorizer per HTTP API", () => {
  const stack = new Stack(new App(), "Reuse", { env: { account: "123456789012", region: "eu-west-1" } });
  const auth = new GatepassAuthorizer(stack, "Auth", { bundleDir: bundle(), config: CONFIG });
  const backend = new lambda.Function(stack, "Backend", {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: "index.handler",
    code: lambda.Code.fromInline("exports.handler = async () => ({ statusCode: 200 });"),
  });
  const shared = auth.httpAuthorizer();
  for (const name of ["A", "B"]) {
    const http = new apigwv2.HttpApi(stack, `Http${name}`);
    const integration = new HttpLambdaIntegration(`Int${name}`, backend);
    http.addRoutes({ path: "/orders", methods: [apigwv2.HttpMethod.GET], integration, authorizer: shared });
    http.addRoutes({
      path: "/orders/{id}",
      methods: [apigwv2.HttpMethod.GET],
      integration,
      authorizer: shared,
    });
    // A second call (as the README's one-call-per-route style does) on the same API.
    http.addRoutes({
      path: "/items",
      methods: [apigwv2.HttpMethod.GET],
      integration,
      authorizer: auth.httpAuthorizer(),
    });
  }
  const template = Template.fromStack(stack);
  template.resourceCountIs("AWS::ApiGatewayV2::Authorizer", 2);
  template.resourceCountIs("AWS::ApiGatewayV2::Route", 6);
  const permissions = template.findResources("AWS::Lambda::Permission", {
    Properties: { Principal: "apigateway.amazonaws.com", FunctionName: Match.anyValue() },
  });
  // One invoke permission per HTTP authorizer (plus the integrations' own for the backend).
  const forAuthorizer = Object.values(permissions).filter((p) =>
    JSON.stringify((p as { Properties: unknown }).Properties).includes("authorizers/"),
  );
  assert.equal(forAuthorizer.length, 2);
});

test("REST Gateway Responses: 401 and 403 with CORS headers, once per API", () => {
  const stack = new Stack(new App(), "Responses");
  const auth = new GatepassAuthorizer(stack, "Auth", { bundleDir: bundle(), config: CONFIG });
  const api = new apigateway.RestApi(stack, "Rest");
  api.root.addMethod("GET", new apigateway.MockIntegration(), { authorizer: auth.tokenAuthorizer });
  auth.addGatewayResponses(api, { allowOrigin: "https://app.example.com" });
  auth.addGatewayResponses(api, { allowOrigin: "https://app.example.com" });
  const template = Template.fromStack(stack);
  template.resourceCountIs("AWS::ApiGateway::GatewayResponse", 2);
  const cors = {
    "gatewayresponse.header.Access-Control-Allow-Origin": "'https://app.example.com'",
    "gatewayresponse.header.Access-Control-Allow-Headers": "'Authorization,Content-Type'",
  };
  template.hasResourceProperties("AWS::ApiGateway::GatewayResponse", {
    ResponseType: "UNAUTHORIZED",
    StatusCode: "401",
    ResponseParameters: { ...cors, "gatewayresponse.header.WWW-Authenticate": "'Bearer'" },
  });
  template.hasResourceProperties("AWS::ApiGateway::GatewayResponse", {
    ResponseType: "ACCESS_DENIED",
    StatusCode: "403",
    ResponseParameters: cors,
  });
});

test("usage plan from the token: key source AUTHORIZER, one plan on the stage, one API key per claim value", () => {
  const stack = new Stack(new App(), "Usage");
  const auth = new GatepassAuthorizer(stack, "Auth", { bundleDir: bundle(), config: CONFIG });
  const api = new apigateway.RestApi(stack, "Rest");
  api.root.addMethod("GET", new apigateway.MockIntegration(), {
    authorizer: auth.tokenAuthorizer,
    apiKeyRequired: true,
  });
  const clients = ["4o5p6q7r8s9t0u1v2w3x4y5z6a", "client-b-0123456789abcdef"];
  auth.addUsagePlan(api, { keys: clients, throttle: { rateLimit: 10, burstLimit: 20 } });
  const template = Template.fromStack(stack);
  template.hasResourceProperties("AWS::ApiGateway::RestApi", { ApiKeySourceType: "AUTHORIZER" });
  template.hasResourceProperties("AWS::ApiGateway::UsagePlan", {
    Throttle: { RateLimit: 10, BurstLimit: 20 },
    ApiStages: [Match.objectLike({ ApiId: Match.anyValue(), Stage: Match.anyValue() })],
  });
  template.resourceCountIs("AWS::ApiGateway::ApiKey", 2);
  for (const value of clients) template.hasResourceProperties("AWS::ApiGateway::ApiKey", { Value: value });
  template.resourceCountIs("AWS::ApiGateway::UsagePlanKey", 2);
  template.hasResourceProperties("AWS::ApiGateway::Method", {
    ApiKeyRequired: true,
    AuthorizationType: "CUSTOM",
  });
  // API Gateway API keys are 20 to 128 characters: a shorter claim value fails synth, without echoing it.
  const other = new apigateway.RestApi(stack, "Other");
  other.root.addMethod("GET", new apigateway.MockIntegration());
  assert.throws(
    () => auth.addUsagePlan(other, { keys: ["short-id"] }),
    (error: unknown) =>
      error instanceof Error && /20 to 128/.test(error.message) && !error.message.includes("short-id"),
  );
});
