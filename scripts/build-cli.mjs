/**
 * Builds `dist/cli/main.js`, the `gatepass` command, as one file with its command-line parser
 * (commander) inside, so installing the package brings no runtime dependency. esbuild stays
 * outside: `gatepass bundle` loads it on demand (an optional peer dependency). Run after
 * `tsc -p tsconfig.build.json`, which builds the library (`dist/index.js`, `dist/lambda/`).
 * The dev console's page, script and style sheet (`console/`) are bundled first and built into
 * the command as one string: `gatepass dev` serves them from memory.
 */
import { rmSync } from "node:fs";
import { build } from "esbuild";
import { bundleConsole } from "../console/bundle.mjs";

const root = new URL("../", import.meta.url);
// tsc's per-file output of the command is replaced by the one file below.
rmSync(new URL("dist/cli", root), { recursive: true, force: true });
await build({
  entryPoints: [new URL("src/cli/main.ts", root).pathname],
  outfile: new URL("dist/cli/main.js", root).pathname,
  bundle: true,
  format: "esm",
  platform: "node",
  target: "node20",
  // @aws-sdk/client-dynamodb: the DPoP replay store's SDK, provided by Lambda's Node.js runtime and
  // loaded only when configured; never part of a gatepass bundle.
  external: ["esbuild", "@aws-sdk/client-dynamodb"],
  define: { __GATEPASS_CONSOLE_ASSETS__: JSON.stringify(JSON.stringify(await bundleConsole())) },
  legalComments: "inline",
  // commander is CommonJS: its require() calls of Node builtins need a require in this ES module.
  banner: {
    js: 'import { createRequire as __createRequire } from "node:module";\nconst require = __createRequire(import.meta.url);',
  },
  logLevel: "warning",
});
