/**
 * Runs a section's measurements in a fresh Node process whose stdout is `/dev/null`, as Lambda's
 * own stdout is a real sink: gatepass's decision log line goes through `console.log` to a real file
 * descriptor (written, not formatted and dropped). The child's progress comes back on stderr, its
 * result over the IPC channel.
 *
 *   node --import tsx bench/lib/child-section-main.ts bench/sections/handler.ts handlerInChild [--quick]
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { cleanEnv, ROOT } from "./processes.js";
import type { BenchContext, SectionResult } from "./section.js";

const MAIN = join(ROOT, "bench", "lib", "child-section-main.ts");

/** Runs `exportName` of `file` (a `Section`, relative to the repository root) in a child process. */
export function runSectionInChild(
  file: string,
  exportName: string,
  context: BenchContext,
): Promise<SectionResult> {
  return new Promise((resolve, reject) => {
    const args = ["--import", "tsx", MAIN, file, exportName, ...(context.quick ? ["--quick"] : [])];
    // stdout: "ignore" is /dev/null, opened as a file: writes to it are synchronous system calls, as
    // a Lambda's writes to its log pipe are.
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: cleanEnv(),
      stdio: ["ignore", "ignore", "pipe", "ipc"],
    });
    let result: SectionResult | undefined;
    let stderr = "";
    let pending = "";
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
      pending += chunk;
      let end = pending.indexOf("\n");
      while (end >= 0) {
        const line = pending.slice(0, end);
        pending = pending.slice(end + 1);
        if (line.startsWith("bench: ")) context.progress(line.slice("bench: ".length));
        else stderr += `${line}\n`;
        end = pending.indexOf("\n");
      }
    });
    child.on("message", (message) => {
      result = message as SectionResult;
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (result !== undefined && code === 0) resolve(result);
      else reject(new Error(`${file} (${exportName}) exited with ${code}: ${stderr.slice(-1500)}`));
    });
  });
}
