/**
 * One cold start, as Lambda does it: a fresh Node process imports the handler module, invokes it
 * once with the event in BENCH_EVENT, prints `BENCH_ANSWER <json>` and exits. With `--empty`, it
 * imports nothing and answers at once: the empty Node process that cold starts are measured against.
 *
 *   node bench/peers/invoke-once.mjs /path/to/index.mjs
 *   node bench/peers/invoke-once.mjs --empty
 */
import { pathToFileURL } from "node:url";

const target = process.argv[2];
let answer = {};
if (target !== "--empty") {
  const event = JSON.parse(process.env.BENCH_EVENT ?? "{}");
  const { handler } = await import(pathToFileURL(target).href);
  try {
    answer = await handler(event, { awsRequestId: "cold-start" });
  } catch (error) {
    answer = { error: error instanceof Error ? error.message : String(error) };
  }
}
process.stdout.write(`BENCH_ANSWER ${JSON.stringify(answer)}\n`);
process.exit(0);
