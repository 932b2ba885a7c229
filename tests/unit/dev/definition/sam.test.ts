/**
 * SAM and CloudFormation templates → ApiDefinition (src/dev/definition/sam.ts through load.ts).
 *
 * The expected definitions are written out by hand from AWS's documentation:
 * - SAM `AWS::Serverless::Api` `Auth.Authorizers` (LambdaTokenAuthorizationIdentity: Header default
 *   `Authorization`, ReauthorizeEvery default 300), the implicit `ServerlessRestApi` (stage `Prod`)
 *   and `ServerlessHttpApi` (stage `$default`), the `HttpApi` event (no Path/Method → the `$default`
 *   route; PayloadFormatVersion default 2.0), HttpApi LambdaAuthorizer (AuthorizerPayloadFormatVersion
 *   required; EnableSimpleResponses), OAuth2Authorizer (JwtConfiguration issuer/audience);
 * - `AWS::ApiGateway::Authorizer` (AuthorizerResultTtlInSeconds default 300), REST integration
 *   timeout 29 s, HTTP API integration timeout 30 s;
 * - `AWS::ApiGatewayV2::*` (RouteKey `METHOD /path` or `$default`; `$connect` only on WebSocket APIs).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { loadApiDefinitions } from "../../../../src/dev/definition/load.js";
import type { ApiDefinition } from "../../../../src/dev/definition/model.js";
import { cleanUp, FIXTURES, folder, handler } from "./helpers.js";

const T = { timeout: 20_000 };
after(cleanUp);

const only = (defs: ApiDefinition[]) => {
  assert.equal(defs.length, 1);
  return defs[0]!;
};
const load = (cwd: string, template = "template.yaml", more: Record<string, unknown> = {}) =>
  loadApiDefinitions({ template, cwd, ...more });

describe("fixture sam-rest: a REST API with a TOKEN authorizer", () => {
  const dir = join(FIXTURES, "sam-rest");
  const orders = handler(join(dir, "src/orders.ts"), "OrdersFunction", {
    timeoutSeconds: 10,
    environment: { STAGE: "test" },
  });
  const lambda = { kind: "lambda", handler: orders, payloadFormatVersion: "1.0", timeoutMs: 29_000 } as const;

  test("reads the whole API as AWS documents it", T, () => {
    assert.deepEqual(load(dir), [
      {
        format: "sam",
        file: join(dir, "template.yaml"),
        name: "OrdersApi",
        kind: "rest",
        stage: "test",
        routes: [
          {
            method: "GET",
            path: "/orders/{id}",
            routeKey: "GET /orders/{id}",
            authorizer: "TokenAuthorizer",
            integration: lambda,
            at: "Resources.OrdersFunction.Properties.Events.GetOrder",
          },
          {
            method: "ANY",
            path: "/files/{proxy+}",
            routeKey: "ANY /files/{proxy+}",
            authorizer: "TokenAuthorizer",
            integration: lambda,
            at: "Resources.OrdersFunction.Properties.Events.Files",
          },
          {
            method: "GET",
            path: "/health",
            routeKey: "GET /health",
            authorizer: null,
            integration: lambda,
            at: "Resources.OrdersFunction.Properties.Events.Health",
          },
        ],
        authorizers: {
          TokenAuthorizer: {
            kind: "lambda",
            name: "TokenAuthorizer",
            type: "token",
            identitySources: ["method.request.header.Authorization"],
            resultTtlSeconds: 300,
            handler: handler(join(dir, "src/authorizer.ts"), "AuthorizerFunction", {
              timeoutSeconds: 10,
              environment: { STAGE: "test" },
            }),
          },
        },
        gatewayResponses: [
          {
            type: "UNAUTHORIZED",
            statusCode: 401,
            headers: { "WWW-Authenticate": `'Bearer realm="orders"'` },
            templates: { "application/json": '{"message":$context.error.messageString}' },
          },
        ],
        notes: [],
      },
    ]);
  });

  test("parameter values win over Default (stage and environment)", T, () => {
    const api = only(load(dir, "template.yaml", { parameters: { StageName: "qa" } }));
    assert.equal(api.stage, "qa");
    const integration = api.routes[0]!.integration;
    assert.ok(integration.kind === "lambda");
    assert.deepEqual(integration.handler.environment, { STAGE: "qa" });
  });
});

describe("fixture sam-http: an HTTP API with a Lambda and a JWT authorizer", () => {
  const dir = join(FIXTURES, "sam-http");
  const orders = handler(join(dir, "src/orders.ts"), "OrdersFunction", { timeoutSeconds: 10 });
  const lambda = { kind: "lambda", handler: orders, payloadFormatVersion: "2.0", timeoutMs: 30_000 } as const;
  const at = (event: string) => `Resources.OrdersFunction.Properties.Events.${event}`;

  test("reads the whole API as AWS documents it", T, () => {
    assert.deepEqual(load(dir), [
      {
        format: "sam",
        file: join(dir, "template.yaml"),
        name: "OrdersHttpApi",
        kind: "http",
        stage: "$default",
        routes: [
          {
            method: "GET",
            path: "/orders/{id}",
            routeKey: "GET /orders/{id}",
            authorizer: "LambdaAuthorizer",
            integration: lambda,
            at: at("GetOrder"),
          },
          {
            method: "GET",
            path: "/orders",
            routeKey: "GET /orders",
            authorizer: "JwtAuthorizer",
            authorizationScopes: ["orders:read"],
            integration: lambda,
            at: at("ListOrders"),
          },
          {
            method: "POST",
            path: "/orders",
            routeKey: "POST /orders",
            authorizer: "JwtAuthorizer",
            authorizationScopes: ["orders:write"],
            integration: lambda,
            at: at("CreateOrder"),
          },
          {
            method: "GET",
            path: "/health",
            routeKey: "GET /health",
            authorizer: null,
            integration: lambda,
            at: at("Health"),
          },
          {
            method: "ANY",
            path: "",
            routeKey: "$default",
            authorizer: "LambdaAuthorizer",
            integration: lambda,
            at: at("CatchAll"),
          },
        ],
        authorizers: {
          LambdaAuthorizer: {
            kind: "lambda",
            name: "LambdaAuthorizer",
            type: "request",
            identitySources: ["$request.header.Authorization"],
            resultTtlSeconds: 0,
            payloadFormatVersion: "2.0",
            simpleResponses: true,
            handler: handler(join(dir, "src/authorizer.ts"), "AuthorizerFunction", { timeoutSeconds: 10 }),
          },
          JwtAuthorizer: {
            kind: "jwt",
            name: "JwtAuthorizer",
            flavour: "http-api-jwt",
            identitySources: ["$request.header.Authorization"],
            issuer: "http://127.0.0.1:4000",
            audience: ["orders-api"],
          },
        },
        gatewayResponses: [],
        notes: [],
      },
    ]);
  });

  test("the JWT issuer can be given as a parameter", T, () => {
    const api = only(load(dir, "template.yaml", { parameters: { IssuerUrl: "http://127.0.0.1:5123" } }));
    const jwt = api.authorizers.JwtAuthorizer;
    assert.ok(jwt?.kind === "jwt");
    assert.equal(jwt.issuer, "http://127.0.0.1:5123");
  });
});

const SAM = "AWSTemplateFormatVersion: '2010-09-09'\nTransform: AWS::Serverless-2016-10-31\n";

describe("SAM: implicit APIs, globals, handlers, authorizers", () => {
  test("events without an API create ServerlessRestApi (Prod) and ServerlessHttpApi ($default)", T, () => {
    const dir = folder({
      "template.yaml": `${SAM}Globals:
  Api:
    Auth:
      ApiKeyRequired: true
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: app/
      Handler: main.run
      Runtime: nodejs22.x
      Events:
        Rest:
          Type: Api
          Properties: { Path: /items, Method: post }
        Open:
          Type: Api
          Properties: { Path: /open, Method: get, Auth: { ApiKeyRequired: false } }
        Http:
          Type: HttpApi
          Properties: { Path: /items, Method: get, PayloadFormatVersion: "1.0", TimeoutInMillis: 5000 }
`,
      "app/main.mjs": "export const run = async () => ({ statusCode: 200 });\n",
    });
    const fn = handler(join(dir, "app/main.mjs"), "Fn", { exportName: "run" });
    assert.throws(() => load(dir), {
      message:
        "template.yaml defines several APIs; choose one of ServerlessRestApi (rest), ServerlessHttpApi (http).",
    });
    const rest = only(load(dir, "template.yaml", { api: "rest" }));
    assert.equal(rest.name, "ServerlessRestApi");
    assert.equal(rest.stage, "Prod");
    assert.deepEqual(
      rest.routes.map((r) => [r.routeKey, r.authorizer, r.apiKeyRequired]),
      [
        ["POST /items", null, true],
        ["GET /open", null, undefined],
      ],
    );
    const http = only(load(dir, "template.yaml", { api: "ServerlessHttpApi" }));
    assert.equal(http.stage, "$default");
    assert.deepEqual(http.routes[0]!.integration, {
      kind: "lambda",
      handler: fn,
      payloadFormatVersion: "1.0",
      timeoutMs: 5000,
    });
  });

  test(
    "a missing handler file: exists false and one note; an authorizer function not in the template: null and a note",
    T,
    () => {
      const dir = folder({
        "template.yaml": `${SAM}Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: v1
      Auth:
        DefaultAuthorizer: Req
        Authorizers:
          Req:
            FunctionArn: arn:aws:lambda:us-east-1:111122223333:function:shared-authorizer
            FunctionPayloadType: REQUEST
            Identity:
              Headers: [Authorization]
              QueryStrings: [token]
              StageVariables: [env]
              Context: [sourceIp]
              ReauthorizeEvery: 0
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src
      Handler: missing.handler
      Runtime: nodejs22.x
      Events:
        A: { Type: Api, Properties: { RestApiId: !Ref Api, Path: /a, Method: get } }
        B: { Type: Api, Properties: { RestApiId: !Ref Api, Path: /b, Method: get } }
`,
      });
      const api = only(load(dir));
      const integration = api.routes[0]!.integration;
      assert.ok(integration.kind === "lambda");
      assert.deepEqual(integration.handler, handler(join(dir, "src/missing.js"), "Fn", { exists: false }));
      assert.deepEqual(api.authorizers.Req, {
        kind: "lambda",
        name: "Req",
        type: "request",
        identitySources: [
          "method.request.header.Authorization",
          "method.request.querystring.token",
          "stageVariables.env",
          "context.sourceIp",
        ],
        resultTtlSeconds: 0,
        handler: null,
      });
      assert.deepEqual(api.notes, [
        {
          at: "Resources.Api.Properties.Auth.Authorizers.Req.FunctionArn",
          message:
            "the function of authorizer Req is not in the template; gatepass's own authorizer is used with the configuration in effect.",
        },
        {
          at: "Resources.Fn",
          message:
            "the handler file of function Fn (missing.{ts,mts,js,mjs,cjs}) is not found; its routes answer as a failing integration.",
        },
      ]);
    },
  );

  test("Cognito, AWS_IAM (fail closed), NONE, scopes", T, () => {
    const dir = folder({
      "template.yaml": `${SAM}Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      Auth:
        DefaultAuthorizer: Pool
        Authorizers:
          Pool:
            UserPoolArn: arn:aws:cognito-idp:eu-west-1:111122223333:userpool/eu-west-1_AbCdEf123
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: index.handler
      InlineCode: "exports.handler = async () => ({})"
      Events:
        A: { Type: Api, Properties: { RestApiId: !Ref Api, Path: /a, Method: get, Auth: { AuthorizationScopes: [orders/read] } } }
        B: { Type: Api, Properties: { RestApiId: !Ref Api, Path: /b, Method: get, Auth: { Authorizer: AWS_IAM } } }
        C: { Type: Api, Properties: { RestApiId: !Ref Api, Path: /c, Method: get, Auth: { Authorizer: NONE } } }
`,
    });
    const api = only(load(dir));
    assert.deepEqual(
      api.routes.map((r) => [r.routeKey, r.authorizer, r.authorizationScopes]),
      [
        ["GET /a", "Pool", ["orders/read"]],
        ["GET /b", "AWS_IAM", undefined],
        ["GET /c", null, undefined],
      ],
    );
    assert.deepEqual(api.authorizers.Pool, {
      kind: "jwt",
      name: "Pool",
      flavour: "cognito-user-pools",
      identitySources: ["method.request.header.Authorization"],
      issuer: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123",
      audience: [],
      resultTtlSeconds: 300,
    });
    assert.deepEqual(api.authorizers.AWS_IAM, {
      kind: "lambda",
      name: "AWS_IAM",
      type: "request",
      identitySources: ["method.request.header.Authorization"],
      resultTtlSeconds: 0,
      handler: null,
    });
    assert.deepEqual(
      api.notes.map((n) => n.at),
      ["Resources.Fn", "Resources.Fn.Properties.Events.B.Properties.Auth.Authorizer"],
    );
  });

  test(
    "an authorizer's own AuthorizationScopes apply to routes that set none (SAM OAuth2Authorizer)",
    T,
    () => {
      const dir = folder({
        "template.yaml": `${SAM}Resources:
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      Auth:
        DefaultAuthorizer: Jwt
        Authorizers:
          Jwt:
            AuthorizationScopes: [scope1]
            IdentitySource: $request.querystring.param
            JwtConfiguration: { Issuer: "https://www.example.com/v1/connect/oauth2", Audience: [MyApi] }
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: a.handler
      Events:
        A: { Type: HttpApi, Properties: { ApiId: !Ref Api, Path: /a, Method: get } }
        B: { Type: HttpApi, Properties: { ApiId: !Ref Api, Path: /b, Method: get, Auth: { AuthorizationScopes: [scope2] } } }
`,
      });
      const api = only(load(dir));
      assert.deepEqual(
        api.routes.map((r) => [r.routeKey, r.authorizer, r.authorizationScopes]),
        [
          ["GET /a", "Jwt", ["scope1"]],
          ["GET /b", "Jwt", ["scope2"]],
        ],
      );
      assert.deepEqual(api.authorizers.Jwt, {
        kind: "jwt",
        name: "Jwt",
        flavour: "http-api-jwt",
        identitySources: ["$request.querystring.param"],
        issuer: "https://www.example.com/v1/connect/oauth2",
        audience: ["MyApi"],
      });
    },
  );

  test("CORS settings are not emulated: one note per API says so", T, () => {
    const dir = folder({
      "template.yaml": `${SAM}Globals:
  Api:
    Cors: "'*'"
Resources:
  Http:
    Type: AWS::Serverless::HttpApi
    Properties:
      CorsConfiguration: { AllowOrigins: ["*"] }
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: a.handler
      Events:
        A: { Type: Api, Properties: { Path: /a, Method: get } }
        B: { Type: HttpApi, Properties: { ApiId: !Ref Http, Path: /b, Method: get } }
`,
    });
    const message =
      "CORS is not emulated from the definition: preflight OPTIONS requests get the answer of a route that does not exist.";
    assert.deepEqual(
      only(load(dir, "template.yaml", { api: "rest" })).notes.filter((n) => n.message === message),
      [
        { at: "Resources.Http.Properties.CorsConfiguration", message },
        { at: "Resources.ServerlessRestApi.Properties.Cors", message },
      ],
    );
  });

  test("every AWS_IAM route gets its own note", T, () => {
    const dir = folder({
      "template.yaml": `${SAM}Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: a.handler
      Events:
        A: { Type: Api, Properties: { Path: /a, Method: get, Auth: { Authorizer: AWS_IAM } } }
        B: { Type: Api, Properties: { Path: /b, Method: get, Auth: { Authorizer: AWS_IAM } } }
`,
    });
    const api = only(load(dir));
    assert.deepEqual(
      api.routes.map((r) => r.authorizer),
      ["AWS_IAM", "AWS_IAM"],
    );
    assert.deepEqual(
      api.notes.filter((n) => n.message.startsWith("AWS_IAM")).map((n) => n.at),
      [
        "Resources.Fn.Properties.Events.A.Properties.Auth.Authorizer",
        "Resources.Fn.Properties.Events.B.Properties.Auth.Authorizer",
      ],
    );
  });

  test(
    "a DefinitionBody may use the API's SAM authorizers; DefaultAuthorizer covers operations without security",
    T,
    () => {
      const dir = folder({
        "template.yaml": `${SAM}Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: v1
      Auth:
        DefaultAuthorizer: Tok
        Authorizers:
          Tok: { FunctionArn: !GetAtt Fn.Arn }
      DefinitionBody:
        swagger: "2.0"
        info: { title: body, version: "1" }
        paths:
          /default:
            get:
              x-amazon-apigateway-integration: { type: mock }
          /explicit:
            get:
              security: [{ Tok: [] }]
              x-amazon-apigateway-integration: { type: mock }
          /open:
            get:
              security: []
              x-amazon-apigateway-integration: { type: mock }
  Fn:
    Type: AWS::Serverless::Function
    Properties: { Handler: a.handler }
`,
      });
      const api = only(load(dir));
      assert.deepEqual(
        api.routes.map((r) => [r.routeKey, r.authorizer]),
        [
          ["GET /default", "Tok"],
          ["GET /explicit", "Tok"],
          ["GET /open", null],
        ],
      );
    },
  );

  test("a resource whose Condition is false does not exist; an unknown condition is noted", T, () => {
    const dir = folder({
      "template.yaml": `${SAM}Parameters:
  Env: { Type: String, Default: dev }
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  FromImport: !Equals [!ImportValue flag, "on"]
Resources:
  ProdApi:
    Type: AWS::Serverless::HttpApi
    Condition: IsProd
  MaybeApi:
    Type: AWS::Serverless::HttpApi
    Condition: FromImport
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: a.handler
      Events:
        A: { Type: HttpApi, Properties: { ApiId: !Ref MaybeApi, Path: /a, Method: get } }
`,
    });
    const api = only(load(dir));
    assert.equal(api.name, "MaybeApi");
    assert.deepEqual(api.notes[0], {
      at: "Resources.MaybeApi.Condition",
      message: "condition FromImport cannot be evaluated locally; the resource is read as if it exists.",
    });
    assert.equal(
      only(load(dir, "template.yaml", { parameters: { Env: "prod" }, api: "ProdApi" })).name,
      "ProdApi",
    );
  });

  test("esbuild-built functions run their TypeScript EntryPoints", T, () => {
    const dir = folder({
      "template.yaml": `${SAM}Resources:
  Fn:
    Type: AWS::Serverless::Function
    Metadata:
      BuildMethod: esbuild
      BuildProperties:
        EntryPoints: [lib/other.ts, handlers/app.ts]
    Properties:
      CodeUri: code/
      Handler: app.lambdaHandler
      Events:
        A: { Type: HttpApi, Properties: { Path: /a, Method: get } }
`,
      "code/handlers/app.ts": "export const lambdaHandler = async () => ({});\n",
      "code/lib/other.ts": "export {};\n",
    });
    const route = only(load(dir)).routes[0]!;
    assert.ok(route.integration.kind === "lambda");
    assert.deepEqual(
      route.integration.handler,
      handler(join(dir, "code/handlers/app.ts"), "Fn", { exportName: "lambdaHandler" }),
    );
  });

  test(
    "an inline DefinitionBody: its routes, with the events' integrations and the template's functions",
    T,
    () => {
      const dir = folder({
        "template.yaml": `${SAM}Resources:
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      DefinitionBody:
        openapi: "3.0.1"
        info: { title: body, version: "1" }
        paths:
          /from-body:
            get:
              x-amazon-apigateway-integration:
                type: aws_proxy
                httpMethod: POST
                payloadFormatVersion: "2.0"
                uri: !Sub arn:aws:apigateway:\${AWS::Region}:lambda:path/2015-03-31/functions/\${Fn.Arn}/invocations
          /proxy:
            get:
              x-amazon-apigateway-integration:
                type: http_proxy
                httpMethod: GET
                uri: https://example.com/proxy
                payloadFormatVersion: "1.0"
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: fn.handler
      Events:
        E: { Type: HttpApi, Properties: { ApiId: !Ref Api, Path: /from-event, Method: post } }
`,
        "src/fn.ts": "export const handler = async () => ({});\n",
      });
      const api = only(load(dir));
      const fn = handler(join(dir, "src/fn.ts"), "Fn");
      assert.deepEqual(
        api.routes.map((r) => [r.routeKey, r.integration]),
        [
          ["GET /from-body", { kind: "lambda", handler: fn, payloadFormatVersion: "2.0", timeoutMs: 30_000 }],
          [
            "GET /proxy",
            { kind: "http", url: "https://example.com/proxy", method: "GET", timeoutMs: 30_000 },
          ],
          [
            "POST /from-event",
            { kind: "lambda", handler: fn, payloadFormatVersion: "2.0", timeoutMs: 30_000 },
          ],
        ],
      );
      assert.deepEqual(api.notes, []);
    },
  );
});

describe("CloudFormation: AWS::ApiGateway::*", () => {
  const template = `AWSTemplateFormatVersion: '2010-09-09'
Resources:
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties: { Name: orders-api }
  Orders:
    Type: AWS::ApiGateway::Resource
    Properties: { RestApiId: !Ref Api, ParentId: !GetAtt Api.RootResourceId, PathPart: orders }
  OrderId:
    Type: AWS::ApiGateway::Resource
    Properties: { RestApiId: !Ref Api, ParentId: !Ref Orders, PathPart: "{id}" }
  Auth:
    Type: AWS::ApiGateway::Authorizer
    Properties:
      RestApiId: !Ref Api
      Name: token
      Type: TOKEN
      IdentitySource: method.request.header.X-Token
      IdentityValidationExpression: "^Bearer .+$"
      AuthorizerUri: !Sub arn:aws:apigateway:\${AWS::Region}:lambda:path/2015-03-31/functions/\${AuthFn.Arn}/invocations
  Pool:
    Type: AWS::ApiGateway::Authorizer
    Properties:
      RestApiId: !Ref Api
      Name: pool
      Type: COGNITO_USER_POOLS
      ProviderARNs: [arn:aws:cognito-idp:us-west-2:111122223333:userpool/us-west-2_Pool1]
      AuthorizerResultTtlInSeconds: 60
  GetOrder:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !Ref OrderId
      HttpMethod: GET
      AuthorizationType: CUSTOM
      AuthorizerId: !Ref Auth
      Integration:
        Type: AWS_PROXY
        IntegrationHttpMethod: POST
        Uri: !Sub arn:aws:apigateway:\${AWS::Region}:lambda:path/2015-03-31/functions/\${OrdersFn.Arn}/invocations
        TimeoutInMillis: 10000
  ListOrders:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !Ref Orders
      HttpMethod: GET
      AuthorizationType: COGNITO_USER_POOLS
      AuthorizerId: !Ref Pool
      AuthorizationScopes: [orders/read]
      ApiKeyRequired: true
      Integration: { Type: HTTP_PROXY, IntegrationHttpMethod: GET, Uri: "https://backend.example.com/orders" }
  Root:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !GetAtt Api.RootResourceId
      HttpMethod: GET
      AuthorizationType: NONE
      Integration: { Type: MOCK }
  Signed:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !Ref Orders
      HttpMethod: POST
      AuthorizationType: AWS_IAM
      Integration: { Type: AWS, IntegrationHttpMethod: POST, Uri: arn:aws:apigateway:us-east-1:sqs:path/q }
  Denied:
    Type: AWS::ApiGateway::GatewayResponse
    Properties:
      RestApiId: !Ref Api
      ResponseType: ACCESS_DENIED
      StatusCode: "403"
      ResponseParameters:
        gatewayresponse.header.Access-Control-Allow-Origin: "'*'"
      ResponseTemplates:
        application/json: '{"error":"denied"}'
  Deployment:
    Type: AWS::ApiGateway::Deployment
    DependsOn: [GetOrder]
    Properties: { RestApiId: !Ref Api }
  Stage:
    Type: AWS::ApiGateway::Stage
    Properties: { RestApiId: !Ref Api, DeploymentId: !Ref Deployment, StageName: live }
  OrdersFn:
    Type: AWS::Lambda::Function
    Properties: { Handler: orders.handler, Runtime: nodejs22.x, Code: ./fn, Role: arn:aws:iam::111122223333:role/r }
  AuthFn:
    Type: AWS::Lambda::Function
    Properties: { FunctionName: auth-fn, Handler: auth.handler, Runtime: nodejs22.x, Code: ./fn, Role: arn:aws:iam::111122223333:role/r }
`;

  test("resources, methods, authorizers, integrations, Gateway Responses and the stage", T, () => {
    const dir = folder({
      "template.json": template,
      "fn/orders.js": "exports.handler = async () => ({});\n",
      "fn/auth.cjs": "exports.handler = async () => ({});\n",
    });
    const api = only(load(dir, "template.json"));
    assert.equal(api.format, "cloudformation");
    assert.equal(api.name, "Api");
    assert.equal(api.stage, "live");
    assert.deepEqual(api.routes, [
      {
        method: "GET",
        path: "/orders/{id}",
        routeKey: "GET /orders/{id}",
        authorizer: "Auth",
        integration: {
          kind: "lambda",
          handler: handler(join(dir, "fn/orders.js"), "OrdersFn"),
          payloadFormatVersion: "1.0",
          timeoutMs: 10_000,
        },
        at: "Resources.GetOrder",
      },
      {
        method: "GET",
        path: "/orders",
        routeKey: "GET /orders",
        authorizer: "Pool",
        authorizationScopes: ["orders/read"],
        apiKeyRequired: true,
        integration: {
          kind: "http",
          url: "https://backend.example.com/orders",
          method: "GET",
          timeoutMs: 29_000,
        },
        at: "Resources.ListOrders",
      },
      {
        method: "GET",
        path: "/",
        routeKey: "GET /",
        authorizer: null,
        integration: { kind: "mock" },
        at: "Resources.Root",
      },
      {
        method: "POST",
        path: "/orders",
        routeKey: "POST /orders",
        authorizer: "AWS_IAM",
        integration: { kind: "unsupported", reason: "integration type AWS" },
        at: "Resources.Signed",
      },
    ]);
    assert.deepEqual(api.authorizers.Auth, {
      kind: "lambda",
      name: "Auth",
      type: "token",
      identitySources: ["method.request.header.X-Token"],
      resultTtlSeconds: 300,
      identityValidationExpression: "^Bearer .+$",
      handler: handler(join(dir, "fn/auth.cjs"), "AuthFn"),
    });
    assert.deepEqual(api.authorizers.Pool, {
      kind: "jwt",
      name: "Pool",
      flavour: "cognito-user-pools",
      identitySources: ["method.request.header.Authorization"],
      issuer: "https://cognito-idp.us-west-2.amazonaws.com/us-west-2_Pool1",
      audience: [],
      resultTtlSeconds: 60,
    });
    assert.deepEqual(api.gatewayResponses, [
      {
        type: "ACCESS_DENIED",
        statusCode: 403,
        headers: { "Access-Control-Allow-Origin": "'*'" },
        templates: { "application/json": '{"error":"denied"}' },
      },
    ]);
    assert.deepEqual(api.notes, [
      {
        at: "Resources.Signed.Properties.AuthorizationType",
        message:
          "AWS_IAM (SigV4) authorization is not emulated; the route is protected by gatepass's own authorizer with the configuration in effect.",
      },
      {
        at: "Resources.Signed.Properties.Integration",
        message: "an integration of type AWS is not run locally; it answers as a failing integration.",
      },
    ]);
    assert.equal(only(load(dir, "template.json", { api: "orders-api" })).name, "Api");
  });

  test("a resource whose parent chain does not reach the root is refused", T, () => {
    const dir = folder({
      "template.yaml": `Resources:
  Api: { Type: AWS::ApiGateway::RestApi, Properties: {} }
  A: { Type: AWS::ApiGateway::Resource, Properties: { RestApiId: !Ref Api, ParentId: !Ref B, PathPart: a } }
  B: { Type: AWS::ApiGateway::Resource, Properties: { RestApiId: !Ref Api, ParentId: !Ref A, PathPart: b } }
  M: { Type: AWS::ApiGateway::Method, Properties: { RestApiId: !Ref Api, ResourceId: !Ref A, HttpMethod: GET, Integration: { Type: MOCK } } }
`,
    });
    assert.throws(() => load(dir), {
      message: "template.yaml: the resource chain of A does not lead to the root of Api.",
    });
  });
});

describe("CloudFormation: AWS::ApiGatewayV2::*", () => {
  test("an HTTP API with JWT and REQUEST authorizers, routes, integrations and a stage", T, () => {
    const dir = folder({
      "template.yaml": `Resources:
  Api:
    Type: AWS::ApiGatewayV2::Api
    Properties: { Name: http-orders, ProtocolType: HTTP }
  Jwt:
    Type: AWS::ApiGatewayV2::Authorizer
    Properties:
      ApiId: !Ref Api
      Name: jwt
      AuthorizerType: JWT
      IdentitySource: [$request.header.Authorization]
      JwtConfiguration: { Issuer: "https://id.example.com/", Audience: [orders] }
  Req:
    Type: AWS::ApiGatewayV2::Authorizer
    Properties:
      ApiId: !Ref Api
      Name: req
      AuthorizerType: REQUEST
      IdentitySource: [$request.header.X-Key, $request.querystring.k]
      AuthorizerPayloadFormatVersion: "1.0"
      AuthorizerResultTtlInSeconds: 30
      AuthorizerUri: !Sub arn:aws:apigateway:\${AWS::Region}:lambda:path/2015-03-31/functions/\${Fn.Arn}/invocations
  Integration:
    Type: AWS::ApiGatewayV2::Integration
    Properties: { ApiId: !Ref Api, IntegrationType: AWS_PROXY, IntegrationUri: !GetAtt Fn.Arn, PayloadFormatVersion: "2.0" }
  Get:
    Type: AWS::ApiGatewayV2::Route
    Properties:
      ApiId: !Ref Api
      RouteKey: GET /orders/{id}
      AuthorizationType: JWT
      AuthorizerId: !Ref Jwt
      AuthorizationScopes: [orders:read]
      Target: !Join [/, [integrations, !Ref Integration]]
  Default:
    Type: AWS::ApiGatewayV2::Route
    Properties: { ApiId: !Ref Api, RouteKey: $default, AuthorizationType: CUSTOM, AuthorizerId: !Ref Req, Target: !Sub "integrations/\${Integration}" }
  Stage:
    Type: AWS::ApiGatewayV2::Stage
    Properties: { ApiId: !Ref Api, StageName: $default, AutoDeploy: true }
  Fn:
    Type: AWS::Lambda::Function
    Properties: { Handler: index.handler, Runtime: nodejs22.x, Code: { ZipFile: "exports.handler = async () => ({})" }, Role: arn:aws:iam::111122223333:role/r }
`,
    });
    const api = only(load(dir));
    const fn = handler(join(dir, "index.js"), "Fn", { exists: false });
    const lambda = { kind: "lambda", handler: fn, payloadFormatVersion: "2.0", timeoutMs: 30_000 };
    assert.equal(api.kind, "http");
    assert.equal(api.stage, "$default");
    assert.deepEqual(api.routes, [
      {
        method: "GET",
        path: "/orders/{id}",
        routeKey: "GET /orders/{id}",
        authorizer: "Jwt",
        authorizationScopes: ["orders:read"],
        integration: lambda,
        at: "Resources.Get",
      },
      {
        method: "ANY",
        path: "",
        routeKey: "$default",
        authorizer: "Req",
        integration: lambda,
        at: "Resources.Default",
      },
    ]);
    assert.deepEqual(api.authorizers, {
      Jwt: {
        kind: "jwt",
        name: "Jwt",
        flavour: "http-api-jwt",
        identitySources: ["$request.header.Authorization"],
        issuer: "https://id.example.com/",
        audience: ["orders"],
      },
      Req: {
        kind: "lambda",
        name: "Req",
        type: "request",
        identitySources: ["$request.header.X-Key", "$request.querystring.k"],
        resultTtlSeconds: 30,
        payloadFormatVersion: "1.0",
        simpleResponses: false,
        handler: fn,
      },
    });
    assert.deepEqual(api.notes, [
      {
        at: "Resources.Fn",
        message:
          "function Fn's code is not a local folder (S3, inline or image); its routes answer as a failing integration.",
      },
    ]);
  });

  test("a quick-create HTTP API (Target) serves $default with the function", T, () => {
    const dir = folder({
      "template.yaml": `Resources:
  Quick:
    Type: AWS::ApiGatewayV2::Api
    Properties: { Name: quick, ProtocolType: HTTP, Target: !GetAtt Fn.Arn }
  Fn:
    Type: AWS::Serverless::Function
    Properties: { Handler: q.handler, CodeUri: . }
`,
      "q.mts": "export const handler = async () => ({});\n",
    });
    assert.deepEqual(only(load(dir)).routes, [
      {
        method: "ANY",
        path: "",
        routeKey: "$default",
        authorizer: null,
        integration: {
          kind: "lambda",
          handler: handler(join(dir, "q.mts"), "Fn"),
          payloadFormatVersion: "2.0",
          timeoutMs: 30_000,
        },
        at: "Resources.Quick.Properties.Target",
      },
    ]);
  });

  test("a WebSocket API: route keys, $connect authorizer, payload 1.0", T, () => {
    const dir = folder({
      "template.yaml": `Resources:
  Ws:
    Type: AWS::ApiGatewayV2::Api
    Properties: { Name: ws, ProtocolType: WEBSOCKET, RouteSelectionExpression: $request.body.action }
  Auth:
    Type: AWS::ApiGatewayV2::Authorizer
    Properties:
      ApiId: !Ref Ws
      Name: auth
      AuthorizerType: REQUEST
      IdentitySource: [route.request.header.Authorization]
      AuthorizerUri: !Sub arn:aws:apigateway:\${AWS::Region}:lambda:path/2015-03-31/functions/\${Fn.Arn}/invocations
  Int:
    Type: AWS::ApiGatewayV2::Integration
    Properties: { ApiId: !Ref Ws, IntegrationType: AWS_PROXY, IntegrationUri: !Sub "arn:aws:apigateway:\${AWS::Region}:lambda:path/2015-03-31/functions/\${Fn.Arn}/invocations" }
  Connect:
    Type: AWS::ApiGatewayV2::Route
    Properties: { ApiId: !Ref Ws, RouteKey: $connect, AuthorizationType: CUSTOM, AuthorizerId: !Ref Auth, Target: !Sub "integrations/\${Int}" }
  Send:
    Type: AWS::ApiGatewayV2::Route
    Properties: { ApiId: !Ref Ws, RouteKey: sendMessage, Target: !Sub "integrations/\${Int}" }
  Stage:
    Type: AWS::ApiGatewayV2::Stage
    Properties: { ApiId: !Ref Ws, StageName: production }
  Fn:
    Type: AWS::Serverless::Function
    Properties: { Handler: ws.handler, CodeUri: . }
`,
      "ws.ts": "export const handler = async () => ({ statusCode: 200 });\n",
    });
    const api = only(load(dir));
    const lambda = {
      kind: "lambda",
      handler: handler(join(dir, "ws.ts"), "Fn"),
      payloadFormatVersion: "1.0",
      timeoutMs: 29_000,
    };
    assert.equal(api.kind, "websocket");
    assert.equal(api.stage, "production");
    assert.deepEqual(api.routes, [
      {
        method: "",
        path: "",
        routeKey: "$connect",
        authorizer: "Auth",
        integration: lambda,
        at: "Resources.Connect",
      },
      {
        method: "",
        path: "",
        routeKey: "sendMessage",
        authorizer: null,
        integration: lambda,
        at: "Resources.Send",
      },
    ]);
    assert.deepEqual(api.authorizers.Auth, {
      kind: "lambda",
      name: "Auth",
      type: "request",
      identitySources: ["route.request.header.Authorization"],
      resultTtlSeconds: 0,
      handler: handler(join(dir, "ws.ts"), "Fn"),
    });
    assert.deepEqual(api.notes, []);
  });
});

describe("bad input: one sentence each", () => {
  const cases: [string, Record<string, string>, Record<string, unknown>, string | RegExp][] = [
    ["no file", {}, {}, "template.yaml does not exist or cannot be read."],
    ["a folder", { "template.yaml/x": "" }, {}, "template.yaml is not a file."],
    [
      "not YAML",
      { "template.yaml": "Resources: [a\n" },
      {},
      /^template\.yaml is not valid YAML or JSON: .* \(line \d\)\.$/,
    ],
    [
      "root not a mapping",
      { "template.yaml": "- a\n- b\n" },
      {},
      "template.yaml does not hold a mapping at its top level.",
    ],
    [
      "no Resources",
      { "template.yaml": "Description: x\n" },
      {},
      "template.yaml has no Resources section, so it defines no API.",
    ],
    [
      "no API",
      { "template.yaml": "Resources:\n  T: { Type: AWS::SNS::Topic }\n" },
      {},
      "template.yaml defines no API.",
    ],
    [
      "an OpenAPI file given as a template",
      { "template.yaml": "openapi: 3.0.1\npaths: {}\n" },
      {},
      "template.yaml is an OpenAPI document, not a template; give it as an OpenAPI file.",
    ],
    [
      "a path without /",
      {
        "template.yaml": `${SAM}Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties: { Handler: a.b, Events: { E: { Type: Api, Properties: { Path: orders, Method: get } } } }\n`,
      },
      {},
      'template.yaml has a route path that does not start with "/" (at Resources.F.Properties.Events.E).',
    ],
    [
      "a duplicate route",
      {
        "template.yaml": `${SAM}Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      Handler: a.b\n      Events:\n        A: { Type: HttpApi, Properties: { Path: /x, Method: get } }\n        B: { Type: HttpApi, Properties: { Path: /x, Method: GET } }\n  G:\n    Type: AWS::Serverless::Function\n    Properties: { Handler: a.b }\n`,
      },
      {},
      /^template\.yaml declares the route GET \/x of ServerlessHttpApi twice/,
    ],
    [
      "$connect on an HTTP API",
      {
        "template.yaml":
          "Resources:\n  A: { Type: AWS::ApiGatewayV2::Api, Properties: { ProtocolType: HTTP } }\n  R: { Type: AWS::ApiGatewayV2::Route, Properties: { ApiId: !Ref A, RouteKey: $connect } }\n",
      },
      {},
      "template.yaml uses the route key $connect on an HTTP API (at Resources.R); it exists only on WebSocket APIs.",
    ],
    [
      "an unknown authorizer",
      {
        "template.yaml": `${SAM}Resources:\n  Api: { Type: AWS::Serverless::Api, Properties: { StageName: p } }\n  F:\n    Type: AWS::Serverless::Function\n    Properties: { Handler: a.b, Events: { E: { Type: Api, Properties: { RestApiId: !Ref Api, Path: /x, Method: get, Auth: { Authorizer: Nope } } } } }\n`,
      },
      {},
      "template.yaml: event E of F uses the authorizer Nope, which Api does not define.",
    ],
    [
      "an api choice that matches nothing",
      {
        "template.yaml":
          "Resources:\n  A: { Type: AWS::ApiGatewayV2::Api, Properties: { ProtocolType: HTTP } }\n",
      },
      { api: "Other" },
      "template.yaml defines no API named Other; choose one of A (http).",
    ],
    [
      "a Ref to nothing",
      {
        "template.yaml":
          "Resources:\n  A: { Type: AWS::ApiGatewayV2::Api, Properties: { ProtocolType: !Ref Nothing } }\n",
      },
      {},
      "Resources.A.Properties.ProtocolType refers to Nothing, which is neither a parameter nor a resource of the template.",
    ],
    [
      "a greedy path variable before the last segment",
      {
        "template.yaml": `${SAM}Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties: { Handler: a.b, Events: { E: { Type: Api, Properties: { Path: "/{proxy+}/x", Method: get } } } }\n`,
      },
      {},
      "template.yaml has a route path whose greedy variable {proxy+} is not its last segment (at Resources.F.Properties.Events.E).",
    ],
    [
      "an AWS::Include that includes itself",
      {
        "template.yaml": `${SAM}Resources:\n  Api:\n    Type: AWS::Serverless::Api\n    Properties:\n      StageName: p\n      DefinitionBody:\n        Fn::Transform: { Name: AWS::Include, Parameters: { Location: body.yaml } }\n`,
        "body.yaml": "Fn::Transform: { Name: AWS::Include, Parameters: { Location: body.yaml } }\n",
      },
      {},
      "Resources.Api.Properties.DefinitionBody includes files more than 8 levels deep (an include loop?).",
    ],
    [
      "a function whose FunctionName refers to itself",
      {
        "template.yaml": `${SAM}Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      FunctionName: !Ref F\n      Handler: a.b\n      Events: { E: { Type: HttpApi, Properties: { Path: /a, Method: get } } }\n`,
      },
      { api: "nothing" },
      "template.yaml defines no API named nothing; choose one of ServerlessHttpApi (http).",
    ],
    [
      "no definition at all",
      {},
      { template: undefined },
      "No API definition was given (a template, a serverless.yml or an OpenAPI file).",
    ],
    [
      "two definitions",
      {},
      { openapi: "a.yaml" },
      "Give one API definition only (a template, a serverless.yml or an OpenAPI file).",
    ],
  ];
  for (const [name, files, more, message] of cases) {
    test(name, T, () => {
      const dir = folder(files);
      assert.throws(
        () => loadApiDefinitions({ template: "template.yaml", cwd: dir, ...more }),
        (error: Error) => {
          assert.equal(error.constructor, Error);
          if (typeof message === "string") assert.equal(error.message, message);
          else assert.match(error.message, message);
          assert.ok(!error.message.includes("\n    at "), "no stack trace");
          return true;
        },
      );
    });
  }

  test("a secret value in a template never appears in an error", T, () => {
    const secret = "p4ssw0rd-SHOULD-NOT-LEAK";
    const dir = folder({
      "template.yaml": `Parameters:\n  Key: { Type: String, Default: ${secret} }\nResources:\n  A: { Type: AWS::ApiGatewayV2::Api, Properties: { ProtocolType: !Ref Key } }\n`,
    });
    assert.throws(
      () => load(dir),
      (error: Error) => !error.message.includes(secret) && /ProtocolType/.test(error.message),
    );
  });
});
