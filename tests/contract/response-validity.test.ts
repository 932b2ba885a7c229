/**
 * The checks of the contract and property tests can fail: every rule of `responseProblems`,
 * `invoke` (what counts as a 401) and `assertDecisionLog` is shown a deliberately broken value built
 * from a real, valid handler response, and must catch it.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { AuthorizerHandler } from "../../src/lambda/authorizer.js";
import {
  assertDecisionLog,
  contractConfig,
  type FixtureName,
  fixtureEvent,
  type HttpApiResponse,
  invoke,
  type LogLine,
  makeHandler,
  mint,
  type Outcome,
  responseProblems,
  rewriteArn,
  SECRET,
  secretsOf,
} from "./helpers.js";

const token = mint("HS256", { sub: "v-user", groups: ["a", "b"], email: "v@example.com" });
const handlers = {
  simple: makeHandler(contractConfig()),
  iam: makeHandler(contractConfig({ httpApi: { response: "iam" } })),
};

// biome-ignore lint/suspicious/noExplicitAny: the breakages reach into any part of a response on purpose.
type Json = Record<string, any>;

async function validResponse(fixture: FixtureName, mode: HttpApiResponse = "simple") {
  const event = fixtureEvent(fixture, token);
  const outcome = await invoke(handlers[mode].handler, event);
  assert.equal(outcome.status, 200);
  assert.ok(outcome.status === 200);
  const response = structuredClone(outcome.response) as Json;
  assert.deepEqual(responseProblems(response, event, { httpApi: mode, secrets: secretsOf(token) }), []);
  return { event, response };
}

interface Breakage {
  readonly name: string;
  readonly fixture: FixtureName;
  readonly mode?: HttpApiResponse;
  readonly mutate: (r: Json, event: Json) => unknown;
}

const first = (r: Json) => r.policyDocument.Statement[0];

const BREAKAGES: readonly Breakage[] = [
  // principalId
  { name: "principalId empty", fixture: "rest-token", mutate: (r) => ({ ...r, principalId: "" }) },
  { name: "principalId a number", fixture: "rest-token", mutate: (r) => ({ ...r, principalId: 7 }) },
  {
    name: "principalId missing",
    fixture: "rest-request",
    mutate: ({ principalId: _p, ...rest }) => rest,
  },
  // policy document
  {
    name: "policyDocument missing",
    fixture: "rest-token",
    mutate: ({ policyDocument: _d, ...rest }) => rest,
  },
  {
    name: "Version not 2012-10-17",
    fixture: "rest-token",
    mutate: (r) => ({ ...r, policyDocument: { ...r.policyDocument, Version: "2008-10-17" } }),
  },
  {
    name: "Statement an object",
    fixture: "websocket-connect",
    mutate: (r) => ({ ...r, policyDocument: { ...r.policyDocument, Statement: first(r) } }),
  },
  {
    name: "Statement empty",
    fixture: "rest-token",
    mutate: (r) => ({ ...r, policyDocument: { ...r.policyDocument, Statement: [] } }),
  },
  {
    name: "Action another service",
    fixture: "rest-token",
    mutate: (r) => {
      first(r).Action = "s3:GetObject";
    },
  },
  {
    name: "Action a wildcard",
    fixture: "rest-token",
    mutate: (r) => {
      first(r).Action = "execute-api:*";
    },
  },
  {
    name: "Action missing",
    fixture: "http-v1",
    mutate: (r) => {
      delete first(r).Action;
    },
  },
  {
    name: "Effect lower case",
    fixture: "rest-token",
    mutate: (r) => {
      first(r).Effect = "allow";
    },
  },
  {
    name: "Effect missing",
    fixture: "http-v1",
    mutate: (r) => {
      delete first(r).Effect;
    },
  },
  {
    name: "Resource missing",
    fixture: "rest-token",
    mutate: (r) => {
      delete first(r).Resource;
    },
  },
  {
    name: "Resource an empty list",
    fixture: "rest-token",
    mutate: (r) => {
      first(r).Resource = [];
    },
  },
  {
    name: "Resource not an ARN",
    fixture: "rest-token",
    mutate: (r) => {
      first(r).Resource = ["GET/*"];
    },
  },
  {
    name: "Resource longer than 512 characters",
    fixture: "rest-token",
    mutate: (r) => void first(r).Resource.push(`${first(r).Resource[0]}${"x".repeat(512)}`),
  },
  {
    name: "Resource of another partition (aws instead of the event's aws-cn)",
    fixture: "rest-request",
    mutate: (r) =>
      void first(r).Resource.push("arn:aws:execute-api:cn-north-1:123456789012:s4x3opwd6i/test/*"),
  },
  {
    name: "Resource of another region",
    fixture: "rest-token",
    mutate: (r) =>
      void first(r).Resource.push("arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod/*"),
  },
  {
    name: "Resource of another account",
    fixture: "rest-token",
    mutate: (r) =>
      void first(r).Resource.push("arn:aws:execute-api:eu-west-1:000000000000:a1b2c3d4e5/prod/*"),
  },
  {
    name: "Resource of another API id",
    fixture: "rest-token",
    mutate: (r) =>
      void first(r).Resource.push("arn:aws:execute-api:eu-west-1:123456789012:zzzzzzzzzz/prod/*"),
  },
  {
    name: "Resource of another stage",
    fixture: "rest-token",
    mutate: (r) => void first(r).Resource.push("arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/dev/*"),
  },
  {
    name: "Resource of every stage (wildcard stage)",
    fixture: "rest-token",
    mutate: (r) => void first(r).Resource.push("arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/*"),
  },
  {
    name: "an unknown statement element",
    fixture: "rest-token",
    mutate: (r) => {
      first(r).Principal = "*";
    },
  },
  {
    name: "Condition not an object",
    fixture: "rest-token",
    mutate: (r) => {
      first(r).Condition = "always";
    },
  },
  // flat contexts
  {
    name: "REST context: an object value",
    fixture: "rest-token",
    mutate: (r) => {
      r.context.o = { a: 1 };
    },
  },
  {
    name: "REST context: an array value",
    fixture: "rest-request",
    mutate: (r) => {
      r.context.groups = ["a"];
    },
  },
  {
    name: "REST context: a null value",
    fixture: "rest-token",
    mutate: (r) => {
      r.context.n = null;
    },
  },
  {
    name: "REST context: NaN",
    fixture: "rest-token",
    mutate: (r) => {
      r.context.n = Number.NaN;
    },
  },
  {
    name: "WebSocket context: an array value",
    fixture: "websocket-connect",
    mutate: (r) => {
      r.context.g = [1];
    },
  },
  {
    name: "HTTP 1.0 context: an object value",
    fixture: "http-v1",
    mutate: (r) => {
      r.context.o = {};
    },
  },
  {
    name: "HTTP 1.0 context: the reserved key claims",
    fixture: "http-v1",
    mutate: (r) => {
      r.context.claims = "x";
    },
  },
  {
    name: "context not an object",
    fixture: "rest-token",
    mutate: (r) => {
      r.context = "sub=v-user";
    },
  },
  {
    name: "context over the size bound",
    fixture: "rest-token",
    mutate: (r) => {
      r.context.big = "x".repeat(8000);
    },
  },
  {
    name: "WebSocket result over 8 KB",
    fixture: "websocket-connect",
    mutate: (r) =>
      void first(r).Resource.push(...Array.from({ length: 150 }, (_, i) => `${first(r).Resource[0]}${i}`)),
  },
  // secrets
  {
    name: "the token in the context",
    fixture: "rest-token",
    mutate: (r) => {
      r.context.jwt = token;
    },
  },
  {
    name: "the token's signature in the context",
    fixture: "http-v2",
    mutate: (r) => {
      r.context.sig = token.split(".")[2];
    },
  },
  {
    name: "the secret in the context",
    fixture: "http-v2",
    mode: "iam",
    mutate: (r) => {
      r.context.k = SECRET;
    },
  },
  // forms
  {
    name: "simple response: isAuthorized a string",
    fixture: "http-v2",
    mutate: (r) => ({ ...r, isAuthorized: "true" }),
  },
  {
    name: "simple response: isAuthorized missing",
    fixture: "http-v2-default-stage",
    mutate: ({ isAuthorized: _a, ...rest }) => rest,
  },
  {
    name: "simple response: context not JSON (a function)",
    fixture: "http-v2",
    mutate: (r) => {
      r.context.f = () => 1;
    },
  },
  {
    name: "a simple response where IAM is configured",
    fixture: "http-v2",
    mode: "iam",
    mutate: (r) => ({ isAuthorized: true, context: r.context }),
  },
  {
    name: "an IAM response where simple is configured",
    fixture: "http-v2",
    mutate: (r) => ({
      principalId: "v-user",
      policyDocument: {
        Version: "2012-10-17",
        Statement: [
          {
            Action: "execute-api:Invoke",
            Effect: "Allow",
            Resource: ["arn:aws:execute-api:us-east-1:123456789012:abcdef123/prod/*"],
          },
        ],
      },
      context: r.context,
    }),
  },
  {
    name: "a simple response to a REST event",
    fixture: "rest-token",
    mutate: (r) => ({ isAuthorized: true, context: r.context }),
  },
  { name: "not an object", fixture: "rest-token", mutate: () => "Allow" },
  { name: "null", fixture: "http-v2", mutate: () => null },
];

/** The problem each breakage must be reported for (the rule it breaks). */
const WHY: Record<string, RegExp> = {
  "principalId empty": /^principalId must be a non-empty string/,
  "principalId a number": /^principalId must be a non-empty string/,
  "principalId missing": /^principalId must be a non-empty string/,
  "policyDocument missing": /^policyDocument must be an object/,
  "Version not 2012-10-17": /Version must be "2012-10-17"/,
  "Statement an object": /Statement must be an array/,
  "Statement empty": /Statement is empty/,
  "Action another service": /Action must be "execute-api:Invoke"/,
  "Action a wildcard": /Action is not exactly execute-api:Invoke/,
  "Action missing": /Action is required/,
  "Effect lower case": /Effect must be "Allow" or "Deny"/,
  "Effect missing": /Effect must be "Allow" or "Deny"/,
  "Resource missing": /Resource is required/,
  "Resource an empty list": /Resource is empty/,
  "Resource not an ARN": /must be an ARN/,
  "Resource longer than 512 characters": /at most 512 characters/,
  "Resource of another partition (aws instead of the event's aws-cn)": /is outside arn:aws-cn:/,
  "Resource of another region": /us-east-1.* is outside/,
  "Resource of another account": /000000000000.* is outside/,
  "Resource of another API id": /zzzzzzzzzz.* is outside/,
  "Resource of another stage": /\/dev\/\*" is outside/,
  "Resource of every stage (wildcard stage)": /a1b2c3d4e5\/\*" is outside/,
  "an unknown statement element": /Principal is not a statement element/,
  "Condition not an object": /Condition must be an object/,
  "REST context: an object value": /context\.o must be a string, number or boolean/,
  "REST context: an array value": /context\.groups must be a string, number or boolean/,
  "REST context: a null value": /context\.n must be a string, number or boolean \(got null\)/,
  "REST context: NaN": /context\.n must be a string, number or boolean \(got NaN\)/,
  "WebSocket context: an array value": /context\.g must be a string, number or boolean/,
  "HTTP 1.0 context: an object value": /context\.o must be a string, number or boolean/,
  "HTTP 1.0 context: the reserved key claims": /context\.claims uses a reserved key/,
  "context not an object": /^context must be an object/,
  "context over the size bound": /^the context is \d+ bytes/,
  "WebSocket result over 8 KB": /WebSocket authorizer result is over 8 KB/,
  "the token in the context": /token or secret appears/,
  "the token's signature in the context": /token or secret appears/,
  "the secret in the context": /token or secret appears/,
  "simple response: isAuthorized a string": /isAuthorized must be a boolean/,
  "simple response: isAuthorized missing": /isAuthorized must be a boolean/,
  "simple response: context not JSON (a function)": /context\.f must be a JSON value/,
  "a simple response where IAM is configured": /expected an IAM policy response/,
  "an IAM response where simple is configured": /expected a simple response/,
  "a simple response to a REST event": /expected an IAM policy response/,
  "not an object": /not an object/,
  null: /not an object/,
};

