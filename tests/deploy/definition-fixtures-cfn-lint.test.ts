/**
 * The SAM templates the local gateway's end-to-end tests serve (tests/fixtures/apis/sam-*) are
 * templates AWS would accept: cfn-lint passes them, SAM transform included. Skipped without cfn-lint.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), "..", "fixtures", "apis");

/** cfn-lint: on PATH, or where pyenv puts it on these machines. */
function cfnLint(): string | undefined {
  const which = spawnSync("bash", ["-c", "command -v cfn-lint"], { encoding: "utf8" });
  if (which.status === 0 && which.stdout.trim() !== "") return which.stdout.trim();
  const pyenv = join(process.env.HOME ?? "/root", ".pyenv", "shims", "cfn-lint");
  return existsSync(pyenv) ? pyenv : undefined;
}

const CFN_LINT = cfnLint();

// One cfn-lint run for both templates: about 3 s idle, over a minute while the whole suite runs on two cores.
test("cfn-lint passes the SAM fixtures sam-rest and sam-http (SAM transform included)", {
  timeout: 280_000,
  skip: CFN_LINT ? false : "cfn-lint is not installed (pip install cfn-lint where PyPI is reachable)",
}, async () => {
  const templates = ["sam-rest", "sam-http"].map((name) => join(FIXTURES, name, "template.yaml"));
  const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    const child = spawn(CFN_LINT!, templates, { timeout: 250_000 });
    let output = "";
    child.stdout.on("data", (chunk) => {
      output += chunk;
    });
    child.stderr.on("data", (chunk) => {
      output += chunk;
    });
    child.once("error", reject);
    child.once("close", (exit) => resolve({ code: exit, output }));
  });
  assert.equal(code, 0, output);
});
