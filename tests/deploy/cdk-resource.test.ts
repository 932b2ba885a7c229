/**
 * The CDK construct with `resource` (RFC 9728), synthesized offline with aws-cdk-lib/assertions: the
 * metadata document on a MOCK `GET` without authorization at the metadata URL's path, the 401 and
 * 403 Gateway Responses with their `WWW-Authenticate` challenges, and HTTP APIs refused. The
 * expected values are written out here, not computed by gatepass.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { App, Stack } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import * as apigateway from "aws-cdk-lib/aws-apigateway";
import * as lambda from "aws-cdk-lib/aws-lambda";
import { GatepassAuthorizer, type GatepassAuthorizerProps } from "../../src/cdk/index.js";

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const ISSUER = "https://id.example.com/";
const RESOURCE = {
  uri: "https://api.example.com/mcp",
  authorizationServers: [ISSUER],
  scopesSupported: ["orders:read", "orders:write"],
  resourceName: "Orders $ #1",
};
const CONFIG = { issuers: [{ issuer: ISSUER, discovery: true }], resource: RESOURCE };

function stackWith(config: Record<string, unknown>) {
  const bundleDir = mkdtempSync(join(tmpdir(), "gatepass-cdk-res-"));
  const outdir = mkdtempSync(join(tmpdir(), "gatepass-cdk-res-out-"));
  dirs.push(bundleDir, outdir);
  writeFileSync(join(bundleDir, "index.mjs"), "export const handler = async () => ({});\n");
  const app = new App({ outdir });
  const stack = new Stack(app, "GatepassResource", { env: { account: "123456789012", region: "eu-west-1" } });
  const auth = new GatepassAuthorizer(stack, "Auth", {
    bundleDir,
    config: config as unknown as GatepassAuthorizerProps["config"],
  });
  const backend = new lambda.Function(stack, "Backend", {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: "index.handler",
    code: lambda.Code.fromInline("exports.handler = async () => ({ statusCode: 200 });"),
  });
  // The authorizer on every method by default: the metadata method must still be open.
  const api = new apigateway.RestApi(stack, "Rest", {
    defaultMethodOptions: { authorizer: auth.tokenAuthorizer },
  });
  api.root.addResource("mcp").addMethod("POST", new apigateway.LambdaIntegration(backend));
  return { stack, auth, api };
}

test("addProtectedResource: a MOCK GET without authorization at the well-known path answers the RFC 9728 document", () => {
  const { stack, auth, api } = stackWith(CONFIG);
  auth.addProtectedResource(api);
  const template = Template.fromStack(stack);
  // /.well-known/oauth-protected-resource/mcp, one resource per segment.
  for (const part of [".well-known", "oauth-protected-resource", "mcp"])
    template.hasResourceProperties("AWS::ApiGateway::Resource", { PathPart: part });
  const methods = template.findResources("AWS::ApiGateway::Method", {
    Properties: { HttpMethod: "GET", Integration: { Type: "MOCK" } },
  });
  assert.equal(Object.keys(methods).length, 1);
  const props = Object.values(methods)[0]!.Properties as {
    AuthorizationType: string;
    AuthorizerId?: unknown;
    MethodResponses: unknown;
    Integration: {
      RequestTemplates: unknown;
      IntegrationResponses: Array<{
        StatusCode: string;
        ResponseParameters: Record<string, string>;
        ResponseTemplates: Record<string, string>;
      }>;
    };
  };
  assert.equal(props.AuthorizationType, "NONE");
  assert.equal(props.AuthorizerId, undefined);
  assert.deepEqual(props.Integration.RequestTemplates, { "application/json": '{"statusCode": 200}' });
  const response = props.Integration.IntegrationResponses[0]!;
  assert.equal(response.StatusCode, "200");
  assert.equal(response.ResponseParameters["method.response.header.Content-Type"], "'application/json'");
  const body = response.ResponseTemplates["application/json"]!;
  // Velocity would read `$` and `#`: both are JSON escapes in the template.
  assert.ok(!body.includes("$") && !body.includes("#"), body);
  assert.deepEqual(JSON.parse(body), {
    resource: "https://api.example.com/mcp",
    authorization_servers: [ISSUER],
    bearer_methods_supported: ["header"],
    scopes_supported: ["orders:read", "orders:write"],
    resource_name: "Orders $ #1",
  });
  assert.deepEqual(props.MethodResponses, [
    {
      StatusCode: "200",
      ResponseParameters: {
        "method.response.header.Content-Type": true,
        "method.response.header.Cache-Control": true,
      },
    },
  ]);
  // The API's own methods keep the authorizer.
  template.hasResourceProperties("AWS::ApiGateway::Method", {
    HttpMethod: "POST",
    AuthorizationType: "CUSTOM",
  });
});

test("addProtectedResource: the 401 names the metadata URL, the 403 maps the Deny's context", () => {
  const { stack, auth, api } = stackWith(CONFIG);
  auth.addProtectedResource(api);
  const template = Template.fromStack(stack);
  template.hasResourceProperties("AWS::ApiGateway::GatewayResponse", {
    ResponseType: "UNAUTHORIZED",
    StatusCode: "401",
    ResponseParameters: Match.objectLike({
      "gatewayresponse.header.WWW-Authenticate":
        "'Bearer resource_metadata=\"https://api.example.com/.well-known/oauth-protected-resource/mcp\"'",
    }),
  });
  template.hasResourceProperties("AWS::ApiGateway::GatewayResponse", {
    ResponseType: "ACCESS_DENIED",
    StatusCode: "403",
    ResponseParameters: Match.objectLike({
      "gatewayresponse.header.WWW-Authenticate": "context.authorizer.wwwAuthenticate",
      "gatewayresponse.header.Access-Control-Allow-Origin": "'*'",
    }),
  });
  // Once per API: a second call (or addGatewayResponses) adds nothing.
  auth.addGatewayResponses(api);
  template.resourceCountIs("AWS::ApiGateway::GatewayResponse", 2);
});

test("a metadataUrl under the stage: basePath is taken off its path", () => {
  const metadataUrl =
    "https://abc123defg.execute-api.eu-west-1.amazonaws.com/prod/.well-known/oauth-protected-resource";
  const { stack, auth, api } = stackWith({ ...CONFIG, resource: { ...RESOURCE, metadataUrl } });
  auth.addProtectedResource(api, { basePath: "/prod" });
  const template = Template.fromStack(stack);
  template.hasResourceProperties("AWS::ApiGateway::Resource", { PathPart: "oauth-protected-resource" });
  assert.equal(
    Object.values(template.findResources("AWS::ApiGateway::Resource")).filter(
      (r) => (r as { Properties: { PathPart: string } }).Properties.PathPart === "prod",
    ).length,
    0,
  );
  template.hasResourceProperties("AWS::ApiGateway::GatewayResponse", {
    ResponseType: "UNAUTHORIZED",
    ResponseParameters: Match.objectLike({
      "gatewayresponse.header.WWW-Authenticate": `'Bearer resource_metadata="${metadataUrl}"'`,
    }),
  });
  assert.throws(
    () =>
      stackWith({ ...CONFIG, resource: { ...RESOURCE, metadataUrl } }).auth.addProtectedResource(api, {
        basePath: "/dev",
      }),
    /not under basePath/,
  );
});

test("resource refuses HTTP APIs, and addProtectedResource needs it", () => {
  const { auth } = stackWith(CONFIG);
  assert.throws(() => auth.httpAuthorizer(), /HTTP APIs \(and WebSocket APIs\) have no Gateway Responses/);
  const plain = stackWith({ issuers: [{ issuer: ISSUER, audience: "orders-api", discovery: true }] });
  assert.throws(() => plain.auth.addProtectedResource(plain.api), /needs config with resource/);
  // Without resource, the Gateway Responses are as before.
  plain.auth.addGatewayResponses(plain.api);
  const template = Template.fromStack(plain.stack);
  template.hasResourceProperties("AWS::ApiGateway::GatewayResponse", {
    ResponseType: "UNAUTHORIZED",
    ResponseParameters: Match.objectLike({ "gatewayresponse.header.WWW-Authenticate": "'Bearer'" }),
  });
  const denied = Object.values(
    template.findResources("AWS::ApiGateway::GatewayResponse", {
      Properties: { ResponseType: "ACCESS_DENIED" },
    }),
  )[0]!.Properties as { ResponseParameters: Record<string, string> };
  assert.ok(!("gatewayresponse.header.WWW-Authenticate" in denied.ResponseParameters));
});
