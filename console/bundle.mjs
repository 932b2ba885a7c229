/**
 * Bundles the dev console's page (index.html, style.css, main.ts and what it imports) into three
 * strings with esbuild: the page, one script, one style sheet. `scripts/build-cli.mjs` builds them
 * into the `gatepass` command; from source, `src/dev/console/assets.ts` calls this on first use.
 */
import { readFile } from "node:fs/promises";
import { build } from "esbuild";

const here = new URL("./", import.meta.url);

/** @returns {Promise<{ html: string, js: string, css: string }>} */
export async function bundleConsole() {
  const result = await build({
    entryPoints: [new URL("main.ts", here).pathname],
    bundle: true,
    write: false,
    format: "iife",
    platform: "browser",
    target: ["chrome110", "firefox110", "safari16"],
    minify: true,
    legalComments: "none",
    logLevel: "warning",
  });
  const [html, css] = await Promise.all([
    readFile(new URL("index.html", here), "utf8"),
    readFile(new URL("style.css", here), "utf8"),
  ]);
  return { html, js: result.outputFiles[0].text, css };
}
