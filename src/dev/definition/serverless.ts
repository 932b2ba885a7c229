import { type ApiDraft, DefinitionError } from "./build.js";
import type { DefinitionNote } from "./model.js";

export interface ServerlessReadOptions {
  readonly file: string;
  readonly label: string;
  readonly stage?: string;
  readonly env: Record<string, string | undefined>;
}

/** Reads a serverless.yml (not yet available). */
export function readServerless(
  _doc: Record<string, unknown>,
  options: ServerlessReadOptions,
): { apis: ApiDraft[]; notes: DefinitionNote[] } {
  throw new DefinitionError(`${options.label}: reading serverless.yml is not available yet.`);
}
