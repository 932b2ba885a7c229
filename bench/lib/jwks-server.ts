/**
 * A JWKS endpoint on loopback that counts the requests it answers, with an optional delay (a real
 * identity provider is not instantaneous, and a delay widens the window in which concurrent
 * callers could each start their own fetch).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface JwksServer {
  readonly url: string;
  /** Requests answered since start (or the last reset). */
  readonly requests: number;
  resetCount(): void;
  /** The document served from now on. */
  setKeys(keys: readonly object[]): void;
  close(): Promise<void>;
}

export async function startJwksServer(keys: readonly object[], delayMs = 0): Promise<JwksServer> {
  let body = JSON.stringify({ keys });
  let requests = 0;
  const server: Server = createServer((req, res) => {
    req.resume();
    const answer = () => {
      requests += 1;
      res.writeHead(200, { "content-type": "application/json", "cache-control": "max-age=600" });
      res.end(body);
    };
    if (delayMs > 0) setTimeout(answer, delayMs);
    else answer();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    get requests() {
      return requests;
    },
    resetCount() {
      requests = 0;
    },
    setKeys(next) {
      body = JSON.stringify({ keys: next });
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
