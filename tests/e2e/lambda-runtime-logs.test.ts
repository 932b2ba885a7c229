/**
 * e2e: the log lines of the Lambda bundle (`gatepass bundle --out DIR`) as Lambda's own Node.js
 * runtime interface client (`aws-lambda-ric`, the code that runs handlers on AWS) writes them, under
 * both log formats (`AWS_LAMBDA_LOG_FORMAT=JSON` and `Text`) and with `AWS_LAMBDA_LOG_LEVEL`.
 *
 * The runtime client runs as a child process against a local stand-in of the Lambda Runtime API
 * (`/2018-06-01/runtime/invocation/next`, `…/response`, `…/error`, `/init/error`) on 127.0.0.1, and
 * the test reads what it writes on stdout and stderr. The tests are skipped, saying so, only when the
 * client's native module was not built (`npm ci` builds it on Linux; see CONTRIBUTING.md).
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { emfProblems } from "../helpers/emf.js";
import { cleanupTempDirs, runCli, tempDir } from "./cli-helpers.js";

// Installed apart from the project's dependencies (it compiles native code at install): .ci/run runs
// `npm ci --prefix tests/runtime-client`.
const require = createRequire(new URL("../runtime-client/package.json", import.meta.url));

/** Why the runtime client cannot run here, or undefined when it can. */
function ricMissing(): string | undefined {
  let root: string;
  try {
    root = dirname(require.resolve("aws-lambda-ric/package.json"));
  } catch {
    return "aws-lambda-ric is not installed: run npm ci --prefix tests/runtime-client (Linux; cmake, g++, autotools)";
  }
  const native = join(root, "dist", "rapid-client.node");
  if (!existsSync(native))
    return `aws-lambda-ric's native module ${native} was not built (npm ci --prefix tests/runtime-client builds it on Linux with cmake, g++ and autotools; see CONTRIBUTING.md)`;
  // Not loaded here: it reads AWS_LAMBDA_RUNTIME_API as it loads (and aborts the process without it).
  return undefined;
}
const SKIP = ricMissing();
const RIC_BIN = SKIP ? "" : join(dirname(require.resolve("aws-lambda-ric/package.json")), "bin", "index.mjs");

const SECRET = "a-strong-shared-secret-of-48-bytes-0123456789ab";
const METHOD_ARN = "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/prod/GET/orders/42";
const FUNCTION_ARN = "arn:aws:lambda:eu-west-1:123456789012:function:orders-authorizer";
const TRACE_ROOT = "1-5759e988-bd862e3fe1be46a994272793";
const traceHeader = (n: number) => `Root=${TRACE_ROOT.slice(0, -1)}${n};Parent=557abcec3ee5a047;Sampled=1`;

interface Invoke {
  id: string;
  event: unknown;
}
interface Answer {
  id: string;
  kind: "response" | "error";
  body: unknown;
}

/**
 * A stand-in of the Lambda Runtime API: hands out `invocations` in order on `next`, then holds the
 * last `next` open (as Lambda does while no request comes) and resolves `done`.
 */
