/**
 * `src/config/` checks the configuration's shape only: it imports nothing from `keys/`, `token/` or
 * `rules/` (they import it), so following the configuration never climbs back up, and the cycles
 * `token/verifier → config/schema → token/decode` and `config ⇄ keys` cannot come back.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";

const SRC = fileURLToPath(new URL("../../../src/", import.meta.url));

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? files(join(dir, entry.name))
      : entry.name.endsWith(".ts")
        ? [join(dir, entry.name)]
        : [],
  );
}

/** Relative imports and re-exports of every file under src/, as paths relative to src/ (`config/schema.ts`). */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of files(SRC)) {
    const text = readFileSync(file, "utf8");
    const targets = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^;]*?from\s+"(\.[^"]+)"/g)].map((m) =>
      relative(SRC, resolve(dirname(file), m[1]!)).replace(/\.js$/, ".ts"),
    );
    graph.set(relative(SRC, file), targets);
  }
  return graph;
}

const folder = (path: string) => path.split("/")[0]!;

describe("config/ is the bottom layer", () => {
  test("config/ imports nothing from keys/, token/ or rules/", () => {
    const upward = [...importGraph()]
      .filter(([file]) => folder(file) === "config")
      .flatMap(([file, targets]) =>
        targets.filter((t) => ["keys", "token", "rules"].includes(folder(t))).map((t) => `${file} → ${t}`),
      );
    assert.deepEqual(upward, []);
  });

  test("no import cycle passes through config/ (folder level)", () => {
    const folders = new Map<string, Set<string>>();
    for (const [file, targets] of importGraph()) {
      const from = folder(file);
      for (const t of targets)
        if (folder(t) !== from) (folders.get(from) ?? folders.set(from, new Set()).get(from)!).add(folder(t));
    }
    // Depth-first search from config/ for a path back to it.
    const cycles: string[] = [];
    const stack: string[][] = [["config"]];
    const seen = new Set<string>();
    while (stack.length > 0) {
      const path = stack.pop()!;
      for (const next of folders.get(path.at(-1)!) ?? []) {
        if (next === "config") cycles.push([...path, next].join(" → "));
        else if (!seen.has(next)) {
          seen.add(next);
          stack.push([...path, next]);
        }
      }
    }
    assert.deepEqual(cycles, []);
  });
});
