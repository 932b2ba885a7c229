/**
 * The shell commands the docs print: README.md and deploy/*\/README.md, fenced `sh` blocks, with
 * `\` continuations joined and comments and heredoc bodies left out.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** README.md and every deploy/<tool>/README.md, repository-relative. */
export function docFiles(): string[] {
  const deploy = readdirSync(join(ROOT, "deploy"), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => `deploy/${entry.name}/README.md`);
  return ["README.md", ...deploy.sort()];
}

export interface ShBlock {
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  text: string;
}

/** The fenced ```sh blocks of one doc file. */
export function shBlocks(file: string): ShBlock[] {
  const lines = readFileSync(join(ROOT, file), "utf8").split("\n");
  const blocks: ShBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^```(sh|bash|shell)\s*$/.test(lines[i]!)) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i]!); i++) body.push(lines[i]!);
    blocks.push({ file: relative(ROOT, join(ROOT, file)), line: start + 1, text: body.join("\n") });
  }
  return blocks;
}

/** The commands of a block: continuation lines joined, comments, blank lines and heredoc bodies dropped. */
export function commands(block: string): string[] {
  const out: string[] = [];
  const lines = block.split("\n");
  let pending = "";
  let heredoc: string | undefined;
  for (const raw of lines) {
    if (heredoc !== undefined) {
      if (raw.trim() === heredoc) heredoc = undefined;
      continue;
    }
    const line = raw.replace(/(^|\s)#.*$/, "").trimEnd();
    if (line.endsWith("\\")) {
      pending += `${line.slice(0, -1).trim()} `;
      continue;
    }
    const command = (pending + line.trim()).trim();
    pending = "";
    if (command === "") continue;
    const marker = /<<-?\s*'?"?(\w+)'?"?/.exec(command);
    if (marker) heredoc = marker[1];
    out.push(command);
  }
  return out;
}
