/**
 * e2e: the built `gatepass` binary as a child process — keys → mint → inspect for every
 * algorithm, tokens checked by jose, file modes, exit codes, help and usage errors.
 */
import assert from "node:assert/strict";
import { createPrivateKey } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  calculateJwkThumbprint,
  createLocalJWKSet,
  decodeProtectedHeader,
  importSPKI,
  jwtVerify,
} from "jose";
import { cleanupTempDirs, isOneLineError, ROOT, runCli, tempDir } from "./cli-helpers.js";

const ALGS = ["RS256", "PS256", "ES256", "ES384", "EdDSA", "HS256"] as const;
type Alg = (typeof ALGS)[number];

const ISSUER = "https://id.example.com/";
const AUDIENCE = "orders-api";

interface KeyDir {
  dir: string;
  privateJwk: Record<string, string>;
  publicJwks: { keys: Array<Record<string, string>> };
  secret?: string;
  /** A gatepass configuration file that verifies this key's tokens. */
  configFile: string;
}

let root: string;
const keys = {} as Record<Alg, KeyDir>;

const json = (text: string) => JSON.parse(text) as Record<string, unknown>;
const mode = (path: string) => statSync(path).mode & 0o777;
const nowSeconds = () => Math.floor(Date.now() / 1000);

function writeConfig(
  path: string,
  issuer: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): string {
  writeFileSync(
    path,
    JSON.stringify({ issuers: [{ issuer: ISSUER, audience: [AUDIENCE], ...issuer }], ...extra }),
  );
  return path;
}

async function mint(alg: Alg, args: string[]): Promise<string> {
  const k = keys[alg];
  const keyArgs =
    k.secret !== undefined && args.includes("--use-secret")
      ? ["--secret", k.secret]
      : ["--key", join(k.dir, "private.jwk.json")];
  const result = await runCli(["mint", ...keyArgs, ...args.filter((a) => a !== "--use-secret")]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stderr, "");
  const lines = result.stdout.split("\n");
  assert.equal(lines.length, 2, "mint prints the token and nothing else");
  assert.match(lines[0]!, /^[\w-]+\.[\w-]+\.[\w-]+$/);
  return lines[0]!;
}

before(async () => {
  root = tempDir();
  // One key per algorithm, generated in parallel (RSA is the slow one); reused by every test.
  await Promise.all(
    ALGS.map(async (alg) => {
      const dir = join(root, alg);
      if (alg === "ES256") mkdirSync(dir); // an existing, empty directory is fine
      const result = await runCli(["keys", "generate", "--alg", alg, "--out", dir]);
      assert.equal(result.code, 0, result.stderr);
      const privateJwk = json(readFileSync(join(dir, "private.jwk.json"), "utf8")) as Record<string, string>;
      const publicJwks = json(readFileSync(join(dir, "public.jwks.json"), "utf8")) as KeyDir["publicJwks"];
      const secret = alg === "HS256" ? readFileSync(join(dir, "secret.txt"), "utf8").trim() : undefined;
      const configFile = writeConfig(
        join(dir, "config.json"),
        secret !== undefined ? { secret } : { jwksFile: join(dir, "public.jwks.json") },
        {
          routes: [
            { route: "GET /orders/{id}", scopes: ["orders:read"] },
            { route: "DELETE /orders/{id}", scopes: ["orders:admin"] },
          ],
        },
      );
      keys[alg] = { dir, privateJwk, publicJwks, configFile, ...(secret !== undefined ? { secret } : {}) };
    }),
  );
});

after(() => cleanupTempDirs());

