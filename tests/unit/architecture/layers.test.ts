import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, posix, relative, sep } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import ts from "typescript";

/**
 * The layer order of `src/`: a module may import from its own folder and from lower layers only.
 * Folders on one line are peers and may not import each other.
 *
 *   util, errors, log          leaf helpers (no gatepass imports beyond each other)
 *   config                     the configuration's shape
 *   keys                       secrets, PEM, JWKS, discovery
 *   token                      decode, verify, sign
 *   rules                      compile route rules, route matching, decide
 *   policy                     ARNs, IAM globs, plan, overlap, policy documents, context
 *   adapters, backend          authorizer events → AuthRequest; backend side: read the authorizer context
 *   lambda                     the composition root (createAuthorizer, gatepass/lambda)
 *   inspect                    why a token is accepted or refused (gatepass inspect, the dev console)
 *   dev, cdk                   the local gateway; the CDK construct (gatepass/cdk)
 *   cli                        the command line (runs dev)
 *   index                      the public surface
 */
const LAYERS: readonly (readonly string[])[] = [
  ["util", "errors", "log"],
  ["config"],
  ["keys"],
  ["token"],
  ["rules"],
  ["policy"],
  ["adapters", "backend"],
  ["lambda"],
  ["inspect"],
  ["dev", "cdk"],
  ["cli"],
  ["index"],
];

/**
 * Imports against the order that exist today and are removed with the configuration's redesign
 * (`config/` checks shape only; key import and rule compilation move to their own layers). Each
 * entry is `from -> to`, paths relative to `src/`. Shrink this list; never grow it. An entry that no
 * longer matches an import fails the test, so the list cannot go stale.
 */
const KNOWN_BACK_EDGES: readonly string[] = [
  // None: config/ checks shape only; keys are judged and rules compiled by their own modules,
  // called from the composition root (lambda/config.ts).
];

const SRC = join(dirname(fileURLToPath(import.meta.url)), "../../../src");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

/** `src/`-relative POSIX path. */
const rel = (path: string) => relative(SRC, path).split(sep).join(posix.sep);

/** Every relative import of every file (static, `export … from`, dynamic `import("…")`, type-only). */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles(SRC)) {
    const info = ts.preProcessFile(readFileSync(file, "utf8"), true, true);
    const targets = info.importedFiles
      .map((ref) => ref.fileName)
      .filter((spec) => spec.startsWith("."))
      .map((spec) => rel(join(dirname(file), spec.replace(/\.js$/, ".ts"))));
    graph.set(rel(file), targets);
  }
  return graph;
}

/** The layer a file belongs to: its top folder, or its own name for a file directly in `src/`. */
function folderOf(file: string): string {
  const [top, ...rest] = file.split("/");
  return rest.length > 0 ? top! : top!.replace(/\.ts$/, "");
}

function rankOf(folder: string): number {
  const rank = LAYERS.findIndex((layer) => layer.includes(folder));
  assert.notEqual(rank, -1, `src/${folder} is in no layer: add it to LAYERS in this test`);
  return rank;
}

/** `from -> to` for every import that does not point to its own folder or a lower layer. */
function backEdges(graph: Map<string, string[]>): string[] {
  const out: string[] = [];
  for (const [from, targets] of graph) {
    const folder = folderOf(from);
    for (const to of targets) {
      const target = folderOf(to);
      if (target === folder) continue;
      if (rankOf(target) >= rankOf(folder)) out.push(`${from} -> ${to}`);
    }
  }
  return out.sort();
}

/** Strongly connected components with more than one file (Tarjan), each sorted. */
function cycles(graph: Map<string, string[]>, skip: ReadonlySet<string>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  let next = 0;
  const visit = (node: string) => {
    index.set(node, next);
    low.set(node, next);
    next++;
    stack.push(node);
    onStack.add(node);
    for (const to of graph.get(node) ?? []) {
      if (skip.has(`${node} -> ${to}`) || !graph.has(to)) continue;
      if (!index.has(to)) {
        visit(to);
        low.set(node, Math.min(low.get(node)!, low.get(to)!));
      } else if (onStack.has(to)) low.set(node, Math.min(low.get(node)!, index.get(to)!));
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1) out.push(component.sort());
    }
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return out;
}

describe("architecture: layers of src/", { timeout: 30_000 }, () => {
  const graph = importGraph();

  it("every import points to its own folder or a lower layer (util, errors ← config ← keys ← token ← rules ← policy ← adapters ← lambda ← dev ← cli)", () => {
    const known = new Set(KNOWN_BACK_EDGES);
    const found = backEdges(graph);
    const unexpected = found.filter((edge) => !known.has(edge));
    assert.deepEqual(unexpected, [], `imports against the layer order:\n  ${unexpected.join("\n  ")}`);
    const stale = KNOWN_BACK_EDGES.filter((edge) => !found.includes(edge));
    assert.deepEqual(stale, [], `no longer imported: remove from KNOWN_BACK_EDGES:\n  ${stale.join("\n  ")}`);
  });

  it("the known back edges are the configuration's only", () => {
    for (const edge of KNOWN_BACK_EDGES) assert.ok(edge.startsWith("config/"), edge);
  });

  it("no two files of src/ import each other, directly or through others", () => {
    const found = cycles(graph, new Set(KNOWN_BACK_EDGES));
    assert.deepEqual(found, [], `import cycles:\n  ${found.map((c) => c.join(" ⇄ ")).join("\n  ")}`);
  });

  it("every import names a file that exists", () => {
    const missing = [...graph].flatMap(([from, targets]) =>
      targets.filter((to) => !graph.has(to)).map((to) => `${from} -> ${to}`),
    );
    assert.deepEqual(missing, []);
  });
});
