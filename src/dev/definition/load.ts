import { readFileSync, statSync } from "node:fs";
import { basename, relative, resolve } from "node:path";
import { type ApiDraft, DefinitionError, finishApi } from "./build.js";
import { findModule } from "./handlers.js";
import { functionNameInArn, safeName } from "./intrinsics.js";
import type { ApiDefinition, ApiKind, DefinitionNote, HandlerReference } from "./model.js";
import { readOpenApi } from "./openapi.js";
import { readSam } from "./sam.js";
import { readServerless } from "./serverless.js";
import { DefinitionSyntaxError, isRecord, MAX_DEFINITION_BYTES, parseDefinitionText } from "./yaml.js";

/**
 * The one entry point: reads a SAM/CloudFormation template, a serverless.yml or an OpenAPI/Swagger
 * file into the {@link ApiDefinition}s the local gateway serves. Every refusal is an `Error` whose
 * message is one sentence (never a stack trace, never a value of the file).
 */
export interface DefinitionSource {
  /** A SAM or CloudFormation template (YAML or JSON). */
  template?: string;
  /** A serverless.yml (Serverless Framework v3/v4). */
  serverless?: string;
  /** An OpenAPI 3 or Swagger 2 document (YAML or JSON) with `x-amazon-apigateway-*` extensions. */
  openapi?: string;
  /** The folder relative paths are resolved against. */
  cwd: string;
  /**
   * Which API to serve when the file defines several: a logical id (`OrdersApi`), an API's `Name`,
   * or a kind (`rest`, `http`, `websocket`) when only one API is of that kind.
   */
  api?: string;
  /** Template parameter values (like `sam deploy --parameter-overrides`); they win over each `Default`. */
  parameters?: Record<string, string>;
  /** The stage: serverless `--stage` (`${opt:stage}`), or the stage of an OpenAPI file. */
  stage?: string;
  /**
   * OpenAPI files only: Lambda functions by ARN or function name → handler file (`src/orders.ts#handler`,
   * relative to `cwd`; export `handler` by default), for `aws_proxy` integrations and authorizers.
   */
  functions?: Record<string, string>;
  /** OpenAPI files only: the API type when the document does not say (`rest` or `http`). */
  kind?: "rest" | "http";
  /** serverless.yml only: the environment `${env:…}` reads (default `process.env`). */
  env?: Record<string, string | undefined>;
}

export function loadApiDefinitions(source: DefinitionSource): ApiDefinition[] {
  try {
    return load(source);
  } catch (error) {
    if (error instanceof DefinitionError || error instanceof DefinitionSyntaxError)
      throw new Error(error.message);
    if (error instanceof Error && error.constructor === Error) throw new Error(error.message);
    throw new Error("The API definition could not be read (an unexpected error; please report it).", {
      cause: error,
    });
  }
}

