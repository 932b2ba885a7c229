/**
 * Shared pieces of the reliability suite: a local HTTP server that counts what it sees and can be
 * told to misbehave, a guard that records unhandled rejections and uncaught exceptions, and memory
 * sampling. Loopback only: every server listens on 127.0.0.1 and every client calls 127.0.0.1.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** A local server that counts requests (in total and per path) and can go down and come back on its port. */
export interface CountingServer {
  readonly url: string;
  readonly port: number;
  /** Requests seen so far. */
  requests: number;
  /** Requests per path (query string removed). */
  readonly paths: Map<string, number>;
  /** Replaces the request handler. */
  handle: Handler;
  /** Stops listening and drops every open connection (clients then see ECONNREFUSED). */
  down(): Promise<void>;
  /** Listens again on the same port. */
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function startCountingServer(handle: Handler, port = 0): Promise<CountingServer> {
  const sockets = new Set<Socket>();
  const state = {
    url: "",
    port: 0,
    requests: 0,
    paths: new Map<string, number>(),
    handle,
  };
  let server: Server | undefined;
  const listen = async (p: number) => {
    const s = createServer((req, res) => {
      state.requests += 1;
      const path = (req.url ?? "/").split("?")[0] ?? "/";
      state.paths.set(path, (state.paths.get(path) ?? 0) + 1);
      try {
        state.handle(req, res);
      } catch {
        res.destroy();
      }
    });
    s.on("connection", (socket) => {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
    });
    // A client that aborts mid-response must not crash the test process.
    s.on("clientError", (_error, socket) => socket.destroy());
    await new Promise<void>((resolve, reject) => {
      s.once("error", reject);
      s.listen(p, "127.0.0.1", () => {
        s.off("error", reject);
        resolve();
      });
    });
    server = s;
    return (s.address() as AddressInfo).port;
  };
  const stop = () =>
    new Promise<void>((resolve) => {
      const s = server;
      server = undefined;
      if (s === undefined) return resolve();
      for (const socket of sockets) socket.destroy();
      s.close(() => resolve());
    });
  state.port = await listen(port);
  state.url = `http://127.0.0.1:${state.port}`;
  return Object.assign(state, {
    down: stop,
    up: async () => {
      if (server === undefined) await listen(state.port);
    },
    close: stop,
  });
}

/** Answers `body` as JSON with `status`. */
export function json(res: ServerResponse, body: unknown, status = 200): void {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

/** Records unhandled rejections and uncaught exceptions while installed. */
export interface CrashGuard {
  readonly problems: string[];
  uninstall(): void;
}

export function installCrashGuard(): CrashGuard {
  const problems: string[] = [];
  const onRejection = (reason: unknown) => {
    problems.push(`unhandledRejection: ${reason instanceof Error ? reason.stack : String(reason)}`);
  };
  const onException = (error: unknown) => {
    problems.push(`uncaughtException: ${error instanceof Error ? error.stack : String(error)}`);
  };
  process.on("unhandledRejection", onRejection);
  process.on("uncaughtException", onException);
  return {
    problems,
    uninstall() {
      process.off("unhandledRejection", onRejection);
      process.off("uncaughtException", onException);
    },
  };
}

let gcFunction: (() => void) | undefined;

/** A full garbage collection, without starting node with --expose-gc. */
export function collectGarbage(): void {
  if (gcFunction === undefined) {
    const exposed = (globalThis as { gc?: () => void }).gc;
    if (typeof exposed === "function") gcFunction = exposed;
    else {
      setFlagsFromString("--expose-gc");
      gcFunction = runInNewContext("gc") as () => void;
    }
  }
  gcFunction();
  gcFunction();
}

export interface MemorySample {
  readonly heapUsedMB: number;
  readonly rssMB: number;
}

const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

/** Heap and RSS after a full collection, in MiB (one decimal). */
export function sampleMemory(): MemorySample {
  collectGarbage();
  const usage = process.memoryUsage();
  return { heapUsedMB: mb(usage.heapUsed), rssMB: mb(usage.rss) };
}

/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
