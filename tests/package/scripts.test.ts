/**
 * package: the npm scripts keep their guarantees: every test has a timeout (a stalled test fails
 * instead of hanging CI), and the type check covers both TypeScript projects.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { ROOT } from "../e2e/cli-helpers.js";

const scripts = (
  JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }
).scripts;

test("npm test: every test has a timeout", { timeout: 10_000 }, () => {
  // The runner's arguments live in scripts/run-tests.mjs (it retries a file whose start deadlocked).
  assert.match(scripts["test:run"] ?? "", /node scripts\/run-tests\.mjs/);
  const runner = readFileSync(join(ROOT, "scripts", "run-tests.mjs"), "utf8");
  assert.match(runner, /"--test-timeout=\d+"/);
  assert.match(runner, /"--import", "tsx", "--test"/);
  assert.match(scripts.test ?? "", /test:run/);
});

test("npm run typecheck: the library, tests and bench, and deploy/cdk", { timeout: 10_000 }, () => {
  assert.match(scripts.typecheck ?? "", /tsc -p tsconfig\.json/);
  assert.match(scripts.typecheck ?? "", /tsc -p deploy\/cdk\/tsconfig\.json/);
  assert.match(scripts.test ?? "", /npm run typecheck/);
});
