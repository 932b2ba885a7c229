/**
 * The SAM template and the Serverless Framework example, checked as text (no YAML dependency):
 * runtime, code location, identity sources, TTL, simple responses, gateway responses with CORS.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const DEPLOY = fileURLToPath(new URL("../../deploy/", import.meta.url));
const sam = readFileSync(join(DEPLOY, "sam", "template.yaml"), "utf8");
const sls = readFileSync(join(DEPLOY, "serverless", "serverless.yml"), "utf8");

/** Every file under deploy/, for repository-wide checks. */
function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

/** The YAML block under `key:` (lines indented deeper than the key), as text. */
function block(text: string, key: string): string {
  const lines = text.split("\n");
  const start = lines.findIndex((l) => new RegExp(`^\\s*${key}:\\s*(#.*)?$`).test(l));
  assert.ok(start >= 0, `no block ${key}`);
  const indent = lines[start]!.search(/\S/);
  const body: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (line.trim() !== "" && line.search(/\S/) <= indent) break;
    body.push(line);
  }
  return body.join("\n");
}

test("every runtime in deploy/ is nodejs22.x or nodejs24.x, never a deprecated one", () => {
  // READMEs may name deprecated runtimes to warn about them; templates and code must not use them.
  for (const file of files(DEPLOY).filter((f) => !f.endsWith(".md"))) {
    const text = readFileSync(file, "utf8");
    assert.doesNotMatch(text, /nodejs(1\d|20)\.x|NODEJS_(1\d|20)_X/, file);
    if (!/\.ya?ml$/.test(file)) continue;
    for (const match of text.matchAll(/\b[Rr]untime:\s*(\S+)/g))
      assert.match(match[1]!, /^nodejs2[24]\.x$/, file);
  }
  assert.match(readFileSync(join(DEPLOY, "..", "src", "cdk", "index.ts"), "utf8"), /Runtime\.NODEJS_22_X/);
});

test("YAML files use spaces only", () => {
  for (const text of [sam, sls]) assert.doesNotMatch(text, /^\t/m);
});

test("SAM: the authorizer function runs the gatepass bundle", () => {
  const fn = block(sam, "AuthorizerFunction");
  assert.match(fn, /Type: AWS::Serverless::Function/);
  assert.match(fn, /CodeUri: \S*dist-lambda\/?\s/);
  assert.match(fn, /Handler: index\.handler/);
  assert.match(fn, /Runtime: nodejs22\.x/);
  // The configuration is embedded in the bundle (`gatepass bundle --config`): a JSON parameter
  // cannot pass `sam deploy --parameter-overrides` intact (tests/deploy/sam-deploy.test.ts).
  assert.doesNotMatch(sam, /GATEPASS_CONFIG|GatepassConfig/);
});

test("SAM: an optional DPoP replay table (on-demand, TTL on expiresAt), PutItem on it only, named to the function", () => {
  const parameter = block(block(sam, "Parameters"), "CreateDpopReplayTable");
  assert.match(parameter, /Default: "false"/);
  assert.match(
    block(sam, "Conditions"),
    /HasDpopReplayTable: !Equals \[!Ref CreateDpopReplayTable, "true"\]/,
  );
  const table = block(sam, "DpopReplayTable");
  assert.match(table, /Type: AWS::DynamoDB::Table/);
  assert.match(table, /Condition: HasDpopReplayTable/);
  assert.match(table, /BillingMode: PAY_PER_REQUEST/);
  assert.match(table, /AttributeName: pk\s+AttributeType: S/);
  assert.match(table, /AttributeName: pk\s+KeyType: HASH/);
  assert.match(block(table, "TimeToLiveSpecification"), /AttributeName: expiresAt[\s\S]*Enabled: true/);
  const fn = block(sam, "AuthorizerFunction");
  assert.match(
    block(fn, "Variables"),
    /GATEPASS_DPOP_REPLAY_TABLE: !If \[HasDpopReplayTable, !Ref DpopReplayTable, !Ref AWS::NoValue\]/,
  );
  const policies = block(fn, "Policies");
  assert.match(policies, /- !If\s+- HasDpopReplayTable/);
  // One action on one table: nothing else of DynamoDB, nothing on other resources.
  assert.deepEqual(policies.match(/dynamodb:\w+/g), ["dynamodb:PutItem"]);
  assert.match(policies, /Resource: !GetAtt DpopReplayTable\.Arn/);
});

