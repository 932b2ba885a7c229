/**
 * `gatepass/lambda` as Lambda loads it: a fresh Node.js process whose environment holds the
 * configuration (`GATEPASS_SECRET` + `GATEPASS_ISSUER`…, `GATEPASS_PUBLIC_KEY`, or `GATEPASS_CONFIG` as
 * inline JSON or a file path) imports the built package and calls `handler` with fixture events.
 *
 * The import is by the package's own name, `gatepass/lambda`: the child runs with the repository
 * root as its working directory, so Node resolves the name through the package's self-reference
 * (`exports["./lambda"]` → `dist/lambda/index.js`). One test also imports `dist/lambda/index.js` by
 * path from another directory, which is what the Lambda runtime itself does with a handler file.
 * `npm run build` must have run (`npm test` does it first).
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  AUDIENCE,
  assertUnauthorizedError,
  assertValidResponse,
  type FixtureName,
  fixtureEvent,
  flipSignatureBit,
  HS_ISSUER,
  mint,
  RS_ISSUER,
  rsKey,
  SECRET,
  secretsOf,
  statusOf,
} from "../contract/helpers.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const BUILT = join(ROOT, "dist", "lambda", "index.js");

/** The child: import the module, then call `handler` with each event read from stdin. */
const childScript = (specifier: string) => `
let input = "";
for await (const chunk of process.stdin) input += chunk;
const events = input.trim() === "" ? [] : JSON.parse(input);
let mod;
try {
  mod = await import(${JSON.stringify(specifier)});
} catch (error) {
  process.stdout.write("@@INIT " + JSON.stringify({ name: error?.name, message: error?.message, code: error?.code, field: error?.field }) + "\\n");
  process.exit(3);
}
const results = [];
for (const event of events) {
  try {
    results.push({ response: await mod.handler(event, { awsRequestId: "e2e-request" }) });
  } catch (error) {
    results.push({ error: { message: error?.message, ctor: error?.constructor?.name } });
  }
}
process.stdout.write("@@RESULTS " + JSON.stringify(results) + "\\n");
`;

interface ChildResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly init?: { name: string; message: string; code?: string; field?: string };
  readonly results?: Array<{ response?: unknown; error?: { message: string; ctor: string } }>;
  /** stdout lines that are neither results nor init errors: the module's own log lines. */
  readonly logLines: string[];
}

/** The parent's environment without any gatepass variable, plus `env`. */
function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith("GATEPASS_") && k !== "SECRET_KEY" && k !== "NODE_OPTIONS") out[k] = v;
  }
  return { ...out, ...env };
}

function runLambda(
  env: Record<string, string>,
  events: unknown[],
  options: { specifier?: string; cwd?: string; raw?: boolean } = {},
): Promise<ChildResult> {
  const script = options.raw
    ? `await import(${JSON.stringify(options.specifier ?? "gatepass/lambda")});`
    : childScript(options.specifier ?? "gatepass/lambda");
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      ["--input-type=module", "-e", script],
      { cwd: options.cwd ?? ROOT, env: childEnv(env), timeout: 20_000, encoding: "utf8" },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== "number") return reject(error);
        const code = typeof error?.code === "number" ? error.code : 0;
        const lines = stdout.split("\n").filter((l) => l.length > 0);
        const init = lines.find((l) => l.startsWith("@@INIT "));
        const results = lines.find((l) => l.startsWith("@@RESULTS "));
        resolve({
          code,
          stdout,
          stderr,
          init: init ? JSON.parse(init.slice(7)) : undefined,
          results: results ? JSON.parse(results.slice(10)) : undefined,
          logLines: lines.filter((l) => !l.startsWith("@@")),
        });
      },
    );
    child.stdin?.end(JSON.stringify(events));
  });
}

const now = () => Math.floor(Date.now() / 1000);
const hsToken = (claims: Record<string, unknown> = {}, options: Parameters<typeof mint>[2] = {}) =>
  mint("HS256", { sub: "e2e-user", email: "e2e@example.com", ...claims }, { now: now(), ...options });

/** Runs the events, checks the process and its log lines, and returns each outcome. */
async function invokeAll(
  env: Record<string, string>,
  cases: Array<{ fixture: FixtureName; token: string; expect: 200 | 403 | 401; httpApi?: "simple" | "iam" }>,
  options: { specifier?: string; cwd?: string; secrets?: string[] } = {},
): Promise<ChildResult> {
  const events = cases.map((c) => fixtureEvent(c.fixture, c.token));
  const run = await runLambda(env, events, options);
  assert.equal(run.code, 0, `exit ${run.code}\n${run.stdout}\n${run.stderr}`);
  assert.equal(run.init, undefined);
  assert.ok(run.results, run.stdout);
  const secrets = [...(options.secrets ?? []), ...Object.values(env).filter((v) => v.length >= 32)];
  cases.forEach((c, i) => {
    const result = run.results![i]!;
    const at = `${c.fixture} (expected ${c.expect})`;
    if (c.expect === 401) {
      assert.ok(result.error, `${at}: answered ${JSON.stringify(result.response)}`);
      const error = Object.assign(new Error(result.error.message), {});
      assert.equal(result.error.ctor, "Error", at);
      assertUnauthorizedError(error);
      return;
    }
    assert.ok(result.response, `${at}: rejected with ${JSON.stringify(result.error)}`);
    assert.equal(statusOf(result.response, events[i]), c.expect, at);
    assertValidResponse(result.response, events[i], {
      httpApi: c.httpApi ?? "simple",
      secrets: [...secretsOf(c.token), ...secrets],
    });
  });
  // One JSON decision line per invocation on stdout; no token and no secret anywhere in the output.
  const logs = run.logLines.map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(logs.filter((l) => l.event === "decision").length, cases.length, run.stdout);
  const output = run.stdout + run.stderr;
  for (const c of cases)
    for (const s of secretsOf(c.token)) assert.ok(!output.includes(s), "a token in the output");
  for (const s of secrets) assert.ok(!output.includes(s), "a secret in the output");
  return run;
}

