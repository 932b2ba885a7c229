/**
 * A real HTTP server on 127.0.0.1 for tests: an ephemeral port, a request counter, a handler that
 * tests may swap at any time, and a close registered on the test context.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { TestContext } from "node:test";

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export interface TestServer {
  readonly url: string;
  /** Requests received so far. */
  requests: number;
  /** The current handler; assign to change behaviour mid-test. */
  handle: Handler;
}

/** Listens on 127.0.0.1 (ephemeral port) with `handle`; closed (connections too) after the test. */
export async function serve(t: TestContext, handle: Handler): Promise<TestServer> {
  const state = { url: "", requests: 0, handle };
  const server = createServer((req, res) => {
    state.requests += 1;
    state.handle(req, res);
  });
  state.url = await listen(t, server);
  return state;
}

/** Starts `server` on 127.0.0.1 (ephemeral port), closes it after the test, returns its base URL. */
export async function listen(t: TestContext, server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.after(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A handler answering `body` as JSON (a string is sent as is) with `status`. */
export function json(body: unknown, status = 200): Handler {
  return (_req, res) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(typeof body === "string" ? body : JSON.stringify(body));
  };
}
