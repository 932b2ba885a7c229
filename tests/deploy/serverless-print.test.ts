/**
 * The Serverless Framework example run as deploy/serverless/README.md prints it, in a copy of the
 * example: the README's own shell block runs in bash with `npx gatepass` as the built CLI and
 * `npx serverless deploy` as `serverless print` (serverless@3, offline, no credentials: deploying
 * needs AWS). The configuration file the README exports must exist, be a valid gatepass
 * configuration, and reach the authorizer's environment intact; serverless@3 must accept the file
 * without a warning, and with its schema validation set to `error`.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { parseConfig } from "../../src/index.js";
import { CLI, cleanEnv, cleanupTempDirs, tempDir } from "../e2e/cli-helpers.js";
import { ROOT, shBlocks } from "./doc-commands.js";

const EXAMPLE = join(ROOT, "deploy", "serverless");
const SERVERLESS = join(ROOT, "node_modules", "serverless", "bin", "serverless.js");
const TEST = { timeout: 180_000 };

after(cleanupTempDirs);

/** Offline, quiet, credential-free serverless environment rooted in `home`. */
function slsEnv(home: string): NodeJS.ProcessEnv {
  return cleanEnv({
    HOME: home,
    SLS_TELEMETRY_DISABLED: "1",
    SLS_TRACKING_DISABLED: "1",
    SLS_NOTIFICATIONS_MODE: "off",
    SLS_INTERACTIVE_SETUP_DISABLE: "1",
    CI: "1",
    AWS_ACCESS_KEY_ID: "AKIAEXAMPLEEXAMPLE00",
    AWS_SECRET_ACCESS_KEY: "dummy-secret-for-offline-print",
    AWS_REGION: "us-east-1",
  });
}

/** A copy of the project layout the README assumes: `<root>/deploy/serverless/…`. */
function copyExample(): { root: string; example: string } {
  const root = tempDir("gatepass-sls-doc-");
  const example = join(root, "deploy", "serverless");
  mkdirSync(example, { recursive: true });
  cpSync(EXAMPLE, example, { recursive: true });
  return { root, example };
}

test("deploy/serverless/README.md as printed: the shipped config reaches the authorizer intact", TEST, () => {
  const file = JSON.parse(readFileSync(join(EXAMPLE, "gatepass.config.json"), "utf8"));
  assert.doesNotThrow(() => parseConfig(file), "gatepass.config.json is a valid configuration");
  const block = shBlocks("deploy/serverless/README.md").find((b) => b.text.includes("serverless deploy"));
  assert.ok(block, "the README prints no serverless deploy");
  const { root, example } = copyExample();
  const script = [
    "set -euo pipefail",
    `npx() {`,
    `  case "$1 $2" in`,
    `    "gatepass bundle") shift; node ${JSON.stringify(CLI)} "$@" ;;`,
    `    "serverless deploy") node ${JSON.stringify(SERVERLESS)} print --format json > "$PRINTED" ;;`,
    `    *) echo "unexpected npx $*" >&2; return 1 ;;`,
    `  esac`,
    `}`,
    block.text,
  ].join("\n");
  const printed = join(root, "printed.json");
  const run = spawnSync("bash", ["-c", script], {
    cwd: root,
    env: { ...slsEnv(root), PRINTED: printed },
    encoding: "utf8",
    timeout: 170_000,
  });
  assert.equal(run.status, 0, run.stderr);
  assert.doesNotMatch(run.stderr, /warning|deprecat/i);
  assert.ok(
    existsSync(join(example, "dist-lambda", "function.zip")),
    "the bundle's zip, where serverless.yml wants it",
  );
  const service = JSON.parse(readFileSync(printed, "utf8"));
  const env = service.functions.authorizer.environment.GATEPASS_CONFIG as string;
  assert.deepEqual(JSON.parse(env), file);
  assert.equal(service.functions.authorizer.package.artifact, "dist-lambda/function.zip");
});

test("serverless@3 accepts the example with schema validation `error`", TEST, () => {
  const { root, example } = copyExample();
  const yml = readFileSync(join(example, "serverless.yml"), "utf8");
  assert.match(yml, /^configValidationMode: off$/m);
  // v3's schema lists runtimes up to nodejs20.x only (the file's one reason to turn validation off).
  const strict = yml
    .replace(/^configValidationMode: off$/m, "configValidationMode: error")
    .replace(/^ {2}runtime: nodejs22\.x$/m, "  runtime: nodejs20.x");
  const print = (text: string) => {
    writeFileSync(join(example, "serverless.yml"), text);
    return spawnSync("node", [SERVERLESS, "print", "--format", "json"], {
      cwd: example,
      env: slsEnv(root),
      encoding: "utf8",
      timeout: 80_000,
    });
  };
  const ok = print(strict);
  assert.equal(ok.status, 0, ok.stderr);
  assert.doesNotMatch(ok.stderr, /warning/i);
  // The check is real: a misspelt property is refused by `print` in this mode.
  const typo = print(strict.replace(/^ {2}memorySize: 256$/m, "  memorySiz: 256"));
  assert.notEqual(typo.status, 0, "a typo in serverless.yml must fail validation");
  assert.match(typo.stdout + typo.stderr, /memorySiz/);
});
