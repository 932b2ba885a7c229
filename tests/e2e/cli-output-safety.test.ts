/**
 * e2e: what the CLI prints never carries configuration content, and human output never carries a
 * terminal control sequence taken from a token. Files written with secrets are private (0600).
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { SignJWT } from "jose";
import { signToken } from "../../src/token/sign.js";
import { cleanupTempDirs, runCli, tempDir } from "./cli-helpers.js";

const SECRET = "s3cr3t-VALUE-0123456789-abcdefghijklmnop";
/** An unquoted value: V8's message for it quotes the text around the error, secret included. */
const BROKEN = `{"issuers":[{"secret":${SECRET}}]}`;
const mode = (path: string) => statSync(path).mode & 0o777;

let root: string;
before(() => {
  root = tempDir("gatepass-output-safety-");
});
after(cleanupTempDirs);

describe("no CLI message echoes configuration content", { concurrency: true, timeout: 60_000 }, () => {
  const cases: Array<[string, (file: string) => string[]]> = [
    ["inspect --config", (file) => ["inspect", "eyJhbGciOiJIUzI1NiJ9.e30.x", "--config", file]],
    ["bundle --config", (file) => ["bundle", "--out", join(root, "never"), "--config", file]],
    ["dev --config", (file) => ["dev", "--config", file, "--port", "0"]],
  ];
  for (const [name, args] of cases) {
    test(`${name} with a file that is not valid JSON names the file, not its content`, async () => {
      const file = join(root, `${name.replace(/\W+/g, "-")}.json`);
      writeFileSync(file, BROKEN);
      const result = await runCli(args(file));
      assert.notEqual(result.code, 0);
      assert.match(result.stderr, /not valid JSON/);
      for (const piece of [SECRET.slice(0, 6), "issuers", 'secret"'])
        assert.ok(
          !`${result.stdout}${result.stderr}`.includes(piece),
          `${name} printed ${piece}: ${result.stderr}`,
        );
    });
  }

  test("bundle --config: a jwksFile that is not valid JSON is named, its content is not echoed", async () => {
    const jwks = join(root, "bad-jwks.json");
    writeFileSync(jwks, `{"keys":[{"kty":"oct","k":"${SECRET}" }`);
    const config = join(root, "with-jwks-file.json");
    writeFileSync(
      config,
      JSON.stringify({ issuers: [{ jwksFile: jwks, issuer: "https://i/", audience: "a" }] }),
    );
    const result = await runCli(["bundle", "--out", join(root, "never2"), "--config", config]);
    assert.notEqual(result.code, 0);
    assert.ok(!result.stderr.includes(SECRET.slice(0, 6)), result.stderr);
  });

  test("signToken: a string key starting with { that is not a JWK is refused without echoing it", () => {
    const key = `{${SECRET}}`;
    assert.throws(
      () => signToken({ sub: "x" }, key),
      (error: Error) => !error.message.includes(SECRET.slice(0, 6)) && /JWK/.test(error.message),
    );
  });
});

describe("human output escapes control characters from tokens", { timeout: 60_000 }, () => {
  test("inspect prints a crafted kid, iss, sub and aud with their control characters escaped", async () => {
    const evil = "a\u001b[2J\u001b]0;pwned\u0007\r\u009b31m\u202Eb";
    const token = await new SignJWT({ sub: evil, iss: evil, aud: evil, scope: "x" })
      .setProtectedHeader({ alg: "HS256", kid: evil })
      .setExpirationTime("5m")
      .sign(new TextEncoder().encode(SECRET));
    const config = join(root, "inspect-config.json");
    writeFileSync(config, JSON.stringify({ issuers: [{ secret: SECRET, issuer: evil, audience: [evil] }] }));
    const printed = await runCli(["inspect", token, "--config", config, "--route", "GET /x"]);
    const output = printed.stdout + printed.stderr;
    assert.match(output, /Verification: VALID/);
    for (const char of ["\u001b", "\u0007", "\r", "\u009b", "\u202E"])
      assert.ok(!output.includes(char), `U+${char.charCodeAt(0).toString(16)} reached the terminal`);
    assert.match(output, /\\u001b\[2J/);
  });
});

describe("files that hold secrets are private", { concurrency: true, timeout: 60_000 }, () => {
  test("bundle --config with an embedded secret writes index.mjs and function.zip as 0600, and says so", async () => {
    const config = join(root, "secret-config.json");
    writeFileSync(config, JSON.stringify({ issuers: [{ secret: SECRET }] }));
    const out = join(root, "bundle-secret");
    const result = await runCli(["bundle", "--out", out, "--config", config]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(mode(join(out, "index.mjs")), 0o600);
    assert.equal(mode(join(out, "function.zip")), 0o600);
    assert.match(result.stdout + result.stderr, /0600/);
    // Bundling again without a secret relaxes nothing it should not, and tightens nothing it need not.
    const open = join(root, "open-config.json");
    writeFileSync(open, JSON.stringify({ issuers: [{ jwks: { keys: [] }, issuer: null, audience: null }] }));
    const again = await runCli(["bundle", "--out", join(root, "bundle-open"), "--config", open]);
    if (again.code === 0) assert.equal(mode(join(root, "bundle-open", "index.mjs")) & 0o044, 0o044);
  });

  test("keys generate --force with another algorithm leaves no file of the old key", async () => {
    const dir = join(root, "switch-alg");
    assert.equal((await runCli(["keys", "generate", "--alg", "HS256", "--out", dir])).code, 0);
    assert.ok(existsSync(join(dir, "secret.txt")));
    const forced = await runCli(["keys", "generate", "--alg", "ES256", "--out", dir, "--force"]);
    assert.equal(forced.code, 0, forced.stderr);
    assert.deepEqual(readdirSync(dir).sort(), ["private.jwk.json", "public.jwks.json", "public.pem"]);
    const back = await runCli(["keys", "generate", "--alg", "HS256", "--out", dir, "--force"]);
    assert.equal(back.code, 0, back.stderr);
    assert.deepEqual(readdirSync(dir).sort(), ["private.jwk.json", "public.jwks.json", "secret.txt"]);
  });

  test("keys generate without --force refuses when any file of an earlier key is there", async () => {
    const dir = join(root, "partial");
    assert.equal((await runCli(["keys", "generate", "--alg", "HS256", "--out", dir])).code, 0);
    const refused = await runCli(["keys", "generate", "--alg", "ES256", "--out", dir]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /--force/);
  });
});
