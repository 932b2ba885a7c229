#!/usr/bin/env node
/**
 * The `gatepass` command: registers the commands, nothing else. Each command lives in
 * `commands/`, is a thin shell over the library, and reports failures through `output.ts`.
 */
import { readFileSync } from "node:fs";
import { Command } from "commander";
import { bundleCommand } from "./commands/bundle.js";
import { devCommand } from "./commands/dev.js";
import { inspectCommand } from "./commands/inspect.js";
import { keysCommand } from "./commands/keys.js";
import { mintCommand } from "./commands/mint.js";
import { resourceCommand } from "./commands/resource.js";
import { runCli } from "./output.js";

/** The package version, read from package.json (two levels up from dist/cli/ and src/cli/). */
function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
      version?: unknown;
    };
    return typeof pkg.version === "string" ? pkg.version : "0.0.0";
  } catch {
    return "0.0.0";
  }
}

const program = new Command("gatepass")
  .description(
    "JWT authorizers for AWS API Gateway: keys, tokens, inspection, Lambda bundles and a local gateway.",
  )
  .version(packageVersion(), "-V, --version", "print the version")
  .helpOption("-h, --help", "show help")
  .helpCommand(false);

program.addCommand(keysCommand());
program.addCommand(mintCommand());
program.addCommand(inspectCommand());
program.addCommand(bundleCommand());
program.addCommand(devCommand());
program.addCommand(resourceCommand());

process.exitCode = await runCli(program, process.argv);
