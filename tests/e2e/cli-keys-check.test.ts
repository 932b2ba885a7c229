/**
 * e2e: `gatepass keys check FILE` as a process: each key of a JWKS, JWK or PEM file judged as
 * gatepass imports it, exit 1 when any is refused, never printing key material.
 */
import assert from "node:assert/strict";
import { generateKeyPairSync, type JsonWebKey } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { rocaKeyPair, withExponentOne } from "../helpers/weak-keys.js";
import { cleanupTempDirs, isOneLineError, runCli, tempDir } from "./cli-helpers.js";

after(cleanupTempDirs);

const dir = tempDir();
const file = (name: string, content: unknown) => {
  const path = join(dir, name);
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content));
  return path;
};

const rsa = {
  ...generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey.export({ format: "jwk" }),
  kid: "rsa",
};
const ec = {
  ...generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({ format: "jwk" }),
  kid: "ec",
  alg: "ES256",
};
const e1: JsonWebKey = { ...withExponentOne(rsa), kid: "e1" };
const roca = rocaKeyPair("roca");

describe("gatepass keys check", { timeout: 60_000, concurrency: true }, () => {
  test("a sound JWKS: every key ACCEPTED with what it verifies, exit 0", async () => {
    const result = await runCli(["keys", "check", file("good.json", { keys: [rsa, ec] })]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /keys\[0\] kid "rsa" {2}ACCEPTED {2}verifies RS256/);
    assert.match(result.stdout, /keys\[1\] kid "ec" {2}ACCEPTED {2}verifies ES256/);
  });

  test("a JWKS holding an e = 1 key: REFUSED with code and reason, the others accepted, exit 1, no key material", async () => {
    const result = await runCli(["keys", "check", file("e1.json", { keys: [ec, e1] })]);
    assert.equal(result.code, 1);
    assert.match(result.stdout, /keys\[0\] kid "ec" {2}ACCEPTED/);
    assert.match(result.stdout, /keys\[1\] kid "e1" {2}REFUSED {2}RSA_EXPONENT_INVALID {2}.*exponent is 1/);
    assert.ok(!result.stdout.includes(String(rsa.n).slice(0, 24)));
    const json = JSON.parse((await runCli(["keys", "check", join(dir, "e1.json"), "--json"])).stdout);
    assert.equal(json.refused, true);
    assert.deepEqual(
      json.keys.map((k: { kid: string; verdict: string; code?: string }) => [k.kid, k.verdict, k.code]),
      [
        ["ec", "accepted", undefined],
        ["e1", "refused", "RSA_EXPONENT_INVALID"],
      ],
    );
  });

  test("a ROCA key as a PEM and as a lone JWK: REFUSED RSA_MODULUS_ROCA, exit 1", async () => {
    const pem = roca.publicKey.export({ type: "spki", format: "pem" }).toString();
    for (const path of [file("roca.pem", pem), file("roca.jwk.json", roca.publicJwk)]) {
      const result = await runCli(["keys", "check", path]);
      assert.equal(result.code, 1);
      assert.match(result.stdout, /REFUSED {2}RSA_MODULUS_ROCA {2}.*CVE-2017-15361/);
    }
  });

  test("a key set mixing a secret with public keys: refused as a set, exit 1, the secret not printed", async () => {
    const secret = { kty: "oct", kid: "s", k: Buffer.alloc(32, 7).toString("base64url") };
    const result = await runCli(["keys", "check", file("mixed.json", { keys: [ec, secret] })]);
    assert.equal(result.code, 1);
    assert.match(result.stdout, /key set {2}REFUSED {2}the key set mixes shared secrets/);
    assert.ok(!result.stdout.includes(secret.k));
  });

  test("not a key file: one line, no content quoted, exit 1", async () => {
    const result = await runCli(["keys", "check", file("bad.json", '{"keys": [SECRETSECRET')]);
    assert.equal(result.code, 1);
    assert.ok(isOneLineError(result.stderr), result.stderr);
    assert.ok(!result.stderr.includes("SECRETSECRET"));
    const missing = await runCli(["keys", "check", join(dir, "absent.json")]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /ENOENT/);
  });
});
