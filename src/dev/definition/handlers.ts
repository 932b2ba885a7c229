import { existsSync, statSync } from "node:fs";
import { extname, isAbsolute, join, resolve } from "node:path";
import type { HandlerReference } from "./model.js";

/** Source extensions a handler may be written in, in the order they are looked for. */
export const HANDLER_EXTENSIONS: readonly string[] = [".ts", ".mts", ".js", ".mjs", ".cjs"];

export interface HandlerSpec {
  /** The folder paths are relative to (the definition's folder joined with `CodeUri`). */
  readonly baseDir: string;
  /** Lambda's `Handler`: `path/file.export` (the module is everything before the first dot of the last segment). */
  readonly handler: string;
  readonly functionName: string;
  /** SAM `Metadata: BuildMethod: esbuild` `EntryPoints`: the TypeScript sources the built handler comes from. */
  readonly entryPoints?: readonly string[];
  readonly timeoutSeconds?: number;
  readonly environment?: Readonly<Record<string, string>>;
}

/** Splits `src/orders.handler` into `src/orders` and `handler` (Node.js runtime's rule). */
export function splitHandler(handler: string): { module: string; exportName: string } | undefined {
  const slash = handler.lastIndexOf("/");
  const dot = handler.indexOf(".", slash + 1);
  if (dot <= slash + 1 || dot === handler.length - 1) return undefined;
  return { module: handler.slice(0, dot), exportName: handler.slice(dot + 1) };
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The source file of `module` (a path without extension, or with one of {@link HANDLER_EXTENSIONS}). */
export function findModule(baseDir: string, module: string): { file: string; exists: boolean } {
  const base = isAbsolute(module) ? module : resolve(baseDir, module);
  if (HANDLER_EXTENSIONS.includes(extname(base))) return { file: base, exists: isFile(base) };
  for (const ext of HANDLER_EXTENSIONS) {
    if (isFile(base + ext)) return { file: base + ext, exists: true };
  }
  return { file: `${base}.js`, exists: false };
}

/**
 * The handler file of a function, and a note when it is missing. An esbuild-built SAM function
 * runs `EntryPoints` (TypeScript) under the name its `Handler` gives the built file.
 */
export function handlerReference(spec: HandlerSpec): { handler: HandlerReference; missing?: string } {
  const parts = splitHandler(spec.handler);
  const exportName = parts?.exportName ?? "handler";
  let found: { file: string; exists: boolean };
  if (spec.entryPoints && spec.entryPoints.length > 0) {
    const wanted = parts ? (parts.module.split("/").pop() ?? "") : "";
    const entry =
      spec.entryPoints.find((e) => stripExt(e.split("/").pop() ?? "") === wanted) ?? spec.entryPoints[0]!;
    found = findModule(spec.baseDir, entry);
  } else if (parts) {
    found = findModule(spec.baseDir, parts.module);
  } else {
    found = { file: join(spec.baseDir, spec.handler), exists: false };
  }
  const handler: HandlerReference = {
    file: found.file,
    exportName,
    exists: found.exists && existsSync(found.file),
    functionName: spec.functionName,
    ...(spec.timeoutSeconds !== undefined ? { timeoutSeconds: spec.timeoutSeconds } : {}),
    ...(spec.environment !== undefined ? { environment: spec.environment } : {}),
  };
  if (handler.exists) return { handler };
  const tried = parts ? `${parts.module}.{ts,mts,js,mjs,cjs}` : spec.handler;
  return {
    handler,
    missing: parts
      ? `the handler file of function ${spec.functionName} (${tried}) is not found; its routes answer as a failing integration.`
      : `the Handler of function ${spec.functionName} is not "file.export"; its routes answer as a failing integration.`,
  };
}

function stripExt(name: string): string {
  const ext = extname(name);
  return ext ? name.slice(0, -ext.length) : name;
}
