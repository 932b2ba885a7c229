/**
 * e2e: `gatepass dev --tls --client-ca` as a process. The README's "Mutual TLS locally" commands run
 * as printed (the configuration and every command read from the README itself; only `npx gatepass`
 * becomes the built CLI and port 4000 a free one), each `curl` answering the status its comment
 * says; and bad option files stop the start with one line naming the option, a non-zero exit, and
 * none of the file's content.
 */
import assert from "node:assert/strict";
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { makeTestPki } from "../helpers/certs.js";
import { CLI, cleanEnv, cleanupTempDirs, isOneLineError, ROOT, runCli, tempDir } from "./cli-helpers.js";

const OPTS = { timeout: 90_000 };

after(cleanupTempDirs);

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

/** The README's subsection: its `json` block and its `sh` blocks, in order. */
function readmeSection(): { json: string; sh: string[][] } {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const start = readme.indexOf("### Mutual TLS locally: `gatepass dev --tls --client-ca`");
  assert.ok(start >= 0, "the README has the subsection");
  const end = readme.indexOf("\n## ", start);
  const section = readme.slice(start, end);
  const blocks = [...section.matchAll(/```(\w+)\n([\s\S]*?)```/g)];
  const json = blocks.find((b) => b[1] === "json")?.[2];
  assert.ok(json !== undefined);
  const sh = blocks.filter((b) => b[1] === "sh").map((b) => b[2]!.split("\n").filter((l) => l.trim() !== ""));
  return { json, sh };
}

