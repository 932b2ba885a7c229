/**
 * Runs every test file with node's test runner (TypeScript through tsx), and retries, once, a file
 * that timed out without running anything.
 *
 * Why the retry: on Node.js 20, tsx loads TypeScript through off-thread module hooks
 * (`module.register`), and a child process of the test runner now and then deadlocks while those
 * hooks start (its main thread waits on the hooks thread forever, at 0% CPU, before the first line
 * of the test file runs; nodejs/node#50948 is this class of deadlock). `--test-timeout` turns the
 * hang into a failure of that file after 300 s; such a file is run again on its own. A file that
 * fails any other way, or times out again, fails the run. Node 22.15+ runs hooks in-thread
 * (`module.registerHooks`), where this cannot happen.
 *
 * Usage: node scripts/run-tests.mjs   (from the package root; `npm run test:run`)
 */
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";

const ARGS = ["--import", "tsx", "--test", "--test-timeout=300000", "--test-concurrency=4"];

function testFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "node_modules" ? [] : testFiles(path);
    return entry.name.endsWith(".test.ts") ? [path] : [];
  });
}

/** Runs node's test runner on `files`, streaming its output; resolves with the code and the text. */
function run(files) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...ARGS, ...files], { stdio: ["ignore", "pipe", "inherit"] });
    const chunks = [];
    child.stdout.on("data", (chunk) => {
      chunks.push(chunk);
      process.stdout.write(chunk);
    });
    child.on("close", (code, signal) =>
      resolve({ code: code ?? (signal ? 1 : 0), text: Buffer.concat(chunks).toString() }),
    );
  });
}

/**
 * The files that failed as a whole by timing out. A file appears as a top-level entry named by its
 * path only when the file itself fails; with `testTimeoutFailure` it ran out of time. Returns null
 * when anything else failed too (then nothing is retried).
 */
function hungFiles(text) {
  const lines = text.split("\n");
  const hung = [];
  for (let i = 0; i < lines.length; i++) {
    const match = /^not ok \d+ - (.*)$/.exec(lines[i]);
    if (!match || / # TODO\b/.test(lines[i])) continue;
    const block = lines.slice(i + 1, i + 12).join("\n");
    if (match[1].endsWith(".test.ts") && /failureType: 'testTimeoutFailure'/.test(block)) hung.push(match[1]);
    else return null;
  }
  return hung;
}

const files = testFiles("tests").sort();
const first = await run(files);
if (first.code === 0) process.exit(0);
const hung = hungFiles(first.text);
if (hung === null || hung.length === 0) process.exit(first.code);
process.stdout.write(
  `\n# run-tests: ${hung.length} file(s) timed out as a whole; running them again once: ${hung.join(", ")}\n`,
);
const again = await run(hung);
process.exit(again.code);
