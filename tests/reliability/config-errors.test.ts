/**
 * Configuration errors at the level users meet them: `createAuthorizer(config)` and the built
 * `gatepass/lambda` module (`dist/lambda/index.js`) loaded in a fresh Node.js process with
 * `GATEPASS_CONFIG`, as a Lambda cold start does.
 *
 * `parseConfig` and `loadConfig` are tested field by field in tests/unit/config/; here each class of
 * mistake (unknown key, wrong type, weak secret, `none`, a rule that can never match, a bad URL, a
 * plain-http JWKS off loopback) must stop the authorizer from being built at all — a `ConfigError`
 * at construction, never a handler that fails per request — and the Lambda module must fail to load
 * with one line naming the field, without ever printing the secret.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { ConfigError } from "../../src/errors.js";
import { createAuthorizer } from "../../src/lambda/authorizer.js";
import { createMemoryLogger } from "../../src/log.js";
import { loadKeys } from "./make-hostile-corpus.js";

const keys = loadKeys();
/** A secret that must never be printed: 48 bytes, unusual enough to grep for. */
const SECRET = "Sup3r-Secret-Do-Not-Print-0123456789-abcdefghijk";
const SHORT_SECRET = "Tiny-Secret-Never-Print-Me";
const PEM = keys.trustedRsa.publicPem;
const PRIVATE_PEM = keys.trustedRsa.privateKey.export({ type: "pkcs8", format: "pem" }).toString();

const secretIssuer = (extra: Record<string, unknown> = {}) => ({
  issuer: "https://login.test/",
  secret: SECRET,
  ...extra,
});
const pemIssuer = (extra: Record<string, unknown> = {}) => ({
  issuer: "https://id.test/",
  audience: ["orders-api"],
  publicKey: PEM,
  ...extra,
});
const uriIssuer = (jwksUri: string) => ({ issuer: "https://id.test/", audience: ["orders-api"], jwksUri });