test("SAM: REST API TOKEN authorizer on the Authorization header, TTL 300", () => {
  const api = block(sam, "RestApi");
  assert.match(api, /Type: AWS::Serverless::Api/);
  assert.match(api, /DefaultAuthorizer: GatepassTokenAuthorizer/);
  const authorizer = block(api, "GatepassTokenAuthorizer");
  assert.match(authorizer, /FunctionArn: !GetAtt AuthorizerFunction\.Arn/);
  assert.match(authorizer, /FunctionPayloadType: TOKEN/);
  const identity = block(authorizer, "Identity");
  assert.match(identity, /Header: Authorization\b/); // method.request.header.Authorization
  assert.match(identity, /ReauthorizeEvery: 300\b/);
});

test("SAM: gateway responses for 401 and 403 carry CORS headers", () => {
  const responses = block(block(sam, "RestApi"), "GatewayResponses");
  for (const type of ["DEFAULT_4XX", "UNAUTHORIZED", "ACCESS_DENIED"]) {
    assert.match(block(responses, type), /Access-Control-Allow-Origin: /, type);
  }
  assert.match(block(responses, "UNAUTHORIZED"), /StatusCode: 401/);
  assert.match(block(responses, "ACCESS_DENIED"), /StatusCode: 403/);
});

test("SAM: HTTP API payload 2.0 authorizer, simple responses, cached per token and route", () => {
  const api = block(sam, "HttpApi");
  assert.match(api, /Type: AWS::Serverless::HttpApi/);
  const authorizer = block(api, "GatepassLambdaAuthorizer");
  assert.match(authorizer, /AuthorizerPayloadFormatVersion: "2\.0"/);
  assert.match(authorizer, /EnableSimpleResponses: true/);
  assert.match(authorizer, /EnableFunctionDefaultPermissions: true/);
  const identity = block(authorizer, "Identity");
  assert.match(block(identity, "Headers"), /- Authorization\b/); // $request.header.Authorization
  assert.match(block(identity, "Context"), /- routeKey\b/); // $context.routeKey
  assert.match(identity, /ReauthorizeEvery: 300\b/);
});

test("Serverless: the prebuilt bundle, nodejs22.x, authorizers with TTL and identity sources", () => {
  assert.match(block(sls, "provider"), /runtime: nodejs22\.x/);
  const fn = block(block(sls, "functions"), "authorizer");
  assert.match(fn, /handler: index\.handler/);
  assert.match(fn, /artifact: dist-lambda\/function\.zip/);
  const http = block(block(block(sls, "httpApi"), "authorizers"), "gatepass");
  assert.match(http, /type: request/);
  assert.match(http, /payloadVersion: "2\.0"/);
  assert.match(http, /enableSimpleResponses: true/);
  assert.match(http, /resultTtlInSeconds: 300/);
  assert.match(block(http, "identitySource"), /- \$request\.header\.Authorization\s+- \$context\.routeKey/);
  // The REST event's TOKEN authorizer (the first `authorizer:` under the orders function).
  const rest = block(block(sls, "orders"), "authorizer");
  assert.match(rest, /name: authorizer/);
  assert.match(rest, /type: token/);
  assert.match(rest, /identitySource: method\.request\.header\.Authorization/);
  assert.match(rest, /resultTtlInSeconds: 300/);
  for (const type of ["UNAUTHORIZED", "ACCESS_DENIED"]) {
    assert.match(sls, new RegExp(`ResponseType: ${type}[\\s\\S]*?Access-Control-Allow-Origin`));
  }
});