async function runtimeApi(invocations: Invoke[]) {
  const queue = [...invocations];
  const answers: Answer[] = [];
  const initErrors: unknown[] = [];
  let finish!: () => void;
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const held: ServerResponse[] = [];
  const readBody = (req: IncomingMessage) =>
    new Promise<unknown>((resolve) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        try {
          resolve(JSON.parse(text));
        } catch {
          resolve(text);
        }
      });
    });
  const server: Server = createServer(async (req, res) => {
    const url = req.url ?? "";
    if (req.method === "GET" && url === "/2018-06-01/runtime/invocation/next") {
      const next = queue.shift();
      if (next === undefined) {
        held.push(res);
        if (answers.length === invocations.length) finish();
        return;
      }
      res.writeHead(200, {
        "content-type": "application/json",
        "lambda-runtime-aws-request-id": next.id,
        "lambda-runtime-deadline-ms": String(Date.now() + 30_000),
        "lambda-runtime-invoked-function-arn": FUNCTION_ARN,
        "lambda-runtime-trace-id": traceHeader(invocations.indexOf(next)),
      });
      res.end(JSON.stringify(next.event));
      return;
    }
    const m = /^\/2018-06-01\/runtime\/invocation\/([^/]+)\/(response|error)$/.exec(url);
    if (req.method === "POST" && m) {
      answers.push({
        id: decodeURIComponent(m[1]!),
        kind: m[2] as Answer["kind"],
        body: await readBody(req),
      });
      res.writeHead(202).end('{"status":"OK"}');
      return;
    }
    if (req.method === "POST" && url === "/2018-06-01/runtime/init/error") {
      initErrors.push(await readBody(req));
      res.writeHead(202).end('{"status":"OK"}');
      finish();
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const close = () => {
    for (const res of held) res.destroy();
    server.closeAllConnections();
    server.close();
  };
  return { address: `127.0.0.1:${(server.address() as AddressInfo).port}`, answers, initErrors, done, close };
}

let bundleDir: string;

interface Run {
  answers: Answer[];
  initErrors: unknown[];
  stdout: string;
  stderr: string;
  /** stdout's lines that are JSON objects, parsed. */
  objects: Array<Record<string, unknown>>;
}

/** Runs the bundle under the runtime client with `env` for `invocations`, then stops it. */
async function runUnderRic(env: Record<string, string>, invocations: Invoke[]): Promise<Run> {
  const api = await runtimeApi(invocations);
  let child: ChildProcess | undefined;
  let stdout = "";
  let stderr = "";
  try {
    child = spawn(process.execPath, [RIC_BIN, "index.handler"], {
      cwd: bundleDir,
      env: {
        PATH: process.env.PATH ?? "",
        AWS_LAMBDA_RUNTIME_API: api.address,
        AWS_LAMBDA_FUNCTION_NAME: "orders-authorizer",
        AWS_REGION: "eu-west-1",
        LAMBDA_TASK_ROOT: bundleDir,
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout?.on("data", (c: Buffer) => {
      stdout += c.toString("utf8");
    });
    child.stderr?.on("data", (c: Buffer) => {
      stderr += c.toString("utf8");
    });
    const exited = new Promise<void>((resolve) => child?.on("exit", () => resolve()));
    await Promise.race([api.done, exited]);
    // Let the last writes arrive.
    await new Promise((resolve) => setTimeout(resolve, 100));
  } finally {
    child?.kill();
    api.close();
  }
  const objects = stdout
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { answers: api.answers, initErrors: api.initErrors, stdout, stderr, objects };
}

const mint = (claims: Record<string, unknown>) =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuedAt()
    .setExpirationTime("10m")
    .sign(new TextEncoder().encode(SECRET));

const tokenEvent = (token: string) => ({
  type: "TOKEN",
  authorizationToken: `Bearer ${token}`,
  methodArn: METHOD_ARN,
});

/** The envelope every gatepass line carries, checked field by field. */
function assertEnvelope(line: Record<string, unknown>, where: string) {
  assert.match(String(line.level), /^(DEBUG|INFO|WARN|ERROR)$/, where);
  assert.equal(typeof line.message, "string", where);
  assert.ok(!Number.isNaN(Date.parse(String(line.timestamp))), where);
  assert.match(String(line.timestamp), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, where);
  assert.equal(line.service, "gatepass", where);
  assert.equal(typeof line.cold_start, "boolean", where);
  assert.equal(line.function_name, "orders-authorizer", where);
}

before(async () => {
  if (SKIP) return;
  bundleDir = tempDir("gatepass-ric-");
  const result = await runCli(["bundle", "--out", bundleDir]);
  assert.equal(result.code, 0, result.stderr);
});

after(cleanupTempDirs);

describe("log lines as Lambda's Node.js runtime writes them", { skip: SKIP, timeout: 120_000 }, () => {
  for (const format of ["JSON", "Text"]) {
    test(`AWS_LAMBDA_LOG_FORMAT=${format}: each decision is one JSON object on its own line, its fields at top level`, async (t) => {
      const good = await mint({ sub: "user-1" });
      const forged = await mint({ sub: "user-2" }).then((t) => `${t.slice(0, -4)}AAAA`);
      const run = await runUnderRic({ AWS_LAMBDA_LOG_FORMAT: format, GATEPASS_SECRET: SECRET }, [
        { id: "req-allow-1", event: tokenEvent(good) },
        { id: "req-401-2", event: tokenEvent(forged) },
      ]);
      assert.deepEqual(run.initErrors, [], run.stderr);
      assert.deepEqual(
        run.answers.map((a) => [a.id, a.kind]),
        [
          ["req-allow-1", "response"],
          ["req-401-2", "error"],
        ],
      );
      const decisions = run.objects.filter((l) => l.message === "decision");
      assert.equal(decisions.length, 2, run.stdout);
      const [allow, refused] = decisions as [Record<string, unknown>, Record<string, unknown>];
      for (const line of decisions) assertEnvelope(line, run.stdout);
      t.diagnostic(
        `as the runtime wrote it: ${run.stdout.split("\n").find((l) => l.includes('"decision"'))}`,
      );
      assert.equal(allow.level, "INFO");
      assert.equal(allow.outcome, "allow");
      assert.equal(allow.principal, "user-1");
      assert.equal(allow.route, "GET /orders/42");
      assert.equal(allow.kind, "rest-token");
      assert.equal(typeof allow.durationMs, "number");
      assert.equal(allow.function_request_id, "req-allow-1");
      assert.equal(allow.xray_trace_id, `${TRACE_ROOT.slice(0, -1)}0`, "the Root= part of _X_AMZN_TRACE_ID");
      assert.equal(allow.cold_start, true, "the first invocation of the environment");
      assert.equal(refused.level, "INFO");
      assert.equal(refused.outcome, "unauthorized");
      assert.match(String(refused.reason), /^ERR_/);
      assert.equal(refused.function_request_id, "req-401-2");
      assert.equal(refused.xray_trace_id, `${TRACE_ROOT.slice(0, -1)}1`);
      assert.equal(refused.cold_start, false);
      // Nothing else of gatepass's went through the runtime's console (as a string in a message).
      for (const line of run.objects) {
        if (line.message === "decision") continue;
        assert.ok(
          typeof line.message !== "string" || !line.message.includes('"outcome"'),
          JSON.stringify(line),
        );
      }
      for (const secret of [SECRET, good, forged, good.split(".")[2]!])
        assert.ok(!`${run.stdout}${run.stderr}`.includes(secret), "a token or secret was written");
    });
  }

  test("AWS_LAMBDA_LOG_LEVEL=WARN: allow lines are not written, gatepass's ERROR lines still are (JWKS down)", async (t) => {
    const { privateKey, publicKey } = await generateKeyPair("RS256");
    void (await exportJWK(publicKey));
    // A JWKS endpoint that is not there: a port this test opened and closed.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const token = await new SignJWT({ sub: "user-3" })
      .setProtectedHeader({ alg: "RS256", kid: "k1" })
      .setIssuer("https://id.example.com/")
      .setAudience("orders-api")
      .setIssuedAt()
      .setExpirationTime("10m")
      .sign(privateKey);
    const run = await runUnderRic(
      {
        AWS_LAMBDA_LOG_FORMAT: "JSON",
        AWS_LAMBDA_LOG_LEVEL: "WARN",
        GATEPASS_JWKS_URI: `http://127.0.0.1:${port}/jwks`,
        GATEPASS_ISSUER: "https://id.example.com/",
        GATEPASS_AUDIENCE: "orders-api",
      },
      [{ id: "req-jwks-down", event: tokenEvent(token) }],
    );
    assert.deepEqual(run.initErrors, [], run.stderr);
    assert.deepEqual(
      run.answers.map((a) => [a.id, a.kind]),
      [["req-jwks-down", "error"]],
    );
    const fetchFailed = run.objects.find((l) => l.message === "jwks_fetch_failed");
    assert.ok(fetchFailed, run.stdout);
    assertEnvelope(fetchFailed, run.stdout);
    assert.equal(fetchFailed.level, "ERROR");
    const decision = run.objects.find((l) => l.message === "decision");
    assert.ok(decision, run.stdout);
    assertEnvelope(decision, run.stdout);
    assert.equal(decision.level, "ERROR");
    assert.equal(decision.outcome, "unauthorized");
    assert.equal(decision.reason, "ERR_JWKS_UNAVAILABLE");
    assert.equal(decision.function_request_id, "req-jwks-down");
    t.diagnostic(`as the runtime wrote it: ${run.stdout.trim()}`);
    for (const line of run.objects.filter((l) => "service" in l))
      assert.notEqual(line.level, "INFO", "no INFO line under AWS_LAMBDA_LOG_LEVEL=WARN");
    assert.ok(!`${run.stdout}${run.stderr}`.includes(token), "the token was written");
  });

  for (const format of ["JSON", "Text"]) {
    test(`AWS_LAMBDA_LOG_FORMAT=${format}: with metrics on, one EMF document per invocation reaches stdout unchanged`, async (t) => {
      const good = await mint({ sub: "user-1" });
      const forged = await mint({ sub: "user-2" }).then((t) => `${t.slice(0, -4)}AAAA`);
      const run = await runUnderRic(
        { AWS_LAMBDA_LOG_FORMAT: format, GATEPASS_SECRET: SECRET, POWERTOOLS_METRICS_NAMESPACE: "Gatepass" },
        [
          { id: "req-allow-1", event: tokenEvent(good) },
          { id: "req-401-2", event: tokenEvent(forged) },
        ],
      );
      assert.deepEqual(run.initErrors, [], run.stderr);
      // Each line the runtime wrote that carries `_aws` is a whole EMF document at top level: the
      // CloudWatch agent reads it only so (under JSON, the runtime's console would have wrapped it).
      const lines = run.stdout.split("\n").filter((l) => l.includes('"_aws"'));
      assert.equal(lines.length, 2, run.stdout);
      for (const line of lines) assert.deepEqual(emfProblems(line), [], line);
      const [allow, refused] = lines.map((l) => JSON.parse(l) as Record<string, unknown>) as [
        Record<string, unknown>,
        Record<string, unknown>,
      ];
      assert.equal(allow.outcome, "allow");
      assert.equal(allow.Decisions, 1);
      assert.equal(refused.outcome, "unauthorized");
      assert.equal(refused.reason, "ERR_JWT_SIGNATURE_INVALID");
      t.diagnostic(`as the runtime wrote it: ${lines[0]}`);
      for (const secret of [SECRET, good, forged])
        assert.ok(!run.stdout.includes(secret), "a token or secret was written");
    });
  }
});
