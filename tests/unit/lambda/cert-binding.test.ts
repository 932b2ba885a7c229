/**
 * RFC 8705 certificate-bound access tokens through the handler, with the real API Gateway event
 * shapes (`tests/fixtures/events/`), a CA and client certificates made by `openssl` at test time,
 * and tokens signed by `jose`: the oracle shares no code with gatepass.
 */
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { SignJWT } from "jose";
import { createAuthorizer } from "../../../src/lambda/authorizer.js";
import { parseConfig } from "../../../src/lambda/config.js";
import { createMemoryLogger } from "../../../src/log.js";
import { makeTestPki, type TestPki } from "../../helpers/certs.js";
import { type FixtureName, loadEvent } from "../adapters/fixtures.js";

const ISSUER = "https://as.example.test/";
const AUDIENCE = "orders-api";
const SECRET = "cert-binding-test-secret-of-32-bytes-or-more!";
const OPTS = { timeout: 20_000 };

let pki: TestPki;
before(() => {
  pki = makeTestPki();
});

type Mode = "required" | "if-present" | undefined;

function authorizer(mode: Mode) {
  const logger = createMemoryLogger();
  const issuer: Record<string, unknown> = { issuer: ISSUER, audience: [AUDIENCE], secret: SECRET };
  if (mode !== undefined) issuer.certificateBound = mode;
  const handler = createAuthorizer({ issuers: [issuer], tokenSources: ["header:authorization"] }, { logger });
  return { handler, logger };
}

async function token(cnf?: unknown): Promise<string> {
  const claims: Record<string, unknown> = { scope: "orders:read" };
  if (cnf !== undefined) claims.cnf = cnf;
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "HS256" })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject("client-42")
    .setIssuedAt()
    .setExpirationTime("5m")
    .sign(new TextEncoder().encode(SECRET));
}

/** The fixture with `token`, and its client certificate PEM set to `pem` (removed when `null`). */
function event(name: FixtureName, jwt: string, pem: string | null): Record<string, unknown> {
  const e = loadEvent(name, jwt);
  const context = e.requestContext as Record<string, Record<string, unknown>>;
  const holder = name === "http-v2" ? context.authentication! : context.identity!;
  if (pem === null) delete holder.clientCert;
  else (holder.clientCert as Record<string, unknown>).clientCertPem = pem;
  return e;
}

function allowed(response: unknown): boolean {
  const r = response as { isAuthorized?: boolean; policyDocument?: { Statement: Array<{ Effect: string }> } };
  if (r.isAuthorized !== undefined) return r.isAuthorized;
  return r.policyDocument!.Statement.every((s) => s.Effect === "Allow");
}

/** The handler's answer is a 401 (`Unauthorized`) with `reason`, and no log line holds a secret. */
async function assertRefused(
  run: ReturnType<typeof authorizer>,
  e: Record<string, unknown>,
  reason: string,
  secrets: readonly string[],
): Promise<void> {
  await assert.rejects(run.handler(e as never), (err: Error) => err.message === "Unauthorized");
  const decision = run.logger.lines.find((l) => l.event === "decision" || l.message === "decision");
  assert.equal(decision?.reason, reason);
  assertNoSecrets(run.logger.lines, secrets);
}

function assertNoSecrets(lines: readonly unknown[], secrets: readonly string[]): void {
  const text = JSON.stringify(lines);
  for (const s of secrets)
    assert.ok(!text.includes(s), "a log line holds a token, certificate or thumbprint");
}

/** Distinctive pieces of a PEM (its base64 body lines) that must never be logged. */
function pemPieces(pem: string): string[] {
  return pem
    .split("\n")
    .filter((l) => l.length > 20 && !l.startsWith("-----"))
    .slice(0, 3);
}

const KINDS = ["rest-request", "http-v1", "http-v2"] as const;