/** Each class of mistake: the document, the field the error must name, and text it must never contain. */
const CASES: Array<{ what: string; doc: unknown; field: string; never?: string[] }> = [
  // unknown keys: a typo must not switch a check off
  {
    what: "an unknown top-level key (issuer for issuers)",
    doc: { issuer: [secretIssuer()] },
    field: "issuer",
  },
  {
    what: "a misspelt audience (audiance)",
    doc: { issuers: [pemIssuer({ audience: undefined, audiance: ["x"] })] },
    field: "issuers[0].audiance",
  },
  {
    what: "a misspelt rule field (scope for scopes)",
    doc: { issuers: [secretIssuer()], routes: [{ route: "GET /a", scope: ["x"] }] },
    field: "routes[0].scope",
  },
  {
    what: "an unknown jwksCache setting",
    doc: { issuers: [{ ...uriIssuer("https://id.test/jwks"), jwksCache: { ttl: 5 } }] },
    field: "issuers[0].jwksCache.ttl",
  },
  {
    what: "a secret under an unknown key is not echoed",
    doc: { issuers: [secretIssuer()], sekret: SHORT_SECRET },
    field: "sekret",
    never: [SHORT_SECRET],
  },
  // wrong types
  { what: "issuers an object", doc: { issuers: secretIssuer() }, field: "issuers" },
  {
    what: "audience a number",
    doc: { issuers: [pemIssuer({ audience: 42 })] },
    field: "issuers[0].audience",
  },
  {
    what: "requireExp a string",
    doc: { issuers: [secretIssuer({ requireExp: "false" })] },
    field: "issuers[0].requireExp",
  },
  {
    what: "clockToleranceSeconds a string",
    doc: { issuers: [secretIssuer({ clockToleranceSeconds: "5" })] },
    field: "issuers[0].clockToleranceSeconds",
  },
  {
    what: "the secret a number",
    doc: { issuers: [{ secret: 123456789 }] },
    field: "issuers[0].secret",
  },
  {
    what: "the secret an object holding it",
    doc: { issuers: [{ secret: { value: SECRET } }] },
    field: "issuers[0].secret",
  },
  {
    what: "the secret where the issuer belongs",
    doc: { issuers: [{ issuer: { x: SECRET }, secret: SECRET }] },
    field: "issuers[0].issuer",
  },
  // weak secrets and keys
  {
    what: "a 26-byte secret",
    doc: { issuers: [{ secret: SHORT_SECRET }] },
    field: "issuers[0].secret",
    never: [SHORT_SECRET],
  },
  {
    what: "a 48-byte secret for HS512",
    doc: { issuers: [secretIssuer({ algorithms: ["HS512"] })] },
    field: "issuers[0].secret",
  },
  {
    what: "a PEM public key configured as the secret",
    doc: { issuers: [{ secret: PEM }] },
    field: "issuers[0].secret",
    never: ["MIIB"],
  },
  {
    what: "a private key as publicKey",
    doc: { issuers: [pemIssuer({ publicKey: PRIVATE_PEM })] },
    field: "issuers[0].publicKey",
    never: ["PRIVATE KEY-----\nMII"],
  },
  {
    what: "HS256 allowed on a public-key issuer",
    doc: { issuers: [pemIssuer({ algorithms: ["RS256", "HS256"] })] },
    field: "issuers[0].algorithms",
  },
  {
    what: "HS256 allowed on a jwksUri issuer",
    doc: { issuers: [{ ...uriIssuer("https://id.test/jwks"), algorithms: ["HS256"] }] },
    field: "issuers[0].algorithms",
  },
  // none
  {
    what: 'algorithms ["none"]',
    doc: { issuers: [secretIssuer({ algorithms: ["none"] })] },
    field: "issuers[0].algorithms[0]",
  },
  {
    what: 'algorithms ["RS256", "NONE"]',
    doc: { issuers: [pemIssuer({ algorithms: ["RS256", "NONE"] })] },
    field: "issuers[0].algorithms[1]",
  },
  // rules that can never match
  {
    what: "a rule with an empty scopes list",
    doc: { issuers: [secretIssuer()], routes: [{ route: "GET /a", scopes: [] }] },
    field: "routes[0].scopes",
  },
  {
    what: "a scope containing a space",
    doc: { issuers: [secretIssuer()], routes: [{ route: "GET /a", scopes: ["orders read"] }] },
    field: "routes[0].scopes[0]",
  },
  {
    what: "a claim requirement with an empty list",
    doc: { issuers: [secretIssuer()], routes: [{ route: "GET /a", claims: { groups: [] } }] },
    field: "routes[0].claims.groups",
  },
  {
    what: "a claim requirement of null",
    doc: { issuers: [secretIssuer()], routes: [{ route: "GET /a", claims: { groups: null } }] },
    field: "routes[0].claims.groups",
  },
  {
    what: "allow: false",
    doc: { issuers: [secretIssuer()], routes: [{ route: "GET /a", allow: false }] },
    field: "routes[0].allow",
  },
  {
    what: "a rule without requirements",
    doc: { issuers: [secretIssuer()], routes: [{ route: "GET /a" }] },
    field: "routes[0]",
  },
  {
    what: "a duplicate route",
    doc: {
      issuers: [secretIssuer()],
      routes: [
        { route: "GET /a/{id}", allow: true },
        { route: "GET /a/{x}", scopes: ["s"] },
      ],
    },
    field: "routes[1].route",
  },
  {
    what: "an unknown method",
    doc: { issuers: [secretIssuer()], routes: [{ route: "FETCH /a", allow: true }] },
    field: "routes[0].route",
  },
  // bad URLs
  {
    what: "a jwksUri that is not a URL",
    doc: { issuers: [uriIssuer("id.test/jwks")] },
    field: "issuers[0].jwksUri",
  },
  {
    what: "an ftp jwksUri",
    doc: { issuers: [uriIssuer("ftp://id.test/jwks")] },
    field: "issuers[0].jwksUri",
  },
  {
    what: "a file jwksUri",
    doc: { issuers: [uriIssuer("file:///etc/jwks.json")] },
    field: "issuers[0].jwksUri",
  },
  {
    what: "a jwksUri with credentials (not echoed)",
    doc: { issuers: [uriIssuer(`https://admin:${SHORT_SECRET}@id.test/jwks`)] },
    field: "issuers[0].jwksUri",
    never: [SHORT_SECRET],
  },
  // plain http off loopback
  {
    what: "an http jwksUri on a public host",
    doc: { issuers: [uriIssuer("http://id.example.com/.well-known/jwks.json")] },
    field: "issuers[0].jwksUri",
  },
  {
    what: "an http jwksUri on the instance metadata address",
    doc: { issuers: [uriIssuer("http://169.254.169.254/latest/meta-data/")] },
    field: "issuers[0].jwksUri",
  },
  {
    what: "an http jwksUri on a private address",
    doc: { issuers: [uriIssuer("http://10.0.0.7/jwks")] },
    field: "issuers[0].jwksUri",
  },
  {
    what: "an http jwksUri on a look-alike of localhost",
    doc: { issuers: [uriIssuer("http://localhost.evil.example/jwks")] },
    field: "issuers[0].jwksUri",
  },
  {
    what: "OIDC discovery from an http issuer",
    doc: { issuers: [{ issuer: "http://id.example.com/", audience: ["a"], discovery: true }] },
    field: "issuers[0].issuer",
  },
];

