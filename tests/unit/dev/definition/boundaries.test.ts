/**
 * The YAML parser is a devDependency, bundled into the `gatepass` command only: the library
 * (`gatepass`, `gatepass/lambda`) never imports it, so installing gatepass brings no dependency.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), "../../../../src");
const pkg = JSON.parse(readFileSync(join(SRC, "..", "package.json"), "utf8")) as {
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
};

/** Every package (bare specifier) the files reachable from `entry` import, static or dynamic. */
function packagesReachedFrom(entry: string): Set<string> {
  const packages = new Set<string>();
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file) || !existsSync(file)) return;
    seen.add(file);
    for (const ref of ts.preProcessFile(readFileSync(file, "utf8"), true, true).importedFiles) {
      const spec = ref.fileName;
      if (spec.startsWith(".")) visit(resolve(dirname(file), spec.replace(/\.js$/, ".ts")));
      else if (!spec.startsWith("node:")) packages.add(spec);
    }
  };
  visit(entry);
  return packages;
}

test("yaml is a devDependency, and neither gatepass nor gatepass/lambda reaches it", {
  timeout: 30_000,
}, () => {
  assert.ok(pkg.devDependencies?.yaml, "yaml is a devDependency");
  assert.equal(pkg.dependencies?.yaml, undefined);
  for (const entry of ["index.ts", "lambda/index.ts"]) {
    const reached = packagesReachedFrom(join(SRC, entry));
    assert.ok(!reached.has("yaml"), `${entry} reaches yaml`);
  }
  assert.ok(packagesReachedFrom(join(SRC, "dev/definition/load.ts")).has("yaml"));
});
