/**
 * The console's page, script and style sheet, served from memory. `npm run build` bundles them
 * (`console/bundle.mjs`, esbuild) into the `gatepass` command itself; running from source (tests,
 * `tsx`), they are bundled once per process on first use, with the same function.
 */

/** Replaced by the bundled assets (a JSON string) when `scripts/build-cli.mjs` builds the command. */
declare const __GATEPASS_CONSOLE_ASSETS__: string | undefined;

export interface ConsoleAssets {
  readonly html: string;
  readonly js: string;
  readonly css: string;
}

let loading: Promise<ConsoleAssets> | undefined;

/** The console's assets. Rejects when they are neither built in nor can be bundled from source. */
export function loadConsoleAssets(): Promise<ConsoleAssets> {
  if (typeof __GATEPASS_CONSOLE_ASSETS__ === "string")
    return Promise.resolve(JSON.parse(__GATEPASS_CONSOLE_ASSETS__) as ConsoleAssets);
  loading ??= bundleFromSource();
  return loading;
}

async function bundleFromSource(): Promise<ConsoleAssets> {
  // Same depth from src/dev/console/ and dist/dev/console/: the package root's console/ folder.
  const bundler = new URL("../../../console/bundle.mjs", import.meta.url).href;
  const { bundleConsole } = (await import(bundler)) as {
    bundleConsole: () => Promise<ConsoleAssets>;
  };
  return bundleConsole();
}
