/**
 * e2e: `gatepass bundle` → DIR/index.mjs imported by a fresh Node process in a temp directory with
 * no node_modules anywhere on its path, invoked with REST TOKEN events; the zip holds exactly
 * index.mjs (0644); the bundle stays under its size budget.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { once } from "node:events";
import { copyFileSync, existsSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { isBuiltin } from "node:module";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import dynalite from "dynalite";
import { unzipSync } from "fflate";
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT } from "jose";
import { makeTestPki } from "../helpers/certs.js";
import { cleanupTempDirs, isOneLineError, runCli, runNode, tempDir } from "./cli-helpers.js";

/**
 * Size budgets of the handler bundle, in bytes, set from the measurement (91,783 minified, 31,766
 * gzip) with ~3% headroom: a test that fails when the bundle grows. Raise them only on purpose, and
 * say why. Raised once from 72/25 KiB for the cold-start key checks, RSA signature-length check and
 * memoized policies (+3.7 KB). Raised again for the field-correctness fixes (measured before:
 * 76,911 / 26,194): typed context values, API Gateway's result-size limits with the narrow
 * fallback, cache-safe HTTP API simple responses with HTTP API route selection, the notice of
 * methods left to unmatched routes, key freshness for cached tokens, key judging, and the rule
 * compiler's segment-level overlap analysis (1,000 rules in milliseconds, not minutes), and the
 * configuration validated from one table of fields (its generated shape). Raised on purpose, each
 * step measured alone against 91,851 bytes before: the path from a hand-written authorizer (96,494:
 * several trusted shared secrets tried in constant time, the short-secret opt-in and its cold-start
 * warning, refusal sentences that name the setting to change, "did you mean" for unknown fields,
 * three environment shortcuts); claims at a path and the `typ` media-type check (94,514); the
 * identity-provider presets (99,770: a bundle configured from the environment must expand a preset
 * in `GATEPASS_CONFIG` at cold start, and every bundle gains the generic checks presets expand into,
 * `clientId`, `requiredClaimValues`, `scopeClaims`, and the warm-up of alternative issuer forms).
 * With `--config` a preset is expanded at bundle time and the bundle carries none of it; the library
 * hooks stay out of every bundle (asserted below). With all of these together, the remembered IAM
 * plans and route index, and the cold-start work moved out of module load: 111,491 / 38,555 gzip,
 * measured on the merged tree. Raised for the EMF metrics (111,290 / 38,471 before, 114,225 / 39,620
 * after: the metrics module, its configuration and the key-event counts; an environment-configured
 * bundle can turn metrics on at cold start, so it carries them). With the usage-plan claim and the
 * Powertools-shaped log lines on top: 118,721 / 41,255 on the merged tree. Raised for the revocation
 * list and token introspection (measured 118,721 / 41,255 before, 131,307 / 44,975 after: +12.6 KB,
 * of which the two checks, their composition and the cached document the JWKS cache now shares with
 * the list are 9.4 KB and the rest their configuration fields and the POST of the bounded fetch): a bundle configured from the
 * environment may turn them on at cold start, so it carries them; `--config` bundles carry them only
 * when their configuration uses them (asserted below). Raised for DPoP (RFC 9449): 134,615 / 46,114
 * gzip with the handler's DPoP import swapped for `lambda/no-dpop.ts`, 140,027 / 47,858 with it
 * (+5.4 KB: the proof checks, the replay memory and their refusal sentences); an
 * environment-configured bundle may turn `dpop` on at cold start, so it carries them; `--config`
 * bundles only when an issuer uses it (asserted below). Raised for the shared DPoP replay store
 * (`dpopReplay`, DynamoDB): 142,207 / 48,444 gzip before (already over 138 KiB with the `resource`
 * configuration merged), 146,358 / 50,043 after (+4.2 KB: the field and its validation, the
 * replay-store interface, the DynamoDB store with its timeout and cold-start loading; the AWS SDK
 * itself stays outside, imported at run time from Lambda's runtime). `--config` without dpop:
 * 55,775 → 56,049 (the handler awaiting a replay promise and hydrating the store,
 * `GATEPASS_DPOP_REPLAY_TABLE` refused by the stub); with dpop 61,058 → 63,734. Both merged with the
 * protected resource (`resource`, RFC 9728/8707, its 403 challenge and audience check): 149,774 /
 * 51,394 gzip; `--config` without either, 56,199.
 */
