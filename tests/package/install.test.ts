/**
 * package: the tarball `npm pack` makes, installed into an empty project with `npm install
 * --offline` (it needs nothing from the registry): no runtime dependency comes along, `import`
 * works, `require` works or says what to do, and the `gatepass` command runs from the install.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { cleanEnv, cleanupTempDirs, ROOT, runNode, tempDir } from "../e2e/cli-helpers.js";

const exec = promisify(execFile);
const npm = (args: string[], cwd: string) =>
  exec("npm", [...args, "--no-audit", "--no-fund", "--loglevel=error"], {
    cwd,
    env: cleanEnv(),
    timeout: 90_000,
  });

let project: string;
let packed: string[];

before(async () => {
  const out = tempDir("gatepass-pack-");
  // --ignore-scripts: pack the dist/ that `npm test` built, without rebuilding it under other tests.
  const { stdout } = await npm(["pack", "--ignore-scripts", "--json", "--pack-destination", out], ROOT);
  const [info] = JSON.parse(stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  assert.ok(info);
  packed = info.files.map((f) => f.path);
  project = tempDir("gatepass-install-");
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "consumer", private: true }));
  await npm(["install", "--offline", "--ignore-scripts", join(out, info.filename)], project);
});

after(() => cleanupTempDirs());

const node = (code: string, type: "module" | "commonjs" = "module") =>
  runNode([`--input-type=${type}`, "-e", code], { cwd: project });

describe("npm pack, then npm install of the tarball", { timeout: 180_000, concurrency: true }, () => {
  test("installs no runtime dependency: node_modules holds gatepass alone", () => {
    const installed = readdirSync(join(project, "node_modules")).filter((n) => !n.startsWith("."));
    assert.deepEqual(installed, ["gatepass"]);
  });

  test("the tarball: the built library and command, the CommonJS stubs, LICENSE; no sources or tests", () => {
    for (const file of ["LICENSE", "README.md", "package.json", "dist/index.js", "dist/index.d.ts"])
      assert.ok(packed.includes(file), `${file} is packed`);
    for (const file of ["dist/lambda/index.js", "dist/cli/main.js", "cjs/require.cjs", "cjs/lambda.cjs"])
      assert.ok(packed.includes(file), `${file} is packed`);
    // dist/dev/ is in the one-file command already; nothing else imports it.
    for (const file of packed) assert.doesNotMatch(file, /^(src|tests|bench|scripts|deploy|dist\/dev)\//);
  });

  test("import works: gatepass and gatepass/lambda", async () => {
    const env = JSON.stringify({
      issuers: [{ issuer: "https://id.example.com/", audience: ["a"], secret: "k".repeat(32) }],
      logLevel: "silent",
    });
    const result = await runNode(
      [
        "--input-type=module",
        "-e",
        `const g = await import("gatepass"); const l = await import("gatepass/lambda");
         process.stdout.write(typeof g.createAuthorizer + " " + typeof l.handler);`,
      ],
      { cwd: project, env: { GATEPASS_CONFIG: env } },
    );
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, "function function");
  });

  test("require('gatepass') loads the ES module where Node.js can, or fails naming import", async () => {
    const result = await node(
      'const g = require("gatepass"); process.stdout.write(typeof g.createVerifier);',
      "commonjs",
    );
    // Node.js 20.19+ and 22.12+ require() ES modules; older versions get the stub's message.
    if (result.code === 0) assert.equal(result.stdout, "function");
    else assert.match(result.stderr, /gatepass is an ES module: use import/);
  });

  test("gatepass/cdk is packed; aws-cdk-lib stays an optional peer: only gatepass/cdk asks for it", async () => {
    assert.ok(packed.includes("dist/cdk/index.js"), "dist/cdk/index.js is packed");
    assert.ok(packed.includes("dist/cdk/index.d.ts"), "dist/cdk/index.d.ts is packed");
    const cdk = await node('await import("gatepass/cdk")');
    assert.notEqual(cdk.code, 0);
    assert.match(cdk.stderr, /Cannot find package 'aws-cdk-lib'/);
  });

  test("require('gatepass/lambda') fails with a message saying what to do", async () => {
    const result = await node('require("gatepass/lambda")', "commonjs");
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /gatepass\/lambda is an ES module with top-level await/);
    assert.match(result.stderr, /index\.handler/);
  });

  test("the gatepass command runs from the install; bundle without esbuild says how to get it", async () => {
    const bin = join(project, "node_modules", ".bin", "gatepass");
    const version = await runNode([bin, "--version"], { cwd: project });
    assert.equal(version.code, 0, version.stderr);
    assert.match(version.stdout, /^\d+\.\d+\.\d+/);
    const bundled = await runNode([bin, "bundle", "--out", join(project, "out")], { cwd: project });
    assert.equal(bundled.code, 1);
    assert.match(
      bundled.stderr,
      /needs esbuild, an optional peer dependency: npm install --save-dev esbuild/,
    );
    assert.equal(bundled.stderr.trim().split("\n").length, 1, bundled.stderr);
  });
});
