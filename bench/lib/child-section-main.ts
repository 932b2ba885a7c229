/**
 * The child side of `runSectionInChild` (`child-section.ts`): imports the section named on the
 * command line, runs it, and sends its result to the parent. Its stdout is /dev/null.
 */
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { ROOT } from "./processes.js";
import type { Section } from "./section.js";

const [file, exportName, flag] = process.argv.slice(2) as [string, string, string | undefined];
const module = (await import(pathToFileURL(join(ROOT, file)).href)) as Record<string, Section>;
const section = module[exportName];
if (section === undefined) throw new Error(`${file} exports no ${exportName}`);
const result = await section.run({
  quick: flag === "--quick",
  progress: (message) => process.stderr.write(`bench: ${message}\n`),
});
process.send!(result, () => process.exit(0));
