/**
 * CloudWatch metrics (Embedded Metric Format): the handler under real API Gateway events with
 * `metrics` on, its stdout captured, every document checked against the EMF specification by an
 * independent checker (tests/helpers/emf.ts), one document per invocation with the right counts
 * and bounded dimensions; nothing at all when metrics are off. Tokens are signed with jose.
 */
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { SignJWT } from "jose";
import { createAuthorizer } from "../../../src/lambda/authorizer.js";
import { parseConfig } from "../../../src/lambda/config.js";
import { createMemoryLogger } from "../../../src/log.js";
import { type EmfDocument, emfProblems } from "../../helpers/emf.js";
import { type FixtureName, loadEvent } from "../adapters/fixtures.js";

const ISSUER = "https://id.metrics.test/";
const AUDIENCE = "orders-api";
const SECRET = "a-shared-secret-of-at-least-32-bytes-for-hs256";
const NAMESPACE = "Gatepass/Test";

async function token(claims: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT({ scope: "orders:read", sub: "user-1", ...claims })
    .setProtectedHeader({ alg: "HS256" })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt((claims.exp as number | undefined) ?? Math.floor(Date.now() / 1000))
    .setExpirationTime((claims.exp as number | undefined) ?? "5m")
    .sign(new TextEncoder().encode(SECRET));
}

const baseConfig = {
  issuers: [{ issuer: ISSUER, audience: [AUDIENCE], secret: SECRET }],
  routes: [
    { route: "GET /orders/{id}", scopes: ["orders:read"] },
    { route: "$connect", scopes: ["ws:connect"] },
  ],
  tokenSources: ["header:authorization", "query:access_token"],
};

/** Runs `fn` with stdout captured: the lines written to it, as Lambda would ship them. */
async function capture<T>(fn: () => Promise<T>): Promise<{ result: T | Error; lines: string[] }> {
  const lines: string[] = [];
  const original = process.stdout.write;
  process.stdout.write = ((chunk: string | Uint8Array) => {
    lines.push(...String(chunk).split("\n").filter(Boolean));
    return true;
  }) as typeof process.stdout.write;
  try {
    return { result: await fn().catch((e: Error) => e), lines };
  } finally {
    process.stdout.write = original;
  }
}

/** Invokes the handler once; the EMF documents it wrote, each checked against the specification. */
async function invoke(handler: (event: unknown) => Promise<unknown>, event: unknown) {
  const { result, lines } = await capture(() => handler(event));
  const docs = lines.filter((l) => l.includes('"_aws"'));
  for (const line of docs) assert.deepEqual(emfProblems(line), [], line);
  return { result, docs: docs.map((l) => JSON.parse(l) as EmfDocument) };
}

/** Every dimension set of a document, each as `name=value` pairs. */
const dimensionsOf = (doc: EmfDocument) =>
  doc._aws.CloudWatchMetrics.flatMap((d) =>
    d.Dimensions.map((set) => set.map((k) => `${k}=${doc[k]}`).join(",")),
  );
const metricNames = (doc: EmfDocument) =>
  doc._aws.CloudWatchMetrics.flatMap((d) => d.Metrics.map((m) => m.Name));

