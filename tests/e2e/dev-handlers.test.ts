/**
 * e2e: handlers as teams write them. A TypeScript `--lambda` (type annotations, an import of a
 * sibling module) compiled on the fly; `watch` reloads it, the authorizer and the configuration
 * within a second of a file change, keeping the previous version when a new one does not compile;
 * a throwing handler's stack (mapped to the `.ts` line) is logged, never sent.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { bearer, call, startTestServer, type TestServer } from "../fixtures/dev/harness.js";

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A project folder with these files. */
function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "gatepass-handlers-"));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const GREETING_TS = (word: string) => `export const greeting: string = "${word}";\n`;
const HANDLER_TS = `import { greeting } from "./greeting";
interface Result { statusCode: number; body: string }
export const handler = async (event: { path: string }): Promise<Result> => {
  const who: string = event.path.slice(1);
  return { statusCode: 200, body: \`\${greeting} \${who}\` };
};
`;
/** Allows everything (REST TOKEN shape). */
const AUTHORIZER_TS = (
  principal: string,
) => `export const handler = async (event: { methodArn: string }) => ({
  principalId: "${principal}" as string,
  policyDocument: { Version: "2012-10-17", Statement: [{ Action: "execute-api:Invoke", Effect: "Allow", Resource: event.methodArn }] },
});
`;

