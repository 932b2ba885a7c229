/**
 * e2e: the Serverless Framework example (`deploy/serverless`: serverless.yml, backend.mjs,
 * gatepass.config.json) run by the real serverless-offline (v13, Serverless v3) on 127.0.0.1, with
 * the real bundle of `gatepass bundle` as its authorizer, extracted by serverless-offline from
 * `dist-lambda/function.zip`. Covered: REST TOKEN (the example's `http` event), REST REQUEST (an
 * extra function added to a copy of the file) and HTTP API payload 2.0 with simple responses (the
 * example's `httpApi` event).
 *
 * Changes to the copied example, nothing else: the issuer's keys are inlined (`jwks`, no discovery:
 * no network) keeping its issuer, audience and route rule; one rule and one REST REQUEST route are
 * added; `plugins: [serverless-offline]`; strict validation (see {@link strictExample}).
 *
 * What serverless-offline (13.x, `src/events/http/createAuthScheme.js`, `HttpServer.js`,
 * `lambda-events/LambdaProxyIntegrationEvent*.js`) does differently from AWS, and which this test relies on:
 * - the method ARN is `arn:aws:execute-api:{region}:random-account-id:random-api-id/{stage}/{VERB}{route
 *   template}`: fake ids and the route template (`/orders/{id}`), not the request path;
 * - no decision cache: `resultTtlInSeconds` is ignored, the authorizer runs on every request, so each
 *   case here is decided afresh (on AWS a cached Allow would outlive a later expired token);
 * - a missing identity-source header is 401 without invoking the authorizer (as AWS);
 * - any error the authorizer throws is 401 (AWS: 401 only for exactly `Unauthorized`, else 500);
 *   gatepass only ever throws `Unauthorized`, so the 401s here match AWS;
 * - a Deny policy, or `isAuthorized: false`, is 403 (as AWS); Condition and Action are not evaluated;
 * - the backend event also carries the token's *unverified* claims (`authorizer.claims`/`scopes` on
 *   REST, `authorizer.jwt` on HTTP API), decoded by serverless-offline itself: the test reads only
 *   what gatepass put in the context (REST: `authorizer.*`, HTTP API: `authorizer.lambda.*`);
 * - stages: REST routes are served under `/{stage}/…`, HTTP API routes without a stage.
 *
 * Robust offline: ports are found free on 127.0.0.1, HOME is the temp directory, AWS credentials are
 * dummies, telemetry, notifications and interactive setup are off, readiness is awaited on the
 * process's own "Server ready" line with a bounded timeout, and the process group is killed on exit.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { copyFileSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { cleanEnv, cleanupTempDirs, ROOT, runCli, tempDir } from "./cli-helpers.js";

const EXAMPLE = join(ROOT, "deploy", "serverless");
const SERVERLESS = join(ROOT, "node_modules", "serverless", "bin", "serverless.js");
const STAGE = "dev";
const READY_TIMEOUT_MS = 120_000;
const REQUEST_TIMEOUT_MS = 30_000;
/** Per test: a few requests, each through two Lambda worker threads. */
const TEST = { timeout: 90_000 };

/** The REST REQUEST route the test adds, after the example's functions, with a rule like the example's. */
const EXTRA_FUNCTIONS = `
  # Added by the test: a REST REQUEST authorizer (the same bundle) in front of the same backend.
  requestAuthorizer:
    handler: index.handler
    package:
      artifact: dist-lambda/function.zip
    environment:
      GATEPASS_CONFIG: \${env:GATEPASS_CONFIG, ''}
  ordersByRequest:
    handler: backend.handler
    events:
      - http:
          path: by-request/orders/{id}
          method: get
          authorizer:
            name: requestAuthorizer
            type: request
            identitySource: method.request.header.Authorization
`;
const EXTRA_RULE = { route: "GET /by-request/orders/{id}", scopes: ["orders:read"] };

/**
 * The example with strict validation: serverless v3's schema lists runtimes only up to nodejs20.x,
 * so the example turns validation off for its nodejs22.x; here it is `error`, with a runtime v3 knows
 * (serverless-offline runs every Node runtime in this Node process anyway), so that everything else
 * in the file, and what the test adds, must pass v3's schema or serverless refuses to start.
 */
function strictExample(yml: string): string {
  assert.match(yml, /^configValidationMode: off$/m);
  assert.match(yml, /^ {2}runtime: nodejs22\.x$/m);
  return yml
    .replace(/^configValidationMode: off$/m, "configValidationMode: error")
    .replace(/^ {2}runtime: nodejs22\.x$/m, "  runtime: nodejs20.x");
}

type SigningKey = Awaited<ReturnType<typeof generateKeyPair>>["privateKey"];

interface Example {
  issuers: Array<{ issuer: string; audience: string[]; discovery?: boolean }>;
  routes: Array<{ route: string; scopes?: string[] }>;
}

