/**
 * Every command the docs print (fenced `sh` blocks of README.md and deploy/*\/README.md) is either
 * executed by a test, or marked in the doc as needing AWS credentials (or, for the few that need
 * something else this machine does not have, marked saying what). The table below says, per
 * command, which test runs it; this file runs the blocks no other test runs, exactly as printed,
 * with `npx gatepass` as the built command and `sam` as a stub recording its arguments.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { CLI, cleanEnv, cleanupTempDirs, tempDir } from "../e2e/cli-helpers.js";
import { commands, docFiles, ROOT, shBlocks } from "./doc-commands.js";

after(cleanupTempDirs);

const HERE = "tests/deploy/doc-commands.test.ts";
const MTLS = "tests/e2e/dev-tls-cli.test.ts";
const MTLS_BOUND = `TOKEN=$(curl -s --cacert .gatepass/dev-keys/tls-ca.pem --cert pki/client.pem --key pki/client.key.pem https://127.0.0.1:4000/token -d sub=alice -d bind_cert=1 | sed -E 's/.*"access_token":"([^"]+)".*/\\1/')`;
const MTLS_UNBOUND = `UNBOUND=$(curl -s --cacert .gatepass/dev-keys/tls-ca.pem https://127.0.0.1:4000/token -d sub=alice | sed -E 's/.*"access_token":"([^"]+)".*/\\1/')`;

/** How a printed command is covered: a test file that runs it (and a string showing it does), or a mark. */
type How =
  | { test: string; evidence: RegExp }
  | { mark: "needs AWS credentials" | "needs your identity provider" | "by hand" };