const BUNDLE_BUDGET_BYTES = 147 * 1024;
const BUNDLE_GZIP_BUDGET_BYTES = 51 * 1024;
/**
 * With `--config`, the configuration is validated at bundle time and the bundle leaves out the
 * schema, the environment reader, (no rules) the rule compiler and (no jwksUri or discovery) the
 * remote key sources: measured 44,758 bytes for this one, budget with ~5% headroom. Raised with the
 * budgets above (measured 44,827 before, 47,453 after: the handler's part of the same changes), and
 * again on the merged tree (51,641: claim pointers, scope claims, client and claim-value checks,
 * the route index and remembered plans); 51,997 with the metrics (the handler's two metrics calls
 * and the key sources' counts; no metrics module without `metrics`); 54,548 with the usage-plan claim
 * and the Powertools-shaped log lines.
 */
const EMBEDDED_BUDGET_BYTES = 55 * 1024;
/** The project's target for the minified bundle; not met yet (see the todo test). */
const PROJECT_TARGET_BYTES = 30 * 1024;
/** What `--config` bundles must not carry: validation happened at bundle time. */
const VALIDATION_MODULES = /config[\\/](schema|from-env)\.[jt]s$/;
const RULE_COMPILER = /rules[\\/](rules|route-pattern|requirements)\.[jt]s$/;
/** What a bundle whose issuers have neither `jwksUri` nor `discovery` must not carry. */
const REMOTE_KEYS = /keys[\\/](discovery|jwks[\\/](remote-jwks|fetch-json))\.[jt]s$/;
/** The metrics code: absent from a `--config` bundle whose configuration has no `metrics`. */
const METRICS_MODULES = /lambda[\\/]metrics(-on)?\.[jt]s$/;
/** Revocation and introspection: absent from a `--config` bundle whose issuers use neither. */
const TOKEN_STATUS_MODULES = /token[\\/](status|revocation|introspection)\.[jt]s$/;
const INTROSPECTION_MODULE = /token[\\/]introspection\.[jt]s$/;
const REVOCATION_MODULE = /token[\\/]revocation\.[jt]s$/;
/** The certificate-binding check (RFC 8705): absent from a `--config` bundle whose issuers do not use it. */
const CERT_BINDING_MODULES = /(lambda[\\/]cert-binding|adapters[\\/]client-cert)\.[jt]s$/;
/** The DPoP check (RFC 9449): absent from a `--config` bundle whose issuers do not use it. */
const DPOP_MODULE = /lambda[\\/]dpop\.[jt]s$/;
/** The library hooks (`check`, `context`): functions, which no bundle's configuration can name. */
const HOOK_MODULES = /(token[\\/]check|lambda[\\/]hooks)\.[jt]s$/;

const ISSUER = "https://id.example.com/";
const AUDIENCE = "orders-api";
const METHOD_ARN = "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/prod/GET/orders/42";

interface BundleReport {
  bytes: number;
  gzipBytes: number;
  zipBytes: number;
  configEmbedded: boolean;
  modules: string[];
}

let root: string;
let config: Record<string, unknown>;
let plain: { dir: string; report: BundleReport };
let embedded: { dir: string; report: BundleReport };
let token: string;
let expired: string;

async function bundle(dir: string, extra: string[] = []): Promise<BundleReport> {
  const result = await runCli(["bundle", "--out", dir, "--json", ...extra]);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as BundleReport;
}

/**
 * A resolve hook for the child process: any import that is not a Node builtin or a file fails, so
 * the bundle cannot lean on a node_modules directory even if one exists above the temp dir.
 */
const NO_PACKAGES_HOOK = `
  import { isBuiltin } from "node:module";
  export async function resolve(specifier, context, next) {
    if (!isBuiltin(specifier) && !/^(file:|\\.{1,2}\\/|\\/)/.test(specifier) && !specifier.startsWith("data:")) {
      throw new Error("the bundle imports a package: " + specifier);
    }
    return next(specifier, context);
  }`;

/** As {@link NO_PACKAGES_HOOK}, except the bundle may import what Lambda's runtime provides (and that its own imports). */
const RUNTIME_SDK_HOOK = `
  import { isBuiltin } from "node:module";
  export async function resolve(specifier, context, next) {
    const bundle = context.parentURL === process.env.BUNDLE_URL;
    if (bundle && !isBuiltin(specifier) && !/^(file:|\\.{1,2}\\/|\\/)/.test(specifier) && specifier !== "@aws-sdk/client-dynamodb") {
      throw new Error("the bundle imports a package: " + specifier);
    }
    return next(specifier, context);
  }`;

