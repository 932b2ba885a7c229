// biome-ignore-all lint/suspicious/noTemplateCurlyInString: serverless ${…} variables, written out as serverless.yml has them
/**
 * serverless.yml → ApiDefinition (src/dev/definition/serverless.ts through load.ts).
 *
 * The expected values follow the Serverless Framework v3 documentation (events `http`, `httpApi`,
 * `websocket`; variables) and what its packaging writes into CloudFormation
 * (node_modules/serverless/lib/plugins/aws/package/compile/events: REST authorizers TTL 300 and
 * identity source `method.request.header.Authorization` unless a REQUEST authorizer caches nothing;
 * HTTP API payload `2.0` and integration timeout 30 s; WebSocket identity source
 * `route.request.header.Auth`; function timeout 6 s) read against API Gateway's documentation.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { loadApiDefinitions } from "../../../../src/dev/definition/load.js";
import type { ApiDefinition } from "../../../../src/dev/definition/model.js";
import { cleanUp, FIXTURES, folder, handler } from "./helpers.js";

const T = { timeout: 20_000 };
after(cleanUp);

const load = (cwd: string, more: Record<string, unknown> = {}) =>
  loadApiDefinitions({ serverless: "serverless.yml", cwd, env: {}, ...more });
const only = (defs: ApiDefinition[]) => {
  assert.equal(defs.length, 1);
  return defs[0]!;
};

describe("fixture serverless: http + httpApi + websocket", () => {
  const dir = join(FIXTURES, "serverless");
  const file = join(dir, "serverless.yml");
  const env = { STAGE: "dev", TABLE: "orders-dev-orders" };
  const fn = (path: string, name: string) =>
    handler(join(dir, path), name, { timeoutSeconds: 10, environment: env });
  const orders = fn("src/orders.ts", "orders");
  const socket = fn("src/socket.ts", "socket");
  const rest = { kind: "lambda", handler: orders, payloadFormatVersion: "1.0", timeoutMs: 29_000 } as const;
  const http = { kind: "lambda", handler: orders, payloadFormatVersion: "2.0", timeoutMs: 30_000 } as const;
  const ws = { kind: "lambda", handler: socket, payloadFormatVersion: "1.0", timeoutMs: 29_000 } as const;
  const at = (fnName: string, i: number, kind: string) => `functions.${fnName}.events[${i}].${kind}`;

  test("reads the three APIs", T, () => {
    assert.deepEqual(load(dir), [
      {
        format: "serverless",
        file,
        name: "orders",
        kind: "rest",
        stage: "dev",
        routes: [
          {
            method: "GET",
            path: "/orders/{id}",
            routeKey: "GET /orders/{id}",
            authorizer: "restAuthorizer",
            integration: rest,
            at: at("orders", 0, "http"),
          },
          {
            method: "GET",
            path: "/health",
            routeKey: "GET /health",
            authorizer: null,
            integration: rest,
            at: at("orders", 1, "http"),
          },
          {
            method: "ANY",
            path: "/files/{proxy+}",
            routeKey: "ANY /files/{proxy+}",
            authorizer: "restAuthorizer",
            integration: rest,
            at: at("orders", 2, "http"),
          },
        ],
        authorizers: {
          restAuthorizer: {
            kind: "lambda",
            name: "restAuthorizer",
            type: "token",
            identitySources: ["method.request.header.Authorization"],
            resultTtlSeconds: 300,
            handler: fn("src/rest-authorizer.ts", "restAuthorizer"),
          },
        },
        gatewayResponses: [],
        notes: [],
      },
      {
        format: "serverless",
        file,
        name: "orders",
        kind: "http",
        stage: "dev",
        routes: [
          {
            method: "GET",
            path: "/orders/{id}",
            routeKey: "GET /orders/{id}",
            authorizer: "lambdaAuthorizer",
            integration: http,
            at: at("orders", 3, "httpApi"),
          },
          {
            method: "GET",
            path: "/orders",
            routeKey: "GET /orders",
            authorizer: "jwtAuthorizer",
            authorizationScopes: ["orders:read"],
            integration: http,
            at: at("orders", 4, "httpApi"),
          },
          {
            method: "GET",
            path: "/health",
            routeKey: "GET /health",
            authorizer: null,
            integration: http,
            at: at("orders", 5, "httpApi"),
          },
          {
            method: "ANY",
            path: "",
            routeKey: "$default",
            authorizer: null,
            integration: http,
            at: at("orders", 6, "httpApi"),
          },
        ],
        authorizers: {
          lambdaAuthorizer: {
            kind: "lambda",
            name: "lambdaAuthorizer",
            type: "request",
            identitySources: ["$request.header.Authorization"],
            resultTtlSeconds: 0,
            payloadFormatVersion: "2.0",
            simpleResponses: true,
            handler: fn("src/http-authorizer.ts", "httpAuthorizer"),
          },
          jwtAuthorizer: {
            kind: "jwt",
            name: "jwtAuthorizer",
            flavour: "http-api-jwt",
            identitySources: ["$request.header.Authorization"],
            issuer: "http://127.0.0.1:4000",
            audience: ["orders-api"],
          },
        },
        gatewayResponses: [],
        notes: [],
      },
      {
        format: "serverless",
        file,
        name: "orders",
        kind: "websocket",
        stage: "dev",
        routes: [
          {
            method: "",
            path: "",
            routeKey: "$connect",
            authorizer: "socketAuthorizer",
            integration: ws,
            at: at("socket", 0, "websocket"),
          },
          {
            method: "",
            path: "",
            routeKey: "$disconnect",
            authorizer: null,
            integration: ws,
            at: at("socket", 1, "websocket"),
          },
          {
            method: "",
            path: "",
            routeKey: "$default",
            authorizer: null,
            integration: ws,
            at: at("socket", 2, "websocket"),
          },
          {
            method: "",
            path: "",
            routeKey: "sendMessage",
            authorizer: null,
            integration: ws,
            at: at("socket", 3, "websocket"),
          },
        ],
        authorizers: {
          socketAuthorizer: {
            kind: "lambda",
            name: "socketAuthorizer",
            type: "request",
            identitySources: ["route.request.header.Authorization"],
            resultTtlSeconds: 0,
            handler: fn("src/socket-authorizer.ts", "socketAuthorizer"),
          },
        },
        gatewayResponses: [],
        notes: [],
      },
    ]);
  });

  test("api picks one API by kind", T, () => {
    assert.equal(only(load(dir, { api: "http" })).kind, "http");
    assert.equal(only(load(dir, { api: "websocket" })).kind, "websocket");
    assert.throws(() => load(dir, { api: "graphql" }), {
      message:
        "serverless.yml defines no API named graphql; choose one of orders (rest), orders (http), orders (websocket).",
    });
  });

  test("--stage and ${env:…} are resolved", T, () => {
    const api = only(
      load(dir, { api: "http", stage: "prod", env: { GATEPASS_FIXTURE_ISSUER: "http://127.0.0.1:5000" } }),
    );
    assert.equal(api.stage, "prod");
    const integration = api.routes[0]!.integration;
    assert.ok(integration.kind === "lambda");
    assert.deepEqual(integration.handler.environment, { STAGE: "prod", TABLE: "orders-prod-orders" });
    const jwt = api.authorizers.jwtAuthorizer;
    assert.ok(jwt?.kind === "jwt");
    assert.equal(jwt.issuer, "http://127.0.0.1:5000");
  });
});

describe("serverless.yml details", () => {
  test(
    "variables that cannot be read locally: fallback or empty string, one note each, no value shown",
    T,
    () => {
      const dir = folder({
        "serverless.yml": `service: svc
custom:
  region: \${aws:region}
provider:
  name: aws
  runtime: nodejs22.x
  environment:
    FROM_SSM: \${ssm:/orders/secret}
    WITH_FALLBACK: \${ssm:/orders/flag, 'off'}
    MISSING: \${env:NOT_SET_ANYWHERE}
    REGION: \${self:custom.region}
functions:
  a:
    handler: a.handler
    events:
      - http: GET a
`,
        "a.js": "export const handler = async () => ({});\n",
      });
      const api = only(load(dir));
      const integration = api.routes[0]!.integration;
      assert.ok(integration.kind === "lambda");
      assert.deepEqual(integration.handler.environment, {
        FROM_SSM: "",
        WITH_FALLBACK: "off",
        MISSING: "",
        REGION: "us-east-1",
      });
      assert.deepEqual(api.notes, [
        {
          at: "provider.environment.FROM_SSM",
          message: "${ssm:…} is not read locally; an empty string is used.",
        },
        {
          at: "provider.environment.WITH_FALLBACK",
          message: "${ssm:…} is not read locally; its fallback is used.",
        },
        {
          at: "provider.environment.MISSING",
          message: "${env:NOT_SET_ANYWHERE} has no value and no fallback; an empty string is used.",
        },
      ]);
      assert.equal(api.routes[0]!.routeKey, "GET /a");
    },
  );

  test(
    "aws_iam (fail closed), private (API key), Cognito, an authorizer by ARN outside the service",
    T,
    () => {
      const dir = folder({
        "serverless.yml": `service: svc
provider: { name: aws, runtime: nodejs22.x, timeout: 20 }
functions:
  a:
    handler: src/a.handler
    timeout: 3
    events:
      - http: { path: iam, method: get, authorizer: aws_iam }
      - http: { path: key, method: post, private: true }
      - http:
          path: pool
          method: get
          authorizer:
            name: pool
            type: COGNITO_USER_POOLS
            arn: arn:aws:cognito-idp:eu-central-1:111122223333:userpool/eu-central-1_Abc
            scopes: [orders/read]
      - http:
          path: ext
          method: get
          authorizer:
            arn: arn:aws:lambda:us-east-1:111122223333:function:shared-auth
            type: request
            identitySource: method.request.header.X-Key, method.request.querystring.k
            resultTtlInSeconds: 0
`,
        "src/a.ts": "export const handler = async () => ({});\n",
      });
      const api = only(load(dir));
      assert.deepEqual(
        api.routes.map((r) => [r.routeKey, r.authorizer, r.authorizationScopes, r.apiKeyRequired]),
        [
          ["GET /iam", "AWS_IAM", undefined, undefined],
          ["POST /key", null, undefined, true],
          ["GET /pool", "pool", ["orders/read"], undefined],
          ["GET /ext", "shared-auth", undefined, undefined],
        ],
      );
      const integration = api.routes[0]!.integration;
      assert.ok(integration.kind === "lambda");
      assert.equal(integration.handler.timeoutSeconds, 3);
      assert.deepEqual(api.authorizers.pool, {
        kind: "jwt",
        name: "pool",
        flavour: "cognito-user-pools",
        identitySources: ["method.request.header.Authorization"],
        issuer: "https://cognito-idp.eu-central-1.amazonaws.com/eu-central-1_Abc",
        audience: [],
        resultTtlSeconds: 300,
      });
      assert.deepEqual(api.authorizers["shared-auth"], {
        kind: "lambda",
        name: "shared-auth",
        type: "request",
        identitySources: ["method.request.header.X-Key", "method.request.querystring.k"],
        resultTtlSeconds: 0,
        handler: null,
      });
      assert.deepEqual(
        api.notes.map((n) => n.at),
        ["functions.a.events[0].http.authorizer", "functions.a.events[3].http.authorizer"],
      );
    },
  );

  test(
    "a function's deployed name in an ARN finds the function; a missing handler or another runtime is noted",
    T,
    () => {
      const dir = folder({
        "serverless.yml": `service: svc
provider:
  name: aws
  runtime: python3.12
  httpApi:
    payload: "1.0"
    authorizers:
      custom:
        type: request
        functionArn: arn:aws:lambda:us-east-1:123456789012:function:svc-dev-auth
functions:
  auth:
    handler: auth.handler
    runtime: nodejs22.x
  api:
    handler: app.handler
    events:
      - httpApi: { method: "*", path: /any, authorizer: { name: custom } }
`,
        "auth.mjs": "export const handler = async () => ({ isAuthorized: true });\n",
      });
      const api = only(load(dir));
      assert.deepEqual(api.routes[0]!.integration, {
        kind: "lambda",
        handler: handler(join(dir, "app.js"), "api", { exists: false, timeoutSeconds: 6 }),
        payloadFormatVersion: "1.0",
        timeoutMs: 30_000,
      });
      const custom = api.authorizers.custom;
      assert.ok(custom?.kind === "lambda");
      assert.deepEqual(custom.handler, handler(join(dir, "auth.mjs"), "auth", { timeoutSeconds: 6 }));
      assert.deepEqual(api.notes, [
        {
          at: "functions.api",
          message: "function api uses the runtime python3.12, which is not run locally.",
        },
      ]);
    },
  );

  test("CORS settings are not emulated: noted", T, () => {
    const dir = folder({
      "serverless.yml": `service: svc
provider: { name: aws, httpApi: { cors: true } }
functions:
  a:
    handler: a.handler
    events:
      - http: { path: a, method: get, cors: true }
      - httpApi: GET /a
`,
    });
    const message =
      "CORS is not emulated from the definition: preflight OPTIONS requests get the answer of a route that does not exist.";
    assert.deepEqual(
      load(dir)[0]!.notes.filter((n) => n.message === message),
      [
        { at: "provider.httpApi.cors", message },
        { at: "functions.a.events[0].http.cors", message },
      ],
    );
  });

  test("a WebSocket authorizer on a route other than $connect is not applied, with a note", T, () => {
    const dir = folder({
      "serverless.yml": `service: svc
provider: { name: aws }
functions:
  ws:
    handler: ws.handler
    events:
      - websocket: { route: send, authorizer: auth }
  auth:
    handler: ws.handler
`,
      "ws.ts": "export const handler = async () => ({});\n",
    });
    const api = only(load(dir));
    assert.equal(api.routes[0]!.authorizer, null);
    assert.deepEqual(api.notes, [
      {
        at: "functions.ws.events[0].websocket.authorizer",
        message: "WebSocket APIs authorize only $connect; this authorizer is not applied.",
      },
    ]);
  });

  const bad: [string, string, string | RegExp][] = [
    ["no service", "provider: { name: aws }\n", 'serverless.yml is not a serverless.yml (no "service").'],
    [
      "no events",
      "service: svc\nfunctions:\n  a: { handler: a.handler }\n",
      "serverless.yml defines no API.",
    ],
    [
      "an httpApi authorizer not in provider.httpApi.authorizers",
      "service: svc\nfunctions:\n  a:\n    handler: a.handler\n    events:\n      - httpApi: { method: GET, path: /a, authorizer: { name: nope } }\n",
      "serverless.yml: the httpApi authorizer nope (at functions.a.events[0].httpApi.authorizer) is not in provider.httpApi.authorizers.",
    ],
    [
      "an http authorizer that is not a function",
      "service: svc\nfunctions:\n  a:\n    handler: a.handler\n    events:\n      - http: { method: GET, path: a, authorizer: nope }\n",
      "serverless.yml: the authorizer nope (at functions.a.events[0].http.authorizer) is not a function of the service.",
    ],
    [
      "a duplicate route",
      "service: svc\nfunctions:\n  a:\n    handler: a.handler\n    events:\n      - httpApi: GET /a\n  b:\n    handler: a.handler\n    events:\n      - httpApi: GET /a\n",
      "serverless.yml declares the route GET /a of svc twice (at functions.a.events[0].httpApi and functions.b.events[0].httpApi).",
    ],
    [
      "an httpApi path without /",
      "service: svc\nfunctions:\n  a:\n    handler: a.handler\n    events:\n      - httpApi: GET a\n",
      'serverless.yml has a route path that does not start with "/" (at functions.a.events[0].httpApi).',
    ],
    [
      "$connect as an HTTP API path",
      "service: svc\nfunctions:\n  a:\n    handler: a.handler\n    events:\n      - httpApi: { method: GET, path: $connect }\n",
      "serverless.yml uses the route key $connect on an HTTP API (at functions.a.events[0].httpApi); it exists only on WebSocket APIs.",
    ],
  ];
  for (const [name, text, message] of bad) {
    test(`refused: ${name}`, T, () => {
      const dir = folder({ "serverless.yml": text });
      assert.throws(() => load(dir), { message });
    });
  }
});