describe("metrics: one EMF document per invocation", () => {
  const handler = createAuthorizer(
    { ...baseConfig, metrics: { namespace: NAMESPACE } },
    { logger: createMemoryLogger() },
  );

  const cases: Array<{
    name: string;
    fixture: FixtureName;
    claims?: Record<string, unknown>;
    noToken?: boolean;
    outcome: string;
    reason: string | null;
  }> = [
    { name: "REST TOKEN allowed", fixture: "rest-token", outcome: "allow", reason: null },
    { name: "REST REQUEST allowed", fixture: "rest-request", outcome: "allow", reason: null },
    { name: "HTTP API 2.0 allowed", fixture: "http-v2", outcome: "allow", reason: null },
    { name: "HTTP API 1.0 allowed", fixture: "http-v1", outcome: "allow", reason: null },
    {
      name: "REST TOKEN without the scope: deny",
      fixture: "rest-token",
      claims: { scope: "other" },
      outcome: "deny",
      reason: "ERR_SCOPE_MISSING",
    },
    {
      name: "WebSocket $connect without the scope: deny",
      fixture: "websocket-connect",
      outcome: "deny",
      reason: "ERR_SCOPE_MISSING",
    },
    {
      name: "expired token: unauthorized",
      fixture: "http-v2",
      claims: { exp: 1_000_000_000 + 300 },
      outcome: "unauthorized",
      reason: "ERR_JWT_EXPIRED",
    },
    {
      name: "no token: unauthorized",
      fixture: "rest-token",
      noToken: true,
      outcome: "unauthorized",
      reason: "ERR_JWT_MISSING",
    },
  ];

  for (const c of cases) {
    test(`${c.name}: Decisions 1 and Latency under service, outcome${c.reason ? " and reason" : ""}`, async () => {
      const jwt = await token(c.claims);
      const event = c.noToken
        ? { ...loadEvent(c.fixture), authorizationToken: "" }
        : loadEvent(c.fixture, jwt);
      const { docs } = await invoke(handler, event);
      assert.equal(docs.length, 1, "exactly one document per invocation");
      const doc = docs[0]!;
      assert.equal(doc.outcome, c.outcome);
      assert.equal(doc.reason, c.reason ?? undefined);
      assert.equal(doc.Decisions, 1);
      assert.equal(typeof doc.Latency, "number");
      assert.ok((doc.Latency as number) >= 0);
      assert.equal(doc.service, "gatepass");
      assert.deepEqual(dimensionsOf(doc), [
        "service=gatepass",
        `service=gatepass,outcome=${c.outcome}`,
        ...(c.reason ? [`service=gatepass,outcome=${c.outcome},reason=${c.reason}`] : []),
      ]);
      for (const d of doc._aws.CloudWatchMetrics) assert.equal(d.Namespace, NAMESPACE);
      assert.deepEqual(doc._aws.CloudWatchMetrics[0]!.Metrics, [
        { Name: "Decisions", Unit: "Count" },
        { Name: "Latency", Unit: "Milliseconds" },
      ]);
      // Bounded dimensions only: no principal, issuer, path or token anywhere in the document.
      const text = JSON.stringify(doc);
      for (const leak of ["user-1", ISSUER, "/orders/42", jwt]) assert.ok(!text.includes(leak), leak);
    });
  }

  test("an unsupported event is counted as unauthorized with its reason", async () => {
    const { docs } = await invoke(handler, { hello: "world" });
    assert.equal(docs.length, 1);
    assert.equal(docs[0]!.outcome, "unauthorized");
    assert.equal(docs[0]!.reason, "ERR_EVENT_UNSUPPORTED");
  });

  test("a failing context hook is counted as error, not as a bad token", async () => {
    const failing = createAuthorizer(
      { ...baseConfig, metrics: { namespace: NAMESPACE } },
      {
        logger: createMemoryLogger(),
        context: () => {
          throw new Error("boom");
        },
      },
    );
    const { docs } = await invoke(failing, loadEvent("rest-token", await token()));
    assert.equal(docs.length, 1);
    assert.equal(docs[0]!.outcome, "error");
    assert.equal(docs[0]!.reason, "ERR_HOOK_FAILED");
  });
});

