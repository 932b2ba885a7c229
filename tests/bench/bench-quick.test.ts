/**
 * `npm run bench -- --quick` still works (bench/run.ts --quick on the built dist/): it exits 0 and prints every section's table and the
 * targets table. No timing assertion: the figures of a quick run are meaningless, and a shared CI
 * machine is no place to judge speed (run `npm run bench` by hand for that).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

function runQuickBench(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = {};
    for (const [name, value] of Object.entries(process.env)) {
      if (!name.startsWith("GATEPASS_") && name !== "NODE_OPTIONS" && name !== "NODE_TEST_CONTEXT")
        env[name] = value;
    }
    // What `npm run bench` runs after building dist/ (npm test has built it already; building
    // again here would rewrite dist/ under the tests running beside this one).
    const child = spawn(process.execPath, ["--import", "tsx", "bench/run.ts", "--quick"], { cwd: ROOT, env });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

test("npm run bench -- --quick exits 0 and prints every table", { timeout: 240_000 }, async () => {
  const { code, stdout, stderr } = await runQuickBench();
  assert.equal(code, 0, `exit code ${code}\n${stderr.slice(-3000)}`);
  for (const heading of [
    "### 1. Verification per algorithm",
    "### 2. One handler invocation per event type",
    "### 3. Repeated tokens (verified-token cache)",
    "### 4. Cold start",
    "### 5. JWKS under pressure",
    "### 6. The local gateway",
    "### 7. Memory",
    "### 8. Rule compilation",
    "### 9. Scaling with the configuration",
    "### 10. Key judging",
    "### Targets",
  ]) {
    assert.ok(stdout.includes(heading), `missing "${heading}" in:\n${stdout.slice(0, 2000)}`);
  }
  assert.doesNotMatch(stdout, /Failed to run/);
  // Every section prints at least one Markdown table: a header row followed by its rule.
  const tables = stdout.match(/^\| .+ \|\n\|(?:-{3}:?\|)+$/gm) ?? [];
  assert.ok(tables.length >= 9, `expected at least 9 tables, found ${tables.length}`);
  for (const row of [
    "| HS256 | gatepass |",
    "| HS256 | handler: REST TOKEN |",
    "| ES256 | handler: REST TOKEN |",
    "| RS256 | handler: REST TOKEN |",
    "| gatepass, cache hit |",
    "| gatepass `bundle --config`, secret only (HS256) |",
    "| jose, JWKS inline |",
    "| jose, JWKS fetched at init |",
    "| fast-jwt, JWKS inline |",
    "| fast-jwt, JWKS fetched at init |",
    "| aws-jwt-verify, JWKS inline |",
    "| jsonwebtoken + jwks-rsa, JWKS inline |",
    "| gatepass dev, result cache and verified-token cache off (every request verified) |",
    "| route rules (realistic) | 1,000 |",
    "| issuers | 100 |",
    "| JWKS size (ES256 keys, inline) | 100 |",
    "| context claims | 64 |",
  ]) {
    assert.ok(stdout.includes(row), `missing the row "${row}"`);
  }
});
