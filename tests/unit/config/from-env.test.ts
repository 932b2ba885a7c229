/**
 * `loadConfig(env)` (src/config/from-env.ts): GATEPASS_CONFIG inline or as a file, the
 * single-issuer shortcuts, and errors that name the environment variable, fit on one line and
 * never contain the secret.
 */
import assert from "node:assert/strict";
import { createSecretKey } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { ConfigError } from "../../../src/errors.js";
import { loadConfig } from "../../../src/lambda/config.js";
import { createVerifier } from "../../../src/token/verifier.js";
import { craftToken, joseSign, testKey } from "../../helpers/keys.js";

const SECRET = "env-secret-0123456789-abcdefghijklmnopqrstuvwxyz"; // 48 bytes
const rs = testKey("RS256");
const dir = mkdtempSync(join(tmpdir(), "gatepass-config-test-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

/** Asserts a ConfigError naming `names` (env variables or fields), one line, without any of `secrets`. */
function expectEnvError(env: Record<string, string>, names: string[], secrets: string[] = []): ConfigError {
  let caught: unknown;
  try {
    loadConfig(env);
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof ConfigError, `expected a ConfigError, got ${String(caught)}`);
  const message = caught.message;
  assert.ok(!/[\r\n]/.test(message), `multi-line message: ${JSON.stringify(message)}`);
  for (const name of names)
    assert.ok(message.includes(name), `${JSON.stringify(message)} does not name ${name}`);
  for (const secret of [SECRET, ...secrets]) {
    assert.ok(!message.includes(secret), `the message contains a secret: ${message}`);
  }
  return caught;
}

describe("GATEPASS_CONFIG", () => {
  const doc = { issuers: [{ secret: SECRET, issuer: "https://i/" }], principalClaim: "email" };

  test("inline JSON (with surrounding whitespace)", () => {
    const config = loadConfig({ GATEPASS_CONFIG: `\n  ${JSON.stringify(doc)}  \n` });
    assert.equal(config.issuers[0]!.secret, SECRET);
    assert.equal(config.issuers[0]!.issuer, "https://i/");
    assert.equal(config.principalClaim, "email");
    assert.equal(config.maxTokenBytes, 8192, "defaults applied");
  });

  test("a path to a JSON file", () => {
    const path = file("config.json", JSON.stringify(doc, null, 2));
    const config = loadConfig({ GATEPASS_CONFIG: path });
    assert.equal(config.issuers[0]!.secret, SECRET);
    assert.equal(loadConfig({ GATEPASS_CONFIG: ` ${path}\n` }).principalClaim, "email");
  });

  test("takes precedence over the shortcuts", () => {
    const config = loadConfig({ GATEPASS_CONFIG: JSON.stringify(doc), GATEPASS_SECRET: "y".repeat(40) });
    assert.equal(config.issuers[0]!.secret, SECRET);
  });

  test("an empty GATEPASS_CONFIG falls back to the shortcuts", () => {
    assert.equal(loadConfig({ GATEPASS_CONFIG: "  ", GATEPASS_SECRET: SECRET }).issuers[0]!.secret, SECRET);
  });

  test("GATEPASS_LOG_LEVEL applies on top of it", () => {
    assert.equal(
      loadConfig({ GATEPASS_CONFIG: JSON.stringify(doc), GATEPASS_LOG_LEVEL: " WARN " }).logLevel,
      "warn",
    );
    expectEnvError({ GATEPASS_CONFIG: JSON.stringify(doc), GATEPASS_LOG_LEVEL: "loud" }, [
      "GATEPASS_LOG_LEVEL",
    ]);
  });

  test("GATEPASS_LOG_SAMPLE_RATE sets logSampleRate over the document or the shortcuts; a bad value names the variable", () => {
    assert.equal(loadConfig({ GATEPASS_CONFIG: JSON.stringify(doc) }).logSampleRate, 1);
    assert.equal(
      loadConfig({ GATEPASS_CONFIG: JSON.stringify(doc), GATEPASS_LOG_SAMPLE_RATE: " 0.05 " }).logSampleRate,
      0.05,
    );
    assert.equal(loadConfig({ GATEPASS_SECRET: SECRET, GATEPASS_LOG_SAMPLE_RATE: "1" }).logSampleRate, 1);
    for (const bad of ["0", "1.5", "-0.1", "half", "", "5%"])
      expectEnvError({ GATEPASS_CONFIG: JSON.stringify(doc), GATEPASS_LOG_SAMPLE_RATE: bad }, [
        "GATEPASS_LOG_SAMPLE_RATE",
      ]);
  });

  test("invalid inline JSON names GATEPASS_CONFIG, on one line, without the secret", () => {
    const bad = `{"issuers":[{"secret":"${SECRET}",}]}`;
    expectEnvError({ GATEPASS_CONFIG: bad }, ["GATEPASS_CONFIG", "JSON"]);
    expectEnvError({ GATEPASS_CONFIG: `{\n"issuers":[{"secret":"${SECRET}"}\n` }, ["GATEPASS_CONFIG"]);
  });

  test("a file that does not exist names the variable and the path", () => {
    const path = join(dir, "missing.json");
    expectEnvError({ GATEPASS_CONFIG: path }, ["GATEPASS_CONFIG", path]);
  });

  test("a file with invalid JSON names the variable and the file, without its secret", () => {
    const path = file("bad.json", `{"issuers":[{"secret":"${SECRET}"}],}`);
    expectEnvError({ GATEPASS_CONFIG: path }, ["GATEPASS_CONFIG", path]);
  });

  test("JSON that is not an object is refused", () => {
    expectEnvError({ GATEPASS_CONFIG: file("array.json", "[]") }, ["GATEPASS_CONFIG"]);
    expectEnvError({ GATEPASS_CONFIG: file("null.json", "null") }, ["GATEPASS_CONFIG"]);
  });

  test("errors inside the document name the field", () => {
    expectEnvError({ GATEPASS_CONFIG: JSON.stringify({ issuers: [{ secret: SECRET, audiance: "x" }] }) }, [
      "issuers[0].audiance",
    ]);
    expectEnvError(
      { GATEPASS_CONFIG: JSON.stringify({ issuers: [{ secret: "short" }] }) },
      ["issuers[0].secret"],
      ["short"],
    );
  });

  test("a quoted GATEPASS_CONFIG (treated as a file path) does not echo the secret", () => {
    // A common .env / docker --env-file mistake: the quotes are kept in the value.
    const quoted = `'${JSON.stringify(doc)}'`;
    expectEnvError({ GATEPASS_CONFIG: quoted }, ["GATEPASS_CONFIG"], [SECRET.slice(0, 16)]);
  });

  test("a JSON syntax error next to the secret does not echo part of it", () => {
    // JSON.parse's message quotes ~10 characters around the error position (V8).
    const unquoted = `{"issuers":[{"secret": ${SECRET}}]}`;
    expectEnvError({ GATEPASS_CONFIG: unquoted }, ["GATEPASS_CONFIG"], [SECRET.slice(0, 8)]);
  });
});

describe("shortcuts", () => {
  test("GATEPASS_SECRET, with SECRET_KEY as an alias (GATEPASS_SECRET wins)", () => {
    assert.equal(loadConfig({ GATEPASS_SECRET: SECRET }).issuers[0]!.secret, SECRET);
    assert.equal(loadConfig({ SECRET_KEY: SECRET }).issuers[0]!.secret, SECRET);
    assert.equal(
      loadConfig({ SECRET_KEY: "k".repeat(40), GATEPASS_SECRET: SECRET }).issuers[0]!.secret,
      SECRET,
    );
  });

  test("issuer, comma-separated audience and algorithms, principal claim, log level", () => {
    const config = loadConfig({
      GATEPASS_SECRET: SECRET,
      GATEPASS_ISSUER: " https://login.example/ ",
      GATEPASS_AUDIENCE: "orders-api, billing-api ,,",
      GATEPASS_ALGORITHMS: "HS256,HS384",
      GATEPASS_PRINCIPAL_CLAIM: "email",
      GATEPASS_LOG_LEVEL: "DEBUG",
    });
    const issuer = config.issuers[0]!;
    assert.equal(issuer.issuer, "https://login.example/");
    assert.deepEqual(issuer.audience, ["orders-api", "billing-api"]);
    assert.deepEqual(issuer.algorithms, ["HS256", "HS384"]);
    assert.equal(config.principalClaim, "email");
    assert.equal(config.logLevel, "debug");
  });

  test("a secret-only configuration checks neither iss nor aud", () => {
    const issuer = loadConfig({ GATEPASS_SECRET: SECRET }).issuers[0]!;
    assert.equal(issuer.issuer, null);
    assert.equal(issuer.audience, null);
  });

  test("GATEPASS_PUBLIC_KEY with literal \\n sequences verifies tokens end to end", async () => {
    const oneLine = rs.publicPem!.trim().replace(/\n/g, "\\n");
    assert.ok(!oneLine.includes("\n"));
    const config = loadConfig({
      GATEPASS_PUBLIC_KEY: oneLine,
      GATEPASS_ISSUER: "https://login.example/",
      GATEPASS_AUDIENCE: "orders-api",
    });
    const now = 1_700_000_000;
    const verifier = createVerifier(config, { now: () => now * 1000, sharedKeyCache: false });
    const token = await joseSign(rs, {
      iss: "https://login.example/",
      aud: "orders-api",
      sub: "u",
      exp: now + 60,
    });
    assert.equal((await verifier.verify(token)).payload.sub, "u");
  });

  test("GATEPASS_PUBLIC_KEY requires GATEPASS_ISSUER and GATEPASS_AUDIENCE, and accepts the word null", () => {
    expectEnvError({ GATEPASS_PUBLIC_KEY: rs.publicPem!, GATEPASS_AUDIENCE: "a" }, ["GATEPASS_ISSUER"]);
    expectEnvError({ GATEPASS_PUBLIC_KEY: rs.publicPem!, GATEPASS_ISSUER: "https://i/" }, [
      "GATEPASS_AUDIENCE",
    ]);
    const config = loadConfig({
      GATEPASS_PUBLIC_KEY: rs.publicPem!,
      GATEPASS_ISSUER: "null",
      GATEPASS_AUDIENCE: " null ",
    });
    assert.equal(config.issuers[0]!.issuer, null);
    assert.equal(config.issuers[0]!.audience, null);
  });

  test("GATEPASS_JWKS_URI must be https except on loopback", () => {
    const base = { GATEPASS_ISSUER: "https://i/", GATEPASS_AUDIENCE: "a" };
    assert.equal(
      loadConfig({ ...base, GATEPASS_JWKS_URI: "http://127.0.0.1:4000/.well-known/jwks.json" }).issuers[0]!
        .jwksUri,
      "http://127.0.0.1:4000/.well-known/jwks.json",
    );
    assert.equal(
      loadConfig({ ...base, GATEPASS_JWKS_URI: " https://i/jwks " }).issuers[0]!.jwksUri,
      "https://i/jwks",
    );
    expectEnvError({ ...base, GATEPASS_JWKS_URI: "http://id.example/jwks" }, ["GATEPASS_JWKS_URI"]);
  });

  test("no configuration at all names the variables to set", () => {
    expectEnvError({}, ["GATEPASS_CONFIG", "GATEPASS_SECRET"]);
    expectEnvError({ GATEPASS_ISSUER: "https://i/" }, ["GATEPASS_CONFIG"]);
  });

  test("errors name the environment variable, never the secret", () => {
    expectEnvError(
      { GATEPASS_SECRET: "too-short-secret" },
      ["GATEPASS_SECRET", "32 bytes"],
      ["too-short-secret"],
    );
    expectEnvError({ GATEPASS_SECRET: "" }, ["GATEPASS_SECRET"]);
    expectEnvError(
      { GATEPASS_SECRET: rs.publicPem! },
      ["GATEPASS_SECRET", "public key"],
      [rs.publicPem!.slice(30, 80)],
    );
    expectEnvError({ GATEPASS_SECRET: SECRET, GATEPASS_ALGORITHMS: "HS256,none" }, [
      "GATEPASS_ALGORITHMS",
      "none",
    ]);
    expectEnvError({ GATEPASS_SECRET: SECRET, GATEPASS_ALGORITHMS: "RS256" }, ["GATEPASS_ALGORITHMS"]);
    expectEnvError(
      { GATEPASS_SECRET: "x".repeat(40), GATEPASS_ALGORITHMS: "HS512" },
      ["GATEPASS_SECRET", "64 bytes"],
      ["x".repeat(40)],
    );
    expectEnvError({ GATEPASS_SECRET: SECRET, GATEPASS_AUDIENCE: " , " }, ["GATEPASS_AUDIENCE"]);
    expectEnvError({ GATEPASS_SECRET: SECRET, GATEPASS_PRINCIPAL_CLAIM: "" }, ["GATEPASS_PRINCIPAL_CLAIM"]);
    expectEnvError({ GATEPASS_SECRET: SECRET, GATEPASS_LOG_LEVEL: "verbose" }, ["GATEPASS_LOG_LEVEL"]);
    expectEnvError(
      {
        GATEPASS_PUBLIC_KEY: "-----BEGIN PUBLIC KEY-----\\nAAAA\\n-----END PUBLIC KEY-----",
        GATEPASS_ISSUER: "null",
        GATEPASS_AUDIENCE: "null",
      },
      ["GATEPASS_PUBLIC_KEY"],
    );
  });

  test("an error from the SECRET_KEY alias names SECRET_KEY", () => {
    expectEnvError({ SECRET_KEY: "too-short" }, ["SECRET_KEY"], ["too-short"]);
  });

  test("GATEPASS_SECRET together with GATEPASS_PUBLIC_KEY names both variables", () => {
    expectEnvError(
      {
        GATEPASS_SECRET: SECRET,
        GATEPASS_PUBLIC_KEY: rs.publicPem!,
        GATEPASS_ISSUER: "null",
        GATEPASS_AUDIENCE: "null",
      },
      ["GATEPASS_SECRET", "GATEPASS_PUBLIC_KEY"],
    );
  });

  test("loadConfig() reads process.env by default", () => {
    const saved = { ...process.env };
    try {
      for (const name of Object.keys(process.env))
        if (/^GATEPASS_|^SECRET_KEY$/.test(name)) delete process.env[name];
      process.env.GATEPASS_SECRET = SECRET;
      assert.equal(loadConfig().issuers[0]!.secret, SECRET);
    } finally {
      for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
      Object.assign(process.env, saved);
    }
  });

  test("a secret-shortcut verifier accepts an HS256 token signed with that secret", async () => {
    const verifier = createVerifier(loadConfig({ GATEPASS_SECRET: SECRET }), { sharedKeyCache: false });
    const key = createSecretKey(Buffer.from(SECRET, "utf8"));
    const token = craftToken(
      { alg: "HS256" },
      { sub: "s", exp: Math.floor(Date.now() / 1000) + 60 },
      { key },
    );
    assert.equal((await verifier.verify(token)).payload.sub, "s");
  });
});
