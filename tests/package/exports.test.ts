/**
 * package: the export lists of `gatepass`, `gatepass/lambda` and `gatepass/cdk` from the built `dist/` (through the
 * package's own `exports` map), values and types. A change to the public surface must change
 * these lists on purpose.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, test } from "node:test";
import ts from "typescript";
import { ROOT, runNode } from "../e2e/cli-helpers.js";

const VALUES = [
  "ALGORITHMS",
  "AuthError",
  "AuthErrorCodes",
  "ConfigError",
  "createAuthorizer",
  "createLogger",
  "createVerifier",
  "decodeUnverified",
  "generateSigningKey",
  "isAuthError",
  "jwkThumbprint",
  "loadConfig",
  "parseConfig",
  "parseDuration",
  "readAuthorizerContext",
  "ReasonCodes",
  "reasonStatus",
  "signToken",
];

const TYPES = [
  "Algorithm",
  "AuthErrorCode",
  "AuthorizerContext",
  "AuthorizerHandler",
  "AuthorizerInvocationContext",
  "AuthorizerOptions",
  "AuthorizerResponse",
  "CheckReasonCode",
  "ContextHook",
  "ContextHookResult",
  "DevConfigInput",
  "FlatContext",
  "GatepassConfig",
  "GatepassConfigInput",
  "GeneratedKey",
  "GenerateKeyOptions",
  "HttpApiAuthorizerEventV2",
  "HttpApiResponseOf",
  "IssuerConfig",
  "IssuerConfigInput",
  "JwkObject",
  "JwksCacheConfig",
  "Logger",
  "LogLevel",
  "PolicyAuthorizerEvent",
  "PolicyAuthorizerResponse",
  "ReasonCode",
  "RouteConfig",
  "RouteConfigInput",
  "SignOptions",
  "SigningKeyInput",
  "SimpleAuthorizerResponse",
  "TokenCheck",
  "TokenCheckResult",
  "TokenSource",
  "VerifiedToken",
  "Verifier",
  "VerifierOptions",
];

/** The names a declaration file exports, by the TypeScript compiler. */
function declaredExports(file: string): string[] {
  const program = ts.createProgram([file], { strict: true, skipLibCheck: true, types: [] });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file);
  assert.ok(source, file);
  const module = checker.getSymbolAtLocation(source);
  assert.ok(module, `${file} is a module`);
  return checker
    .getExportsOfModule(module)
    .map((s) => s.name)
    .sort();
}

const sorted = (names: Iterable<string>) => [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

describe("package exports", { timeout: 60_000 }, () => {
  test("gatepass: the values it exports", async () => {
    const module = await import("gatepass");
    assert.deepEqual(sorted(Object.keys(module)), sorted(VALUES));
  });

  test("gatepass: the names its declarations export (values and types)", () => {
    const names = declaredExports(join(ROOT, "dist", "index.d.ts"));
    assert.deepEqual(sorted(names), sorted([...VALUES, ...TYPES]));
  });

  test("gatepass/lambda: exports handler alone, values and types", async () => {
    // Importing it configures the authorizer from the environment: a fresh process does that.
    const result = await runNode(
      [
        "--input-type=module",
        "-e",
        'const m = await import("gatepass/lambda"); process.stdout.write(JSON.stringify(Object.keys(m)));',
      ],
      {
        env: {
          GATEPASS_CONFIG: JSON.stringify({
            issuers: [{ issuer: "https://id.example.com/", audience: ["a"], secret: "k".repeat(32) }],
            logLevel: "silent",
          }),
        },
      },
    );
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout), ["handler"]);
    assert.deepEqual(declaredExports(join(ROOT, "dist", "lambda", "index.d.ts")), ["handler"]);
  });

  test("gatepass/cdk: the construct, its props and options (values and types)", async () => {
    const module = await import("gatepass/cdk");
    assert.deepEqual(Object.keys(module), ["GatepassAuthorizer"]);
    assert.deepEqual(declaredExports(join(ROOT, "dist", "cdk", "index.d.ts")), [
      "GatepassAuthorizer",
      "GatepassAuthorizerProps",
      "GatepassGatewayResponseOptions",
      "GatepassHttpAuthorizerOptions",
      "GatepassProtectedResourceOptions",
      "GatepassUsagePlanOptions",
    ]);
  });
});
