/**
 * OpenAPI 3 / Swagger 2 with API Gateway's extensions → ApiDefinition (src/dev/definition/openapi.ts
 * through load.ts). Expected values follow API Gateway's documentation of the extensions
 * (x-amazon-apigateway-authorizer: `type` token|request|jwt|cognito_user_pools, `identitySource`,
 * `authorizerResultTtlInSeconds` (REST default 300), `identityValidationExpression`,
 * `jwtConfiguration`, `authorizerPayloadFormatVersion`, `enableSimpleResponses`, `providerARNs`;
 * x-amazon-apigateway-integration `type` aws_proxy|http_proxy|http|mock|aws; x-amazon-apigateway-any-method;
 * x-amazon-apigateway-gateway-responses; the HTTP API `$default` route as the path `/$default`).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { loadApiDefinitions } from "../../../../src/dev/definition/load.js";
import type { ApiDefinition } from "../../../../src/dev/definition/model.js";
import { cleanUp, FIXTURES, folder, handler } from "./helpers.js";

const T = { timeout: 20_000 };
after(cleanUp);

const load = (cwd: string, file: string, more: Record<string, unknown> = {}) =>
  loadApiDefinitions({ openapi: file, cwd, ...more });
const only = (defs: ApiDefinition[]) => {
  assert.equal(defs.length, 1);
  return defs[0]!;
};
const FN_URI = (name: string) =>
  `arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:${name}/invocations`;

describe("fixture openapi: a REST API exported as OpenAPI 3", () => {
  const dir = join(FIXTURES, "openapi");
  test("reads the whole API", T, () => {
    const orders = {
      kind: "lambda",
      handler: handler(join(dir, "src/orders.ts"), "orders"),
      payloadFormatVersion: "1.0",
      timeoutMs: 29_000,
    } as const;
    assert.deepEqual(load(dir, "openapi.yaml"), [
      {
        format: "openapi",
        file: join(dir, "openapi.yaml"),
        name: "orders",
        kind: "rest",
        stage: "v1",
        routes: [
          {
            method: "GET",
            path: "/orders/{id}",
            routeKey: "GET /orders/{id}",
            authorizer: "TokenAuthorizer",
            integration: orders,
            at: "paths./orders/{id}.get",
          },
          {
            method: "ANY",
            path: "/files/{proxy+}",
            routeKey: "ANY /files/{proxy+}",
            authorizer: "TokenAuthorizer",
            integration: orders,
            at: "paths./files/{proxy+}.x-amazon-apigateway-any-method",
          },
          {
            method: "GET",
            path: "/reports",
            routeKey: "GET /reports",
            authorizer: null,
            apiKeyRequired: true,
            integration: orders,
            at: "paths./reports.get",
          },
          {
            method: "GET",
            path: "/health",
            routeKey: "GET /health",
            authorizer: null,
            integration: { kind: "mock" },
            at: "paths./health.get",
          },
        ],
        authorizers: {
          TokenAuthorizer: {
            kind: "lambda",
            name: "TokenAuthorizer",
            type: "token",
            identitySources: ["method.request.header.Authorization"],
            resultTtlSeconds: 60,
            identityValidationExpression: "^Bearer [-0-9a-zA-Z._]+$",
            handler: handler(join(dir, "src/authorizer.ts"), "orders-authorizer"),
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
});

describe("OpenAPI details", () => {
  test(
    "Swagger 2 in JSON: basePath stage, token/request/cognito authorizers, the functions option",
    T,
    () => {
      const doc = {
        swagger: "2.0",
        info: { title: "legacy", version: "1" },
        basePath: "/prod",
        securityDefinitions: {
          tok: {
            type: "apiKey",
            name: "X-Token",
            in: "header",
            "x-amazon-apigateway-authtype": "custom",
            "x-amazon-apigateway-authorizer": { type: "token", authorizerUri: FN_URI("auth") },
          },
          req: {
            type: "apiKey",
            name: "Unused",
            in: "header",
            "x-amazon-apigateway-authorizer": {
              type: "request",
              identitySource: "method.request.header.X-Key, method.request.querystring.k",
              authorizerResultTtlInSeconds: 0,
              authorizerUri: FN_URI("unmapped"),
            },
          },
          pool: {
            type: "apiKey",
            name: "Authorization",
            in: "header",
            "x-amazon-apigateway-authtype": "cognito_user_pools",
            "x-amazon-apigateway-authorizer": {
              type: "cognito_user_pools",
              providerARNs: ["arn:aws:cognito-idp:us-east-2:111122223333:userpool/us-east-2_X"],
            },
          },
          sigv4: {
            type: "apiKey",
            name: "Authorization",
            in: "header",
            "x-amazon-apigateway-authtype": "awsSigv4",
          },
        },
        paths: {
          "/a": {
            get: {
              security: [{ tok: [] }],
              "x-amazon-apigateway-integration": {
                type: "aws_proxy",
                httpMethod: "POST",
                uri: FN_URI("orders"),
              },
            },
            post: {
              security: [{ req: [] }],
              "x-amazon-apigateway-integration": {
                type: "aws_proxy",
                httpMethod: "POST",
                uri: FN_URI("other"),
              },
            },
            put: {
              security: [{ pool: ["orders/write"] }],
              "x-amazon-apigateway-integration": {
                type: "http",
                httpMethod: "PUT",
                uri: "https://b.example.com/a",
              },
            },
            delete: {
              security: [{ sigv4: [] }],
              "x-amazon-apigateway-integration": {
                type: "aws",
                uri: "arn:aws:apigateway:us-east-1:sqs:path/q",
              },
            },
            patch: {},
          },
        },
      };
      const dir = folder({
        "api.json": JSON.stringify(doc),
        "src/orders.ts": "export const main = async () => ({});\n",
        "src/auth.ts": "export const handler = async () => ({});\n",
      });
      const api = only(
        load(dir, "api.json", {
          functions: {
            orders: "src/orders.ts#main",
            "arn:aws:lambda:us-east-1:123456789012:function:auth": "src/auth.ts",
          },
        }),
      );
      assert.equal(api.format, "swagger");
      assert.equal(api.name, "legacy");
      assert.equal(api.stage, "prod");
      assert.deepEqual(
        api.routes.map((r) => [r.routeKey, r.authorizer, r.authorizationScopes, r.integration]),
        [
          [
            "GET /a",
            "tok",
            undefined,
            {
              kind: "lambda",
              handler: handler(join(dir, "src/orders.ts"), "orders", { exportName: "main" }),
              payloadFormatVersion: "1.0",
              timeoutMs: 29_000,
            },
          ],
          ["POST /a", "req", undefined, { kind: "unsupported", reason: "Lambda function not known locally" }],
          [
            "PUT /a",
            "pool",
            ["orders/write"],
            { kind: "http", url: "https://b.example.com/a", method: "PUT", timeoutMs: 29_000 },
          ],
          ["DELETE /a", "AWS_IAM", undefined, { kind: "unsupported", reason: "integration type aws" }],
          ["PATCH /a", null, undefined, { kind: "unsupported", reason: "no integration" }],
        ],
      );
      assert.deepEqual(api.authorizers.tok, {
        kind: "lambda",
        name: "tok",
        type: "token",
        identitySources: ["method.request.header.X-Token"],
        resultTtlSeconds: 300,
        handler: handler(join(dir, "src/auth.ts"), "auth"),
      });
      assert.deepEqual(api.authorizers.req, {
        kind: "lambda",
        name: "req",
        type: "request",
        identitySources: ["method.request.header.X-Key", "method.request.querystring.k"],
        resultTtlSeconds: 0,
        handler: null,
      });
      assert.deepEqual(api.authorizers.pool, {
        kind: "jwt",
        name: "pool",
        flavour: "cognito-user-pools",
        identitySources: ["method.request.header.Authorization"],
        issuer: "https://cognito-idp.us-east-2.amazonaws.com/us-east-2_X",
        audience: [],
        resultTtlSeconds: 300,
      });
      assert.deepEqual(
        api.notes.map((n) => n.at),
        [
          "securityDefinitions.req",
          "paths./a.post.x-amazon-apigateway-integration",
          "paths./a.put.x-amazon-apigateway-integration",
          "paths./a.delete.security",
          "paths./a.delete.x-amazon-apigateway-integration",
          "paths./a.patch.x-amazon-apigateway-integration",
        ],
      );
    },
  );

  test(
    "an HTTP API export: JWT and simple-response authorizers, /$default, payload versions, $default stage",
    T,
    () => {
      const dir = folder({
        "http.yaml": `openapi: "3.0.1"
info: { title: http-orders, version: "1" }
x-amazon-apigateway-importexport-version: "1.0"
components:
  securitySchemes:
    jwt:
      type: oauth2
      flows: {}
      x-amazon-apigateway-authorizer:
        type: jwt
        identitySource: $request.header.Authorization
        jwtConfiguration: { issuer: "https://id.example.com/", audience: [orders] }
    simple:
      type: apiKey
      name: Authorization
      in: header
      x-amazon-apigateway-authorizer:
        type: request
        identitySource: $request.header.Authorization
        authorizerUri: ${FN_URI("auth")}
        authorizerPayloadFormatVersion: "2.0"
        enableSimpleResponses: true
        authorizerResultTtlInSeconds: 300
paths:
  /orders:
    get:
      security: [{ jwt: [orders:read, orders:admin] }]
      x-amazon-apigateway-integration: { type: aws_proxy, httpMethod: POST, uri: ${FN_URI("orders")}, payloadFormatVersion: "2.0", timeoutInMillis: 5000 }
  /$default:
    x-amazon-apigateway-any-method:
      security: [{ simple: [] }]
      x-amazon-apigateway-integration: { type: http_proxy, httpMethod: ANY, uri: "https://backend.example.com/{proxy}", payloadFormatVersion: "1.0" }
`,
        "orders.ts": "export const handler = async () => ({});\n",
      });
      const api = only(load(dir, "http.yaml", { functions: { orders: "orders.ts" } }));
      assert.equal(api.kind, "http");
      assert.equal(api.stage, "$default");
      assert.deepEqual(api.routes, [
        {
          method: "GET",
          path: "/orders",
          routeKey: "GET /orders",
          authorizer: "jwt",
          authorizationScopes: ["orders:read", "orders:admin"],
          integration: {
            kind: "lambda",
            handler: handler(join(dir, "orders.ts"), "orders"),
            payloadFormatVersion: "2.0",
            timeoutMs: 5000,
          },
          at: "paths./orders.get",
        },
        {
          method: "ANY",
          path: "",
          routeKey: "$default",
          authorizer: "simple",
          integration: {
            kind: "http",
            url: "https://backend.example.com/{proxy}",
            method: "ANY",
            timeoutMs: 30_000,
          },
          at: "paths./$default.x-amazon-apigateway-any-method",
        },
      ]);
      assert.deepEqual(api.authorizers, {
        jwt: {
          kind: "jwt",
          name: "jwt",
          flavour: "http-api-jwt",
          identitySources: ["$request.header.Authorization"],
          issuer: "https://id.example.com/",
          audience: ["orders"],
        },
        simple: {
          kind: "lambda",
          name: "simple",
          type: "request",
          identitySources: ["$request.header.Authorization"],
          resultTtlSeconds: 300,
          payloadFormatVersion: "2.0",
          simpleResponses: true,
          handler: null,
        },
      });
    },
  );

  test("no stage in the document: the stage option, else dev with a note; the kind option", T, () => {
    const text =
      'openapi: "3.0.1"\ninfo: { title: t, version: "1" }\npaths:\n  /a:\n    get:\n      x-amazon-apigateway-integration: { type: mock }\n';
    const dir = folder({ "a.yaml": text });
    const plain = only(load(dir, "a.yaml"));
    assert.equal(plain.stage, "dev");
    assert.equal(plain.kind, "rest");
    assert.deepEqual(plain.notes, [
      {
        at: "servers",
        message: "the document names no stage (servers[0].variables.basePath); the stage dev is used.",
      },
    ]);
    const given = only(load(dir, "a.yaml", { stage: "beta", kind: "http" }));
    assert.equal(given.stage, "beta");
    assert.equal(given.kind, "http");
    assert.deepEqual(given.notes, []);
  });

  test(
    "an integration shared through components (x-amazon-apigateway-integrations) makes the API an HTTP API",
    T,
    () => {
      const dir = folder({
        "shared.yaml": `openapi: "3.0.1"
info: { title: shared, version: "1" }
paths:
  /a:
    get:
      x-amazon-apigateway-integration:
        $ref: "#/components/x-amazon-apigateway-integrations/backend"
components:
  x-amazon-apigateway-integrations:
    backend: { type: http_proxy, httpMethod: GET, uri: "https://b.example.com/a", payloadFormatVersion: "2.0" }
`,
      });
      const api = only(load(dir, "shared.yaml"));
      assert.equal(api.kind, "http");
      assert.deepEqual(api.routes[0]!.integration, {
        kind: "http",
        url: "https://b.example.com/a",
        method: "GET",
        timeoutMs: 30_000,
      });
    },
  );

  test(
    "a security scheme that is not an API Gateway authorizer: gatepass's own authorizer protects its routes",
    T,
    () => {
      const dir = folder({
        "a.yaml": `openapi: "3.0.1"
info: { title: t, version: "1" }
servers: [{ url: "https://x/{basePath}", variables: { basePath: { default: prod } } }]
components:
  securitySchemes:
    bearer: { type: http, scheme: bearer }
paths:
  /a:
    get:
      security: [{ bearer: [] }]
      x-amazon-apigateway-integration: { type: mock }
`,
      });
      const api = only(load(dir, "a.yaml"));
      assert.equal(api.routes[0]!.authorizer, "bearer");
      assert.deepEqual(api.authorizers.bearer, {
        kind: "lambda",
        name: "bearer",
        type: "request",
        identitySources: ["method.request.header.Authorization"],
        resultTtlSeconds: 0,
        handler: null,
      });
      assert.deepEqual(api.notes, [
        {
          at: "components.securitySchemes.bearer",
          message:
            "security scheme bearer is not an API Gateway authorizer; gatepass's own authorizer is used with the configuration in effect.",
        },
      ]);
    },
  );

  test("a functions mapping to a missing file: exists false, noted", T, () => {
    const dir = folder({
      "a.yaml": `openapi: "3.0.1"
info: { title: t, version: "1" }
servers: [{ url: "https://x/{basePath}", variables: { basePath: { default: prod } } }]
paths:
  /a:
    get:
      x-amazon-apigateway-integration: { type: aws_proxy, httpMethod: POST, uri: ${FN_URI("orders")} }
`,
    });
    const api = only(load(dir, "a.yaml", { functions: { orders: "src/nope.ts" } }));
    assert.deepEqual(api.routes[0]!.integration, {
      kind: "lambda",
      handler: handler(join(dir, "src/nope.ts"), "orders", { exists: false }),
      payloadFormatVersion: "1.0",
      timeoutMs: 29_000,
    });
    assert.deepEqual(api.notes, [
      {
        at: "paths./a.get.x-amazon-apigateway-integration.uri",
        message:
          "the handler file mapped to this function is not found; its routes answer as a failing integration.",
      },
    ]);
  });

  const bad: [string, string, string][] = [
    [
      "not OpenAPI",
      "info: { title: x }\npaths: {}\n",
      'api.yaml is not an OpenAPI 3 or Swagger 2 document (no "openapi" or "swagger").',
    ],
    [
      "an undefined security scheme",
      'openapi: "3.0.1"\npaths:\n  /a:\n    get:\n      security: [{ nope: [] }]\n',
      "api.yaml requires the security scheme nope at paths./a.get, which it does not define.",
    ],
    [
      "a path without /",
      'openapi: "3.0.1"\npaths:\n  a:\n    get: {}\n',
      'api.yaml has a route path that does not start with "/" (at paths.a.get).',
    ],
    [
      "a JWT authorizer without issuer",
      'openapi: "3.0.1"\ncomponents:\n  securitySchemes:\n    j: { type: oauth2, x-amazon-apigateway-authorizer: { type: jwt } }\npaths: {}\n',
      "api.yaml has a JWT authorizer without an issuer (at components.securitySchemes.j).",
    ],
  ];
  for (const [name, text, message] of bad) {
    test(`refused: ${name}`, T, () => {
      const dir = folder({ "api.yaml": text });
      assert.throws(() => load(dir, "api.yaml"), { message });
    });
  }
});