/** Waits until the child printed the banner's last line. */
async function banner(child: ChildProcess, out: { text: string }): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!out.text.includes("Ctrl-C")) {
    assert.ok(Date.now() < deadline, `no banner: ${out.text}`);
    assert.equal(child.exitCode, null, out.text);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe("the README's mutual-TLS commands, as processes", () => {
  it(
    "keys generate, gatepass dev --tls --client-ca, then each curl line answers the status it says",
    OPTS,
    async () => {
      const dir = tempDir("gatepass-readme-mtls-");
      const port = String(await freePort());
      const local = (text: string) =>
        text.replaceAll("4000", port).replaceAll("npx gatepass", `"${process.execPath}" "${CLI}"`);
      const { json, sh } = readmeSection();
      assert.equal(sh.length, 2, "one block to start, one of curl lines");
      writeFileSync(join(dir, "mtls.json"), local(json));
      const [generate, dev] = sh[0]!.map(local);
      assert.match(generate!, /keys generate --client-cert/);
      const made = await new Promise<number>((done) =>
        execFile("sh", ["-c", generate!], { cwd: dir, env: cleanEnv() }, (error) => done(error ? 1 : 0)),
      );
      assert.equal(made, 0);
      const child = spawn("sh", ["-c", `exec ${dev!}`], { cwd: dir, env: cleanEnv({ HOME: dir }) });
      const out = { text: "" };
      child.stdout!.on("data", (c: Buffer) => {
        out.text += c.toString();
      });
      child.stderr!.on("data", (c: Buffer) => {
        out.text += c.toString();
      });
      try {
        await banner(child, out);
        assert.match(out.text, new RegExp(`on https://127\\.0\\.0\\.1:${port}`));
        assert.match(
          out.text,
          /curl --cacert \.gatepass\/dev-keys\/tls-ca\.pem/,
          "the banner names the CA file",
        );
        assert.match(out.text, /Try mutual TLS \(each line runs as printed\)/);
        const lines = sh[1]!.map(local);
        const expected = lines.flatMap((l) =>
          /# (\d{3})\s*$/.exec(l) ? [Number(/# (\d{3})\s*$/.exec(l)![1])] : [],
        );
        assert.deepEqual(expected, [200, 403, 401]);
        const script = await new Promise<string>((done, fail) =>
          execFile(
            "sh",
            ["-c", lines.join("\n")],
            { cwd: dir, env: cleanEnv(), timeout: 30_000 },
            (error, stdout) => (error ? fail(error) : done(stdout)),
          ),
        );
        const statuses = [...script.matchAll(/HTTP\/1\.1 (\d{3}) [A-Z]/g)].map((m) => Number(m[1]));
        assert.deepEqual(statuses, expected, script);
        // The banner's own curl lines run as printed too (same shell: TOKEN set by the first).
        const printed = out.text
          .split("\n")
          .slice(out.text.split("\n").findIndex((l) => l.startsWith("Try mutual TLS")) + 1)
          .filter((l) => l.startsWith("  TOKEN=") || l.startsWith("  curl "))
          .map((l) => l.trim());
        assert.equal(printed.length, 3);
        const fromBanner = await new Promise<string>((done, fail) =>
          execFile(
            "sh",
            ["-c", printed.join("\n")],
            { cwd: dir, env: cleanEnv(), timeout: 30_000 },
            (error, stdout) => (error ? fail(error) : done(stdout)),
          ),
        );
        assert.deepEqual(
          [...fromBanner.matchAll(/HTTP\/1\.1 (\d{3}) [A-Z]/g)].map((m) => Number(m[1])),
          [200, 403],
        );
      } finally {
        child.kill("SIGTERM");
        await new Promise((done) => child.once("exit", done));
      }
    },
  );
});

describe("gatepass dev --tls: bad option files stop the start, naming the option, printing no key material", () => {
  const pki = makeTestPki();
  const dir = tempDir("gatepass-tls-files-");
  const file = (name: string, content: string | Buffer) => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };
  const keyFile = file("client.key.pem", pki.client.keyPem);
  const certFile = file("client.pem", pki.client.pem);
  const caFile = file("ca.pem", pki.ca.pem);
  const keyBody = pki.client.keyPem.split("\n")[1]!;
  mkdirSync(join(dir, "a-directory"));
  const cases: { name: string; args: string[]; option: string }[] = [
    {
      name: "a private key as the truststore",
      args: ["--tls", "--client-ca", keyFile],
      option: "--client-ca",
    },
    {
      name: "garbage as the truststore",
      args: ["--tls", "--client-ca", file("garbage.pem", "not PEM at all\n")],
      option: "--client-ca",
    },
    {
      name: "a corrupt certificate block",
      args: [
        "--tls",
        "--client-ca",
        file("corrupt.pem", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"),
      ],
      option: "--client-ca",
    },
    {
      name: "a client certificate (not a CA) as the truststore",
      args: ["--tls", "--client-ca", certFile],
      option: "--client-ca",
    },
    {
      name: "an oversize truststore (over 1 MiB)",
      args: ["--tls", "--client-ca", file("big.pem", `${pki.ca.pem}${"#".repeat(1024 * 1024)}`)],
      option: "--client-ca",
    },
    { name: "a directory", args: ["--tls", "--client-ca", join(dir, "a-directory")], option: "--client-ca" },
    {
      name: "a missing file",
      args: ["--tls", "--client-ca", join(dir, "missing.pem")],
      option: "--client-ca",
    },
    {
      name: "a server key that is not the certificate's",
      args: ["--tls", "--tls-cert", caFile, "--tls-key", keyFile],
      option: "--tls-key",
    },
    {
      name: "garbage as the server key",
      args: ["--tls", "--tls-cert", certFile, "--tls-key", file("bad.key", "garbage")],
      option: "--tls-key",
    },
    {
      name: "a key as the server certificate",
      args: ["--tls", "--tls-cert", keyFile, "--tls-key", keyFile],
      option: "--tls-cert",
    },
  ];
  for (const c of cases) {
    it(c.name, OPTS, async () => {
      const result = await runCli(["dev", "--port", "0", "--keys-dir", join(dir, "keys"), ...c.args], {
        cwd: dir,
      });
      assert.equal(result.code, 1, result.stderr);
      assert.ok(isOneLineError(result.stderr), result.stderr);
      assert.ok(result.stderr.includes(c.option), result.stderr);
      assert.ok(!result.stderr.includes(keyBody) && !/BEGIN|PRIVATE KEY/.test(result.stderr), result.stderr);
      assert.ok(!result.stdout.includes(keyBody), result.stdout);
    });
  }

  it("--client-ca, --tls-cert and --tls-key without --tls: a usage error (exit 2)", OPTS, async () => {
    for (const args of [
      ["--client-ca", caFile],
      ["--tls-cert", certFile, "--tls-key", keyFile],
    ]) {
      const result = await runCli(["dev", "--port", "0", ...args], { cwd: dir });
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, /needs --tls/);
    }
  });

  it("--tls-cert without --tls-key: one line, exit 1", OPTS, async () => {
    const result = await runCli(["dev", "--port", "0", "--tls", "--tls-cert", certFile], { cwd: dir });
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /--tls-cert and --tls-key go together/);
  });

  it(
    "a WebSocket API with --client-ca is refused: AWS has no mutual TLS for WebSocket APIs",
    OPTS,
    async () => {
      const result = await runCli(
        [
          "dev",
          "--port",
          "0",
          "--keys-dir",
          join(dir, "keys"),
          "--api",
          "websocket",
          "--tls",
          "--client-ca",
          caFile,
        ],
        { cwd: dir },
      );
      assert.equal(result.code, 1, result.stderr);
      assert.ok(isOneLineError(result.stderr), result.stderr);
      assert.match(result.stderr, /WebSocket/);
    },
  );
});
