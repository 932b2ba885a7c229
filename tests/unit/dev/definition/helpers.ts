import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The committed fixtures of API definitions. */
export const FIXTURES = resolve(dirname(fileURLToPath(import.meta.url)), "../../../fixtures/apis");

const made: string[] = [];

/** A temporary folder holding `files` (path → content); removed by {@link cleanUp}. */
export function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "gatepass-definition-"));
  made.push(dir);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

export function cleanUp(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** A handler reference as the readers write it (no optional field unless given). */
export function handler(
  file: string,
  functionName: string,
  extra: {
    exportName?: string;
    exists?: boolean;
    timeoutSeconds?: number;
    environment?: Record<string, string>;
  } = {},
) {
  const { exportName = "handler", exists = true, ...rest } = extra;
  return { file, exportName, exists, functionName, ...rest };
}
