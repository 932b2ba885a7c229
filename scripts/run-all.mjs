/**
 * Runs shell commands at the same time; exits non-zero when any fails. The first command's output
 * streams; the others' is buffered and printed after it, so outputs do not interleave. `npm test`
 * uses it to type-check while the tests run (the type checker mostly waits on parsing declaration
 * files; the tests mostly wait on child processes and sockets).
 *
 * Usage: node scripts/run-all.mjs "<command>" "<command>" ...
 */
import { spawn } from "node:child_process";

const commands = process.argv.slice(2);
const runs = commands.map(
  (command, i) =>
    new Promise((resolve) => {
      const child = spawn(command, { shell: true, stdio: i === 0 ? "inherit" : ["ignore", "pipe", "pipe"] });
      const output = [];
      child.stdout?.on("data", (chunk) => output.push(chunk));
      child.stderr?.on("data", (chunk) => output.push(chunk));
      child.on("close", (code, signal) => resolve({ command, code: code ?? (signal ? 1 : 0), output }));
    }),
);
let failed = false;
for (const run of await Promise.all(runs)) {
  if (run.output.length > 0) process.stdout.write(Buffer.concat(run.output));
  if (run.code !== 0) {
    failed = true;
    process.stderr.write(`run-all: "${run.command}" exited with ${run.code}\n`);
  }
}
process.exit(failed ? 1 : 0);