describe("metrics: configuration and environment", () => {
  const saved = { ...process.env };
  after(() => {
    for (const key of ["POWERTOOLS_METRICS_NAMESPACE", "POWERTOOLS_SERVICE_NAME"]) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
  });

  test("off by default: no document, whatever the outcome", async () => {
    delete process.env.POWERTOOLS_METRICS_NAMESPACE;
    const handler = createAuthorizer(baseConfig, { logger: createMemoryLogger() });
    assert.equal((await invoke(handler, loadEvent("rest-token", await token()))).docs.length, 0);
    assert.equal((await invoke(handler, loadEvent("rest-token", "nope"))).docs.length, 0);
  });

  test("POWERTOOLS_METRICS_NAMESPACE turns metrics on; POWERTOOLS_SERVICE_NAME names the service", async () => {
    process.env.POWERTOOLS_METRICS_NAMESPACE = "FromEnv";
    process.env.POWERTOOLS_SERVICE_NAME = "orders-authorizer";
    try {
      const handler = createAuthorizer(baseConfig, { logger: createMemoryLogger() });
      const { docs } = await invoke(handler, loadEvent("rest-token", await token()));
      assert.equal(docs.length, 1);
      assert.equal(docs[0]!._aws.CloudWatchMetrics[0]!.Namespace, "FromEnv");
      assert.equal(docs[0]!.service, "orders-authorizer");
      // The configuration's own namespace and service win over the environment's.
      const configured = createAuthorizer(
        { ...baseConfig, metrics: { namespace: "FromConfig", service: "svc" } },
        { logger: createMemoryLogger() },
      );
      const second = (await invoke(configured, loadEvent("rest-token", await token()))).docs[0]!;
      assert.equal(second._aws.CloudWatchMetrics[0]!.Namespace, "FromConfig");
      assert.equal(second.service, "svc");
    } finally {
      delete process.env.POWERTOOLS_METRICS_NAMESPACE;
      delete process.env.POWERTOOLS_SERVICE_NAME;
    }
  });

  test("a POWERTOOLS_* value CloudWatch would refuse fails the cold start, naming the variable", () => {
    try {
      for (const [name, value] of [
        ["POWERTOOLS_METRICS_NAMESPACE", "AWS/Lambda"],
        ["POWERTOOLS_METRICS_NAMESPACE", "héllo"],
        ["POWERTOOLS_SERVICE_NAME", "orders ✓"],
      ] as const) {
        process.env.POWERTOOLS_METRICS_NAMESPACE = "Fine";
        process.env[name] = value;
        assert.throws(() => createAuthorizer(baseConfig), new RegExp(name), `${name}=${value}`);
        delete process.env.POWERTOOLS_SERVICE_NAME;
      }
    } finally {
      delete process.env.POWERTOOLS_METRICS_NAMESPACE;
      delete process.env.POWERTOOLS_SERVICE_NAME;
    }
  });

  test("routeDimension: the deciding rule's route template, never the request's path", async () => {
    const handler = createAuthorizer(
      { ...baseConfig, metrics: { namespace: NAMESPACE, routeDimension: true } },
      { logger: createMemoryLogger() },
    );
    const { docs } = await invoke(handler, loadEvent("rest-token", await token()));
    assert.equal(docs[0]!.route, "GET /orders/{id}");
    assert.ok(dimensionsOf(docs[0]!).includes("service=gatepass,outcome=allow,route=GET /orders/{id}"));
    // A 401 has no deciding rule: no route dimension.
    const refused = (await invoke(handler, loadEvent("rest-token", "nope"))).docs[0]!;
    assert.equal(refused.route, undefined);
    assert.ok(!metricNames(refused).includes("route"));
  });

  test("metrics configuration errors name the field", () => {
    const bad: Array<[unknown, RegExp]> = [
      [{ namespace: "" }, /metrics\.namespace/],
      [{ namespace: "AWS/Lambda" }, /metrics\.namespace/],
      [{ namespace: 'a"b' }, /metrics\.namespace/],
      [{}, /metrics\.namespace/],
      [{ namespace: "ok", service: ":x" }, /metrics\.service/],
      [{ namespace: "ok", dimensions: ["principal"] }, /metrics/],
      [{ namespace: "ok", routeDimension: "yes" }, /metrics\.routeDimension/],
      ["Gatepass", /metrics/],
    ];
    for (const [metrics, field] of bad)
      assert.throws(() => parseConfig({ ...baseConfig, metrics }), field, JSON.stringify(metrics));
    assert.deepEqual(parseConfig({ ...baseConfig, metrics: { namespace: "Gatepass/Prod" } }).metrics, {
      namespace: "Gatepass/Prod",
      routeDimension: false,
    });
  });
});

describe("the EMF checker of these tests", () => {
  const valid = {
    _aws: {
      Timestamp: 1_700_000_000_000,
      CloudWatchMetrics: [
        { Namespace: "N", Dimensions: [["service"]], Metrics: [{ Name: "M", Unit: "Count" }] },
      ],
    },
    service: "s",
    M: 1,
  };
  test("accepts the specification's shape and refuses what it forbids", () => {
    assert.deepEqual(emfProblems(JSON.stringify(valid)), []);
    const variants: Array<[string, unknown]> = [
      ["missing dimension member", { ...valid, service: undefined }],
      ["missing metric member", { ...valid, M: undefined }],
      ["metric not a number", { ...valid, M: "1" }],
      ["no timestamp", { ...valid, _aws: { CloudWatchMetrics: valid._aws.CloudWatchMetrics } }],
      [
        "31 dimensions",
        {
          ...valid,
          ...Object.fromEntries(Array.from({ length: 31 }, (_, i) => [`d${i}`, "v"])),
          _aws: {
            ...valid._aws,
            CloudWatchMetrics: [
              {
                ...valid._aws.CloudWatchMetrics[0],
                Dimensions: [Array.from({ length: 31 }, (_, i) => `d${i}`)],
              },
            ],
          },
        },
      ],
      [
        "101 metrics",
        {
          ...valid,
          ...Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`m${i}`, 1])),
          _aws: {
            ...valid._aws,
            CloudWatchMetrics: [
              {
                ...valid._aws.CloudWatchMetrics[0],
                Metrics: Array.from({ length: 101 }, (_, i) => ({ Name: `m${i}` })),
              },
            ],
          },
        },
      ],
      [
        "unknown unit",
        {
          ...valid,
          _aws: {
            ...valid._aws,
            CloudWatchMetrics: [{ ...valid._aws.CloudWatchMetrics[0], Metrics: [{ Name: "M", Unit: "ms" }] }],
          },
        },
      ],
    ];
    for (const [name, doc] of variants) assert.notDeepEqual(emfProblems(JSON.stringify(doc)), [], name);
    assert.notDeepEqual(emfProblems(`INFO ${JSON.stringify(valid)}`), [], "text before the object");
  });
});
