import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, it } from "node:test";
import { describeUrl, FetchJsonError, fetchJson } from "../../../src/keys/jwks/fetch-json.js";
import { serve } from "../../helpers/http-server.js";

// A real HTTP server on 127.0.0.1 per test: the fetcher's limits are about sockets and streams,
// which a stubbed `fetch` would not exercise.
function reply(
  res: ServerResponse,
  status: number,
  body: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(body);
}

async function failure(promise: Promise<unknown>): Promise<FetchJsonError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof FetchJsonError, `expected a FetchJsonError, got ${String(error)}`);
    return error;
  }
  assert.fail("expected the fetch to fail");
}

describe("fetchJson", () => {
  it("returns the JSON object of a 200 response, sent as a plain GET", async (t) => {
    let seen: IncomingMessage | undefined;
    const server = await serve(t, (req, res) => {
      seen = req;
      reply(res, 200, '{"keys":[],"n":1}');
    });
    assert.deepEqual(await fetchJson(`${server.url}/jwks`), { keys: [], n: 1 });
    assert.equal(seen?.method, "GET");
    assert.equal(seen?.url, "/jwks");
    assert.match(String(seen?.headers.accept), /application\/json/);
  });

  for (const body of ["[1,2]", '"text"', "null", "42"]) {
    it(`refuses JSON that is not an object: ${body}`, async (t) => {
      const server = await serve(t, (_req, res) => reply(res, 200, body));
      const error = await failure(fetchJson(server.url));
      assert.equal(error.reason, "not a JSON object");
    });
  }

  it("refuses invalid JSON without quoting the body", async (t) => {
    const server = await serve(t, (_req, res) => reply(res, 200, '{"keys": [SECRET-BODY'));
    const error = await failure(fetchJson(server.url));
    assert.equal(error.reason, "invalid JSON");
    assert.equal(error.message, "invalid JSON");
    assert.doesNotMatch(String(error.stack), /SECRET-BODY/);
  });

  it("refuses a body that is not UTF-8", async (t) => {
    const server = await serve(t, (_req, res) => {
      res.writeHead(200);
      res.end(Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]));
    });
    assert.equal((await failure(fetchJson(server.url))).reason, "invalid JSON");
  });

  it("refuses an empty 200 body", async (t) => {
    const server = await serve(t, (_req, res) => reply(res, 200, ""));
    assert.equal((await failure(fetchJson(server.url))).reason, "invalid JSON");
  });

  for (const status of [500, 503, 429, 404, 204, 201]) {
    it(`accepts only 200: HTTP ${status} is an error without the body`, async (t) => {
      const server = await serve(t, (_req, res) =>
        reply(res, status, status === 204 ? "" : '{"error":"SECRET-BODY"}'),
      );
      const error = await failure(fetchJson(server.url));
      assert.equal(error.reason, `HTTP ${status}`);
      assert.equal(error.status, status);
      assert.doesNotMatch(error.message, /SECRET/);
    });
  }

  for (const status of [301, 302, 303, 307, 308]) {
    it(`never follows a redirect (${status})`, async (t) => {
      const target = await serve(t, (_req, res) => reply(res, 200, '{"keys":[]}'));
      const server = await serve(t, (_req, res) =>
        reply(res, status, "", { location: `${target.url}/jwks` }),
      );
      const error = await failure(fetchJson(server.url));
      assert.equal(error.reason, "redirect refused");
      assert.equal(error.status, status);
      assert.equal(target.requests, 0);
    });
  }

  it("refuses a declared content-length over the cap before reading the body", async (t) => {
    let closed = false;
    const server = await serve(t, (_req, res) => {
      res.writeHead(200, { "content-length": String(10 * 1024 * 1024) });
      res.write("{");
      res.on("close", () => {
        closed = true;
      });
      // Never finishes: only an early refusal can make the fetch return before its deadline.
    });
    const started = performance.now();
    const error = await failure(fetchJson(server.url, { maxResponseBytes: 1024, timeoutMs: 5000 }));
    assert.equal(error.reason, "response larger than 1024 bytes");
    assert.ok(performance.now() - started < 2000);
    await waitFor(() => closed);
  });

  it("stops reading a streamed body as soon as it passes the cap (no content-length)", async (t) => {
    let sent = 0;
    let closed = false;
    const server = await serve(t, (_req, res) => {
      res.writeHead(200, { "content-type": "application/json" }); // chunked: no length announced
      const chunk = Buffer.alloc(4096, 0x20);
      const timer = setInterval(() => {
        sent += chunk.length;
        res.write(chunk);
      }, 2);
      res.on("close", () => {
        closed = true;
        clearInterval(timer);
      });
    });
    const error = await failure(fetchJson(server.url, { maxResponseBytes: 16 * 1024, timeoutMs: 5000 }));
    assert.equal(error.reason, "response larger than 16384 bytes");
    await waitFor(() => closed);
    // The connection is closed right after the cap, not after the server gave up on its own.
    assert.ok(sent < 1024 * 1024, `server sent ${sent} bytes`);
  });

  it("accepts a body of exactly the cap", async (t) => {
    const body = `{"k":"${"x".repeat(100 - 8)}"}`;
    assert.equal(body.length, 100);
    const server = await serve(t, (_req, res) => reply(res, 200, body));
    assert.equal((await fetchJson(server.url, { maxResponseBytes: 100 })).k, "x".repeat(92));
  });

  it("times out when the server never answers", async (t) => {
    const server = await serve(t, () => {});
    const started = performance.now();
    const error = await failure(fetchJson(server.url, { timeoutMs: 200 }));
    const elapsed = performance.now() - started;
    assert.equal(error.reason, "timeout after 200 ms");
    assert.ok(elapsed >= 150 && elapsed < 2000, `took ${elapsed} ms`);
  });

  it("times out when the body trickles (the deadline covers headers and body)", async (t) => {
    const server = await serve(t, (_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.write('{"keys":');
      const timer = setInterval(() => res.write(" "), 20);
      res.on("close", () => clearInterval(timer));
    });
    const error = await failure(fetchJson(server.url, { timeoutMs: 200 }));
    assert.equal(error.reason, "timeout after 200 ms");
  });

  it("reports a refused connection as a connection failure", async (t) => {
    const server = await serve(t, () => {});
    const port = new URL(server.url).port;
    // A port that was just free: bind and release it so nothing listens there.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const freePort = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    assert.notEqual(String(freePort), port);
    const error = await failure(fetchJson(`http://127.0.0.1:${freePort}/jwks`));
    assert.match(error.reason, /^connection failed( \(ECONNREFUSED\))?$/);
  });

  it("uses an injected fetch, and bounds one that ignores the abort signal", async () => {
    const calls: string[] = [];
    const stub = (async (input: string | URL | Request, init?: RequestInit) => {
      calls.push(String(input));
      assert.equal(init?.redirect, "manual");
      return new Response('{"ok":true}', { status: 200 });
    }) as typeof fetch;
    assert.deepEqual(await fetchJson("https://id.example.com/jwks", { fetch: stub }), { ok: true });
    assert.deepEqual(calls, ["https://id.example.com/jwks"]);

    const deaf = (() => new Promise<Response>(() => {})) as typeof fetch;
    const error = await failure(fetchJson("https://id.example.com/jwks", { fetch: deaf, timeoutMs: 100 }));
    assert.equal(error.reason, "timeout after 100 ms");
  });

  it("over node:http, makes no AbortController (its first one costs every cold start)", async (t) => {
    const server = await serve(t, (_req, res) => reply(res, 200, '{"keys":[]}'));
    const Original = globalThis.AbortController;
    let made = 0;
    globalThis.AbortController = class extends Original {
      constructor() {
        super();
        made++;
      }
    };
    try {
      assert.deepEqual(await fetchJson(server.url, { timeoutMs: 5000 }), { keys: [] });
    } finally {
      globalThis.AbortController = Original;
    }
    assert.equal(made, 0);
  });

  it("gives an injected fetch a signal that aborts at the deadline", async () => {
    let signal: AbortSignal | undefined;
    const waits = ((_input: string | URL | Request, init?: RequestInit) => {
      signal = init?.signal ?? undefined;
      return new Promise<Response>((_resolve, reject) =>
        signal?.addEventListener("abort", () => reject(signal?.reason)),
      );
    }) as typeof fetch;
    const error = await failure(fetchJson("https://id.example.com/jwks", { fetch: waits, timeoutMs: 50 }));
    assert.equal(error.reason, "timeout after 50 ms");
    assert.equal(signal?.aborted, true);
    assert.equal((signal?.reason as DOMException | undefined)?.name, "TimeoutError");
  });

  it("maps a client that throws to a connection failure", async () => {
    const broken = (() => {
      throw new TypeError("boom");
    }) as typeof fetch;
    assert.equal(
      (await failure(fetchJson("https://id.example.com/jwks", { fetch: broken }))).reason,
      "connection failed",
    );
  });

  it("refuses invalid URLs and other schemes without a request", async () => {
    assert.equal((await failure(fetchJson("not a url"))).reason, "invalid URL");
    assert.equal((await failure(fetchJson("file:///etc/passwd"))).reason, "unsupported URL scheme");
  });
});

describe("describeUrl", () => {
  it("keeps origin and path only", () => {
    assert.equal(
      describeUrl("https://u:p@id.example.com:8443/a/jwks?key=SECRET#x"),
      "https://id.example.com:8443/a/jwks",
    );
    assert.equal(describeUrl("nope"), "(invalid URL)");
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) assert.fail("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
