import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The package root, and the built CLI (`npm run build` first; `npm test` does). */
export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const CLI = join(ROOT, "dist", "cli", "main.js");

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Written to the child's stdin, then closed. */
  input?: string;
  /** Added to the environment; the parent's GATEPASS_* variables are never passed on. */
  env?: Record<string, string>;
  cwd?: string;
  timeoutMs?: number;
}

/** The parent's environment without gatepass's own variables, so tests do not depend on the shell. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith("GATEPASS_") && name !== "SECRET_KEY" && name !== "PORT") env[name] = value;
  }
  return { ...env, ...extra };
}

/** Runs `node dist/cli/main.js ...args` and resolves with its exit code and output (never rejects on exit codes). */
export function runCli(args: readonly string[], options: RunOptions = {}): Promise<CliResult> {
  return runNode([CLI, ...args], options);
}

/** Runs `node ...args`. */
export function runNode(args: readonly string[], options: RunOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      [...args],
      {
        cwd: options.cwd ?? ROOT,
        env: cleanEnv(options.env),
        timeout: options.timeoutMs ?? 30_000,
        maxBuffer: 16 * 1024 * 1024,
        encoding: "utf8",
      },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== "number") {
          reject(new Error(`${args.join(" ")}: ${error.message}\n${stderr}`));
          return;
        }
        resolve({ code: typeof error?.code === "number" ? error.code : 0, stdout, stderr });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
    else child.stdin?.end();
  });
}

/** A fresh directory under the OS temp dir; `cleanup()` removes every one made. */
const made: string[] = [];
export function tempDir(prefix = "gatepass-test-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}
export function cleanupTempDirs(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** True when `stderr` is exactly one `gatepass: ...` line with no stack trace. */
export function isOneLineError(stderr: string): boolean {
  const lines = stderr.split("\n").filter((l) => l.length > 0);
  return (
    lines.length === 1 &&
    lines[0]!.startsWith("gatepass: ") &&
    !/\n\s+at /.test(stderr) &&
    !stderr.includes("node:internal")
  );
}
