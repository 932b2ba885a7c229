import { createHash } from "node:crypto";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { basename, extname, join, relative, resolve } from "node:path";

/**
 * TypeScript handlers as teams write them: a `.ts`/`.mts`/`.cts`/`.tsx` entry bundled with esbuild
 * (an optional peer dependency, loaded on first use) into one ES module under
 * `<cwd>/.gatepass/build/`, with an inline source map (stacks point at the `.ts` lines) and the
 * packages left external (they resolve from the project's own `node_modules`).
 */

/** Extensions compiled with esbuild; anything else is imported as is. */
export const TYPESCRIPT_EXTENSIONS: ReadonlySet<string> = new Set([".ts", ".mts", ".cts", ".tsx"]);

export const isTypeScript = (file: string) => TYPESCRIPT_EXTENSIONS.has(extname(file).toLowerCase());

/** A compile that failed: one sentence naming `file:line:column` of the first error. */
export class HandlerCompileError extends Error {
  override readonly name = "HandlerCompileError";
}

/** One successful compile. */
export interface CompiledHandler {
  /** The bundle written, absolute. */
  readonly outFile: string;
  /** Every source file of the bundle's input graph, absolute (the entry first). */
  readonly inputs: readonly string[];
}

type Esbuild = typeof import("esbuild");
let esbuild: Promise<Esbuild> | undefined;

/** esbuild, an optional peer dependency: only TypeScript handlers need it. */
function loadEsbuild(file: string): Promise<Esbuild> {
  esbuild ??= import("esbuild").catch((error: NodeJS.ErrnoException) => {
    esbuild = undefined;
    if (error.code !== "ERR_MODULE_NOT_FOUND" && error.code !== "MODULE_NOT_FOUND") throw error;
    throw new HandlerCompileError(
      `${file} is TypeScript: gatepass dev compiles it with esbuild, an optional peer dependency: npm install --save-dev esbuild (or give the compiled .js file)`,
    );
  });
  return esbuild;
}

interface EsbuildMessage {
  readonly text: string;
  readonly location?: { readonly file: string; readonly line: number; readonly column: number } | null;
}

/** `src/orders.ts:12:7: Expected ";" but found "x"` (and how many more), from esbuild's errors. */
function describeErrors(errors: readonly EsbuildMessage[], cwd: string, entry: string): string {
  const first = errors[0];
  if (first === undefined) return `cannot compile ${entry}`;
  const where = first.location
    ? `${first.location.file}:${first.location.line}:${first.location.column + 1}`
    : relative(cwd, entry);
  const more =
    errors.length > 1 ? ` (and ${errors.length - 1} more error${errors.length > 2 ? "s" : ""})` : "";
  return `cannot compile ${where}: ${first.text}${more}`;
}

/** Where builds go, with a `.gitignore` so they are never committed by accident. */
function buildDir(cwd: string): string {
  const dir = join(cwd, ".gatepass", "build");
  mkdirSync(dir, { recursive: true });
  const ignore = join(dir, ".gitignore");
  if (!existsSync(ignore)) writeFileSync(ignore, "*\n");
  return dir;
}

/**
 * Bundles `entry` (absolute) into `<cwd>/.gatepass/build/<name>-<hash>.mjs`. Rejects with a
 * {@link HandlerCompileError} naming the first error's `file:line:column`.
 */
export async function compileHandler(entry: string, cwd: string): Promise<CompiledHandler> {
  const shown = relative(cwd, entry) || entry;
  const { build } = await loadEsbuild(shown);
  const id = createHash("sha256").update(entry).digest("hex").slice(0, 10);
  const outFile = join(buildDir(cwd), `${basename(entry, extname(entry))}-${id}.mjs`);
  let result: import("esbuild").BuildResult<{ metafile: true; write: false }>;
  try {
    result = await build({
      entryPoints: [entry],
      absWorkingDir: cwd,
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      // Node maps stack frames through it (source maps enabled by the registry): the `.ts` lines.
      sourcemap: "inline",
      packages: "external",
      metafile: true,
      write: false,
      outfile: outFile,
      logLevel: "silent",
      // A CommonJS TypeScript entry (`.cts`) calls `require`, which an ES module does not have.
      ...(extname(entry).toLowerCase() === ".cts"
        ? {
            banner: {
              js: 'import { createRequire as __gatepassCreateRequire } from "node:module"; const require = __gatepassCreateRequire(import.meta.url);',
            },
          }
        : {}),
    });
  } catch (error) {
    const errors = (error as { errors?: EsbuildMessage[] }).errors;
    if (Array.isArray(errors)) throw new HandlerCompileError(describeErrors(errors, cwd, entry));
    throw new HandlerCompileError(
      `cannot compile ${shown}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const output = result.outputFiles.find((f) => f.path === outFile) ?? result.outputFiles[0];
  if (output === undefined) throw new HandlerCompileError(`cannot compile ${shown}: esbuild wrote nothing`);
  writeFileSync(outFile, output.contents);
  const inputs = Object.keys(result.metafile.inputs)
    .filter((p) => !p.includes(":")) // virtual modules (`<define>`, `node:…`)
    .map((p) => resolve(cwd, p));
  return { outFile, inputs: [entry, ...inputs.filter((p) => p !== entry)] };
}
