import { existsSync } from "node:fs";
import { relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { compileHandler, HandlerCompileError, isTypeScript } from "./compile.js";
import type { LambdaHandler } from "./types.js";

/**
 * Importing one version of a handler file: TypeScript through esbuild (`compile.ts`), JavaScript
 * as is; a version number busts the module cache, so a reload really re-evaluates the file.
 */

/** A handler in a file: the `#export` of `file` (absolute). */
export interface HandlerRef {
  readonly file: string;
  readonly exportName: string;
  /** How messages name the file [its path relative to `cwd`]. */
  readonly shown?: string;
}

/** Splits `FILE#export` (export `handler` by default) and resolves the file against `cwd`. */
export function parseHandlerSpec(spec: string, cwd: string): HandlerRef & { readonly shown: string } {
  const hash = spec.lastIndexOf("#");
  const file = hash <= 0 ? spec : spec.slice(0, hash);
  const exportName = hash <= 0 || spec.slice(hash + 1) === "" ? "handler" : spec.slice(hash + 1);
  return { file: resolve(cwd, file), exportName, shown: file };
}

/** One loaded version: the function, and the files whose change makes it stale. */
export interface LoadedHandler {
  readonly handler: LambdaHandler;
  readonly inputs: readonly string[];
}

/** Picks `exportName` from an imported module (a CommonJS module puts its exports under `default`). */
function pickExport(mod: Record<string, unknown>, exportName: string, shown: string): LambdaHandler {
  let fn = mod[exportName];
  if (typeof fn !== "function" && typeof mod.default === "object" && mod.default !== null) {
    fn = (mod.default as Record<string, unknown>)[exportName];
  }
  if (typeof fn !== "function") {
    const names = Object.keys(mod).filter((k) => typeof mod[k] === "function");
    throw new Error(
      `${shown} has no function export "${exportName}"${names.length ? ` (found: ${names.join(", ")})` : ""}`,
    );
  }
  return fn as LambdaHandler;
}

let sourceMapsOn = false;

/**
 * Imports version `version` of `ref` (0: the first). Rejects with an `Error` of one sentence: the
 * file is missing, does not compile (`file:line:column`), fails to load, or lacks the export.
 */
export async function importHandler(ref: HandlerRef, cwd: string, version = 0): Promise<LoadedHandler> {
  const shown = ref.shown ?? (relative(cwd, ref.file) || ref.file);
  if (!existsSync(ref.file)) throw new Error(`cannot find ${shown}`);
  let url: string;
  let inputs: readonly string[];
  if (isTypeScript(ref.file)) {
    const compiled = await compileHandler(ref.file, cwd);
    // Stack frames of the bundle are mapped back to the `.ts` lines through its inline source map.
    if (!sourceMapsOn) {
      process.setSourceMapsEnabled(true);
      sourceMapsOn = true;
    }
    url = pathToFileURL(compiled.outFile).href;
    inputs = compiled.inputs;
  } else {
    url = pathToFileURL(ref.file).href;
    inputs = [ref.file];
  }
  let mod: Record<string, unknown>;
  try {
    mod = (await import(version === 0 ? url : `${url}?v=${version}`)) as Record<string, unknown>;
  } catch (error) {
    if (error instanceof HandlerCompileError) throw error;
    throw new Error(`cannot load ${shown}: ${error instanceof Error ? error.message : String(error)}`);
  }
  return { handler: pickExport(mod, ref.exportName, shown), inputs };
}
