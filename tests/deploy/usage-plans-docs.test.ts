/**
 * The README's "Usage plans" snippets, as printed: the SAM resources pass `cfn-lint` (which runs the
 * SAM transform, so a property `AWS::Serverless::Api` does not have fails), and the CDK lines
 * synthesize offline with aws-cdk-lib into a REST API whose key source is `AUTHORIZER`, whose methods
 * require a key, and whose usage plan holds the partner's key.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { App, Stack } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import * as apigateway from "aws-cdk-lib/aws-apigateway";
import * as lambda from "aws-cdk-lib/aws-lambda";

const README = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
const SECTION = README.slice(README.indexOf("## Usage plans"), README.indexOf("## The CLI in five minutes"));

/** The body of the first fenced block of `lang` after `marker` in the section. */
function block(marker: string, lang: string): string {
  const at = SECTION.indexOf(marker);
  assert.ok(at >= 0, `README's Usage plans section has "${marker}"`);
  const open = SECTION.indexOf(`\`\`\`${lang}\n`, at);
  assert.ok(open >= 0, `a ${lang} block after "${marker}"`);
  const start = open + lang.length + 4;
  return SECTION.slice(start, SECTION.indexOf("```", start));
}

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe("README, Usage plans", { timeout: 120_000 }, () => {
  it("the SAM snippet passes cfn-lint (with the SAM transform)", (t) => {
    const probe = spawnSync("cfn-lint", ["--version"], { encoding: "utf8" });
    if (probe.error) {
      t.skip("cfn-lint is not installed");
      return;
    }
    // The snippet's resources, completed with what it refers to (the parameter and the functions).
    const template = [
      'AWSTemplateFormatVersion: "2010-09-09"',
      "Transform: AWS::Serverless-2016-10-31",
      "Parameters:",
      "  PartnerClientId: { Type: String }",
      block("SAM (", "yaml").trimEnd(),
      "  Authorizer:",
      "    Type: AWS::Serverless::Function",
      "    Properties: { Runtime: nodejs22.x, Handler: index.handler, CodeUri: dist/ }",
      "  Orders:",
      "    Type: AWS::Serverless::Function",
      "    Properties:",
      "      Runtime: nodejs22.x",
      "      Handler: orders.handler",
      "      CodeUri: dist/",
      "      Events:",
      "        Get: { Type: Api, Properties: { RestApiId: !Ref Api, Path: '/orders/{id}', Method: get } }",
      "",
    ].join("\n");
    const dir = mkdtempSync(join(tmpdir(), "gatepass-usage-sam-"));
    dirs.push(dir);
    const file = join(dir, "template.yaml");
    writeFileSync(file, template);
    const lint = spawnSync("cfn-lint", [file], { encoding: "utf8", timeout: 100_000 });
    assert.equal(lint.status, 0, `cfn-lint: ${lint.stdout}${lint.stderr}`);
  });

  it("the CDK snippet synthesizes: key source AUTHORIZER, API keys required, the key in the plan", () => {
    const app = new App({ outdir: mkdtempSync(join(tmpdir(), "gatepass-usage-cdk-")) });
    dirs.push(app.outdir);
    const stack = new Stack(app, "UsagePlans", { env: { account: "123456789012", region: "eu-west-1" } });
    const authorizerFn = new lambda.Function(stack, "Authorizer", {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: "index.handler",
      code: lambda.Code.fromInline("exports.handler = async () => { throw new Error('Unauthorized'); };"),
    });
    // The snippet is plain JavaScript as printed; `this` is the stack, as in a Stack's constructor.
    const run = new Function(
      "RestApi",
      "ApiKeySourceType",
      "TokenAuthorizer",
      "Period",
      "authorizerFn",
      "partnerClientId",
      `${block("CDK (", "ts")}\nreturn api;`,
    );
    const api = run.call(
      stack,
      apigateway.RestApi,
      apigateway.ApiKeySourceType,
      apigateway.TokenAuthorizer,
      apigateway.Period,
      authorizerFn,
      "partner-client-id-0123",
    ) as apigateway.RestApi;
    api.root.addResource("orders").addMethod("GET", new apigateway.MockIntegration());
    const template = Template.fromStack(stack);
    template.hasResourceProperties("AWS::ApiGateway::RestApi", { ApiKeySourceType: "AUTHORIZER" });
    template.hasResourceProperties("AWS::ApiGateway::Method", {
      HttpMethod: "GET",
      ApiKeyRequired: true,
      AuthorizationType: "CUSTOM",
    });
    template.hasResourceProperties("AWS::ApiGateway::UsagePlan", {
      Throttle: { RateLimit: 10, BurstLimit: 20 },
      Quota: { Limit: 10000, Period: "DAY" },
      ApiStages: Match.anyValue(),
    });
    template.hasResourceProperties("AWS::ApiGateway::ApiKey", { Value: "partner-client-id-0123" });
    template.resourceCountIs("AWS::ApiGateway::UsagePlanKey", 1);
  });
});