function expectConfigError(run: () => unknown, field: string, never: string[] = []): ConfigError {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof ConfigError, `expected a ConfigError, got ${String(caught)}`);
  assert.equal(caught.field, field, caught.message);
  assert.ok(caught.message.startsWith(`Invalid gatepass configuration: ${field}: `), caught.message);
  assert.ok(!/[\r\n]/.test(caught.message), `one line: ${JSON.stringify(caught.message)}`);
  for (const secret of [SECRET, ...never]) {
    assert.ok(!caught.message.includes(secret), `the message prints a secret: ${caught.message}`);
  }
  return caught;
}

describe("createAuthorizer refuses a bad configuration at construction (cold start)", () => {
  for (const c of CASES) {
    test(`${c.what} → ConfigError naming ${c.field}`, () => {
      const logger = createMemoryLogger();
      expectConfigError(() => createAuthorizer(c.doc, { logger, sharedKeyCache: false }), c.field, c.never);
      assert.deepEqual(logger.lines, [], "nothing logged: there is no authorizer");
    });
  }

  test("the same document given twice fails twice: nothing half-built is cached", () => {
    const doc = { issuers: [{ secret: SHORT_SECRET }] };
    expectConfigError(() => createAuthorizer(doc), "issuers[0].secret");
    expectConfigError(() => createAuthorizer(doc), "issuers[0].secret");
  });

  test("control: the valid neighbours of these documents build an authorizer", () => {
    for (const doc of [
      { issuers: [secretIssuer()], routes: [{ route: "GET /a", scopes: ["orders:read"] }] },
      { issuers: [pemIssuer({ algorithms: ["RS256"] })] },
      { issuers: [uriIssuer("http://127.0.0.1:9/jwks")] },
      { issuers: [uriIssuer("http://localhost:9/jwks")] },
      { issuers: [uriIssuer("http://[::1]:9/jwks")] },
      { issuers: [uriIssuer("https://id.example.com/.well-known/jwks.json")] },
    ]) {
      assert.equal(typeof createAuthorizer(doc, { sharedKeyCache: false }), "function");
    }
  });
});

// ---------------------------------------------------------------------------------------------
// The built Lambda module in a child process

const LAMBDA = fileURLToPath(new URL("../../dist/lambda/index.js", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "gatepass-config-errors-"));
after(() => rmSync(dir, { recursive: true, force: true }));