describe("keys generate", { concurrency: true }, () => {
  for (const alg of ALGS) {
    test(`${alg}: files, modes, kid = RFC 7638 thumbprint`, async () => {
      const { dir, privateJwk, publicJwks, secret } = keys[alg];
      assert.equal(mode(join(dir, "private.jwk.json")), 0o600);
      assert.equal(privateJwk.alg, alg);
      assert.equal(typeof privateJwk.kid, "string");
      if (alg === "HS256") {
        assert.equal(privateJwk.kty, "oct");
        assert.deepEqual(publicJwks, { keys: [] });
        assert.equal(existsSync(join(dir, "public.pem")), false);
        assert.equal(mode(join(dir, "secret.txt")), 0o600);
        assert.ok(Buffer.byteLength(secret!, "utf8") >= 32);
        assert.match(secret!, /^[A-Za-z0-9_-]+$/, "usable as GATEPASS_SECRET as-is");
        // The JWK and the secret are the same key: k is the secret's UTF-8 bytes.
        assert.equal(Buffer.from(privateJwk.k!, "base64url").toString("utf8"), secret);
        assert.equal(privateJwk.kid, await calculateJwkThumbprint({ kty: "oct", k: privateJwk.k! }));
      } else {
        assert.ok(privateJwk.d, "a private JWK");
        assert.equal(publicJwks.keys.length, 1);
        const pub = publicJwks.keys[0]!;
        assert.equal(pub.d, undefined, "no private member in the public key set");
        assert.equal(pub.use, "sig");
        assert.equal(pub.alg, alg);
        assert.equal(pub.kid, privateJwk.kid);
        assert.equal(pub.kid, await calculateJwkThumbprint(pub));
        const pem = readFileSync(join(dir, "public.pem"), "utf8");
        assert.match(pem, /^-----BEGIN PUBLIC KEY-----\n/);
        assert.equal(mode(join(dir, "public.pem")) & 0o077, 0o044);
      }
    });
  }

  test("never overwrites without --force; --force replaces the key and keeps 0600", async () => {
    const dir = join(root, "overwrite");
    assert.equal((await runCli(["keys", "generate", "--alg", "EdDSA", "--out", dir])).code, 0);
    const before = readFileSync(join(dir, "private.jwk.json"), "utf8");
    const refused = await runCli(["keys", "generate", "--alg", "EdDSA", "--out", dir]);
    assert.equal(refused.code, 1);
    assert.ok(isOneLineError(refused.stderr), refused.stderr);
    assert.match(refused.stderr, /already exist.*--force/);
    assert.equal(readFileSync(join(dir, "private.jwk.json"), "utf8"), before);
    const forced = await runCli(["keys", "generate", "--alg", "EdDSA", "--out", dir, "--force"]);
    assert.equal(forced.code, 0, forced.stderr);
    assert.notEqual(readFileSync(join(dir, "private.jwk.json"), "utf8"), before);
    assert.equal(mode(join(dir, "private.jwk.json")), 0o600);
  });

  test("without --out prints JSON; --kid sets the kid", async () => {
    const es = await runCli(["keys", "generate", "--alg", "ES256", "--kid", "my-key-1"]);
    assert.equal(es.code, 0, es.stderr);
    const printed = json(es.stdout);
    assert.equal(printed.kid, "my-key-1");
    assert.equal((printed.privateJwk as Record<string, string>).kid, "my-key-1");
    assert.equal((printed.publicJwks as KeyDir["publicJwks"]).keys[0]!.kid, "my-key-1");
    assert.match(printed.publicPem as string, /BEGIN PUBLIC KEY/);
    const hs = json((await runCli(["keys", "generate", "--alg", "HS256"])).stdout);
    assert.equal(typeof hs.secret, "string");
    assert.deepEqual(hs.publicJwks, { keys: [] });
    assert.equal(hs.publicPem, undefined);
  });
});

