/**
 * Unit: the handler registry. The stable function keeps Lambda's calling conventions whatever the
 * handler's arity; a lazily loaded handler that fails fails its invocation; `onChange` is debounced.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { createHandlerRegistry } from "../../../src/dev/handlers/registry.js";
import { Invoker, type LambdaHandler } from "../../../src/dev/invoke.js";
import { createMemoryLogger } from "../../../src/log.js";

const dir = mkdtempSync(join(tmpdir(), "gatepass-registry-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const invoke = (handler: LambdaHandler) =>
  new Invoker(handler, { functionName: "t", timeoutMs: 1000 }).invoke({ n: 2 });

describe("handler registry", { timeout: 20_000 }, () => {
  it("keeps the conventions: a plain value (one parameter), the callback, a promise", async () => {
    writeFileSync(
      join(dir, "styles.mjs"),
      [
        "export const plain = (e) => e.n * 10;",
        "export const callback = (e, _c, cb) => { setTimeout(() => cb(null, e.n + 1), 5); };",
        "export const promised = async (e) => e.n - 1;",
        "export const failing = (e, _c, cb) => cb(new Error('nope'));",
      ].join("\n"),
    );
    const registry = createHandlerRegistry({ cwd: dir, watch: false, logger: createMemoryLogger() });
    try {
      const plain = await invoke(await registry.load("styles.mjs#plain"));
      assert.equal(plain.ok && plain.value, 20);
      const cb = await invoke(await registry.load("styles.mjs#callback"));
      assert.equal(cb.ok && cb.value, 3);
      const pr = await invoke(registry.get("styles.mjs#promised"));
      assert.equal(pr.ok && pr.value, 1);
      const failing = await invoke(registry.get("styles.mjs#failing"));
      assert.equal(failing.ok, false);
    } finally {
      registry.close();
    }
  });

  it("a handler loaded on first call that cannot load fails that call, with one sentence", async () => {
    const registry = createHandlerRegistry({ cwd: dir, watch: false, logger: createMemoryLogger() });
    try {
      const out = await invoke(registry.get("absent.mjs"));
      assert.equal(out.ok, false);
      assert.match(String((out as { error: Error }).error.message), /cannot find absent\.mjs/);
    } finally {
      registry.close();
    }
  });

  it("onChange: several writes in a row are one call, with the file", async () => {
    const file = join(dir, "definition.yaml");
    writeFileSync(file, "a: 1\n");
    const registry = createHandlerRegistry({
      cwd: dir,
      watch: true,
      logger: createMemoryLogger(),
      debounceMs: 60,
    });
    try {
      const calls: string[][] = [];
      registry.onChange(["definition.yaml"], (files) => calls.push([...files]));
      writeFileSync(file, "a: 2\n");
      writeFileSync(file, "a: 3\n");
      const started = Date.now();
      while (calls.length === 0 && Date.now() - started < 1000) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 150));
      assert.equal(calls.length, 1);
      assert.deepEqual(calls[0], [file]);
    } finally {
      registry.close();
    }
  });

  it("without watch, onChange never calls", async () => {
    const file = join(dir, "other.yaml");
    writeFileSync(file, "a: 1\n");
    const registry = createHandlerRegistry({ cwd: dir, watch: false, logger: createMemoryLogger() });
    try {
      let called = false;
      registry.onChange([file], () => {
        called = true;
      });
      writeFileSync(file, "a: 2\n");
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(called, false);
    } finally {
      registry.close();
    }
  });
});
