/**
 * The serverless.yml fixture the local gateway's end-to-end tests serve (tests/fixtures/apis/serverless)
 * is a file serverless@3 accepts with schema validation `error`, and serverless@3's own variable
 * resolution (`serverless print`, offline, no credentials) agrees with gatepass's reading of it:
 * stage, environment and the JWT issuer.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { loadApiDefinitions } from "../../src/dev/definition/load.js";
import { cleanEnv, cleanupTempDirs, tempDir } from "../e2e/cli-helpers.js";
import { ROOT } from "./doc-commands.js";

const FIXTURE = join(ROOT, "tests", "fixtures", "apis", "serverless");
const SERVERLESS = join(ROOT, "node_modules", "serverless", "bin", "serverless.js");

after(cleanupTempDirs);

test("serverless@3 accepts the fixture and resolves its variables as gatepass does", {
  timeout: 180_000,
}, () => {
  const home = tempDir("gatepass-sls-fixture-");
  const copy = join(home, "service");
  cpSync(FIXTURE, copy, { recursive: true });
  // v3's schema lists runtimes up to nodejs20.x only.
  const yml = readFileSync(join(copy, "serverless.yml"), "utf8").replace(
    "runtime: nodejs22.x",
    "runtime: nodejs20.x",
  );
  writeFileSync(join(copy, "serverless.yml"), `configValidationMode: error\n${yml}`);
  const run = spawnSync("node", [SERVERLESS, "print", "--format", "json", "--stage", "prod"], {
    cwd: copy,
    env: cleanEnv({
      HOME: home,
      SLS_TELEMETRY_DISABLED: "1",
      SLS_TRACKING_DISABLED: "1",
      SLS_NOTIFICATIONS_MODE: "off",
      SLS_INTERACTIVE_SETUP_DISABLE: "1",
      CI: "1",
      AWS_ACCESS_KEY_ID: "AKIAEXAMPLEEXAMPLE00",
      AWS_SECRET_ACCESS_KEY: "dummy-secret-for-offline-print",
      AWS_REGION: "us-east-1",
    }),
    encoding: "utf8",
    timeout: 170_000,
  });
  assert.equal(run.status, 0, run.stderr);
  assert.doesNotMatch(run.stderr, /warning/i);
  const printed = JSON.parse(run.stdout) as {
    provider: {
      stage: string;
      environment: Record<string, string>;
      httpApi: { authorizers: { jwtAuthorizer: { issuerUrl: string } } };
    };
  };

  const apis = loadApiDefinitions({ serverless: "serverless.yml", cwd: FIXTURE, stage: "prod", env: {} });
  for (const api of apis) assert.equal(api.stage, printed.provider.stage);
  const http = apis.find((a) => a.kind === "http")!;
  const integration = http.routes[0]!.integration;
  assert.ok(integration.kind === "lambda");
  assert.deepEqual(integration.handler.environment, printed.provider.environment);
  const jwt = http.authorizers.jwtAuthorizer;
  assert.ok(jwt?.kind === "jwt");
  assert.equal(jwt.issuer, printed.provider.httpApi.authorizers.jwtAuthorizer.issuerUrl);
});