describe("mint → jose → inspect", { concurrency: true }, () => {
  for (const alg of ALGS) {
    test(`${alg}: the minted token verifies in jose and in gatepass inspect`, async () => {
      const k = keys[alg];
      const token = await mint(alg, [
        ...["--iss", ISSUER, "--aud", AUDIENCE, "--aud", "other-api", "--sub", "user-1"],
        ...[
          "--scope",
          "orders:read orders:write",
          "--claim",
          "admin=true",
          "--claim",
          "tenant=acme",
          "--claim",
          'groups=["a","b"]',
        ],
      ]);
      const header = decodeProtectedHeader(token);
      assert.equal(header.alg, alg);
      assert.equal(header.kid, k.privateJwk.kid, "kid from the key file");
      const options = { issuer: ISSUER, audience: AUDIENCE, algorithms: [alg] };
      const { payload } =
        k.secret !== undefined
          ? await jwtVerify(token, new TextEncoder().encode(k.secret), options)
          : await jwtVerify(token, createLocalJWKSet(k.publicJwks as never), options);
      assert.equal(payload.sub, "user-1");
      assert.deepEqual(payload.aud, [AUDIENCE, "other-api"]);
      assert.equal(payload.scope, "orders:read orders:write");
      assert.equal(payload.admin, true, "JSON claim values are parsed");
      assert.equal(payload.tenant, "acme", "non-JSON claim values stay strings");
      assert.deepEqual(payload.groups, ["a", "b"]);
      assert.equal(payload.exp! - payload.iat!, 900, "--ttl defaults to 15m");

      const inspected = await runCli(["inspect", token, "--config", k.configFile, "--json"]);
      assert.equal(inspected.code, 0, inspected.stdout + inspected.stderr);
      const report = json(inspected.stdout);
      assert.equal((report.verification as { valid: boolean }).valid, true);
      assert.equal(
        (report.token as { verified: boolean }).verified,
        false,
        "the decoded part is labelled unverified",
      );
    });
  }

  test("HS256 with --secret, verified from GATEPASS_SECRET in the environment", async () => {
    const { secret } = keys.HS256;
    const token = await mint("HS256", [
      "--use-secret",
      "--sub",
      "svc",
      "--ttl",
      "1h",
      "--nbf",
      "0s",
      "--kid",
      "k1",
    ]);
    const { payload, protectedHeader } = await jwtVerify(token, new TextEncoder().encode(secret!));
    assert.equal(protectedHeader.kid, "k1");
    assert.equal(payload.exp! - payload.iat!, 3600);
    assert.equal(payload.nbf, payload.iat);
    const inspected = await runCli(["inspect", token], { env: { GATEPASS_SECRET: secret! } });
    assert.equal(inspected.code, 0, inspected.stdout);
    assert.match(inspected.stdout, /Verification: VALID/);
    assert.match(inspected.stdout, /expires in 59 minutes|expires in 1 hour/);
    assert.ok(
      !inspected.stdout.includes(secret!) && !inspected.stderr.includes(secret!),
      "never prints the secret",
    );
    assert.ok(!inspected.stdout.includes(token.split(".")[2]!), "never prints the token");
  });

  test("a PEM private key file signs too", async () => {
    const pemFile = join(root, "es256-private.pem");
    const pem = createPrivateKey({ key: keys.ES256.privateJwk as never, format: "jwk" }).export({
      format: "pem",
      type: "pkcs8",
    });
    writeFileSync(pemFile, pem, { mode: 0o600 });
    const result = await runCli(["mint", "--key", pemFile, "--sub", "pem-user", "--aud", AUDIENCE]);
    assert.equal(result.code, 0, result.stderr);
    const token = result.stdout.trim();
    const publicKey = await importSPKI(readFileSync(join(keys.ES256.dir, "public.pem"), "utf8"), "ES256");
    const { payload, protectedHeader } = await jwtVerify(token, publicKey, { audience: AUDIENCE });
    assert.equal(protectedHeader.alg, "ES256", "alg implied by the key");
    assert.equal(payload.sub, "pem-user");
  });
});