let dir: string;
before(() => {
  assert.ok(existsSync(BUILT), `${BUILT} is missing: run "npm run build" first`);
  dir = mkdtempSync(join(tmpdir(), "gatepass-lambda-env-"));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe("gatepass/lambda configured from the environment", () => {
  test("GATEPASS_SECRET + GATEPASS_ISSUER + GATEPASS_AUDIENCE (debug logging): Allow, 401s, and a simple response for HTTP 2.0", async () => {
    const good = hsToken();
    await invokeAll(
      {
        GATEPASS_SECRET: SECRET,
        GATEPASS_ISSUER: HS_ISSUER,
        GATEPASS_AUDIENCE: AUDIENCE,
        GATEPASS_LOG_LEVEL: "debug",
      },
      [
        { fixture: "rest-token", token: good, expect: 200 },
        { fixture: "rest-token-raw", token: good, expect: 200 },
        { fixture: "rest-request", token: good, expect: 200 },
        { fixture: "http-v1", token: good, expect: 200 },
        { fixture: "http-v2", token: good, expect: 200 },
        { fixture: "http-v2-default-stage", token: good, expect: 200 },
        { fixture: "rest-token", token: flipSignatureBit(good), expect: 401 },
        { fixture: "rest-token", token: hsToken({}, { now: now() - 7200 }), expect: 401 },
        { fixture: "rest-token", token: hsToken({}, { audience: "other-api" }), expect: 401 },
        { fixture: "rest-token", token: hsToken({}, { issuer: "https://other.test/" }), expect: 401 },
        { fixture: "rest-token", token: "not-a-jwt", expect: 401 },
        // The default token source is the Authorization header; this fixture sends a query parameter.
        { fixture: "websocket-connect", token: good, expect: 401 },
      ],
    );
  });

  test("SECRET_KEY (the alias) and GATEPASS_PRINCIPAL_CLAIM", async () => {
    const run = await invokeAll(
      { SECRET_KEY: SECRET, GATEPASS_ISSUER: HS_ISSUER, GATEPASS_PRINCIPAL_CLAIM: "email" },
      [{ fixture: "rest-request", token: hsToken(), expect: 200 }],
    );
    assert.equal((run.results![0]!.response as { principalId: string }).principalId, "e2e@example.com");
  });

  test("GATEPASS_PUBLIC_KEY (newlines escaped as \\n, as in a Lambda console) with RS256", async () => {
    const pem = rsKey.publicPem!.replace(/\n/g, "\\n");
    const token = mint("RS256", { sub: "rs-user" }, { now: now() });
    await invokeAll(
      {
        GATEPASS_PUBLIC_KEY: pem,
        GATEPASS_ISSUER: RS_ISSUER,
        GATEPASS_AUDIENCE: AUDIENCE,
        GATEPASS_ALGORITHMS: "RS256",
      },
      [
        { fixture: "rest-token", token, expect: 200 },
        { fixture: "rest-token", token: hsToken(), expect: 401 },
      ],
    );
  });

  const document = {
    issuers: [{ issuer: HS_ISSUER, audience: [AUDIENCE], secret: SECRET }],
    tokenSources: ["header:authorization", "query:access_token"],
    routes: [
      { route: "GET /orders/{id}", scopes: ["orders:read"] },
      { route: "$connect", scopes: ["ws:connect"] },
    ],
    httpApi: { response: "iam" },
  };
  const configCases = () => {
    const reader = hsToken({ scope: "orders:read ws:connect" });
    const nobody = hsToken({ scope: "profile" });
    return [
      { fixture: "rest-token" as const, token: reader, expect: 200 as const },
      { fixture: "http-v2" as const, token: reader, expect: 200 as const, httpApi: "iam" as const },
      { fixture: "websocket-connect" as const, token: reader, expect: 200 as const },
      { fixture: "rest-token" as const, token: nobody, expect: 403 as const },
      { fixture: "http-v2" as const, token: nobody, expect: 403 as const, httpApi: "iam" as const },
      { fixture: "websocket-connect" as const, token: nobody, expect: 403 as const },
      { fixture: "rest-request" as const, token: flipSignatureBit(reader), expect: 401 as const },
    ];
  };

  test("GATEPASS_CONFIG as inline JSON: rules (403), token sources (WebSocket query), httpApi iam", async () => {
    await invokeAll({ GATEPASS_CONFIG: JSON.stringify(document) }, configCases());
  });

  test("GATEPASS_CONFIG as a file path", async () => {
    const file = join(dir, "gatepass.json");
    writeFileSync(file, JSON.stringify(document, null, 2));
    await invokeAll({ GATEPASS_CONFIG: file }, configCases());
  });

  test("GATEPASS_LOG_LEVEL=error silences the per-request info lines", async () => {
    const run = await runLambda({ GATEPASS_SECRET: SECRET, GATEPASS_LOG_LEVEL: "error" }, [
      fixtureEvent("rest-token", hsToken()),
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.ok(run.results?.[0]?.response);
    assert.deepEqual(run.logLines, []);
  });

  test("imported by file path from another directory, as the Lambda runtime loads a handler file", async () => {
    await invokeAll(
      { GATEPASS_SECRET: SECRET },
      [
        { fixture: "rest-token", token: hsToken(), expect: 200 },
        { fixture: "rest-token", token: "x.y.z", expect: 401 },
      ],
      { specifier: pathToFileURL(BUILT).href, cwd: dir },
    );
  });
});

describe("gatepass/lambda with a bad configuration fails at import, naming the field", () => {
  const shortSecret = "Sh0rt-S3cr3t!x";
  const cases: Array<[string, Record<string, string>, RegExp, string | null]> = [
    ["a short GATEPASS_SECRET", { GATEPASS_SECRET: shortSecret }, /GATEPASS_SECRET/, shortSecret],
    ["a short SECRET_KEY", { SECRET_KEY: shortSecret }, /SECRET_KEY/, shortSecret],
    ["no configuration at all", {}, /GATEPASS_CONFIG/, null],
    ["GATEPASS_CONFIG not JSON", { GATEPASS_CONFIG: '{"issuers": [' }, /GATEPASS_CONFIG/, null],
    [
      "GATEPASS_CONFIG a missing file",
      { GATEPASS_CONFIG: "/nonexistent/gatepass.json" },
      /GATEPASS_CONFIG.*\/nonexistent\/gatepass\.json/,
      null,
    ],
    [
      "GATEPASS_CONFIG with a misspelt field",
      { GATEPASS_CONFIG: JSON.stringify({ issuers: [{ secret: SECRET, audiance: ["x"] }] }) },
      /issuers\[0\]\.audiance/,
      SECRET,
    ],
    [
      "GATEPASS_CONFIG with a short secret",
      { GATEPASS_CONFIG: JSON.stringify({ issuers: [{ secret: shortSecret }] }) },
      /issuers\[0\]\.secret/,
      shortSecret,
    ],
    [
      "GATEPASS_CONFIG with a bad rule",
      {
        GATEPASS_CONFIG: JSON.stringify({
          issuers: [{ secret: SECRET }],
          routes: [{ route: "FETCH /x", allow: true }],
        }),
      },
      /routes\[0\]\.route/,
      SECRET,
    ],
    [
      "an unknown GATEPASS_LOG_LEVEL",
      { GATEPASS_SECRET: SECRET, GATEPASS_LOG_LEVEL: "loud" },
      /GATEPASS_LOG_LEVEL/,
      SECRET,
    ],
    [
      "a plain-http GATEPASS_JWKS_URI",
      { GATEPASS_JWKS_URI: "http://id.example.com/jwks.json", GATEPASS_ISSUER: "x", GATEPASS_AUDIENCE: "y" },
      /GATEPASS_JWKS_URI/,
      null,
    ],
    [
      "GATEPASS_PUBLIC_KEY without GATEPASS_ISSUER",
      { GATEPASS_PUBLIC_KEY: rsKey.publicPem!, GATEPASS_AUDIENCE: "y" },
      /GATEPASS_ISSUER/,
      null,
    ],
  ];
  for (const [name, env, field, secret] of cases) {
    test(name, async () => {
      const run = await runLambda(env, [fixtureEvent("rest-token", "x.y.z")]);
      assert.equal(run.code, 3, `the import did not fail:\n${run.stdout}\n${run.stderr}`);
      assert.ok(run.init);
      assert.equal(run.init.name, "ConfigError");
      assert.equal(run.init.code, "ERR_CONFIG_INVALID");
      assert.match(run.init.message, /^Invalid gatepass configuration: /);
      assert.match(run.init.message, field);
      assert.ok(!run.init.message.includes("\n"), "one line");
      assert.equal(run.results, undefined, "no request is ever answered");
      if (secret !== null) assert.ok(!(run.stdout + run.stderr).includes(secret), "the secret was printed");
    });
  }

  test("without a catch, the import throws: non-zero exit, the message on stderr, the secret nowhere", async () => {
    const run = await runLambda({ GATEPASS_SECRET: shortSecret }, [], { raw: true });
    assert.notEqual(run.code, 0);
    assert.match(run.stderr, /Invalid gatepass configuration: GATEPASS_SECRET: must be at least 32 bytes/);
    assert.ok(!(run.stdout + run.stderr).includes(shortSecret));
  });
});