interface ChildResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Imports dist/lambda/index.js in a fresh node process with exactly `env` (plus PATH). */
function loadLambda(env: Record<string, string>): Promise<ChildResult> {
  const script = `const m = await import(${JSON.stringify(LAMBDA)}); console.log("loaded:" + typeof m.handler);`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
      env: { PATH: process.env.PATH ?? "", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const file = (name: string, content: string) => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};

const LAMBDA_CASES: Array<{
  what: string;
  env: () => Record<string, string>;
  field: string;
  never: string[];
}> = [
  {
    what: "a weak secret, inline JSON",
    env: () => ({ GATEPASS_CONFIG: JSON.stringify({ issuers: [{ secret: SHORT_SECRET }] }) }),
    field: "issuers[0].secret",
    never: [SHORT_SECRET],
  },
  {
    what: "an unknown key, from a file",
    env: () => ({
      GATEPASS_CONFIG: file("typo.json", JSON.stringify({ issuers: [{ secret: SECRET, audiance: ["x"] }] })),
    }),
    field: "issuers[0].audiance",
    never: [SECRET],
  },
  {
    what: '"none" in algorithms',
    env: () => ({ GATEPASS_CONFIG: JSON.stringify({ issuers: [{ secret: SECRET, algorithms: ["none"] }] }) }),
    field: "issuers[0].algorithms[0]",
    never: [SECRET],
  },
  {
    what: "a rule that can never match",
    env: () => ({
      GATEPASS_CONFIG: JSON.stringify({
        issuers: [{ secret: SECRET }],
        routes: [{ route: "GET /a", scopes: [] }],
      }),
    }),
    field: "routes[0].scopes",
    never: [SECRET],
  },
  {
    what: "a plain-http JWKS URL off loopback",
    env: () => ({ GATEPASS_CONFIG: JSON.stringify({ issuers: [uriIssuer("http://id.example.com/jwks")] }) }),
    field: "issuers[0].jwksUri",
    never: [],
  },
  {
    what: "invalid JSON right next to the secret",
    env: () => ({ GATEPASS_CONFIG: `{"issuers":[{"secret":"${SECRET}" "issuer":"x"}]}` }),
    field: "GATEPASS_CONFIG",
    never: [SECRET, SECRET.slice(0, 12), SECRET.slice(-12)],
  },
  {
    what: "a weak GATEPASS_SECRET shortcut",
    env: () => ({ GATEPASS_SECRET: SHORT_SECRET }),
    field: "GATEPASS_SECRET",
    never: [SHORT_SECRET],
  },
  {
    what: "an http GATEPASS_JWKS_URI shortcut",
    env: () => ({
      GATEPASS_JWKS_URI: "http://id.example.com/jwks",
      GATEPASS_ISSUER: "https://id.example.com/",
      GATEPASS_AUDIENCE: "a",
    }),
    field: "GATEPASS_JWKS_URI",
    never: [],
  },
];

describe("dist/lambda/index.js fails to load, in one line naming the field, never printing the secret", {
  concurrency: true,
}, () => {
  test("the build exists (npm run build)", () => {
    assert.ok(existsSync(LAMBDA), `${LAMBDA} is missing: run npm run build first`);
  });

  for (const c of LAMBDA_CASES) {
    test(`${c.what} → exit ≠ 0, "Invalid gatepass configuration: ${c.field}: …"`, async () => {
      const result = await loadLambda(c.env());
      const output = `${result.stdout}\n${result.stderr}`;
      assert.notEqual(result.code, 0, `the module loaded: ${output}`);
      assert.ok(!result.stdout.includes("loaded:"), "no handler was exported");
      const lines = result.stderr.split("\n").filter((l) => l.includes("Invalid gatepass configuration"));
      assert.equal(lines.length, 1, `exactly one line with the message:\n${result.stderr}`);
      const line = lines[0]!;
      assert.ok(
        line.startsWith(`ConfigError: Invalid gatepass configuration: ${c.field}: `),
        `the line names the error type and the field: ${line}`,
      );
      for (const secret of [SECRET, ...c.never]) {
        assert.ok(!output.includes(secret), `the output prints a secret:\n${output}`);
      }
    });
  }

  test("control: a valid GATEPASS_CONFIG loads and exports the handler", async () => {
    const result = await loadLambda({ GATEPASS_CONFIG: JSON.stringify({ issuers: [{ secret: SECRET }] }) });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.trim(), "loaded:function");
    assert.ok(!`${result.stdout}${result.stderr}`.includes(SECRET));
  });
});