describe("inspect", { concurrency: true }, () => {
  const config = () => keys.ES256.configFile;
  const valid = () =>
    mint("ES256", ["--iss", ISSUER, "--aud", AUDIENCE, "--sub", "user-1", "--scope", "orders:read"]);

  test("valid: exit 0, decoded header and payload, human dates", async () => {
    const result = await runCli(["inspect", await valid(), "--config", config()]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /WITHOUT verification/);
    assert.match(result.stdout, /"alg": "ES256"/);
    assert.match(result.stdout, /"sub": "user-1"/);
    assert.match(result.stdout, /exp\s+\d{4}-\d\d-\d\dT[\d:.]+Z\s+expires in 1[45] minutes/);
    assert.match(result.stdout, /Verification: VALID/);
  });

  test("expired: exit 1, ERR_JWT_EXPIRED, 'expired 3 minutes ago'", async () => {
    const token = await mint("ES256", [
      "--iss",
      ISSUER,
      "--aud",
      AUDIENCE,
      "--sub",
      "u",
      "--claim",
      `exp=${nowSeconds() - 185}`,
    ]);
    const result = await runCli(["inspect", token, "--config", config(), "--json"]);
    assert.equal(result.code, 1);
    const v = json(result.stdout).verification as Record<string, string>;
    assert.equal(v.code, "ERR_JWT_EXPIRED");
    assert.match(v.explanation!, /expired 3 minutes ago/);
    const human = await runCli(["inspect", token, "--config", config()]);
    assert.equal(human.code, 1);
    assert.match(human.stdout, /INVALID\s+ERR_JWT_EXPIRED/);
  });

  test("wrong audience: exit 1 with the code and the configured audiences", async () => {
    const token = await mint("ES256", ["--iss", ISSUER, "--aud", "billing-api", "--sub", "u"]);
    const result = await runCli(["inspect", token, "--config", config()]);
    assert.equal(result.code, 1);
    assert.match(result.stdout, /ERR_JWT_AUDIENCE_INVALID/);
    assert.match(result.stdout, /audience 'billing-api' is not one of \['orders-api'\]/);
  });

  test("--config names the methods of a rule path left to unmatchedRoutes", async () => {
    const token = await valid();
    const human = await runCli(["inspect", token, "--config", config()]);
    assert.match(human.stdout, /Open to any authenticated principal: no rule decides these methods/);
    assert.match(human.stdout, /^ {2}POST, PUT, PATCH, HEAD, OPTIONS \/orders\/\{id\}$/m);
    const machine = await runCli(["inspect", token, "--config", config(), "--json"]);
    assert.deepEqual(json(machine.stdout).unmatchedMethods, [
      {
        path: "/orders/{id}",
        methods: ["POST", "PUT", "PATCH", "HEAD", "OPTIONS"],
        decidedBy: "unmatchedRoutes",
      },
    ]);
  });

  test("--route: allowed 0, forbidden 1 (403 Deny), unauthenticated 1 (401)", async () => {
    const token = await valid();
    const allowed = await runCli([
      "inspect",
      token,
      "--config",
      config(),
      "--route",
      "GET /orders/42",
      "--json",
    ]);
    assert.equal(allowed.code, 0, allowed.stdout + allowed.stderr);
    const a = json(allowed.stdout).route as Record<string, unknown>;
    assert.equal(a.decision, "allow");
    assert.equal(a.status, 200);
    assert.equal((a.authorizerResponse as { principalId: string }).principalId, "user-1");
    assert.equal(a.methodArn, "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/dev/GET/orders/42");

    const forbidden = await runCli([
      "inspect",
      token,
      "--config",
      config(),
      "--route",
      "DELETE /orders/42",
      "--json",
    ]);
    assert.equal(forbidden.code, 1);
    const f = json(forbidden.stdout).route as Record<string, unknown>;
    assert.equal(f.decision, "deny");
    assert.equal(f.status, 403);
    assert.equal((f.gatewayResponse as { statusCode: number }).statusCode, 403);
    assert.equal(
      (json(forbidden.stdout).verification as { valid: boolean }).valid,
      true,
      "valid token, forbidden route",
    );
    const human = await runCli(["inspect", token, "--config", config(), "--route", "DELETE /orders/42"]);
    assert.equal(human.code, 1);
    assert.match(human.stdout, /Route DELETE \/orders\/42: DENY \(403\)/);

    const expired = await mint("ES256", [
      "--iss",
      ISSUER,
      "--aud",
      AUDIENCE,
      "--sub",
      "u",
      "--claim",
      `exp=${nowSeconds() - 60}`,
    ]);
    const unauth = await runCli([
      "inspect",
      expired,
      "--config",
      config(),
      "--route",
      "GET /orders/42",
      "--json",
    ]);
    assert.equal(unauth.code, 1);
    const u = json(unauth.stdout).route as Record<string, unknown>;
    assert.equal(u.decision, "unauthorized");
    assert.equal(u.status, 401);
    assert.equal(u.thrown, "Unauthorized");
  });

  test("TOKEN '-' reads stdin", async () => {
    const result = await runCli(["inspect", "-", "--config", config()], {
      input: `Bearer ${await valid()}\n`,
    });
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /Verification: VALID/);
  });

  test("malformed token: exit 1, ERR_JWT_MALFORMED", async () => {
    const result = await runCli(["inspect", "not.a-token", "--config", config(), "--json"]);
    assert.equal(result.code, 1);
    assert.equal((json(result.stdout).verification as { code: string }).code, "ERR_JWT_MALFORMED");
  });

  test("no configuration: decodes, verification skipped, exit 1", async () => {
    const result = await runCli(["inspect", await valid()]);
    assert.equal(result.code, 1);
    assert.match(result.stdout, /"sub": "user-1"/);
    assert.match(result.stdout, /Verification: SKIPPED/);
  });

  test("a bad configuration is one line, exit 1", async () => {
    const bad = writeConfig(join(root, "bad-config.json"), { secret: "short" });
    const result = await runCli(["inspect", await valid(), "--config", bad]);
    assert.equal(result.code, 1);
    assert.ok(isOneLineError(result.stderr), result.stderr);
    assert.match(result.stderr, /issuers\[0\]\.secret/);
  });
});

