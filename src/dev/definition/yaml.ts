import { isAlias, isMap, isScalar, isSeq, LineCounter, type Node, parseDocument, type Tags } from "yaml";

/**
 * Parses an API definition (YAML or JSON) into plain values, with CloudFormation's short-form tags
 * (`!Ref X`, `!Sub …`, `!GetAtt A.B`, …) turned into their long form (`{ Ref: "X" }`,
 * `{ "Fn::Sub": … }`, `{ "Fn::GetAtt": ["A", "B"] }`), as CloudFormation reads them.
 *
 * Bounded: the text's size, the number of aliases, the number of values produced (alias
 * expansion: "billion laughs"), the nesting depth. A `__proto__` key is refused (no prototype
 * pollution through a definition). Errors are one sentence naming the line, never the file's text.
 */

/** Largest definition read, in bytes (AWS's own limit for a template body is far lower). */
export const MAX_DEFINITION_BYTES = 5 * 1024 * 1024;
/** Most aliases (`*name`) a definition may hold. */
export const MAX_ALIASES = 1000;
/** Most values a definition may expand to (aliases included). */
export const MAX_VALUES = 1_000_000;
/** Deepest nesting of mappings and sequences. */
export const MAX_DEPTH = 128;

/** Short form → long form. `GetAtt`'s scalar form `A.B.C` becomes `["A", "B.C"]`. */
const CFN_TAGS: Readonly<Record<string, string>> = {
  "!Ref": "Ref",
  "!Condition": "Condition",
  "!Sub": "Fn::Sub",
  "!GetAtt": "Fn::GetAtt",
  "!Join": "Fn::Join",
  "!Select": "Fn::Select",
  "!Split": "Fn::Split",
  "!If": "Fn::If",
  "!Equals": "Fn::Equals",
  "!Not": "Fn::Not",
  "!And": "Fn::And",
  "!Or": "Fn::Or",
  "!FindInMap": "Fn::FindInMap",
  "!Base64": "Fn::Base64",
  "!ImportValue": "Fn::ImportValue",
  "!GetAZs": "Fn::GetAZs",
  "!Cidr": "Fn::Cidr",
  "!Transform": "Fn::Transform",
  "!Length": "Fn::Length",
  "!ToJsonString": "Fn::ToJsonString",
};

/** The node kinds each tag accepts (as CloudFormation documents each function's arguments). */
const TAG_SHAPES: Readonly<Record<string, readonly ("scalar" | "seq" | "map")[]>> = {
  "!Ref": ["scalar"],
  "!Condition": ["scalar"],
  "!Sub": ["scalar", "seq"],
  "!GetAtt": ["scalar", "seq"],
  "!Join": ["seq"],
  "!Select": ["seq"],
  "!Split": ["seq"],
  "!If": ["seq"],
  "!Equals": ["seq"],
  "!Not": ["seq"],
  "!And": ["seq"],
  "!Or": ["seq"],
  "!FindInMap": ["seq"],
  "!Base64": ["scalar", "seq", "map"],
  "!ImportValue": ["scalar", "seq", "map"],
  "!GetAZs": ["scalar", "map"],
  "!Cidr": ["seq"],
  "!Transform": ["map"],
  "!Length": ["seq", "map"],
  "!ToJsonString": ["seq", "map"],
};

/** The tags declared to the parser: each keeps its node as is; {@link toPlain} builds the long form. */
const CUSTOM_TAGS: Tags = Object.entries(TAG_SHAPES).flatMap(([tag, shapes]) =>
  shapes.map((shape) =>
    shape === "scalar"
      ? { tag, resolve: (value: string) => value }
      : { tag, collection: shape, resolve: (value: unknown) => value as never },
  ),
);

/** YAML's own tags (`!!str`, `!!int`, …), which keep their meaning. */
const CORE_TAG = /^tag:yaml\.org,2002:(str|int|float|bool|null|map|seq)$/;

/** Readable words for the parser's error codes (its own messages may quote the text). */
const ERROR_WORDS: Readonly<Record<string, string>> = {
  DUPLICATE_KEY: "a key appears twice in one mapping",
  BAD_INDENT: "bad indentation",
  MISSING_CHAR: "a closing character is missing",
  MULTILINE_IMPLICIT_KEY: "a key spans several lines",
  BLOCK_AS_IMPLICIT_KEY: "a block is used as a key",
  UNEXPECTED_TOKEN: "unexpected text",
  BAD_ALIAS: "an alias is malformed",
  BAD_SCALAR_START: "a value starts with a reserved character",
  TAB_AS_INDENT: "a tab is used for indentation",
  MULTIPLE_DOCS: "the file holds several YAML documents",
  TAG_RESOLVE_FAILED: "a tag cannot be resolved",
};