function load(source: DefinitionSource): ApiDefinition[] {
  const given = (["template", "serverless", "openapi"] as const).filter((k) => typeof source[k] === "string");
  if (given.length !== 1)
    throw new DefinitionError(
      given.length === 0
        ? "No API definition was given (a template, a serverless.yml or an OpenAPI file)."
        : "Give one API definition only (a template, a serverless.yml or an OpenAPI file).",
    );
  const which = given[0]!;
  const file = resolve(source.cwd, source[which]!);
  const label = relative(source.cwd, file) || basename(file);
  const value = readDefinition(file, label);
  if (!isRecord(value)) throw new DefinitionError(`${label} does not hold a mapping at its top level.`);

  if (which === "serverless") {
    const result = readServerless(value, {
      file,
      label,
      ...(source.stage !== undefined ? { stage: source.stage } : {}),
      env: source.env ?? process.env,
    });
    return choose(result.apis, source.api, label, true).map((d) =>
      finishApi(d, "serverless", file, result.notes),
    );
  }
  if (which === "template") {
    if (value.openapi !== undefined || value.swagger !== undefined)
      throw new DefinitionError(
        `${label} is an OpenAPI document, not a template; give it as an OpenAPI file.`,
      );
    const result = readSam(value, {
      file,
      label,
      ...(source.parameters ? { parameters: source.parameters } : {}),
      readFile: (path) => readDefinition(path, relative(source.cwd, path) || basename(path)),
    });
    return choose(result.apis, source.api, label, false).map((d) =>
      finishApi(d, result.format, file, result.notes),
    );
  }
  const notes: DefinitionNote[] = [];
  const noted = new Set<string>();
  const sink = {
    note(at: string, message: string) {
      const key = `${at}\u0000${message}`;
      if (!noted.has(key)) {
        noted.add(key);
        notes.push({ at, message });
      }
    },
  };
  const mapped = functionMap(source.functions ?? {}, source.cwd);
  const info = isRecord(value.info) ? value.info : {};
  const fileId = basename(file).replace(/\.(ya?ml|json)$/i, "");
  const draft = readOpenApi(value, {
    label,
    sink,
    at: "",
    id: typeof info.title === "string" && info.title.trim() !== "" ? info.title.trim() : fileId,
    ...(source.kind ? { kind: source.kind as ApiKind } : {}),
    ...(source.stage !== undefined ? { stage: source.stage } : {}),
    lambda: (text, at) => {
      const named = functionNameInArn(text);
      const spec =
        mapped.get(text) ?? (named ? (mapped.get(named.arn) ?? mapped.get(named.name)) : undefined);
      if (!spec) return null;
      if (!spec.exists)
        sink.note(
          at,
          "the handler file mapped to this function is not found; its routes answer as a failing integration.",
        );
      return { ...spec, functionName: named?.name ?? spec.functionName };
    },
    hint: (hint, at) => {
      const ref = handlerFromSpec(hint, resolve(file, ".."), hint);
      if (!ref.exists)
        sink.note(
          at,
          `the x-gatepass-handler file is not found; its routes answer as a failing integration.`,
        );
      return ref;
    },
  });
  if (draft.id !== fileId) draft.aliases.push(fileId);
  const format = value.swagger !== undefined ? "swagger" : "openapi";
  return choose([draft], source.api, label, false).map((d) => finishApi(d, format, file, notes));
}

/** Reads and parses one file, with the size cap checked before reading. */
function readDefinition(file: string, label: string): unknown {
  let size: number;
  try {
    const stat = statSync(file);
    if (!stat.isFile()) throw new DefinitionError(`${label} is not a file.`);
    size = stat.size;
  } catch (error) {
    if (error instanceof DefinitionError) throw error;
    throw new DefinitionError(`${label} does not exist or cannot be read.`);
  }
  if (size > MAX_DEFINITION_BYTES)
    throw new DefinitionError(
      `${label} is larger than ${MAX_DEFINITION_BYTES / (1024 * 1024)} MB, the most gatepass reads.`,
    );
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    throw new DefinitionError(`${label} cannot be read.`);
  }
  return parseDefinitionText(text.replace(/^\uFEFF/, ""), label);
}

/** `file[#export]` → a handler reference (export `handler` by default). */
function handlerFromSpec(spec: string, baseDir: string, functionName: string): HandlerReference {
  const hash = spec.lastIndexOf("#");
  const path = hash > 0 ? spec.slice(0, hash) : spec;
  const exportName = hash > 0 ? spec.slice(hash + 1) : "handler";
  const found = findModule(baseDir, path);
  return { file: found.file, exportName, exists: found.exists, functionName };
}

function functionMap(functions: Record<string, string>, cwd: string): Map<string, HandlerReference> {
  const map = new Map<string, HandlerReference>();
  for (const [key, spec] of Object.entries(functions)) map.set(key, handlerFromSpec(spec, cwd, key));
  return map;
}

/** The APIs to serve: all (`all`, when several are allowed), or the one `api` names. */
function choose(apis: ApiDraft[], api: string | undefined, label: string, all: boolean): ApiDraft[] {
  const names = () => apis.map((a) => `${a.id} (${a.kind})`).join(", ");
  if (apis.length === 0) throw new DefinitionError(`${label} defines no API.`);
  if (api === undefined) {
    if (apis.length === 1 || all) return apis;
    throw new DefinitionError(`${label} defines several APIs; choose one of ${names()}.`);
  }
  const byId = apis.filter((a) => a.id === api || a.aliases.includes(api));
  if (byId.length === 1) return byId;
  const byKind = apis.filter((a) => a.kind === api);
  if (byKind.length === 1) return byKind;
  throw new DefinitionError(
    byKind.length > 1 || byId.length > 1
      ? `${label} defines several APIs matching ${safeName(api)}; choose one of ${names()}.`
      : `${label} defines no API named ${safeName(api)}; choose one of ${names()}.`,
  );
}