describe("CLI conventions", { concurrency: true }, () => {
  const commands = [[], ["keys"], ["keys", "generate"], ["mint"], ["inspect"], ["bundle"], ["dev"]];
  for (const command of commands) {
    test(`gatepass ${command.join(" ")} --help`, async () => {
      const result = await runCli([...command, "--help"]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /^Usage: gatepass/);
      assert.equal(result.stderr, "");
    });
  }

  test("--version prints the package version", async () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
    const result = await runCli(["--version"]);
    assert.equal(result.code, 0);
    assert.equal(result.stdout.trim(), version);
  });

  const usage: Array<[string, string[], RegExp]> = [
    ["no command", [], /a command is required/],
    ["unknown command", ["frobnicate"], /unknown command/],
    ["keys without subcommand", ["keys"], /keys: a command is required \(generate, check\)/],
    ["keys generate without --alg", ["keys", "generate"], /--alg/],
    ["bad --alg", ["keys", "generate", "--alg", "none"], /unsupported algorithm "none"/],
    ["bad --alg on mint", ["mint", "--secret", "x".repeat(32), "--alg", "RS1"], /unsupported algorithm/],
    ["bad --ttl", ["mint", "--secret", "x".repeat(32), "--ttl", "5x"], /duration/],
    ["bad --claim", ["mint", "--secret", "x".repeat(32), "--claim", "novalue"], /name=value/],
    ["no key for mint", ["mint", "--sub", "u"], /--key FILE, --secret S/],
    ["--secret with RS256", ["mint", "--secret", "x".repeat(32), "--alg", "RS256"], /needs a private key/],
    ["unknown option", ["mint", "--tll", "5m"], /unknown option '--tll'/],
    ["inspect without token", ["inspect"], /missing required argument/],
    ["inspect bad --route", ["inspect", "a.b.c", "--route", "orders"], /METHOD \/path/],
    ["inspect empty stdin", ["inspect", "-"], /no token on stdin/],
    ["bundle without --out", ["bundle"], /--out/],
    ["excess arguments", ["mint", "extra", "--secret", "x".repeat(32)], /too many arguments|excess/i],
  ];
  for (const [name, args, message] of usage) {
    test(`usage error: ${name} → exit 2, one line`, async () => {
      const result = await runCli(args, { input: "" });
      assert.equal(result.code, 2, `${result.stdout}${result.stderr}`);
      assert.ok(isOneLineError(result.stderr), JSON.stringify(result.stderr));
      assert.match(result.stderr, message);
      assert.equal(result.stdout, "");
    });
  }

  test("runtime failures are one line, exit 1: missing key file, public key given to mint", async () => {
    const missing = await runCli(["mint", "--key", join(root, "nope.json")]);
    assert.equal(missing.code, 1);
    assert.ok(isOneLineError(missing.stderr), missing.stderr);
    assert.match(missing.stderr, /cannot read the key file .*ENOENT/);
    const jwks = await runCli(["mint", "--key", join(keys.ES256.dir, "public.jwks.json")]);
    assert.equal(jwks.code, 1);
    assert.match(jwks.stderr, /public key set/);
    const pem = await runCli(["mint", "--key", join(keys.ES256.dir, "public.pem")]);
    assert.equal(pem.code, 1);
    assert.match(pem.stderr, /public key/);
    const mismatch = await runCli([
      "mint",
      "--key",
      join(keys.ES256.dir, "private.jwk.json"),
      "--alg",
      "RS256",
    ]);
    assert.equal(mismatch.code, 2);
    assert.ok(isOneLineError(mismatch.stderr), mismatch.stderr);
  });
});
