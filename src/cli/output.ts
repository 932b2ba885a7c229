import { readFileSync } from "node:fs";
import { type Command, CommanderError, InvalidArgumentError } from "commander";
import { parseJsonText } from "../util/json.js";

/**
 * The CLI's one error type, its exit codes, and the runner that turns every failure into one line
 * on stderr. Commands throw {@link CliError} (or return an exit code from their action); only
 * {@link runCli} decides what the process exits with.
 */

/** Exit codes, the same for every command. */
export const ExitCode = {
  /** Done; for `inspect`, the token is valid (and allowed on `--route`). */
  OK: 0,
  /** The command ran and the answer is no, or it could not do its job (unreadable file, bad configuration). */
  FAILURE: 1,
  /** The command line itself is wrong: unknown option, missing argument, bad value. */
  USAGE: 2,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** A failure with a one-line, user-facing reason and the exit code that goes with it. */
export class CliError extends Error {
  override readonly name = "CliError";
  readonly exitCode: ExitCodeValue;
  constructor(message: string, exitCode: ExitCodeValue = ExitCode.FAILURE) {
    super(message);
    this.exitCode = exitCode;
  }
}

/** A usage error (exit 2). */
export const usageError = (message: string) => new CliError(message, ExitCode.USAGE);

/**
 * A value parser for commander options: `parse` throws an `Error` whose message says what is
 * expected; commander reports it as an invalid argument (exit 2).
 */
export function parser<T>(parse: (value: string) => T): (value: string) => T {
  return (value) => {
    try {
      return parse(value);
    } catch (error) {
      throw new InvalidArgumentError(error instanceof Error ? error.message : String(error));
    }
  };
}

/** Like {@link parser} for repeatable options: collects every value into an array. */
export function collect<T>(parse: (value: string) => T): (value: string, previous: T[] | undefined) => T[] {
  const one = parser(parse);
  return (value, previous) => [...(previous ?? []), one(value)];
}

let outcome: ExitCodeValue = ExitCode.OK;

/**
 * Wraps a command action. The action may return an exit code (e.g. `inspect` printed its report
 * and the token is invalid: 1) or throw a {@link CliError}.
 */
export function action<A extends unknown[]>(
  fn: (...args: A) => Promise<ExitCodeValue | undefined> | ExitCodeValue | undefined,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    const code = await fn(...args);
    if (code !== undefined) outcome = code;
  };
}

/**
 * What a terminal would act on rather than show: C0 controls but tab and newline (ESC starts a
 * sequence that can move the cursor, rewrite the title or clear the screen), DEL, the C1 controls
 * (U+009B is a one-character CSI) and the bidirectional overrides that reorder what is seen.
 */
const TERMINAL_CONTROLS =
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Text made safe to print: every terminal control becomes its visible `\uXXXX` escape. Tokens and
 * configurations are attacker-shaped, so every human output goes through this.
 */
function terminalSafe(text: string): string {
  return text.replace(TERMINAL_CONTROLS, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** Writes human output on stdout, terminal controls escaped (see {@link terminalSafe}). */
export function printHuman(text: string): void {
  process.stdout.write(terminalSafe(text));
}

/** One line, whatever the input: newlines folded, terminal controls escaped. */
function oneLine(text: string): string {
  return terminalSafe(text.replace(/\s*\n\s*/g, " ").trim());
}

/** Writes `gatepass: <reason>` on stderr. */
export function printError(message: string): void {
  process.stderr.write(`gatepass: ${oneLine(message)}\n`);
}

function configure(command: Command): void {
  command.exitOverride();
  command.configureOutput({
    // Commander's own error text becomes our one line (below); help asked for stays on stdout.
    outputError: () => {},
    writeErr: () => {},
  });
  command.showSuggestionAfterError(true);
  for (const sub of command.commands) configure(sub);
}

/** The one line for a command that needs a subcommand: `keys: a command is required (generate); see ...`. */
function missingSubcommand(program: Command, args: readonly string[]): string {
  let command = program;
  for (const arg of args) {
    const sub = command.commands.find((c) => c.name() === arg || c.aliases().includes(arg));
    if (!sub) break;
    command = sub;
  }
  const path: string[] = [];
  for (let c: Command | null = command; c; c = c.parent) path.unshift(c.name());
  const names = command.commands.map((c) => c.name()).join(", ");
  const prefix = path.length > 1 ? `${path.slice(1).join(" ")}: ` : "";
  return `${prefix}a command is required (${names}); see '${path.join(" ")} --help'`;
}

/**
 * Runs the program and returns the exit code: 0, the code an action returned, a
 * {@link CliError}'s code, 2 for every commander usage error, 1 for anything unexpected. Every
 * failure is one line on stderr; never a stack trace.
 */
export async function runCli(program: Command, argv: readonly string[]): Promise<ExitCodeValue> {
  configure(program);
  outcome = ExitCode.OK;
  try {
    await program.parseAsync([...argv], { from: "node" });
    return outcome;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) return ExitCode.OK; // --help, --version
      if (error.code === "commander.help") {
        printError(missingSubcommand(program, argv.slice(2)));
        return ExitCode.USAGE;
      }
      printError(error.message.replace(/^error: /, ""));
      return ExitCode.USAGE;
    }
    if (error instanceof CliError) {
      if (error.message) printError(error.message);
      return error.exitCode;
    }
    // Unexpected: still one line, the message only (it never holds key material: the library's
    // errors are written that way), and a pointer to what went wrong.
    printError(error instanceof Error ? `${error.message}` : String(error));
    return ExitCode.FAILURE;
  }
}

/**
 * Reads a JSON file given on the command line (`what` names it in messages: "configuration",
 * "key set"). Errors name the file and, for JSON, the position only: the content may be a secret.
 */
export function readJsonFile(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new CliError(
      `cannot read the ${what} ${path} (${(error as NodeJS.ErrnoException).code ?? "error"})`,
    );
  }
  try {
    return parseJsonText(text, path);
  } catch (error) {
    throw new CliError((error as Error).message);
  }
}