describe("responseProblems catches every broken response, for the rule it breaks", () => {
  for (const b of BREAKAGES) {
    test(b.name, async () => {
      const { event, response } = await validResponse(b.fixture, b.mode);
      const out = b.mutate(response, event);
      const broken = out === undefined ? response : out;
      const target = b.name.startsWith("Resource of another partition")
        ? rewriteArn(event, { partition: "aws-cn", region: "cn-north-1" })
        : event;
      const problems = responseProblems(broken, target, {
        httpApi: b.mode ?? "simple",
        secrets: secretsOf(token),
      });
      assert.ok(problems.length > 0, `not caught: ${b.name}`);
      const why = WHY[b.name];
      assert.ok(why, `no expected problem for ${b.name}`);
      assert.ok(
        problems.some((p) => why.test(p)),
        `${b.name}: caught for another reason: ${problems.join("; ")}`,
      );
    });
  }
});

describe("invoke: only Error('Unauthorized') is a 401", () => {
  const event = fixtureEvent("rest-token", token);
  const rejecting = (value: unknown) => (async () => Promise.reject(value)) as unknown as AuthorizerHandler;
  for (const [name, value] of [
    ["a message with a reason", new Error("Unauthorized: expired")],
    ["lower case", new Error("unauthorized")],
    ["a string, not an Error", "Unauthorized"],
    ["an Error subclass", new TypeError("Unauthorized")],
    ["an object with a message", { message: "Unauthorized" }],
  ] as const) {
    test(`rejecting with ${name} fails`, async () => {
      await assert.rejects(invoke(rejecting(value), event), assert.AssertionError);
    });
  }
  test("rejecting with Error('Unauthorized') is a 401", async () => {
    const outcome = await invoke(rejecting(new Error("Unauthorized")), event);
    assert.equal(outcome.status, 401);
  });
  test("an Allow that does not cover the event's own ARN is a 403", async () => {
    const allowOther = (async () => ({
      principalId: "x",
      policyDocument: {
        Version: "2012-10-17",
        Statement: [
          {
            Action: "execute-api:Invoke",
            Effect: "Allow",
            Resource: ["arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/prod/POST/*"],
          },
        ],
      },
    })) as unknown as AuthorizerHandler;
    assert.equal((await invoke(allowOther, event)).status, 403);
  });
});