/** Polls `check` every 25 ms for up to `ms`; returns how long it took, or fails. */
async function within(ms: number, check: () => Promise<boolean>): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await check()) return Date.now() - started;
    if (Date.now() - started > ms) assert.fail(`not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** REST TOKEN, cache off: the test authorizer's policy names one ARN, a cached one would deny the next path. */
const restToken = {
  api: "rest-token" as const,
  identitySources: ["header:authorization"],
  resultTtlSeconds: 0,
};

async function withServer(
  options: Parameters<typeof startTestServer>[0],
  body: (t: TestServer) => Promise<void>,
): Promise<void> {
  const t = await startTestServer(options);
  try {
    await body(t);
  } finally {
    await t.close();
  }
}

describe("gatepass dev: TypeScript handlers", { timeout: 60_000 }, () => {
  it("a .ts --lambda with type annotations and a sibling .ts import answers", async () => {
    const cwd = project({
      "greeting.ts": GREETING_TS("hello"),
      "handler.ts": HANDLER_TS,
      "auth.ts": AUTHORIZER_TS("u1"),
    });
    await withServer({ cwd, lambda: "handler.ts", authorizer: "auth.ts", dev: restToken }, async (t) => {
      const res = await call(`${t.url}/world`, { headers: bearer("x") });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.text, "hello world");
      assert.ok(
        existsSync(join(cwd, ".gatepass", "build", ".gitignore")),
        "compiled under .gatepass/build, gitignored",
      );
      assert.ok(
        readdirSync(join(cwd, ".gatepass", "build")).some((f) => /^handler-[0-9a-f]{10}\.mjs$/.test(f)),
        "one bundle per handler file",
      );
    });
  });

  it("a compile error at start is one error naming file:line", async () => {
    const cwd = project({
      "handler.ts": "export const handler = async () => {\n  return { statusCode: 200 ;\n};\n",
    });
    await assert.rejects(
      startTestServer({ cwd, lambda: "handler.ts", dev: { api: "http-v2-simple" } }),
      (error: Error) => {
        assert.match(error.message, /handler\.ts:2:\d+/);
        return true;
      },
    );
  });

  it("watch: editing the sibling module is picked up within a second", async () => {
    const cwd = project({
      "greeting.ts": GREETING_TS("hello"),
      "handler.ts": HANDLER_TS,
      "auth.ts": AUTHORIZER_TS("u1"),
    });
    await withServer(
      { cwd, lambda: "handler.ts", authorizer: "auth.ts", watch: true, dev: restToken },
      async (t) => {
        assert.equal((await call(`${t.url}/you`, { headers: bearer("x") })).text, "hello you");
        writeFileSync(join(cwd, "greeting.ts"), GREETING_TS("bonjour"));
        await within(
          1000,
          async () => (await call(`${t.url}/you`, { headers: bearer("x") })).text === "bonjour you",
        );
      },
    );
  });

  it("watch: a compile error on reload keeps the previous version and is logged", async () => {
    const cwd = project({
      "greeting.ts": GREETING_TS("hello"),
      "handler.ts": HANDLER_TS,
      "auth.ts": AUTHORIZER_TS("u1"),
    });
    await withServer(
      { cwd, lambda: "handler.ts", authorizer: "auth.ts", watch: true, dev: restToken },
      async (t) => {
        writeFileSync(join(cwd, "greeting.ts"), 'export const greeting: string = "unterminated;\n');
        await within(1000, async () => t.lines.some((l) => l.event === "handler_reload_failed"));
        const line = t.lines.find((l) => l.event === "handler_reload_failed")!;
        assert.match(String(line.detail), /greeting\.ts:1:\d+/);
        const res = await call(`${t.url}/still`, { headers: bearer("x") });
        assert.equal(res.text, "hello still", "the previous version keeps answering");
        writeFileSync(join(cwd, "greeting.ts"), GREETING_TS("fixed"));
        await within(
          1000,
          async () => (await call(`${t.url}/x`, { headers: bearer("x") })).text === "fixed x",
        );
      },
    );
  });

  it("watch: the authorizer reloads too", async () => {
    const cwd = project({ "auth.ts": AUTHORIZER_TS("first-principal") });
    await withServer(
      { cwd, authorizer: "auth.ts", watch: true, dev: { ...restToken, resultTtlSeconds: 0 } },
      async (t) => {
        const principal = async () =>
          (
            (await call(`${t.url}/hello`, { headers: bearer("x") })).json() as {
              caller: { principalId: string };
            }
          ).caller.principalId;
        assert.equal(await principal(), "first-principal");
        writeFileSync(join(cwd, "auth.ts"), AUTHORIZER_TS("second-principal"));
        await within(1000, async () => (await principal()) === "second-principal");
      },
    );
  });

  it("watch: the configuration file reloads (a new rule applies) without dropping the server", async () => {
    const cwd = project({
      "gatepass.json": JSON.stringify({ routes: [{ route: "GET /orders/{id}", scopes: ["orders:read"] }] }),
    });
    await withServer(
      { cwd, configFile: "gatepass.json", watch: true, dev: { api: "rest-token" } },
      async (t) => {
        const token = bearer(t.server.mintToken({ sub: "alice", scope: "orders:read" }).access_token);
        assert.equal((await call(`${t.url}/orders/1`, { headers: token })).status, 200);
        writeFileSync(
          join(cwd, "gatepass.json"),
          JSON.stringify({ routes: [{ route: "GET /orders/{id}", scopes: ["orders:admin"] }] }),
        );
        await within(1000, async () => (await call(`${t.url}/orders/2`, { headers: token })).status === 403);
        writeFileSync(join(cwd, "gatepass.json"), "{ not json");
        await within(1000, async () => t.lines.some((l) => l.event === "config_reload_failed"));
        assert.equal(
          (await call(`${t.url}/orders/3`, { headers: token })).status,
          403,
          "the previous configuration stays",
        );
      },
    );
  });
});

describe("gatepass dev: a throwing handler", { timeout: 30_000 }, () => {
  const THROWING_TS = `type Event = { path: string };
export const handler = async (event: Event): Promise<never> => {
  const detail: string = "database password=hunter2 at " + event.path;
  throw new Error(detail);
};
`;
  for (const [api, status, body] of [
    ["rest-token", 502, '{"message": "Internal server error"}'],
    ["http-v2-simple", 500, '{"message":"Internal Server Error"}'],
  ] as const) {
    it(`${api}: ${status} with AWS's body; the stack (the .ts line) in the log, not in the answer`, async () => {
      const cwd = project({
        "throwing.ts": THROWING_TS,
        "auth.mjs":
          "export const handler = async (e) => e.type === 'TOKEN' ? ({ principalId: 'u', policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: e.methodArn }] } }) : ({ isAuthorized: true });\n",
      });
      await withServer(
        {
          cwd,
          lambda: "throwing.ts",
          authorizer: "auth.mjs",
          dev: { api, identitySources: ["header:authorization"] },
        },
        async (t) => {
          const res = await call(`${t.url}/boom`, { headers: bearer("x") });
          assert.equal(res.status, status);
          assert.equal(res.text, body);
          assert.doesNotMatch(res.text, /hunter2|throwing\.ts|at /);
          if (api === "rest-token")
            assert.equal(res.headers["x-amzn-errortype"], "InternalServerErrorException");
          const line = t.lines.find((l) => l.event === "lambda_error");
          assert.ok(line, "the failure is logged");
          assert.match(String(line.stack), /throwing\.ts:4:\d+/, "the stack points at the .ts line");
        },
      );
    });
  }
});
