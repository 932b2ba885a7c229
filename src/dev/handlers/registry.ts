import { type FSWatcher, watch } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";
import type { Logger } from "../../log.js";
import { type HandlerRef, importHandler, parseHandlerSpec } from "./load.js";
import type { LambdaHandler } from "./types.js";

/**
 * The handlers of one local gateway, reloadable: each handler file (`--lambda`, `--authorizer`, the
 * functions a definition names) is loaded once, and the gateway holds a stable function that always
 * calls the current version. With `watch`, a change to any file of a handler's input graph (the
 * esbuild bundle's inputs; for JavaScript, the file itself) reloads it within a second, without
 * touching the server or its connections; a version that fails to compile or load is logged and
 * the previous one kept. `onChange` is the same watching for other files (configuration, definition).
 */

export interface HandlerRegistryOptions {
  /** Relative specs resolve against it; TypeScript builds go to `<cwd>/.gatepass/build/`. */
  readonly cwd: string;
  /** Reload handlers when their files change. */
  readonly watch: boolean;
  readonly logger: Logger;
  /** Changes within this many ms are one reload [50]. */
  readonly debounceMs?: number;
}

export interface HandlerRegistry {
  /**
   * Loads `ref` now (`FILE[#export]`, or a {@link HandlerRef}) and returns its stable handler.
   * Rejects with one sentence (a compile error names `file:line:column`).
   */
  load(ref: string | HandlerRef): Promise<LambdaHandler>;
  /**
   * The stable handler of `ref`, loaded on its first call when {@link load} was not called: a load
   * failure then fails that invocation (the gateway answers as AWS does for a failing integration).
   */
  get(ref: string | HandlerRef): LambdaHandler;
  /** Calls `callback` (debounced) with the changed files when one of `files` changes; returns the unsubscribe. */
  onChange(files: readonly string[], callback: (changed: readonly string[]) => void): () => void;
  /** Stops watching. Handlers keep working (their current versions). */
  close(): void;
}

/** One handler file and export, and its current version. */
interface Entry {
  readonly ref: HandlerRef;
  readonly stable: LambdaHandler;
  current: LambdaHandler | undefined;
  /** The first load, shared by `load` and lazy `get` calls. */
  loading: Promise<LambdaHandler> | undefined;
  version: number;
  unwatch: (() => void) | undefined;
  reloading: boolean;
  reloadAgain: boolean;
}

