/**
 * e2e: README.md, "Locally: gatepass dev as resource and authorization server" — its configuration
 * and every command of its block run as printed, as processes (the built CLI, curl through sh), with
 * the ports 4000 and 3000 of the text replaced by free ones: the 401 challenge, both metadata
 * documents, and a token for the resource that the upstream MCP server's route accepts.
 */
import assert from "node:assert/strict";
import { execFile, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { commands } from "../deploy/doc-commands.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const cli = join(root, "dist/cli/main.js");
const SECTION = "### Locally: gatepass dev as resource and authorization server";

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** The section's fenced blocks of one language. */
function blocks(language: string): string[] {
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const start = readme.indexOf(SECTION);
  assert.ok(start >= 0, "the README has the section");
  const end = readme.indexOf("\n## ", start);
  const section = readme.slice(start, end);
  return [...section.matchAll(new RegExp(`\`\`\`${language}\\n([\\s\\S]*?)\`\`\``, "g"))].map((m) => m[1]!);
}

const sh = (line: string) =>
  new Promise<string>((done, fail) =>
    execFile("sh", ["-c", line], { timeout: 10_000 }, (error, stdout) =>
      error ? fail(error) : done(stdout),
    ),
  );

describe("README: Locally: gatepass dev as resource and authorization server, as printed", {
  timeout: 90_000,
}, () => {
  let cwd: string;
  let upstream: Server;
  before(() => {
    if (!existsSync(cli))
      execFileSync("npx", ["tsc", "-p", "tsconfig.build.json"], { cwd: root, stdio: "inherit" });
    cwd = mkdtempSync(join(tmpdir(), "gatepass-mcp-readme-"));
  });
  after(async () => {
    rmSync(cwd, { recursive: true, force: true });
    await new Promise((done) => (upstream ? upstream.close(done) : done(undefined)));
  });

  it("the configuration and every command of the block work as the comments say", async () => {
    const port = await freePort();
    upstream = createServer((req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ jsonrpc: "2.0", id: 1, result: { path: req.url } }));
    });
    await new Promise<void>((done) => upstream.listen(0, "127.0.0.1", done));
    const upstreamPort = (upstream.address() as { port: number }).port;
    const local = (text: string) =>
      text
        .replaceAll("127.0.0.1:4000", `127.0.0.1:${port}`)
        .replaceAll("127.0.0.1:3000", `127.0.0.1:${upstreamPort}`);
    const url = `http://127.0.0.1:${port}`;

    const [config] = blocks("json");
    assert.ok(config);
    writeFileSync(join(cwd, "mcp.config.json"), local(config));
    const [block] = blocks("sh");
    assert.ok(block);
    const [start, ...curls] = commands(block).map(local);
    if (start === undefined) throw new Error("the block has no commands");
    assert.ok(start.startsWith("npx gatepass dev --config mcp.config.json --upstream "), start);
    assert.equal(curls.length, 4);

    const { PORT: _p, GATEPASS_CONFIG: _c, ...env } = process.env;
    const args = start.replace(/^npx gatepass /, "").split(" ");
    const child = spawn(process.execPath, [cli, ...args], { cwd, env: { ...env, PORT: String(port) } });
    let out = "";
    child.stdout.on("data", (c: Buffer) => {
      out += c.toString();
    });
    child.stderr.on("data", (c: Buffer) => {
      out += c.toString();
    });
    try {
      const deadline = Date.now() + 30_000;
      while (!out.includes("Ctrl-C to stop")) {
        assert.ok(Date.now() < deadline, `no banner: ${out}`);
        assert.equal(child.exitCode, null, out);
        await new Promise((r) => setTimeout(r, 25));
      }
      assert.ok(
        out.includes(
          `resource    ${url}/mcp (RFC 9728 metadata at ${url}/.well-known/oauth-protected-resource/mcp)`,
        ),
        out,
      );

      assert.ok(out.includes(`authorization server: ${url}/.well-known/oauth-authorization-server (`), out);
      const [challenge, resourceMetadata, serverMetadata, mint] = curls as [string, string, string, string];
      const first = await sh(challenge);
      assert.match(first, /^HTTP\/1\.1 401 /);
      assert.match(
        first,
        new RegExp(
          `\\r\\nwww-authenticate: Bearer resource_metadata="${url}/\\.well-known/oauth-protected-resource/mcp"\\r\\n`,
          "i",
        ),
      );
      const metadata = JSON.parse(await sh(resourceMetadata)) as Record<string, unknown>;
      assert.equal(metadata.resource, `${url}/mcp`);
      assert.deepEqual(metadata.authorization_servers, [url]);
      const server = JSON.parse(await sh(serverMetadata)) as Record<string, unknown>;
      assert.equal(server.issuer, url);
      assert.deepEqual(server.code_challenge_methods_supported, ["S256"]);
      const { access_token } = JSON.parse(await sh(mint)) as { access_token: string };
      const called = await fetch(`${url}/mcp`, {
        method: "POST",
        headers: { authorization: `Bearer ${access_token}`, "content-type": "application/json" },
        body: "{}",
      });
      assert.equal(called.status, 200, await called.clone().text());
      assert.deepEqual(((await called.json()) as { result: unknown }).result, { path: "/mcp" });
    } finally {
      child.kill("SIGTERM");
      await new Promise((done) => child.once("exit", done));
    }
  });
});