let dir: string;
let child: ChildProcess | undefined;
let output = "";
let base: string;
let example: Example;
let signingKey: SigningKey;
const otherKey = await generateKeyPair("RS256");

/** `count` ports free on 127.0.0.1 right now (listened on together, so all distinct). */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const server = createServer();
          server.once("error", reject);
          server.listen(0, "127.0.0.1", () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

/** Kills the whole process group of `child` (serverless, its workers), and waits for it to exit. */
async function stop(): Promise<void> {
  const proc = child;
  if (proc?.pid === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((resolve) => proc.once("exit", resolve));
  try {
    process.kill(-proc.pid, "SIGTERM");
  } catch {
    return;
  }
  const timer = setTimeout(() => {
    try {
      process.kill(-proc.pid!, "SIGKILL");
    } catch {}
  }, 10_000);
  await exited;
  clearTimeout(timer);
}

/** Synchronous last resort if the test process exits without `after` (a crash, a cancelled run). */
function killOnExit(): void {
  if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {}
  }
}

async function waitReady(proc: ChildProcess): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`serverless offline not ready in ${READY_TIMEOUT_MS} ms:\n${output}`)),
      READY_TIMEOUT_MS,
    );
    const check = () => {
      if (/Server ready: http:\/\/127\.0\.0\.1:\d+/.test(output)) {
        clearTimeout(timer);
        resolve();
      } else if (/EADDRINUSE|Unexpected error while starting/.test(output)) {
        clearTimeout(timer);
        reject(new Error(`serverless offline failed to start:\n${output}`));
      }
    };
    proc.stdout?.on("data", check);
    proc.stderr?.on("data", check);
    proc.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`serverless offline exited (${code ?? signal}) before it was ready:\n${output}`));
    });
  });
  // Poll our own port until a protected route answers: the route table is up, the port is ours.
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    try {
      const response = await fetch(`${base}/${STAGE}/orders/1`, { signal: AbortSignal.timeout(5_000) });
      await response.arrayBuffer();
      if (response.status === 401) return;
    } catch {}
    if (Date.now() > deadline) throw new Error(`no answer from ${base}:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function token(
  claims: Record<string, unknown>,
  options: { key?: SigningKey; iat?: number; exp?: number } = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const issuer = example.issuers[0]!;
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "RS256", typ: "JWT", kid: "offline-test" })
    .setIssuer(issuer.issuer)
    .setAudience(issuer.audience[0]!)
    .setIssuedAt(options.iat ?? now)
    .setExpirationTime(options.exp ?? now + 600)
    .sign(options.key ?? signingKey);
}

async function get(path: string, authorization?: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`${base}${path}`, {
    headers: authorization === undefined ? {} : { authorization },
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  return { status: response.status, body: await response.text() };
}

before(
  async () => {
    dir = tempDir("gatepass-sls-offline-");
    example = JSON.parse(readFileSync(join(EXAMPLE, "gatepass.config.json"), "utf8")) as Example;
    assert.equal(example.issuers.length, 1, "the example has one issuer");

    const yml = strictExample(readFileSync(join(EXAMPLE, "serverless.yml"), "utf8"));
    const at = yml.indexOf("\nresources:\n");
    assert.ok(at > yml.indexOf("\nfunctions:\n"), "the example's functions come before its resources");
    writeFileSync(
      join(dir, "serverless.yml"),
      `${yml.slice(0, at)}${EXTRA_FUNCTIONS}${yml.slice(at)}\nplugins:\n  - serverless-offline\n`,
    );
    copyFileSync(join(EXAMPLE, "backend.mjs"), join(dir, "backend.mjs"));
    // serverless resolves its plugins from the service directory.
    symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"), "dir");

    const bundled = await runCli(["bundle", "--out", join(dir, "dist-lambda"), "--json"]);
    assert.equal(bundled.code, 0, bundled.stderr);

    const keys = await generateKeyPair("RS256");
    signingKey = keys.privateKey;
    const jwk = { ...(await exportJWK(keys.publicKey)), kid: "offline-test", alg: "RS256", use: "sig" };
    const { discovery: _discovery, ...issuer } = example.issuers[0]!;
    const config = {
      ...example,
      issuers: [{ ...issuer, jwks: { keys: [jwk] } }],
      routes: [...example.routes, EXTRA_RULE],
    };

    const [http, lambda, websocket, alb] = await freePorts(4);
    base = `http://127.0.0.1:${http}`;
    const env = cleanEnv({
      GATEPASS_CONFIG: JSON.stringify(config),
      HOME: dir,
      SLS_TELEMETRY_DISABLED: "1",
      SLS_TRACKING_DISABLED: "1",
      SLS_NOTIFICATIONS_MODE: "off",
      SLS_INTERACTIVE_SETUP_DISABLE: "1",
      SLS_DEPRECATION_DISABLE: "*",
      AWS_ACCESS_KEY_ID: "AKIAOFFLINETEST00000",
      AWS_SECRET_ACCESS_KEY: "offline-test-not-a-secret",
      AWS_REGION: "us-east-1",
    });
    // serverless-offline's own authorizer override, and real AWS profiles: never from the shell.
    for (const name of [
      "AUTHORIZER",
      "AWS_PROFILE",
      "AWS_SESSION_TOKEN",
      "AWS_DEFAULT_PROFILE",
      "NODE_OPTIONS",
    ])
      delete env[name];
    process.once("exit", killOnExit);
    child = spawn(
      process.execPath,
      [
        SERVERLESS,
        "offline",
        "start",
        "--stage",
        STAGE,
        "--host",
        "127.0.0.1",
        "--httpPort",
        String(http),
        "--lambdaPort",
        String(lambda),
        "--websocketPort",
        String(websocket),
        "--albPort",
        String(alb),
      ],
      { cwd: dir, env, detached: true, stdio: ["ignore", "pipe", "pipe"] },
    );
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      output += chunk;
    });
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
      output += chunk;
    });
    await waitReady(child);
  },
  { timeout: READY_TIMEOUT_MS * 2 + 60_000 },
);

