/**
 * The configuration of `issuers[].revocation` and `issuers[].introspection`: their URLs follow the
 * key-URL rules (HTTPS, plain HTTP on loopback only, no credentials), the client secret is named by
 * an environment variable and never echoed, one issuer at most answers opaque tokens, defaults.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseConfigShape } from "../../../src/config/schema.js";
import { ConfigError } from "../../../src/errors.js";

const base = { issuer: "https://id.example.com/", audience: ["api"], jwksUri: "https://id.example.com/jwks" };
const introspection = {
  endpoint: "https://id.example.com/introspect",
  clientId: "gateway",
  clientSecretEnv: "INTROSPECTION_SECRET",
};

function refuses(issuer: Record<string, unknown>, field: RegExp, extra: Record<string, unknown>[] = []) {
  assert.throws(
    () => parseConfigShape({ issuers: [{ ...base, ...issuer }, ...extra] }),
    (error: unknown) => error instanceof ConfigError && field.test(error.field),
  );
}

describe("config: revocation", () => {
  test("defaults: deny when unavailable, 60 s fresh, 1 MiB and 100,000 entries at most", () => {
    const cfg = parseConfigShape({
      issuers: [{ ...base, revocation: { url: "https://id.example.com/revoked" } }],
    });
    assert.deepEqual(cfg.issuers[0]!.revocation, {
      url: "https://id.example.com/revoked",
      onUnavailable: "deny",
      maxAgeSeconds: 60,
      cooldownSeconds: 10,
      timeoutMs: 3000,
      staleIfErrorSeconds: 300,
      maxResponseBytes: 1048576,
      maxEntries: 100000,
    });
    // Off unless configured: the normalized issuer has no member at all.
    assert.equal("revocation" in parseConfigShape({ issuers: [base] }).issuers[0]!, false);
  });

  test("exactly one of url and file", () => {
    refuses({ revocation: {} }, /^issuers\[0\]\.revocation$/);
    refuses({ revocation: { url: "https://a.example/r", file: "r.json" } }, /^issuers\[0\]\.revocation$/);
    assert.equal(
      parseConfigShape({ issuers: [{ ...base, revocation: { file: "r.json" } }] }).issuers[0]!.revocation
        ?.file,
      "r.json",
    );
  });

  test("the URL follows the JWKS URL rules: https, http on loopback only, no credentials", () => {
    refuses({ revocation: { url: "http://lists.example.com/r" } }, /revocation\.url$/);
    refuses({ revocation: { url: "https://user:pw@lists.example.com/r" } }, /revocation\.url$/);
    refuses({ revocation: { url: "ftp://lists.example.com/r" } }, /revocation\.url$/);
    for (const url of ["http://127.0.0.1:8080/r", "http://localhost/r", "http://[::1]/r"])
      assert.equal(
        parseConfigShape({ issuers: [{ ...base, revocation: { url } }] }).issuers[0]!.revocation?.url,
        url,
      );
  });

  test("bounded values and unknown fields are refused", () => {
    refuses({ revocation: { url: "https://a.example/r", onUnavailable: "ignore" } }, /onUnavailable$/);
    refuses({ revocation: { url: "https://a.example/r", maxEntries: 0 } }, /maxEntries$/);
    refuses({ revocation: { url: "https://a.example/r", maxResponseBytes: 2 ** 30 } }, /maxResponseBytes$/);
    refuses({ revocation: { url: "https://a.example/r", maxAge: 5 } }, /revocation\.maxAge$/);
  });
});

describe("config: introspection", () => {
  test("defaults: opaque tokens yes, JWTs no, 30 s cache, 64 KiB answers", () => {
    const cfg = parseConfigShape({ issuers: [{ ...base, introspection }] });
    assert.deepEqual(cfg.issuers[0]!.introspection, {
      ...introspection,
      opaqueTokens: true,
      checkJwts: false,
      cacheMaxSeconds: 30,
      cacheMaxEntries: 10000,
      timeoutMs: 3000,
      maxResponseBytes: 65536,
    });
  });

  test("endpoint, clientId and clientSecretEnv are required; the endpoint follows the key-URL rules", () => {
    for (const key of ["endpoint", "clientId", "clientSecretEnv"]) {
      const { [key]: _, ...rest } = introspection as Record<string, string>;
      refuses({ introspection: rest }, new RegExp(`introspection\\.${key}$`));
    }
    refuses(
      { introspection: { ...introspection, endpoint: "http://as.example.com/i" } },
      /introspection\.endpoint$/,
    );
  });

  test("clientSecretEnv names a variable: a value that looks like a secret is refused and never echoed", () => {
    const secret = "hunter2-is-not-a-variable-name!";
    assert.throws(
      () =>
        parseConfigShape({
          issuers: [{ ...base, introspection: { ...introspection, clientSecretEnv: secret } }],
        }),
      (error: unknown) =>
        error instanceof ConfigError &&
        /clientSecretEnv$/.test(error.field) &&
        !error.message.includes(secret),
    );
  });

  test("one issuer at most introspects opaque tokens (they name no issuer)", () => {
    const second = {
      issuer: "https://other.example.com/",
      audience: ["api"],
      jwksUri: "https://other.example.com/jwks",
    };
    refuses({ introspection }, /^issuers\[1\]\.introspection\.opaqueTokens$/, [{ ...second, introspection }]);
    const ok = parseConfigShape({
      issuers: [
        { ...base, introspection },
        { ...second, introspection: { ...introspection, opaqueTokens: false, checkJwts: true } },
      ],
    });
    assert.equal(ok.issuers[1]!.introspection?.checkJwts, true);
  });
});