describe("RFC 8705 certificate-bound tokens through the handler", () => {
  for (const kind of KINDS) {
    describe(kind, () => {
      test("a token bound to the presented certificate is allowed (required)", OPTS, async () => {
        const run = authorizer("required");
        const jwt = await token({ "x5t#S256": pki.client.x5tS256 });
        const answer = await run.handler(event(kind, jwt, pki.client.pem) as never);
        assert.ok(allowed(answer));
        assertNoSecrets(run.logger.lines, [jwt, pki.client.x5tS256, ...pemPieces(pki.client.pem)]);
      });

      test("a token bound to another certificate is refused: ERR_CERT_BINDING", OPTS, async () => {
        const run = authorizer("if-present");
        const jwt = await token({ "x5t#S256": pki.other.x5tS256 });
        await assertRefused(run, event(kind, jwt, pki.client.pem), "ERR_CERT_BINDING", [
          jwt,
          pki.client.x5tS256,
          pki.other.x5tS256,
          ...pemPieces(pki.client.pem),
        ]);
      });

      test("required: a bound token without a client certificate is refused", OPTS, async () => {
        const run = authorizer("required");
        const jwt = await token({ "x5t#S256": pki.client.x5tS256 });
        await assertRefused(run, event(kind, jwt, null), "ERR_CERT_BINDING", [jwt, pki.client.x5tS256]);
      });

      test("required: a token without cnf is refused even with a certificate", OPTS, async () => {
        const run = authorizer("required");
        const jwt = await token();
        await assertRefused(run, event(kind, jwt, pki.client.pem), "ERR_CERT_BINDING", [jwt]);
      });

      test("required: a cnf without x5t#S256 (e.g. a DPoP jkt) is refused", OPTS, async () => {
        const run = authorizer("required");
        const jwt = await token({ jkt: "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I" });
        await assertRefused(run, event(kind, jwt, pki.client.pem), "ERR_CERT_BINDING", [jwt]);
      });

      test("if-present: a token without cnf is allowed, with or without a certificate", OPTS, async () => {
        const run = authorizer("if-present");
        const jwt = await token();
        assert.ok(allowed(await run.handler(event(kind, jwt, pki.client.pem) as never)));
        assert.ok(allowed(await run.handler(event(kind, jwt, null) as never)));
      });

      test("if-present: a bound token without a certificate is refused", OPTS, async () => {
        const run = authorizer("if-present");
        const jwt = await token({ "x5t#S256": pki.client.x5tS256 });
        await assertRefused(run, event(kind, jwt, null), "ERR_CERT_BINDING", [jwt]);
      });

      test("a malformed certificate PEM is a 401 ERR_CERT_BINDING, never a 500", OPTS, async () => {
        const jwt = await token({ "x5t#S256": pki.client.x5tS256 });
        const truncated = pki.client.pem.slice(0, 200);
        const garbage = "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n";
        const huge = `-----BEGIN CERTIFICATE-----\n${"A".repeat(20_000)}\n-----END CERTIFICATE-----\n`;
        for (const pem of [truncated, garbage, huge, "CERT_CONTENT", pki.client.keyPem]) {
          const run = authorizer("required");
          await assertRefused(run, event(kind, jwt, pem), "ERR_CERT_BINDING", [
            jwt,
            ...pemPieces(pki.client.keyPem),
          ]);
          for (const line of run.logger.lines)
            assert.ok(!JSON.stringify(line).includes("    at "), "a stack trace");
        }
      });

      test(
        "the check runs on every call: a cached verification does not carry the certificate",
        OPTS,
        async () => {
          const run = authorizer("required");
          const jwt = await token({ "x5t#S256": pki.client.x5tS256 });
          assert.ok(allowed(await run.handler(event(kind, jwt, pki.client.pem) as never)));
          await assert.rejects(run.handler(event(kind, jwt, pki.other.pem) as never), /Unauthorized/);
          assert.ok(allowed(await run.handler(event(kind, jwt, pki.client.pem) as never)));
        },
      );
    });
  }

  test("a malformed x5t#S256 or cnf value is refused", OPTS, async () => {
    for (const cnf of [
      { "x5t#S256": 42 },
      { "x5t#S256": `${pki.client.x5tS256}=` },
      { "x5t#S256": "" },
      "x",
      [1],
    ]) {
      const run = authorizer("if-present");
      const jwt = await token(cnf);
      await assertRefused(run, event("rest-request", jwt, pki.client.pem), "ERR_CERT_BINDING", [jwt]);
    }
  });

  test("off (no certificateBound): cnf is not looked at", OPTS, async () => {
    const run = authorizer(undefined);
    const jwt = await token({ "x5t#S256": pki.other.x5tS256 });
    assert.ok(allowed(await run.handler(event("rest-request", jwt, pki.client.pem) as never)));
  });

  test("a REST TOKEN event carries no certificate: refused, warned once per instance", OPTS, async () => {
    const run = authorizer("required");
    const jwt = await token({ "x5t#S256": pki.client.x5tS256 });
    for (let i = 0; i < 2; i++) {
      await assert.rejects(run.handler(loadEvent("rest-token", jwt) as never), /Unauthorized/);
    }
    const warnings = run.logger.lines.filter(
      (l) =>
        l.event === "cert_binding_no_certificate_source" ||
        l.message === "cert_binding_no_certificate_source",
    );
    assert.equal(warnings.length, 1);
    const refusals = run.logger.lines.filter((l) => l.reason === "ERR_CERT_BINDING");
    assert.equal(refusals.length, 2);
  });

  test("WebSocket $connect carries no certificate: a bound token is refused", OPTS, async () => {
    const logger = createMemoryLogger();
    const handler = createAuthorizer(
      {
        issuers: [{ issuer: ISSUER, audience: [AUDIENCE], secret: SECRET, certificateBound: "if-present" }],
        tokenSources: ["query:access_token", "header:authorization"],
      },
      { logger },
    );
    const jwt = await token({ "x5t#S256": pki.client.x5tS256 });
    await assert.rejects(handler(loadEvent("websocket-connect", jwt) as never), /Unauthorized/);
    assert.equal(logger.lines.find((l) => l.reason !== undefined)?.reason, "ERR_CERT_BINDING");
  });
});

