/**
 * package: Biome (`npm run lint`) honours `.gitignore`, so a `gatepass bundle --out` inside the
 * repository (minified code, which fails every lint rule) does not break `npm test`. Checked on a
 * temporary project with this repository's biome.json and a git-ignored bundle in it.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { cleanupTempDirs, ROOT, tempDir } from "../e2e/cli-helpers.js";

const BIOME = join(ROOT, "node_modules", ".bin", "biome");

function lint(cwd: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(BIOME, ["lint", "--max-diagnostics=5", "."], { cwd, timeout: 30_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, output: stdout + stderr }),
    );
  });
}

function project(config: Record<string, unknown>): string {
  const dir = tempDir("gatepass-lint-");
  const { $schema: _, ...rest } = config;
  writeFileSync(join(dir, "biome.json"), JSON.stringify(rest, null, 2));
  writeFileSync(join(dir, ".gitignore"), "out/\n");
  mkdirSync(join(dir, "out"));
  writeFileSync(join(dir, "out", "index.mjs"), "var a=1;;debugger;export{a as handler};\n");
  writeFileSync(join(dir, "ok.ts"), "export const a = 1;\n");
  return dir;
}

after(() => cleanupTempDirs());

test("biome.json: a git-ignored bundle inside the repository is not linted", {
  timeout: 60_000,
}, async () => {
  const config = JSON.parse(readFileSync(join(ROOT, "biome.json"), "utf8")) as Record<string, unknown>;
  const result = await lint(project(config));
  assert.equal(result.code, 0, result.output);
  // The same project without the ignore file's help: the bundle fails the lint (the check above means something).
  const { vcs: _, ...withoutVcs } = config;
  const control = await lint(project(withoutVcs));
  assert.notEqual(control.code, 0, control.output);
  assert.match(control.output, /out[\\/]index\.mjs/);
});