const COVERED: Record<string, How> = {
  // README.md, Quick start
  "npm ci && npm start": { test: "tests/e2e/dev-cli.test.ts", evidence: /the way `npm start` runs it/ },
  "npm ci && npm test": { test: ".ci/run", evidence: /npm ci[\s\S]*npm test/ },
  // README.md, Coming from a hand-written authorizer (environment variables, not commands)
  "SECRET_KEY=…": { test: "tests/contract/legacy-migration.test.ts", evidence: /SECRET_KEY/ },
  "GATEPASS_PRINCIPAL_CLAIM=id": {
    test: "tests/contract/legacy-migration.test.ts",
    evidence: /GATEPASS_PRINCIPAL_CLAIM/,
  },
  "GATEPASS_ALLOW_INSECURE_SHORT_SECRET=true": {
    test: "tests/unit/config/legacy-env.test.ts",
    evidence: /GATEPASS_ALLOW_INSECURE_SHORT_SECRET/,
  },
  "GATEPASS_CONTEXT_CLAIMS=id,email": {
    test: "tests/unit/config/legacy-env.test.ts",
    evidence: /GATEPASS_CONTEXT_CLAIMS/,
  },
  // README.md, Local development: the synopsis (checked against `gatepass dev --help` here) and the issuer
  "gatepass dev [--config FILE] [--port N] [--api rest-token|rest-request|http-v1|http-v2-simple|http-v2-iam|websocket]":
    { test: HERE, evidence: /dev --help/ },
  "[--upstream URL | --lambda FILE[#export]] [--authorizer FILE[#export]] [--cache-ttl S]": {
    test: HERE,
    evidence: /dev --help/,
  },
  "[--allow-host NAME]... [--watch] [--integration-timeout DURATION] [--console-prefix PATH | --no-console]":
    { test: HERE, evidence: /dev --help/ },
  "gatepass dev --template FILE | --serverless FILE | --openapi FILE": { test: HERE, evidence: /dev --help/ },
  "[--api-name NAME] [--stage NAME] [--parameter KEY=VALUE]... [--function ARN_OR_NAME=FILE[#export]]...": {
    test: HERE,
    evidence: /dev --help/,
  },
  // README.md, DPoP: the local commands, run as processes
  "npx gatepass dev --config dpop.config.json": {
    test: "tests/e2e/dev-dpop.test.ts",
    evidence: /"dev", "--config", "dpop\.config\.json"/,
  },
  "node dpop-client.mjs http://127.0.0.1:4000/orders/42": {
    test: "tests/e2e/dev-dpop.test.ts",
    evidence: /"dpop-client\.mjs", `\$\{url\}\/orders\/42`/,
  },
  // README.md, Local development: pointing gatepass dev at a definition (each run as a process)
  "npx gatepass dev --template template.yaml": {
    test: "tests/e2e/dev-definition-files.test.ts",
    evidence: /--template", "template\.yaml"/,
  },
  "npx gatepass dev --serverless serverless.yml --api-name http": {
    test: "tests/e2e/dev-definition-files.test.ts",
    evidence: /--serverless", "serverless\.yml", "--api-name", "http"/,
  },
  "npx gatepass dev --openapi openapi.yaml": {
    test: "tests/e2e/dev-definition-files.test.ts",
    evidence: /--openapi", "openapi\.yaml"/,
  },
  'curl -s http://127.0.0.1:4000/token -d sub=alice -d scope=orders:read -d \'claims={"groups":["admin"]}\'':
    {
      test: "tests/e2e/dev-issuer.test.ts",
      evidence: /\/token/,
    },
  "curl -s http://127.0.0.1:4000/token -d preset=cognito -d userPoolId=eu-west-1_AbCdEf123 -d clientId=4o5p6q -d sub=alice -d scope=orders:read -d groups=admin":
    { test: "tests/e2e/dev-issuer-presets.test.ts", evidence: /userPoolId/ },
  // README.md, Local development: gatepass dev as resource and authorization server (the block, as processes)
  "npx gatepass dev --config mcp.config.json --upstream http://127.0.0.1:3000": {
    test: "tests/e2e/dev-mcp-readme.test.ts",
    evidence: /Locally: gatepass dev as resource and authorization server/,
  },
  "curl -i http://127.0.0.1:4000/mcp": {
    test: "tests/e2e/dev-mcp-readme.test.ts",
    evidence: /Locally: gatepass dev as resource and authorization server/,
  },
  "curl -s http://127.0.0.1:4000/.well-known/oauth-protected-resource/mcp": {
    test: "tests/e2e/dev-mcp-readme.test.ts",
    evidence: /Locally: gatepass dev as resource and authorization server/,
  },
  "curl -s http://127.0.0.1:4000/.well-known/oauth-authorization-server": {
    test: "tests/e2e/dev-mcp-readme.test.ts",
    evidence: /Locally: gatepass dev as resource and authorization server/,
  },
  "curl -s http://127.0.0.1:4000/token -d scope=mcp:read -d aud=http://127.0.0.1:4000/mcp": {
    test: "tests/e2e/dev-mcp-readme.test.ts",
    evidence: /Locally: gatepass dev as resource and authorization server/,
  },
  "curl -s http://127.0.0.1:4000/token -d alg=RS256 -d aud=orders-api -d scope=orders:read": {
    test: "tests/e2e/dev-issuer-rs256.test.ts",
    evidence: /alg: "RS256", aud: "orders-api", scope: "orders:read"/,
  },
  // README.md, Certificate-bound tokens: mutual TLS locally (each run as printed)
  "npx gatepass keys generate --client-cert --out pki": { test: MTLS, evidence: /Mutual TLS locally/ },
  "npx gatepass dev --config mtls.json --tls --client-ca pki/ca.pem --port 4000": {
    test: MTLS,
    evidence: /Mutual TLS locally/,
  },
  [MTLS_BOUND]: { test: MTLS, evidence: /Mutual TLS locally/ },
  'curl -i --cacert .gatepass/dev-keys/tls-ca.pem --cert pki/client.pem --key pki/client.key.pem https://127.0.0.1:4000/orders -H "Authorization: Bearer $TOKEN"':
    { test: MTLS, evidence: /Mutual TLS locally/ },
  'curl -i --cacert .gatepass/dev-keys/tls-ca.pem https://127.0.0.1:4000/orders -H "Authorization: Bearer $TOKEN"':
    { test: MTLS, evidence: /Mutual TLS locally/ },
  [MTLS_UNBOUND]: { test: MTLS, evidence: /Mutual TLS locally/ },
  'curl -i --cacert .gatepass/dev-keys/tls-ca.pem --cert pki/client.pem --key pki/client.key.pem https://127.0.0.1:4000/orders -H "Authorization: Bearer $UNBOUND"':
    { test: MTLS, evidence: /Mutual TLS locally/ },
  "[--tls [--tls-cert FILE --tls-key FILE] [--client-ca TRUSTSTORE]]": { test: HERE, evidence: /dev --help/ },
  // README.md, The CLI in five minutes: the whole block, here
  "npx gatepass keys generate --alg ES256 --out keys": { test: HERE, evidence: /The CLI in five minutes/ },
  "npx gatepass keys check keys/public.jwks.json": { test: HERE, evidence: /The CLI in five minutes/ },
  'TOKEN=$(npx gatepass mint --key keys/private.jwk.json --iss https://login.example.com/ --aud orders-api --sub alice --scope "orders:read" --ttl 15m)':
    { test: HERE, evidence: /The CLI in five minutes/ },
  "cat > gatepass.json <<'JSON'": { test: HERE, evidence: /The CLI in five minutes/ },
  'npx gatepass inspect "$TOKEN" --config gatepass.json --route "GET /orders/7"': {
    test: HERE,
    evidence: /The CLI in five minutes/,
  },
  "npx gatepass bundle --out build --config gatepass.json": {
    test: HERE,
    evidence: /The CLI in five minutes/,
  },
  // README.md, Development (this repository's own scripts)
  "npm test": { test: ".ci/run", evidence: /npm test/ },
  "npm run typecheck": { test: "tests/package/scripts.test.ts", evidence: /npm run typecheck/ },
  "npm run build": { test: "package.json", evidence: /"test": "npm run lint && npm run build/ },
  "npm run format": { mark: "by hand" },
  "npm run bench": { test: "tests/bench/bench-quick.test.ts", evidence: /--quick/ },
  "npm run soak": { mark: "by hand" },
  // deploy/cdk/README.md
  "npm install gatepass": { test: "tests/package/install.test.ts", evidence: /npm install of the tarball/ },
  "npx gatepass bundle --out dist-lambda --config gatepass.config.json": {
    test: HERE,
    evidence: /deploy\/sam/,
  },
  // deploy/sam/README.md: the deploy block, here (sam recorded; tests/deploy/sam-deploy.test.ts parses it)
  "cat > gatepass.config.json <<'JSON'": { test: HERE, evidence: /deploy\/sam/ },
  "sam deploy --guided --template-file deploy/sam/template.yaml --parameter-overrides StageName=dev CorsAllowOrigin=https://app.example.com":
    { mark: "needs AWS credentials" },
  'npx gatepass inspect "$TOKEN" --config gatepass.config.json --route "GET /orders/42"': {
    mark: "needs your identity provider",
  },
  // deploy/serverless/README.md: run by tests/deploy/serverless-print.test.ts (deploy as `print`)
  "cd deploy/serverless": { test: "tests/deploy/serverless-print.test.ts", evidence: /README/ },
  "npx gatepass bundle --out dist-lambda": {
    test: "tests/deploy/serverless-print.test.ts",
    evidence: /gatepass bundle/,
  },
  'export GATEPASS_CONFIG="$(cat gatepass.config.json)"': {
    test: "tests/deploy/serverless-print.test.ts",
    evidence: /GATEPASS_CONFIG/,
  },
  "npx serverless deploy": { mark: "needs AWS credentials" },
};

/** Every printed command with the raw lines of its block (for marks, which live in comments). */
function printed(): { where: string; command: string; block: string }[] {
  return docFiles().flatMap((file) =>
    shBlocks(file).flatMap((block) =>
      commands(block.text).map((command) => ({ where: `${file}:${block.line}`, command, block: block.text })),
    ),
  );
}

describe("every documented command is tested or marked", () => {
  const all = printed();

  test("each printed command is in the table", () => {
    const missing = all.filter((c) => !(c.command in COVERED)).map((c) => `${c.where}: ${c.command}`);
    assert.deepEqual(missing, [], "add each to COVERED with the test that runs it, or mark it in the doc");
  });

  test("the table has no command the docs no longer print", () => {
    const seen = new Set(all.map((c) => c.command));
    assert.deepEqual(
      Object.keys(COVERED).filter((c) => !seen.has(c)),
      [],
    );
  });

  test("each tested command's test exists and shows it runs it; each marked one is marked in the doc", () => {
    for (const { where, command, block } of all) {
      const how = COVERED[command];
      if (how === undefined) continue;
      if ("test" in how) {
        const path = join(ROOT, how.test);
        assert.ok(existsSync(path), `${where}: ${how.test} does not exist`);
        assert.match(
          readFileSync(path, "utf8"),
          how.evidence,
          `${where}: ${how.test} does not run ${command}`,
        );
      } else {
        // The mark is a comment on the command's own lines or on the line just before it.
        const lines = block.split("\n");
        const code = (l: string) =>
          l
            .replace(/(^|\s)#.*$/, "")
            .replace(/\\$/, "")
            .trim();
        const first = lines.findIndex((l) => code(l) !== "" && command.startsWith(code(l)));
        assert.ok(first >= 0, `${where}: ${command}`);
        let last = first;
        while (lines[last]!.trimEnd().endsWith("\\")) last++;
        const near = lines.slice(Math.max(0, first - 1), last + 1).join("\n");
        assert.ok(near.includes(how.mark), `${where}: ${command} must say "${how.mark}" in a comment`);
      }
    }
  });
});

/** Runs a doc block in bash in `cwd` with `npx gatepass` as the built CLI and `sam` recorded. */
function runBlock(text: string, cwd: string): { status: number | null; stdout: string; stderr: string } {
  const script = [
    "set -euo pipefail",
    `npx() { if [ "$1" = gatepass ]; then shift; node ${JSON.stringify(CLI)} "$@"; else echo "npx $*" >&2; return 1; fi; }`,
    `sam() { printf 'sam %s\\n' "$*" >> sam-calls.txt; }`,
    text,
  ].join("\n");
  return spawnSync("bash", ["-c", script], { cwd, env: cleanEnv(), encoding: "utf8", timeout: 110_000 });
}

const TEST = { timeout: 120_000 };

test("README.md, The CLI in five minutes: the block runs as printed", TEST, () => {
  const block = shBlocks("README.md").find((b) => b.text.includes("npx gatepass keys generate --alg"));
  assert.ok(block);
  const cwd = tempDir("gatepass-doc-cli-");
  const run = runBlock(block.text, cwd);
  assert.equal(run.status, 0, run.stderr);
  for (const file of [
    "keys/private.jwk.json",
    "keys/public.jwks.json",
    "build/index.mjs",
    "build/function.zip",
  ])
    assert.ok(existsSync(join(cwd, file)), file);
});

test("deploy/sam/README.md: the deploy block runs as printed up to `sam deploy`", TEST, () => {
  const block = shBlocks("deploy/sam/README.md").find((b) => b.text.includes("sam deploy"));
  assert.ok(block);
  const cwd = tempDir("gatepass-doc-sam-");
  const run = runBlock(block.text, cwd);
  assert.equal(run.status, 0, run.stderr);
  assert.ok(existsSync(join(cwd, "dist-lambda", "index.mjs")), "the bundle the template's CodeUri names");
  const calls = readFileSync(join(cwd, "sam-calls.txt"), "utf8").trim().split("\n");
  assert.equal(calls.length, 1);
  assert.match(calls[0]!, /^sam deploy --guided --template-file deploy\/sam\/template\.yaml /);
  // The configuration is inside the bundle, validated (a typo would have failed the block above).
  assert.match(readFileSync(join(cwd, "dist-lambda", "index.mjs"), "utf8"), /orders-api/);
});

test("README.md, Local development: every option of the gatepass dev synopsis is in dev --help", TEST, () => {
  const help = spawnSync("node", [CLI, "dev", "--help"], {
    env: cleanEnv(),
    encoding: "utf8",
    timeout: 60_000,
  });
  assert.equal(help.status, 0, help.stderr);
  const synopsis = shBlocks("README.md").find((b) => b.text.startsWith("gatepass dev "));
  assert.ok(synopsis);
  for (const option of synopsis.text.match(/--[a-z-]+/g) ?? [])
    assert.ok(help.stdout.includes(option), option);
});