describe("certificateBound configuration", () => {
  test("an identity-provider preset carries certificateBound to every issuer it expands into", () => {
    const cfg = parseConfig({
      issuers: [
        { preset: "auth0", domain: "acme.eu.auth0.com", audience: [AUDIENCE], certificateBound: "required" },
      ],
    });
    assert.ok(cfg.issuers.length > 0);
    for (const issuer of cfg.issuers) assert.equal(issuer.certificateBound, "required");
  });

  test("only required and if-present are accepted", () => {
    for (const value of ["yes", true, null, "Required"]) {
      assert.throws(
        () =>
          createAuthorizer({
            issuers: [{ issuer: ISSUER, audience: [AUDIENCE], secret: SECRET, certificateBound: value }],
          } as never),
        /certificateBound/,
      );
    }
  });
});

describe("certificateBound off costs nothing per call", () => {
  test("without certificateBound the event's client certificate is never read", OPTS, async () => {
    const run = authorizer(undefined);
    const jwt = await token({ "x5t#S256": pki.client.x5tS256 });
    let reads = 0;
    for (const kind of KINDS) {
      const e = event(kind, jwt, null);
      const context = e.requestContext as Record<string, Record<string, unknown>>;
      const holder = kind === "http-v2" ? context.authentication! : context.identity!;
      Object.defineProperty(holder, "clientCert", {
        enumerable: true,
        get() {
          reads++;
          return { clientCertPem: pki.client.pem };
        },
      });
      assert.ok(allowed(await run.handler(e as never)));
    }
    assert.equal(reads, 0);
  });

  test("with certificateBound the same getter is read (the probe above can see a read)", OPTS, async () => {
    const run = authorizer("required");
    const jwt = await token({ "x5t#S256": pki.client.x5tS256 });
    let reads = 0;
    const e = event("rest-request", jwt, null);
    Object.defineProperty((e.requestContext as Record<string, object>).identity, "clientCert", {
      enumerable: true,
      get() {
        reads++;
        return { clientCertPem: pki.client.pem };
      },
    });
    assert.ok(allowed(await run.handler(e as never)));
    assert.equal(reads, 1);
  });
});
