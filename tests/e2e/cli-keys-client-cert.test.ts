/**
 * e2e: `gatepass keys generate --client-cert` as a process: a test CA and a client certificate that `openssl`
 * (an independent implementation) verifies for TLS client authentication, private keys 0600, and
 * the printed `x5t#S256` equal to `openssl`'s SHA-256 fingerprint of the certificate.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { cleanupTempDirs, isOneLineError, runCli, tempDir } from "./cli-helpers.js";

after(cleanupTempDirs);

const OPTS = { timeout: 60_000 };
const openssl = (args: string[]) => execFileSync("openssl", args, { encoding: "utf8" });

describe("gatepass keys generate --client-cert", () => {
  test(
    "writes a CA and a client certificate openssl verifies for client auth; prints its x5t#S256",
    OPTS,
    async () => {
      const dir = join(tempDir(), "pki");
      const result = await runCli([
        "keys",
        "generate",
        "--client-cert",
        "--out",
        dir,
        "--cn",
        "alice",
        "--days",
        "2",
        "--json",
      ]);
      assert.equal(result.code, 0, result.stderr);
      const printed = JSON.parse(result.stdout) as { "x5t#S256": string; files: Record<string, string> };
      const verify = openssl([
        "verify",
        "-CAfile",
        join(dir, "ca.pem"),
        "-purpose",
        "sslclient",
        join(dir, "client.pem"),
      ]);
      assert.match(verify, /client\.pem: OK/);
      const fingerprint = openssl([
        "x509",
        "-in",
        join(dir, "client.pem"),
        "-noout",
        "-fingerprint",
        "-sha256",
      ]);
      const hex = fingerprint.trim().split("=")[1]!.replaceAll(":", "");
      assert.equal(printed["x5t#S256"], Buffer.from(hex, "hex").toString("base64url"));
      assert.match(openssl(["x509", "-in", join(dir, "client.pem"), "-noout", "-subject"]), /CN ?= ?alice/);
      for (const name of ["ca.key.pem", "client.key.pem"]) {
        assert.equal(statSync(join(dir, name)).mode & 0o777, 0o600, name);
        assert.match(readFileSync(join(dir, name), "utf8"), /BEGIN PRIVATE KEY/);
      }
      // The client key belongs to the client certificate.
      const certKey = openssl(["x509", "-in", join(dir, "client.pem"), "-noout", "-pubkey"]);
      const privKey = openssl(["pkey", "-in", join(dir, "client.key.pem"), "-pubout"]);
      assert.equal(certKey, privKey);
    },
  );

  test(
    "refuses to replace existing files without --force, bad --days, and --alg with --client-cert, with one line",
    OPTS,
    async () => {
      const dir = join(tempDir(), "pki");
      assert.equal((await runCli(["keys", "generate", "--client-cert", "--out", dir])).code, 0);
      const again = await runCli(["keys", "generate", "--client-cert", "--out", dir]);
      assert.notEqual(again.code, 0);
      assert.ok(isOneLineError(again.stderr), again.stderr);
      assert.match(again.stderr, /--force/);
      assert.equal((await runCli(["keys", "generate", "--client-cert", "--out", dir, "--force"])).code, 0);
      for (const extra of [
        ["--days", "0"],
        ["--alg", "ES256"],
      ]) {
        const bad = await runCli(["keys", "generate", "--client-cert", "--out", dir, "--force", ...extra]);
        assert.equal(bad.code, 2, bad.stderr);
        assert.ok(isOneLineError(bad.stderr), bad.stderr);
      }
      const noOut = await runCli(["keys", "generate", "--client-cert"]);
      assert.equal(noOut.code, 2, noOut.stderr);
    },
  );
});
