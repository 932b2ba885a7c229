/** Child processes for the benchmark: a clean environment, output capture, and timing to a marker line. */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

/** The repository root. */
export const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/**
 * The parent's environment without what would change a child's behaviour or start-up: gatepass's
 * own variables, `NODE_OPTIONS` (a loader would slow every start), `NODE_EXTRA_CA_CERTS` (a CA file
 * read at start-up; Lambda has none), `PORT`.
 */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (name.startsWith("GATEPASS_") || name.startsWith("NODE_") || name === "SECRET_KEY" || name === "PORT")
      continue;
    env[name] = value;
  }
  return { ...env, ...extra };
}

export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `node ...args` to completion. */
export function runNode(
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...args], { cwd: ROOT, env: options.env ?? cleanEnv() });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 120_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * Starts `node ...args` and resolves when a stdout line starts with `marker`: the milliseconds
 * from just before the spawn to that line, and the rest of the line. The child is then left to
 * exit (it is killed if it has not after 10 s).
 */
export function timeToLine(
  args: readonly string[],
  marker: string,
  env: NodeJS.ProcessEnv,
): Promise<{ ms: number; line: string }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [...args], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    let buffered = "";
    let stderr = "";
    let found: { ms: number; line: string } | undefined;
    const killer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      if (found) return;
      buffered += chunk;
      const at = buffered.indexOf(marker);
      if (at < 0) return;
      const end = buffered.indexOf("\n", at);
      if (end < 0) return;
      found = { ms: performance.now() - started, line: buffered.slice(at + marker.length, end).trim() };
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    child.on("error", reject);
    // Resolve on exit, so that the next measurement starts on an idle machine.
    child.on("close", (code) => {
      clearTimeout(killer);
      if (found) resolve(found);
      else
        reject(
          new Error(`node ${args.join(" ")} exited (${code}) without "${marker}": ${stderr.slice(0, 500)}`),
        );
    });
  });
}