after(async () => {
  await stop();
  if (dir !== undefined) rmSync(join(dir, "node_modules"), { force: true });
  process.removeListener("exit", killOnExit);
  cleanupTempDirs();
});

const APIS = [
  { name: "REST TOKEN", path: `/${STAGE}/orders/42` },
  { name: "REST REQUEST", path: `/${STAGE}/by-request/orders/42` },
  { name: "HTTP API 2.0", path: "/orders/42" },
] as const;

describe("serverless-offline runs the deploy/serverless example with the gatepass bundle", {
  timeout: 180_000,
}, () => {
  test(
    "serverless v3 validates the example strictly (configValidationMode: error) and warns about nothing",
    TEST,
    () => {
      // With `error`, a schema violation stops serverless before "Server ready"; a warning would show here.
      assert.doesNotMatch(output, /Configuration error|Invalid configuration|Warning:/);
    },
  );

  for (const api of APIS) {
    test(
      `${api.name}: a valid token with the rule's scope → 200, the backend sees the principal and claims`,
      TEST,
      async () => {
        const good = await token({ sub: "offline-user", scope: "orders:read", email: "o@example.com" });
        const { status, body } = await get(api.path, `Bearer ${good}`);
        assert.equal(status, 200, body);
        const authorizer = (JSON.parse(body) as { authorizer: Record<string, unknown> }).authorizer;
        // REST: the policy's principalId and flat context; HTTP API simple responses: the context under `lambda`.
        const context = (api.name === "HTTP API 2.0" ? authorizer.lambda : authorizer) as Record<
          string,
          unknown
        >;
        assert.equal(context.principalId, "offline-user");
        assert.equal(context.sub, "offline-user");
        assert.equal(context.email, "o@example.com");
        assert.equal(context.scope, "orders:read");
        assert.equal(context.iss, example.issuers[0]!.issuer);
      },
    );

    test(`${api.name}: no token → 401`, TEST, async () => {
      const { status } = await get(api.path);
      assert.equal(status, 401);
    });

    test(`${api.name}: an expired token → 401`, TEST, async () => {
      const now = Math.floor(Date.now() / 1000);
      const expired = await token(
        { sub: "offline-user", scope: "orders:read" },
        { iat: now - 1200, exp: now - 600 },
      );
      const { status } = await get(api.path, `Bearer ${expired}`);
      assert.equal(status, 401);
    });

    test(`${api.name}: a token signed by another key → 401`, TEST, async () => {
      const forged = await token({ sub: "offline-user", scope: "orders:read" }, { key: otherKey.privateKey });
      const { status } = await get(api.path, `Bearer ${forged}`);
      assert.equal(status, 401);
    });

    test(`${api.name}: a valid token without the rule's scope → 403`, TEST, async () => {
      const refused = await token({ sub: "offline-user", scope: "profile" });
      const { status } = await get(api.path, `Bearer ${refused}`);
      assert.equal(status, 403);
    });
  }

  test("the authorizer's decision lines reach the log, with reasons and never a token", TEST, () => {
    const decisions = output
      .split("\n")
      .filter((line) => line.startsWith('{"level"'))
      .map((line) => JSON.parse(line) as { event: string; reason: string | null; outcome: string });
    const reasons = new Set(decisions.filter((d) => d.event === "decision").map((d) => d.reason));
    for (const reason of [null, "ERR_JWT_EXPIRED", "ERR_JWT_SIGNATURE_INVALID"])
      assert.ok(reasons.has(reason), String(reason));
    assert.doesNotMatch(output, /eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/, "no JWT in serverless-offline's output");
  });
});