/**
 * Copies `bundleFile` alone into a new temp directory and imports it from a fresh `node` whose cwd
 * is that directory, with no NODE_PATH and package imports refused; calls its handler with each event.
 */
async function invoke(
  bundleFile: string,
  events: unknown[],
  env: Record<string, string> = {},
  runtimeSdk = false,
) {
  const cwd = tempDir("gatepass-lambda-");
  const copy = join(cwd, "index.mjs");
  copyFileSync(bundleFile, copy);
  // As Lambda's Node.js runtime: its AWS SDK v3 importable, and nothing else for the bundle itself.
  if (runtimeSdk)
    symlinkSync(fileURLToPath(new URL("../../node_modules", import.meta.url)), join(cwd, "node_modules"));
  const script = `
    import { register } from "node:module";
    register("data:text/javascript," + encodeURIComponent(process.env.HOOK));
    const { handler } = await import(process.env.BUNDLE_URL);
    const results = [];
    for (const event of JSON.parse(process.env.EVENTS)) {
      try { results.push({ response: await handler(event, { awsRequestId: "test" }) }); }
      catch (error) { results.push({ error: error.message }); }
    }
    process.stderr.write("RESULTS " + JSON.stringify(results) + "\\n");
  `;
  const result = await runNode(["--input-type=module", "-e", script], {
    cwd,
    env: {
      BUNDLE_URL: pathToFileURL(copy).href,
      EVENTS: JSON.stringify(events),
      HOOK: runtimeSdk ? RUNTIME_SDK_HOOK : NO_PACKAGES_HOOK,
      NODE_PATH: "",
      ...env,
    },
  });
  assert.equal(result.code, 0, result.stderr);
  const line = result.stderr.split("\n").find((l) => l.startsWith("RESULTS "));
  assert.ok(line, result.stderr);
  return {
    results: JSON.parse(line.slice("RESULTS ".length)) as Array<{
      response?: Record<string, unknown>;
      error?: string;
    }>,
    logs: result.stdout,
  };
}

const tokenEvent = (value: string) => ({
  type: "TOKEN",
  authorizationToken: `Bearer ${value}`,
  methodArn: METHOD_ARN,
});

function assertAllow(response: Record<string, unknown> | undefined) {
  assert.ok(response, "a response");
  assert.equal(response.principalId, "user-1");
  const doc = response.policyDocument as {
    Version: string;
    Statement: Array<{ Effect: string; Action: string }>;
  };
  assert.equal(doc.Version, "2012-10-17");
  assert.ok(doc.Statement.some((s) => s.Effect === "Allow"));
}

before(async () => {
  root = tempDir();
  const keys = join(root, "keys");
  const generated = await runCli(["keys", "generate", "--alg", "ES256", "--out", keys]);
  assert.equal(generated.code, 0, generated.stderr);
  const jwks = JSON.parse(readFileSync(join(keys, "public.jwks.json"), "utf8"));
  config = { issuers: [{ issuer: ISSUER, audience: [AUDIENCE], jwks }], logLevel: "warn" };
  const configFile = join(root, "gatepass.config.json");
  writeFileSync(configFile, JSON.stringify(config));
  const key = join(keys, "private.jwk.json");
  const [p, e, t, x] = await Promise.all([
    bundle(join(root, "plain")),
    bundle(join(root, "embedded"), ["--config", configFile]),
    runCli(["mint", "--key", key, "--iss", ISSUER, "--aud", AUDIENCE, "--sub", "user-1"]),
    runCli([
      "mint",
      "--key",
      key,
      "--iss",
      ISSUER,
      "--aud",
      AUDIENCE,
      "--sub",
      "user-1",
      "--claim",
      `exp=${Math.floor(Date.now() / 1000) - 60}`,
    ]),
  ]);
  plain = { dir: join(root, "plain"), report: p };
  embedded = { dir: join(root, "embedded"), report: e };
  token = t.stdout.trim();
  expired = x.stdout.trim();
});

after(() => cleanupTempDirs());

