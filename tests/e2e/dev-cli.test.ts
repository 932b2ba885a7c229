/**
 * e2e: `gatepass dev` as a process, the way `npm start` runs it — the printed ready token and curl
 * lines work exactly as printed (200, 401, 403), a taken port is one line and exit 1, SIGTERM and
 * SIGINT stop it cleanly with exit 0. Uses the built CLI (`npm run build`; built here if missing).
 */
import assert from "node:assert/strict";
import { type ChildProcessWithoutNullStreams, execFile, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer as createHttpServer, request as httpRequest } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { call } from "../fixtures/dev/harness.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const cli = join(root, "dist/cli/main.js");

function env(): NodeJS.ProcessEnv {
  const { PORT: _port, GATEPASS_CONFIG: _config, ...rest } = process.env;
  return rest;
}

interface Running {
  child: ChildProcessWithoutNullStreams;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

function run(args: string[], cwd: string): Running {
  const child = spawn(process.execPath, [cli, ...args], { cwd, env: env() });
  let out = "";
  let err = "";
  child.stdout.on("data", (c: Buffer) => {
    out += c.toString();
  });
  child.stderr.on("data", (c: Buffer) => {
    err += c.toString();
  });
  const exited = new Promise<number | null>((done) => child.on("exit", (code) => done(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

async function waitFor(running: Running, text: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!running.stdout().includes(text)) {
    if (Date.now() > deadline)
      throw new Error(
        `timed out waiting for "${text}"; stdout: ${running.stdout()} stderr: ${running.stderr()}`,
      );
    if (running.child.exitCode !== null)
      throw new Error(`exited ${running.child.exitCode}: ${running.stderr()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const hasCurl = (() => {
  try {
    execFileSync("curl", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

/** Runs a printed curl line exactly as printed (through sh), or emulates it with node:http when curl is missing. */
async function runPrinted(line: string): Promise<string> {
  if (hasCurl) {
    return new Promise((done, fail) =>
      execFile("sh", ["-c", line], { timeout: 10_000 }, (error, stdout) =>
        error ? fail(error) : done(stdout),
      ),
    );
  }
  const url = /(http:\/\/127\.0\.0\.1:\d+\S*)/.exec(line)![1]!;
  const header = /-H '([^:]+): ([^']+)'/.exec(line);
  const res = await call(url, header ? { headers: { [header[1]!]: header[2]! } } : {});
  return `HTTP/1.1 ${res.status}\r\n\r\n${res.text}`;
}

describe("gatepass dev (process)", () => {
  let cwd: string;
  before(() => {
    if (!existsSync(cli))
      execFileSync("npx", ["tsc", "-p", "tsconfig.build.json"], { cwd: root, stdio: "inherit" });
    cwd = mkdtempSync(join(tmpdir(), "gatepass-dev-cli-"));
  });
  after(() => rmSync(cwd, { recursive: true, force: true }));

  it("prints a ready token and curl lines that work exactly as printed, then stops on SIGTERM with exit 0", async () => {
    const dev = run(["dev", "--port", "0"], cwd);
    try {
      await waitFor(dev, "Ctrl-C to stop");
      const out = dev.stdout();
      const url = /on (http:\/\/127\.0\.0\.1:(\d+))/.exec(out);
      assert.ok(url, out);
      assert.notEqual(url[2], "0", "the actual port is printed");
      assert.match(out, /Ready token \(sub demo-user, scope orders:read/);
      const printed = out
        .split("\n")
        .map((l) => l.trim())
        .filter((l) => l.startsWith("curl "));
      const expectations = printed
        .map((l) => [l, /#\s*(\d{3})\b/.exec(l)?.[1]] as const)
        .filter((e): e is readonly [string, string] => e[1] !== undefined);
      assert.deepEqual(
        expectations.map(([, status]) => status),
        ["200", "401", "403"],
      );
      for (const [line, status] of expectations) {
        assert.ok(line.includes(url[1]!), "lines use http://127.0.0.1:<port>");
        const output = await runPrinted(line);
        assert.match(output, new RegExp(`^HTTP/1\\.1 ${status} `), `${line}\n${output}`);
      }
      // The "mint another token" line works too, and its admin token opens the admin routes.
      const mint = printed.find((l) => l.includes("/token"));
      assert.ok(mint);
      if (hasCurl) {
        const { access_token } = JSON.parse(await runPrinted(mint)) as { access_token: string };
        const admin = await call(`${url[1]}/admin/users`, {
          headers: { authorization: `Bearer ${access_token}` },
        });
        assert.equal(admin.status, 200);
      }
      // One JSON request line per call, on stdout, without tokens.
      const requestLines = dev
        .stdout()
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter(
          (l) => l.event === "request" && l.path !== "/token" && !String(l.path).startsWith("/.well-known"),
        );
      assert.ok(requestLines.length >= 3);
      const token = /Ready token[^\n]*\n\s+(\S+)/.exec(out)![1]!;
      assert.ok(!dev.stdout().split("Ctrl-C to stop")[1]!.includes(token), "the token is never logged");
    } finally {
      dev.child.kill("SIGTERM");
    }
    assert.equal(await dev.exited, 0);
    assert.match(dev.stdout(), /SIGTERM, closing/);
    assert.ok(
      existsSync(join(cwd, ".gatepass/dev-keys/private.jwk.json")),
      "keys kept under cwd/.gatepass/dev-keys",
    );
  });

  it("prints the console URL and serves the console built into the command; --console-prefix moves it, --no-console drops it", async () => {
    // Bundled at build time: the command carries the page, nothing is bundled at run time.
    assert.ok(!readFileSync(cli, "utf8").includes("__GATEPASS_CONSOLE_ASSETS__"));
    for (const [args, path] of [
      [[], "/_gatepass/"],
      [["--console-prefix", "/__console"], "/__console/"],
      [["--no-console"], null],
    ] as const) {
      const dev = run(["dev", "--port", "0", ...args], cwd);
      try {
        await waitFor(dev, "Ctrl-C to stop");
        const url = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(dev.stdout())![1]!;
        if (path === null) {
          assert.doesNotMatch(dev.stdout(), /console/);
          continue;
        }
        assert.match(dev.stdout(), new RegExp(`\\n  console     ${url}${path}\\n`));
        assert.match(dev.stdout(), new RegExp(`Then open ${url}${path} `));
        const page = await call(`${url}${path}`);
        assert.equal(page.status, 200);
        assert.match(page.text, /<title>gatepass dev console<\/title>/);
        const script = await call(`${url}${path}app.js`);
        assert.equal(script.status, 200);
        assert.ok(script.text.length > 1000);
      } finally {
        dev.child.kill("SIGTERM");
        await dev.exited;
      }
    }
  });

  it("stops on SIGINT with exit 0", async () => {
    const dev = run(["dev", "--port", "0"], cwd);
    await waitFor(dev, "Ctrl-C to stop");
    dev.child.kill("SIGINT");
    assert.equal(await dev.exited, 0);
  });

  it("reports a port in use in one line and exits 1", async () => {
    const blocker = createServer();
    await new Promise<void>((done) => blocker.listen(0, "127.0.0.1", done));
    const port = (blocker.address() as { port: number }).port;
    try {
      const dev = run(["dev", "--port", String(port)], cwd);
      assert.equal(await dev.exited, 1);
      assert.equal(dev.stderr(), `gatepass: port ${port} is in use (try --port N)\n`);
    } finally {
      await new Promise((done) => blocker.close(done));
    }
  });

  it("has --help, and refuses --upstream with --lambda in one line", async () => {
    const help = run(["dev", "--help"], cwd);
    assert.equal(await help.exited, 0);
    for (const option of [
      "--config",
      "--port",
      "--upstream",
      "--lambda",
      "--authorizer",
      "--keys-dir",
      "--allow-host",
    ]) {
      assert.ok(help.stdout().includes(option), option);
    }
    const both = run(["dev", "--port", "0", "--upstream", "http://127.0.0.1:9", "--lambda", "x.mjs"], cwd);
    assert.equal(await both.exited, 2);
    assert.equal(both.stderr().trim().split("\n").length, 1);
    assert.match(both.stderr(), /^gatepass: /);
  });

  it("--allow-host and --upstream: foreign Host names get 421, confusing paths never reach the upstream", async () => {
    const received: string[] = [];
    const upstream = createHttpServer((req, res) => {
      received.push(req.url!);
      res.end("ok");
    });
    await new Promise<void>((done) => upstream.listen(0, "127.0.0.1", done));
    const upstreamUrl = `http://127.0.0.1:${(upstream.address() as { port: number }).port}`;
    const dev = run(["dev", "--port", "0", "--allow-host", "api.test", "--upstream", upstreamUrl], cwd);
    try {
      await waitFor(dev, "Ctrl-C to stop");
      assert.match(dev.stdout(), /hosts\s+loopback names and api\.test/);
      const base = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(dev.stdout())![1]!;
      const token = /Ready token[^\n]*\n\s+(\S+)/.exec(dev.stdout())![1]!;
      const get = (path: string, host: string) =>
        new Promise<number>((done, fail) => {
          const req = httpRequest(
            {
              hostname: "127.0.0.1",
              port: new URL(base).port,
              path,
              headers: { host, authorization: `Bearer ${token}` },
              setHost: false,
              agent: false,
            },
            (res) => {
              res.resume();
              res.on("end", () => done(res.statusCode ?? 0));
            },
          );
          req.on("error", fail);
          req.end();
        });
      assert.equal(await get("/hello", "rebind.attacker.example"), 421);
      assert.equal(await get("/.well-known/jwks.json", "rebind.attacker.example"), 421);
      assert.equal(await get("/hello", "api.test:4000"), 200);
      assert.equal(await get("/hello", "localhost"), 200);
      for (const path of [
        "/hello/../admin/users",
        "/x/%2e%2e/admin/users",
        "/x\\..\\admin\\users",
        "/./admin/users",
      ])
        assert.equal(await get(path, "localhost"), 400, path);
      assert.deepEqual(received, ["/hello", "/hello"]);
    } finally {
      dev.child.kill("SIGTERM");
      upstream.closeAllConnections();
      await new Promise((done) => upstream.close(done));
    }
    assert.equal(await dev.exited, 0);
  });

  it("fails in one line for a missing authorizer file", async () => {
    const dev = run(["dev", "--port", "0", "--authorizer", "missing.mjs"], cwd);
    assert.equal(await dev.exited, 1);
    assert.equal(dev.stderr(), "gatepass: cannot find missing.mjs\n");
  });

  it("--lambda handler.ts (TypeScript, a sibling import) answers, and --watch reloads the sibling within a second", async () => {
    const project = mkdtempSync(join(tmpdir(), "gatepass-dev-ts-"));
    writeFileSync(join(project, "greeting.ts"), 'export const greeting: string = "hello";\n');
    writeFileSync(
      join(project, "handler.ts"),
      'import { greeting } from "./greeting";\nexport const handler = async (event: { path: string }): Promise<{ statusCode: number; body: string }> => ({ statusCode: 200, body: greeting + " " + event.path });\n',
    );
    writeFileSync(
      join(project, "auth.ts"),
      'export const handler = async (event: { methodArn: string }) => ({ principalId: "u" as string, policyDocument: { Version: "2012-10-17", Statement: [{ Action: "execute-api:Invoke", Effect: "Allow", Resource: event.methodArn }] } });\n',
    );
    const args = ["dev", "--port", "0", "--no-issuer", "--api", "rest-token", "--cache-ttl", "0"];
    const dev = run([...args, "--lambda", "handler.ts", "--authorizer", "auth.ts", "--watch"], project);
    try {
      await waitFor(dev, "Ctrl-C to stop");
      const url = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(dev.stdout())![1]!;
      const get = async () => (await call(`${url}/x`, { headers: { authorization: "Bearer t" } })).text;
      assert.equal(await get(), "hello /x");
      assert.ok(existsSync(join(project, ".gatepass", "build", ".gitignore")), "builds are gitignored");
      writeFileSync(join(project, "greeting.ts"), 'export const greeting: string = "bonjour";\n');
      const started = Date.now();
      while ((await get()) !== "bonjour /x") {
        assert.ok(Date.now() - started < 1000, "reloaded within a second");
        await new Promise((r) => setTimeout(r, 25));
      }
      writeFileSync(join(project, "handler.ts"), "export const handler = async ( => 1;\n");
      const bad = run([...args, "--lambda", "handler.ts"], project);
      assert.equal(await bad.exited, 1);
      assert.match(bad.stderr(), /^gatepass: cannot compile handler\.ts:1:\d+: /);
      assert.equal(bad.stderr().split("\n").length, 2, "one line");
    } finally {
      dev.child.kill("SIGTERM");
      await dev.exited;
      rmSync(project, { recursive: true, force: true });
    }
  });
});