export function createHandlerRegistry(options: HandlerRegistryOptions): HandlerRegistry {
  const { cwd, logger } = options;
  const debounceMs = options.debounceMs ?? 50;
  const entries = new Map<string, Entry>();
  const watchers = new DirectoryWatchers(logger);
  let closed = false;

  const toRef = (ref: string | HandlerRef): HandlerRef =>
    typeof ref === "string" ? parseHandlerSpec(ref, cwd) : { ...ref, file: resolve(cwd, ref.file) };
  const shown = (ref: HandlerRef) => ref.shown ?? (relative(cwd, ref.file) || ref.file);

  const subscribe = (files: readonly string[], callback: (changed: readonly string[]) => void) => {
    if (!options.watch || closed) return () => {};
    let timer: NodeJS.Timeout | undefined;
    const changed = new Set<string>();
    const unwatch = watchers.add(files, (file) => {
      changed.add(file);
      if (timer !== undefined) clearTimeout(timer);
      timer = setTimeout(() => {
        timer = undefined;
        const list = [...changed];
        changed.clear();
        callback(list);
      }, debounceMs);
    });
    return () => {
      if (timer !== undefined) clearTimeout(timer);
      unwatch();
    };
  };

  const watchEntry = (entry: Entry, inputs: readonly string[]) => {
    entry.unwatch?.();
    entry.unwatch = subscribe(inputs, () => void reload(entry));
  };

  const reload = async (entry: Entry): Promise<void> => {
    if (entry.reloading) {
      entry.reloadAgain = true;
      return;
    }
    entry.reloading = true;
    try {
      do {
        entry.reloadAgain = false;
        const started = performance.now();
        try {
          const loaded = await importHandler(entry.ref, cwd, ++entry.version);
          entry.current = loaded.handler;
          if (!closed) watchEntry(entry, loaded.inputs);
          logger.info("handler_reloaded", {
            handler: `${shown(entry.ref)}#${entry.ref.exportName}`,
            durationMs: Math.round(performance.now() - started),
          });
        } catch (error) {
          logger.error("handler_reload_failed", {
            handler: `${shown(entry.ref)}#${entry.ref.exportName}`,
            detail: `${error instanceof Error ? error.message : String(error)}; the previous version keeps answering`,
          });
        }
      } while (entry.reloadAgain && !closed);
    } finally {
      entry.reloading = false;
    }
  };

  const entryOf = (ref: string | HandlerRef): Entry => {
    const resolved = toRef(ref);
    const key = `${resolved.file}#${resolved.exportName}`;
    let entry = entries.get(key);
    if (entry !== undefined) return entry;
    const created: Entry = {
      ref: resolved,
      stable: (event, context, callback) => invokeCurrent(created, event, context, callback),
      current: undefined,
      loading: undefined,
      version: 0,
      unwatch: undefined,
      reloading: false,
      reloadAgain: false,
    };
    entry = created;
    entries.set(key, entry);
    return entry;
  };

  const firstLoad = (entry: Entry): Promise<LambdaHandler> => {
    entry.loading ??= importHandler(entry.ref, cwd, entry.version).then(
      (loaded) => {
        entry.current = loaded.handler;
        watchEntry(entry, loaded.inputs);
        return loaded.handler;
      },
      (error: unknown) => {
        entry.loading = undefined;
        // A file that fails at start is still watched: fixing it makes the next call work.
        watchEntry(entry, [entry.ref.file]);
        throw error;
      },
    );
    return entry.loading;
  };

  /**
   * Calls the current version with Lambda's semantics kept whatever its arity: the promise it
   * returns, else the callback, else (fewer than three parameters) the plain value it returns.
   */
  const invokeCurrent = (
    entry: Entry,
    event: unknown,
    context: Parameters<LambdaHandler>[1],
    _callback: Parameters<LambdaHandler>[2],
  ): Promise<unknown> =>
    new Promise((resolveCall, rejectCall) => {
      const run = (handler: LambdaHandler) => {
        const returned = handler(event, context, (error?: unknown, result?: unknown) => {
          if (error !== undefined && error !== null) rejectCall(error);
          else resolveCall(result);
        });
        if (isThenable(returned)) returned.then(resolveCall, rejectCall);
        else if (handler.length < 3) resolveCall(returned);
      };
      try {
        if (entry.current !== undefined) run(entry.current);
        else
          firstLoad(entry).then((handler) => {
            try {
              run(handler);
            } catch (error) {
              rejectCall(error);
            }
          }, rejectCall);
      } catch (error) {
        rejectCall(error);
      }
    });

  return {
    async load(ref) {
      const entry = entryOf(ref);
      await firstLoad(entry);
      return entry.stable;
    },
    get: (ref) => entryOf(ref).stable,
    onChange: (files, callback) =>
      subscribe(
        files.map((f) => resolve(cwd, f)),
        callback,
      ),
    close() {
      closed = true;
      for (const entry of entries.values()) entry.unwatch?.();
      watchers.close();
    },
  };
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === "object" || typeof value === "function") &&
    value !== null &&
    typeof (value as { then?: unknown }).then === "function"
  );
}

/**
 * One `fs.watch` per directory, shared by every file watched in it: watching the directory (not
 * the file) sees editors that save by writing a new file and renaming it over the old one.
 */
class DirectoryWatchers {
  private readonly dirs = new Map<
    string,
    { watcher: FSWatcher | undefined; files: Map<string, Set<(file: string) => void>> }
  >();

  constructor(private readonly logger: Logger) {}

  add(files: readonly string[], listener: (file: string) => void): () => void {
    const added: Array<[string, string]> = [];
    for (const file of new Set(files)) {
      const dir = dirname(file);
      let entry = this.dirs.get(dir);
      if (entry === undefined) {
        entry = { watcher: this.open(dir), files: new Map() };
        this.dirs.set(dir, entry);
      }
      let listeners = entry.files.get(basename(file));
      if (listeners === undefined) {
        listeners = new Set();
        entry.files.set(basename(file), listeners);
      }
      listeners.add(listener);
      added.push([dir, basename(file)]);
    }
    return () => {
      for (const [dir, name] of added) {
        const entry = this.dirs.get(dir);
        const listeners = entry?.files.get(name);
        listeners?.delete(listener);
        if (listeners?.size === 0) entry?.files.delete(name);
        if (entry !== undefined && entry.files.size === 0) {
          entry.watcher?.close();
          this.dirs.delete(dir);
        }
      }
    };
  }

  private open(dir: string): FSWatcher | undefined {
    try {
      const watcher = watch(dir, { persistent: false }, (_event, name) => {
        if (name === null) return;
        const listeners = this.dirs.get(dir)?.files.get(name.toString());
        if (listeners === undefined) return;
        const file = join(dir, name.toString());
        for (const listener of [...listeners]) listener(file);
      });
      watcher.on("error", () => watcher.close());
      return watcher;
    } catch (error) {
      this.logger.warn("watch_failed", {
        detail: `cannot watch ${dir} (${(error as NodeJS.ErrnoException).code ?? "error"}); changes there are not reloaded`,
      });
      return undefined;
    }
  }

  close(): void {
    for (const entry of this.dirs.values()) entry.watcher?.close();
    this.dirs.clear();
  }
}