describe("gatepass bundle", { concurrency: true }, () => {
  test("index.mjs runs with no node_modules: GATEPASS_CONFIG from the environment, Allow and 401", async () => {
    const { results } = await invoke(
      join(plain.dir, "index.mjs"),
      [tokenEvent(token), tokenEvent(expired), tokenEvent("garbage")],
      {
        GATEPASS_CONFIG: JSON.stringify(config),
      },
    );
    assertAllow(results[0]?.response);
    assert.deepEqual(results[1], { error: "Unauthorized" });
    assert.deepEqual(results[2], { error: "Unauthorized" });
  });

  test("--config embeds the configuration: no environment needed", async () => {
    assert.equal(embedded.report.configEmbedded, true);
    const { results } = await invoke(join(embedded.dir, "index.mjs"), [
      tokenEvent(token),
      tokenEvent(expired),
    ]);
    assertAllow(results[0]?.response);
    assert.deepEqual(results[1], { error: "Unauthorized" });
  });

  test("without a configuration the bundle fails at import (a Lambda init error), naming what is missing", async () => {
    const cwd = tempDir("gatepass-lambda-");
    const bundleUrl = pathToFileURL(join(plain.dir, "index.mjs")).href;
    const result = await runNode(["--input-type=module", "-e", "await import(process.env.BUNDLE_URL)"], {
      cwd,
      env: { BUNDLE_URL: bundleUrl },
    });
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /GATEPASS_CONFIG/);
  });

  test("the handler only: ESM, export handler, node builtins only, no CLI or dev code", () => {
    for (const { dir, report } of [plain, embedded]) {
      const code = readFileSync(join(dir, "index.mjs"), "utf8");
      assert.match(
        code,
        /export\s*\{[^}]*\bas handler\b[^}]*\}|export\s*\{\s*handler\s*\}|export const handler/,
      );
      const specifiers = [
        ...code.matchAll(/\bfrom\s*"([^"]+)"|\bimport\s*\(\s*"([^"]+)"\s*\)|\bimport\s*"([^"]+)"/g),
      ].map((m) => m[1] ?? m[2] ?? m[3]);
      for (const specifier of specifiers) assert.ok(isBuiltin(specifier!), `bundle imports ${specifier}`);
      assert.ok(report.modules.length > 0);
      for (const module of report.modules) {
        assert.doesNotMatch(
          module,
          /node_modules|[\\/]cli[\\/]|[\\/]dev[\\/]/,
          `unexpected module in the bundle: ${module}`,
        );
      }
      assert.doesNotMatch(code, /commander|esbuild|fflate/);
    }
  });

  test("Node built-ins are taken as modules, never imported as ES module namespaces", () => {
    // Building a built-in's namespace reads every export: for node:crypto that loads Web Crypto,
    // about half a millisecond of every cold start.
    for (const { dir } of [plain, embedded]) {
      const code = readFileSync(join(dir, "index.mjs"), "utf8");
      const imported = [
        ...code.matchAll(/\bfrom\s*"(node:[^"]+|[a-z_]+)"|\bimport\s*\(\s*"([^"]+)"\s*\)/g),
      ].map((m) => m[1] ?? m[2]);
      assert.deepEqual(imported, []);
    }
  });

  test("function.zip holds exactly index.mjs, mode 0644", () => {
    for (const { dir } of [plain, embedded]) {
      const zip = readFileSync(join(dir, "function.zip"));
      const files = unzipSync(zip);
      assert.deepEqual(Object.keys(files), ["index.mjs"]);
      assert.deepEqual(Buffer.from(files["index.mjs"]!), readFileSync(join(dir, "index.mjs")));
      // Central directory header: "version made by" host (3 = Unix), external attributes (mode << 16).
      const central = zip.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
      assert.ok(central > 0);
      assert.equal(zip[central + 5], 3, "made on Unix, so the mode applies");
      assert.equal(zip.readUInt32LE(central + 38) >>> 16, 0o100644);
    }
  });

  test(`bundle size budget: ≤ ${BUNDLE_BUDGET_BYTES} bytes minified, ≤ ${BUNDLE_GZIP_BUDGET_BYTES} gzip`, () => {
    const { bytes, gzipBytes, zipBytes } = plain.report;
    assert.equal(bytes, readFileSync(join(plain.dir, "index.mjs")).length);
    console.log(`# bundle: ${bytes} bytes minified, ${gzipBytes} gzip, ${zipBytes} zip`);
    assert.ok(
      bytes <= BUNDLE_BUDGET_BYTES,
      `index.mjs is ${bytes} bytes, over the ${BUNDLE_BUDGET_BYTES}-byte budget`,
    );
    assert.ok(
      gzipBytes <= BUNDLE_GZIP_BUDGET_BYTES,
      `index.mjs is ${gzipBytes} bytes gzipped, over ${BUNDLE_GZIP_BUDGET_BYTES}`,
    );
  });

  test("neither bundle carries the library hooks' code", () => {
    for (const report of [plain.report, embedded.report]) {
      assert.ok(report.modules.length > 0);
      for (const module of report.modules) assert.doesNotMatch(module, HOOK_MODULES, `${module} in a bundle`);
    }
  });

  test(`--config leaves validation out of the bundle: ≤ ${EMBEDDED_BUDGET_BYTES} bytes minified`, () => {
    const { bytes, modules } = embedded.report;
    console.log(`# bundle --config: ${bytes} bytes minified (${plain.report.bytes} without)`);
    assert.ok(bytes <= EMBEDDED_BUDGET_BYTES, `index.mjs is ${bytes} bytes, over ${EMBEDDED_BUDGET_BYTES}`);
    for (const module of modules) {
      assert.doesNotMatch(module, VALIDATION_MODULES, `${module} in a --config bundle`);
      assert.doesNotMatch(module, RULE_COMPILER, `${module} in a bundle whose configuration has no rules`);
    }
    // The same modules are in the bundle configured from the environment.
    assert.ok(plain.report.modules.some((m) => VALIDATION_MODULES.test(m)));
    assert.ok(plain.report.modules.some((m) => RULE_COMPILER.test(m)));
  });

  test("--config with rules: the rule compiler is in, and the rules decide", async () => {
    const file = join(root, "rules.config.json");
    writeFileSync(
      file,
      JSON.stringify({
        ...config,
        routes: [
          { route: "GET /orders/{id}", scopes: ["orders:read"] },
          { route: "GET /health", allow: true },
        ],
      }),
    );
    const dir = join(root, "rules");
    const report = await bundle(dir, ["--config", file]);
    assert.ok(report.modules.some((m) => RULE_COMPILER.test(m)));
    assert.ok(!report.modules.some((m) => VALIDATION_MODULES.test(m)));
    const health = METHOD_ARN.replace("/GET/orders/42", "/GET/health");
    const { results } = await invoke(join(dir, "index.mjs"), [
      tokenEvent(token),
      { ...tokenEvent(token), methodArn: health },
    ]);
    // The token has no orders:read scope: Deny on the orders route, Allow on /health.
    const statements = (r: { response?: Record<string, unknown> } | undefined) =>
      (
        r?.response?.policyDocument as
          | { Statement: Array<{ Effect: string; Resource: string[] }> }
          | undefined
      )?.Statement ?? [];
    assert.ok(
      statements(results[0]).some(
        (s) => s.Effect === "Deny" && s.Resource.some((x) => x.includes("/GET/orders/")),
      ),
    );
    assertAllow(results[1]?.response);
  });

  test("--config: GATEPASS_LOG_LEVEL still applies, and an unknown level fails the cold start", async () => {
    const quiet = await invoke(join(embedded.dir, "index.mjs"), [tokenEvent(token)], {
      GATEPASS_LOG_LEVEL: "INFO",
    });
    assertAllow(quiet.results[0]?.response);
    assert.match(quiet.logs, /"event":"decision"/);
    const cwd = tempDir("gatepass-lambda-");
    const result = await runNode(["--input-type=module", "-e", "await import(process.env.BUNDLE_URL)"], {
      cwd,
      env: { BUNDLE_URL: pathToFileURL(join(embedded.dir, "index.mjs")).href, GATEPASS_LOG_LEVEL: "loud" },
    });
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /Invalid gatepass configuration: GATEPASS_LOG_LEVEL: expected one of/);
  });

  test(`project target: ≤ ${PROJECT_TARGET_BYTES} bytes minified`, {
    todo: "≈ 55 KB with --config (inline keys), ≈ 119 KB configured from the environment",
  }, () => {
    assert.ok(embedded.report.bytes <= PROJECT_TARGET_BYTES, `index.mjs is ${embedded.report.bytes} bytes`);
  });

  test("--config with a shared secret only: no JWKS or discovery code in the bundle, and HS256 tokens verify", async () => {
    const secret = "a-shared-secret-of-at-least-32-bytes!";
    const file = join(root, "secret.config.json");
    writeFileSync(file, JSON.stringify({ issuers: [{ issuer: ISSUER, audience: [AUDIENCE], secret }] }));
    const dir = join(root, "secret");
    const report = await bundle(dir, ["--config", file]);
    for (const module of report.modules) assert.doesNotMatch(module, REMOTE_KEYS, `${module} in the bundle`);
    assert.ok(plain.report.modules.some((m) => REMOTE_KEYS.test(m)));
    assert.ok(
      report.bytes < embedded.report.bytes,
      `${report.bytes} bytes, not less than ${embedded.report.bytes}`,
    );
    const hs256 = await new SignJWT({ sub: "user-1" })
      .setProtectedHeader({ alg: "HS256" })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime("5m")
      .sign(new TextEncoder().encode(secret));
    const { results } = await invoke(join(dir, "index.mjs"), [tokenEvent(hs256), tokenEvent(expired)]);
    assertAllow(results[0]?.response);
    assert.deepEqual(results[1], { error: "Unauthorized" });
  });

  test("--config without revocation or introspection carries neither; with a revocation list only, no introspection code, and the list refuses", async () => {
    for (const module of embedded.report.modules)
      assert.doesNotMatch(module, TOKEN_STATUS_MODULES, `${module} in a bundle whose issuers use neither`);
    assert.ok(plain.report.modules.some((m) => TOKEN_STATUS_MODULES.test(m)));
    const list = join(root, "revocations.json");
    // Every token of user-1 issued before a minute from now is revoked.
    writeFileSync(list, JSON.stringify({ subjects: { "user-1": Math.floor(Date.now() / 1000) + 60 } }));
    const file = join(root, "revocation.config.json");
    const issuer = (config.issuers as Array<Record<string, unknown>>)[0]!;
    writeFileSync(file, JSON.stringify({ ...config, issuers: [{ ...issuer, revocation: { file: list } }] }));
    const dir = join(root, "revocation");
    const result = await runCli(["bundle", "--out", dir, "--json", "--config", file]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /revocation\.file is read from the Lambda's file system/);
    const report = JSON.parse(result.stdout) as BundleReport;
    assert.ok(report.modules.some((m) => REVOCATION_MODULE.test(m)));
    for (const module of report.modules) assert.doesNotMatch(module, INTROSPECTION_MODULE);
    console.log(
      `# bundle --config with revocation: ${report.bytes} bytes (${embedded.report.bytes} without)`,
    );
    const { results } = await invoke(join(dir, "index.mjs"), [tokenEvent(token)]);
    assert.deepEqual(results[0], { error: "Unauthorized" });
  });

  test("--config without certificateBound carries no certificate-binding code; with it, REST REQUEST events are checked against their client certificate", async () => {
    for (const module of embedded.report.modules)
      assert.doesNotMatch(
        module,
        CERT_BINDING_MODULES,
        `${module} in a bundle whose issuers do not bind tokens`,
      );
    assert.ok(
      plain.report.modules.some((m) => CERT_BINDING_MODULES.test(m)),
      "the environment may turn it on",
    );
    const pki = makeTestPki();
    const secret = "a-shared-secret-of-at-least-32-bytes!";
    const file = join(root, "cert-bound.config.json");
    writeFileSync(
      file,
      JSON.stringify({
        issuers: [{ issuer: ISSUER, audience: [AUDIENCE], secret, certificateBound: "required" }],
      }),
    );
    const dir = join(root, "cert-bound");
    const report = await bundle(dir, ["--config", file]);
    assert.ok(report.modules.some((m) => CERT_BINDING_MODULES.test(m)));
    const bound = await new SignJWT({ sub: "user-1", cnf: { "x5t#S256": pki.client.x5tS256 } })
      .setProtectedHeader({ alg: "HS256" })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime("5m")
      .sign(new TextEncoder().encode(secret));
    const requestEvent = (pem: string) => ({
      type: "REQUEST",
      methodArn: METHOD_ARN,
      headers: { Authorization: `Bearer ${bound}` },
      requestContext: { identity: { clientCert: { clientCertPem: pem } } },
    });
    const { results } = await invoke(join(dir, "index.mjs"), [
      requestEvent(pki.client.pem),
      requestEvent(pki.other.pem),
    ]);
    assertAllow(results[0]?.response);
    assert.deepEqual(results[1], { error: "Unauthorized" });
  });

  test("--config without dpop carries no DPoP code; with it, a REST REQUEST event needs its DPoP proof", async () => {
    for (const module of embedded.report.modules)
      assert.doesNotMatch(module, DPOP_MODULE, `${module} in a bundle whose issuers do not use DPoP`);
    assert.ok(
      plain.report.modules.some((m) => DPOP_MODULE.test(m)),
      "the environment may turn it on",
    );
    const secret = "a-shared-secret-of-at-least-32-bytes!";
    const file = join(root, "dpop.config.json");
    writeFileSync(
      file,
      JSON.stringify({ issuers: [{ issuer: ISSUER, audience: [AUDIENCE], secret, dpop: "required" }] }),
    );
    const dir = join(root, "dpop");
    const report = await bundle(dir, ["--config", file]);
    assert.ok(report.modules.some((m) => DPOP_MODULE.test(m)));
    const client = await generateKeyPair("ES256", { extractable: true });
    const jwk = await exportJWK(client.publicKey);
    const bound = await new SignJWT({ sub: "user-1", cnf: { jkt: await calculateJwkThumbprint(jwk) } })
      .setProtectedHeader({ alg: "HS256" })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime("5m")
      .sign(new TextEncoder().encode(secret));
    const proof = await new SignJWT({
      htm: "GET",
      htu: "https://api.example.com/prod/orders/42",
      jti: "bundle-proof-1",
      ath: createHash("sha256").update(bound).digest("base64url"),
    })
      .setProtectedHeader({ alg: "ES256", typ: "dpop+jwt", jwk })
      .setIssuedAt()
      .sign(client.privateKey);
    const requestEvent = (withProof: boolean) => ({
      type: "REQUEST",
      methodArn: METHOD_ARN,
      httpMethod: "GET",
      path: "/orders/42",
      headers: {
        Authorization: `DPoP ${bound}`,
        Host: "api.example.com",
        ...(withProof ? { DPoP: proof } : {}),
      },
      requestContext: { path: "/prod/orders/42" },
    });
    const { results } = await invoke(join(dir, "index.mjs"), [requestEvent(true), requestEvent(false)]);
    assertAllow(results[0]?.response);
    assert.deepEqual(results[1], { error: "Unauthorized" });
  });

  test("--config with dpop and GATEPASS_DPOP_REPLAY_TABLE: the runtime's AWS SDK is imported, never bundled, and two instances share the replay table", async () => {
    const server = dynalite({ createTableMs: 0 });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const credentials = { accessKeyId: "local", secretAccessKey: "local" };
    const db = new DynamoDBClient({ endpoint, region: "eu-west-1", credentials });
    try {
      await db.send(
        new CreateTableCommand({
          TableName: "dpop-replay",
          BillingMode: "PAY_PER_REQUEST",
          AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
          KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
        }),
      );
      const secret = "a-shared-secret-of-at-least-32-bytes!";
      const file = join(root, "dpop-replay.config.json");
      writeFileSync(
        file,
        JSON.stringify({
          issuers: [{ issuer: ISSUER, audience: [AUDIENCE], secret, dpop: "required" }],
          // The table comes from GATEPASS_DPOP_REPLAY_TABLE below, over this one; a put may take
          // long on a loaded machine (the whole suite on two cores), hence the long timeout.
          dpopReplay: { store: "dynamodb", table: "not-this-table", timeoutMs: 10000 },
        }),
      );
      const dir = join(root, "dpop-replay");
      const report = await bundle(dir, ["--config", file]);
      for (const m of [...report.modules, ...plain.report.modules])
        assert.doesNotMatch(m, /@aws-sdk|@smithy/, `${m} in a bundle`);
      assert.match(readFileSync(join(dir, "index.mjs"), "utf8"), /"@aws-sdk\/client-dynamodb"/);
      const client = await generateKeyPair("ES256", { extractable: true });
      const jwk = await exportJWK(client.publicKey);
      const bound = await new SignJWT({ sub: "user-1", cnf: { jkt: await calculateJwkThumbprint(jwk) } })
        .setProtectedHeader({ alg: "HS256" })
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setExpirationTime("5m")
        .sign(new TextEncoder().encode(secret));
      const proof = (jti: string) =>
        new SignJWT({
          htm: "GET",
          htu: "https://api.example.com/prod/orders/42",
          jti,
          ath: createHash("sha256").update(bound).digest("base64url"),
        })
          .setProtectedHeader({ alg: "ES256", typ: "dpop+jwt", jwk })
          .setIssuedAt()
          .sign(client.privateKey);
      const requestEvent = (dpopProof: string) => ({
        type: "REQUEST",
        methodArn: METHOD_ARN,
        httpMethod: "GET",
        path: "/orders/42",
        headers: { Authorization: `DPoP ${bound}`, Host: "api.example.com", DPoP: dpopProof },
        requestContext: { path: "/prod/orders/42" },
      });
      const [first, second] = [await proof("replay-1"), await proof("replay-2")];
      const env = {
        GATEPASS_DPOP_REPLAY_TABLE: "dpop-replay",
        AWS_REGION: "eu-west-1",
        AWS_ENDPOINT_URL_DYNAMODB: endpoint,
        AWS_ACCESS_KEY_ID: credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      };
      // Two processes: two Lambda instances.
      const a = await invoke(join(dir, "index.mjs"), [requestEvent(first)], env, true);
      assertAllow(a.results[0]?.response);
      const b = await invoke(join(dir, "index.mjs"), [requestEvent(first), requestEvent(second)], env, true);
      assert.deepEqual(b.results[0], { error: "Unauthorized" });
      assert.match(b.logs, /already used \(replay\)/);
      assertAllow(b.results[1]?.response);
      // Without the runtime's SDK: refused (fail closed), never allowed.
      const bare = await invoke(join(dir, "index.mjs"), [requestEvent(await proof("replay-3"))], env);
      assert.deepEqual(bare.results[0], { error: "Unauthorized" });
      assert.match(bare.logs, /cannot load @aws-sdk\/client-dynamodb/);
      // A bundle without dpop refuses the variable at cold start.
      const cwd = tempDir("gatepass-lambda-");
      const refused = await runNode(["--input-type=module", "-e", "await import(process.env.BUNDLE_URL)"], {
        cwd,
        env: {
          BUNDLE_URL: pathToFileURL(join(embedded.dir, "index.mjs")).href,
          GATEPASS_DPOP_REPLAY_TABLE: "dpop-replay",
        },
      });
      assert.notEqual(refused.code, 0);
      assert.match(refused.stderr, /GATEPASS_DPOP_REPLAY_TABLE: applies only with an issuer using dpop/);
    } finally {
      db.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  test("--config without metrics carries no metrics code; with metrics, one EMF line per invocation", async () => {
    for (const module of embedded.report.modules)
      assert.doesNotMatch(module, METRICS_MODULES, `${module} in a bundle configured without metrics`);
    assert.ok(
      plain.report.modules.some((m) => METRICS_MODULES.test(m)),
      "the environment may turn them on",
    );
    const file = join(root, "metrics.config.json");
    writeFileSync(file, JSON.stringify({ ...config, metrics: { namespace: "Gatepass/Bundle" } }));
    const dir = join(root, "metrics");
    const report = await bundle(dir, ["--config", file]);
    assert.ok(report.modules.some((m) => METRICS_MODULES.test(m)));
    console.log(
      `# bundle --config with metrics: ${report.bytes} bytes minified (${embedded.report.bytes} without)`,
    );
    const { results, logs } = await invoke(join(dir, "index.mjs"), [tokenEvent(token), tokenEvent(expired)], {
      POWERTOOLS_SERVICE_NAME: "orders",
    });
    assertAllow(results[0]?.response);
    const docs = logs
      .split("\n")
      .filter((l) => l.startsWith('{"_aws"'))
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      docs.map((d) => [d._aws.CloudWatchMetrics[0].Namespace, d.service, d.outcome, d.reason, d.Decisions]),
      [
        ["Gatepass/Bundle", "orders", "allow", undefined, 1],
        ["Gatepass/Bundle", "orders", "unauthorized", "ERR_JWT_EXPIRED", 1],
      ],
    );
  });

  test("--config with a jwksUri issuer keeps the remote key sources", async () => {
    const file = join(root, "remote.config.json");
    writeFileSync(
      file,
      JSON.stringify({
        issuers: [{ issuer: ISSUER, audience: [AUDIENCE], jwksUri: "https://id.example.com/jwks.json" }],
      }),
    );
    const report = await bundle(join(root, "remote"), ["--config", file]);
    assert.ok(report.modules.some((m) => REMOTE_KEYS.test(m)));
    assert.ok(!report.modules.some((m) => /no-remote-keys/.test(m)));
  });

  test("a bad --config fails before bundling: exit 1, one line naming the field", async () => {
    const bad = join(root, "bad.json");
    writeFileSync(
      bad,
      JSON.stringify({ issuers: [{ issuer: ISSUER, audiance: ["x"], jwks: { keys: [] } }] }),
    );
    const out = join(root, "bad-out");
    const result = await runCli(["bundle", "--out", out, "--config", bad]);
    assert.equal(result.code, 1);
    assert.ok(isOneLineError(result.stderr), result.stderr);
    assert.match(result.stderr, /Invalid gatepass configuration: issuers\[0\]\.audiance/);
    assert.equal(existsSync(join(out, "index.mjs")), false);
  });

  test("human output reports the sizes", async () => {
    const result = await runCli(["bundle", "--out", join(root, "human")]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /index\.mjs\s+[\d,]+ bytes minified, [\d,]+ bytes gzipped/);
    assert.match(result.stdout, /function\.zip\s+[\d,]+ bytes/);
  });
});