describe("assertDecisionLog catches broken log lines", () => {
  const outcome: Outcome = { status: 401, error: new Error("Unauthorized") };
  const good: LogLine = {
    level: "info",
    event: "decision",
    outcome: "unauthorized",
    reason: "ERR_JWT_EXPIRED",
    route: "GET /",
    durationMs: 0.2,
  };
  test("a good line passes", () => {
    assertDecisionLog([good], 0, outcome, secretsOf(token));
  });
  for (const [name, lines] of [
    ["no decision line", [{ ...good, event: "other" }]],
    ["two decision lines", [good, good]],
    ["the token in a line", [{ ...good, detail: token }]],
    ["the secret in another line", [good, { level: "debug", event: "x", key: SECRET }]],
    ["a wrong outcome", [{ ...good, outcome: "deny" }]],
    ["no duration", [{ ...good, durationMs: undefined }]],
    [
      "no route",
      [{ level: "info", event: "decision", outcome: "unauthorized", reason: "ERR_X", durationMs: 1 }],
    ],
    ["no reason code", [{ ...good, reason: "expired" }]],
  ] as Array<[string, LogLine[]]>) {
    test(`${name} fails`, () => {
      assert.throws(() => assertDecisionLog(lines, 0, outcome, secretsOf(token)), assert.AssertionError);
    });
  }
});