export class DefinitionSyntaxError extends Error {
  override readonly name = "DefinitionSyntaxError";
}

/**
 * Parses `text` (the contents of `label`, a file name used in messages) and returns its plain
 * value. Throws {@link DefinitionSyntaxError} with one sentence on anything unreadable.
 */
export function parseDefinitionText(text: string, label: string): unknown {
  if (Buffer.byteLength(text, "utf8") > MAX_DEFINITION_BYTES)
    throw new DefinitionSyntaxError(
      `${label} is larger than ${MAX_DEFINITION_BYTES / (1024 * 1024)} MB, the most gatepass reads.`,
    );
  // JSON (a template or an OpenAPI export) takes the fast path; a JSON syntax error is reported by
  // the YAML parser below, which names its line.
  if (/^\s*[{[]/.test(text)) {
    let json: unknown;
    let parsed = false;
    try {
      json = JSON.parse(text);
      parsed = true;
    } catch {
      // fall through
    }
    if (parsed) {
      checkJson(json, label);
      return json;
    }
  }
  const lineCounter = new LineCounter();
  const line = (offset: number | undefined) => (offset === undefined ? 0 : lineCounter.linePos(offset).line);
  let doc: ReturnType<typeof parseDocument>;
  try {
    doc = parseDocument(text, {
      customTags: CUSTOM_TAGS,
      lineCounter,
      prettyErrors: false,
      // Checked below in linear time (the parser's own check is quadratic in a mapping's size).
      uniqueKeys: false,
      version: "1.2",
      schema: "core",
      strict: true,
      stringKeys: false,
    });
  } catch {
    throw new DefinitionSyntaxError(`${label} cannot be parsed as YAML or JSON.`);
  }
  const first = doc.errors[0];
  if (first) {
    const words = ERROR_WORDS[first.code] ?? first.code.toLowerCase().replaceAll("_", " ");
    throw new DefinitionSyntaxError(
      `${label} is not valid YAML or JSON: ${words} (line ${line(first.pos[0])}).`,
    );
  }
  // An unknown tag only warns; the walk below names it (with its line) when it reaches its node.

  // Values produced, aliases included: an alias costs the size of what it repeats ("billion laughs").
  let values = 0;
  const charge = (count: number) => {
    values += count;
    if (values > MAX_VALUES)
      throw new DefinitionSyntaxError(
        `${label} expands to more than ${MAX_VALUES} values (aliases repeated too often).`,
      );
  };
  const aliases = new Set<unknown>();
  /** Each anchored node converted once: its value (shared by every alias of it), size and height. */
  const anchored = new Map<unknown, { value: unknown; size: number; height: number }>();
  const anchorsByName = new Map<string, unknown>();
  /** The deepest level reached so far (aliases count with the height of what they repeat). */
  let deepest = 0;
  const tooDeep = () => new DefinitionSyntaxError(`${label} nests values deeper than ${MAX_DEPTH} levels.`);

  const toPlain = (node: unknown, depth: number): unknown => {
    if (depth > MAX_DEPTH) throw tooDeep();
    if (isAlias(node)) {
      aliases.add(node);
      if (aliases.size > MAX_ALIASES)
        throw new DefinitionSyntaxError(`${label} uses more than ${MAX_ALIASES} aliases.`);
      // The latest anchor of that name before the alias (the walk follows document order).
      const target = anchorsByName.get(node.source);
      const entry = target ? anchored.get(target) : undefined;
      if (!entry)
        throw new DefinitionSyntaxError(
          `${label} uses an alias that is undefined or inside its own anchor (line ${line(node.range?.[0])}).`,
        );
      if (depth + entry.height > MAX_DEPTH) throw tooDeep();
      deepest = Math.max(deepest, depth + entry.height);
      charge(entry.size);
      return entry.value;
    }
    deepest = Math.max(deepest, depth);
    if (!(node as Node | null)?.anchor) return convert(node, depth);
    anchorsByName.set((node as Node).anchor!, node);
    const outer = deepest;
    deepest = depth;
    const start = values;
    const value = convert(node, depth);
    anchored.set(node, { value, size: values - start, height: deepest - depth });
    deepest = Math.max(outer, deepest);
    return value;
  };

  const convert = (node: unknown, depth: number): unknown => {
    charge(1);
    if (node === null || node === undefined) return null;
    const tag = (node as Node).tag;
    let value: unknown;
    let shape: "scalar" | "seq" | "map";
    if (isScalar(node)) {
      shape = "scalar";
      value = node.value;
      if (typeof value === "bigint") value = Number(value);
    } else if (isSeq(node)) {
      shape = "seq";
      value = node.items.map((item) => toPlain(item, depth + 1));
    } else if (isMap(node)) {
      shape = "map";
      const object: Record<string, unknown> = {};
      for (const pair of node.items) {
        const key = toPlain(pair.key, depth + 1);
        if (key !== null && typeof key === "object")
          throw new DefinitionSyntaxError(
            `${label} uses a mapping or sequence as a key (line ${line((pair.key as Node | null)?.range?.[0])}).`,
          );
        const name = String(key);
        if (name === "__proto__")
          throw new DefinitionSyntaxError(
            `${label} uses the key "__proto__" (line ${line((pair.key as Node | null)?.range?.[0])}), which gatepass refuses.`,
          );
        if (Object.hasOwn(object, name))
          throw new DefinitionSyntaxError(
            `${label} is not valid YAML or JSON: a key appears twice in one mapping (line ${line((pair.key as Node | null)?.range?.[0])}).`,
          );
        object[name] = toPlain(pair.value, depth + 1);
      }
      value = object;
    } else {
      throw new DefinitionSyntaxError(`${label} holds a value gatepass cannot read.`);
    }
    if (!tag || CORE_TAG.test(tag)) return value;
    const longForm = CFN_TAGS[tag];
    const at = line((node as Node).range?.[0]);
    if (!longForm)
      throw new DefinitionSyntaxError(`${label} uses the unknown tag ${safeTag(tag)} (line ${at}).`);
    if (!TAG_SHAPES[tag]!.includes(shape))
      throw new DefinitionSyntaxError(
        `${label} uses ${tag} on a ${shapeWord(shape)} (line ${at}), which it does not take.`,
      );
    if (tag === "!GetAtt" && typeof value === "string") {
      const dot = value.indexOf(".");
      if (dot <= 0 || dot === value.length - 1)
        throw new DefinitionSyntaxError(`${label} uses !GetAtt without "Resource.Attribute" (line ${at}).`);
      return { [longForm]: [value.slice(0, dot), value.slice(dot + 1)] };
    }
    if (tag === "!Ref" || tag === "!Condition") {
      if (typeof value !== "string" || value === "")
        throw new DefinitionSyntaxError(`${label} uses ${tag} without a name (line ${at}).`);
    }
    return { [longForm]: value };
  };
  return toPlain(doc.contents, 0);
}

/** The bounds and refusals of the YAML path, for a value `JSON.parse` produced (no aliases there). */
function checkJson(root: unknown, label: string): void {
  let values = 0;
  const stack: [unknown, number][] = [[root, 0]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (depth > MAX_DEPTH)
      throw new DefinitionSyntaxError(`${label} nests values deeper than ${MAX_DEPTH} levels.`);
    if (++values > MAX_VALUES)
      throw new DefinitionSyntaxError(`${label} holds more than ${MAX_VALUES} values.`);
    if (Array.isArray(value)) for (const item of value) stack.push([item, depth + 1]);
    else if (typeof value === "object" && value !== null) {
      if (Object.hasOwn(value, "__proto__"))
        throw new DefinitionSyntaxError(`${label} uses the key "__proto__", which gatepass refuses.`);
      for (const item of Object.values(value)) stack.push([item, depth + 1]);
    }
  }
}

function shapeWord(shape: "scalar" | "seq" | "map"): string {
  return shape === "scalar" ? "scalar" : shape === "seq" ? "sequence" : "mapping";
}

/** A tag as written, shortened and restricted to printable characters (it is part of the file). */
function safeTag(tag: string): string {
  const clean = tag.replace(/[^\x21-\x7e]/g, "?");
  return clean.length > 40 ? `${clean.slice(0, 40)}…` : clean;
}

/** A plain mapping (not an array, not null). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
