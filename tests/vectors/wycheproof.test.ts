/**
 * Project Wycheproof's JSON Web Key and JSON Web Signature vectors (C2SP/wycheproof, Apache-2.0),
 * run against gatepass. The vector files are not part of this repository: the test reads them from
 * `$GATEPASS_WYCHEPROOF_DIR`, else `../shared/wycheproof/` beside the repository root, and skips
 * (saying which files it needs) when they are absent. Each file's git blob hash is checked, so a
 * run always says which version it ran.
 *
 * Every group of both files runs:
 * - signature level: each test's JWS through gatepass's key import (`importJwk`, `KeySet`) and
 *   signature check (`verifySignature`), with the token rules of the verifier that do not need a
 *   JSON payload (three canonical segments, a JSON-object header, a known `alg`, no `crit`/`b64`).
 *   Wycheproof's payloads are not JSON objects, which is why this level exists;
 * - full verifier: each JWS through `createVerifier` with the group's keys inline: it never
 *   verifies (its payload is not a JWT claims set), whatever its Wycheproof verdict;
 * - JWT carry-over: for each group of the key file, and each group of the signature file with a
 *   private key, a JWT with the test's header, re-signed over a JSON claims set with the group's
 *   private key (or forged, for the e = 1 key), through `createVerifier` with the group's public
 *   keys inline: it verifies exactly when the key set is acceptable and the vector is valid.
 * Where gatepass's verdict differs from Wycheproof's, the table below says why.
 */
import assert from "node:assert/strict";
import { createHash, createPrivateKey, createSecretKey, type KeyObject } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { ConfigError } from "../../src/errors.js";
import { ALGORITHMS, type Algorithm, isAlgorithm } from "../../src/keys/algorithms.js";
import { importJwk } from "../../src/keys/import.js";
import { KeySet } from "../../src/keys/key-set.js";
import type { VerificationKey } from "../../src/keys/types.js";
import { isCanonicalBase64url } from "../../src/token/decode.js";
import { verifySignature } from "../../src/token/signature.js";
import { createVerifier } from "../../src/token/verifier.js";
import { rawSignature } from "../helpers/keys.js";
import { forgeRs256WithExponentOne } from "../helpers/weak-keys.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const DIR = process.env.GATEPASS_WYCHEPROOF_DIR ?? join(ROOT, "..", "shared", "wycheproof");

/** The files, as of C2SP/wycheproof commit dac1dd4729fd1f8dd9e1e9f3dce51d783da6c166 (testvectors_v1/). */
const FILES = {
  key: { name: "json_web_key_test.json", blob: "61a0f721c388ca3c7ee769c113eea0f84f64f7a7" },
  signature: { name: "json_web_signature_test.json", blob: "cdb1c77a770b72e340d6c1e2ed502b86628e9438" },
} as const;

const missing = Object.values(FILES).filter((f) => !existsSync(join(DIR, f.name)));
const SKIP =
  missing.length > 0
    ? `Wycheproof vectors not found in ${DIR}: needs ${missing
        .map((f) => `${f.name} (git blob ${f.blob})`)
        .join(
          " and ",
        )} from C2SP/wycheproof testvectors_v1/; set GATEPASS_WYCHEPROOF_DIR to the folder holding them`
    : false;

type Jwk = Record<string, unknown>;
interface Test {
  tcId: number;
  comment: string;
  jws: unknown;
  result: "valid" | "invalid" | "acceptable";
  flags: string[];
}
interface Group {
  comment: string;
  private?: Jwk;
  public?: Jwk;
  tests: Test[];
}

function load(file: { name: string; blob: string }): { testGroups: Group[]; numberOfTests: number } {
  const bytes = readFileSync(join(DIR, file.name));
  const blob = createHash("sha1").update(`blob ${bytes.length}\0`).update(bytes).digest("hex");
  assert.equal(blob, file.blob, `${file.name} is not the expected version (git blob ${file.blob})`);
  return JSON.parse(bytes.toString("utf8"));
}

const keysOf = (set: Jwk | undefined): Jwk[] =>
  set === undefined ? [] : Array.isArray(set.keys) ? (set.keys as Jwk[]) : [set];

// ------------------------------------------------------------------ what gatepass does with a key set

/** Reason codes for a refused key or key set: gatepass's judging codes, and the import rules. */
type Reason =
  | "RSA_EXPONENT_INVALID"
  | "RSA_MODULUS_SIZE"
  | "RSA_MODULUS_ROCA"
  | "MIXED_KEYSET"
  | "USE_NOT_SIG"
  | "KEY_OPS_NO_VERIFY"
  | "ALG_UNSUPPORTED"
  | "SECRET_TOO_SHORT"
  | "MEMBER_MISSING"
  | "INVALID_POINT";

/** Classifies an import refusal by its sentence (the judging code when there is one). */
function reasonOf(result: { reason: string; refused?: string }): Reason {
  if (result.refused) return result.refused as Reason;
  const r = result.reason;
  if (/use is /.test(r)) return "USE_NOT_SIG";
  if (/key_ops does not include/.test(r)) return "KEY_OPS_NO_VERIFY";
  if (/alg .* is not supported/.test(r)) return "ALG_UNSUPPORTED";
  if (/secret of|needs a secret of at least/.test(r)) return "SECRET_TOO_SHORT";
  if (/member \w+ is missing/.test(r)) return "MEMBER_MISSING";
  if (/Invalid JWK EC key/.test(r)) return "INVALID_POINT";
  throw new Error(`unclassified refusal: ${r}`);
}

type Imported = { ok: true; keySet: KeySet; keys: VerificationKey[] } | { ok: false; reason: Reason };

/** The group's public keys as an inline key set, as `importKeySet` takes them (mixing refused). */
function importSet(jwks: Jwk[]): Imported {
  const kinds = new Set(jwks.map((k) => (k.kty === "oct" ? "secret" : "public")));
  if (kinds.size > 1) return { ok: false, reason: "MIXED_KEYSET" };
  const keys: VerificationKey[] = [];
  for (const jwk of jwks) {
    const result = importJwk(jwk, ALGORITHMS, { allowSymmetric: true });
    if (!result.ok) return { ok: false, reason: reasonOf(result) };
    keys.push(result.key);
  }
  return { ok: true, keySet: new KeySet(keys), keys };
}

/** Public parts only: what an issuer publishes. */
function publicJwk(jwk: Jwk): Jwk {
  if (jwk.kty === "oct") return jwk;
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...rest } = jwk;
  return rest;
}

// ------------------------------------------------------------------ signature level

/** A compact JWS through gatepass's key selection and signature check: the verifier's rules minus the claims. */
function verifyCompact(jws: unknown, keySet: KeySet): { ok: boolean; why: string } {
  const no = (why: string) => ({ ok: false, why });
  if (typeof jws !== "string") return no("JSON serialization (gatepass reads compact JWS only)");
  const parts = jws.split(".");
  if (parts.length !== 3) return no("not three segments");
  const [h, p, s] = parts as [string, string, string];
  if (h === "" || p === "" || s === "") return no("empty segment");
  if (![h, p, s].every(isCanonicalBase64url)) return no("not canonical base64url");
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(h, "base64url").toString("utf8"));
  } catch {
    return no("header is not JSON");
  }
  if (typeof header !== "object" || header === null || Array.isArray(header))
    return no("header is not an object");
  if (header.crit !== undefined || header.b64 !== undefined) return no("crit/b64");
  if (!isAlgorithm(header.alg)) return no(`alg ${String(header.alg)}`);
  const alg = header.alg;
  let key: VerificationKey | undefined;
  try {
    key = keySet.find({ kid: typeof header.kid === "string" ? header.kid : undefined, alg });
  } catch (error) {
    return no((error as { code?: string }).code ?? "lookup");
  }
  if (key === undefined) return no("no key");
  return verifySignature(alg, key.key, `${h}.${p}`, Buffer.from(s, "base64url"))
    ? { ok: true, why: "verified" }
    : no("signature");
}

// ------------------------------------------------------------------ JWT carry-over

const ISS = "https://wycheproof.test/";
const AUD = "vectors";

function verifierFor(jwks: Jwk[]) {
  return createVerifier(
    { issuers: [{ issuer: ISS, audience: [AUD], jwks: { keys: jwks } }] },
    { sharedKeyCache: false },
  );
}

function headerOf(jws: unknown): Record<string, unknown> | undefined {
  if (typeof jws !== "string") return undefined;
  try {
    const header = JSON.parse(Buffer.from(jws.split(".")[0]!, "base64url").toString("utf8"));
    return typeof header === "object" && header !== null ? header : undefined;
  } catch {
    return undefined;
  }
}

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");

/** A JWT with `header`, signed over a JSON claims set by the group's private JWK matching its kid. */
function resign(header: Record<string, unknown>, privates: Jwk[]): string | undefined {
  const alg = header.alg;
  if (!isAlgorithm(alg)) return undefined;
  const now = Math.floor(Date.now() / 1000);
  const signingInput = `${b64(header)}.${b64({ iss: ISS, aud: AUD, sub: "wycheproof", iat: now, exp: now + 300 })}`;
  const jwk = privates.find((k) => k.kid === header.kid) ?? (privates.length === 1 ? privates[0] : undefined);
  if (jwk === undefined) return undefined;
  let key: KeyObject;
  try {
    key =
      jwk.kty === "oct"
        ? createSecretKey(Buffer.from(String(jwk.k), "base64url"))
        : createPrivateKey({ key: jwk as never, format: "jwk" });
  } catch {
    return undefined; // no usable private key (e.g. a public JWK with kty changed)
  }
  try {
    return `${signingInput}.${rawSignature(alg, key, signingInput).toString("base64url")}`;
  } catch {
    return undefined;
  }
}

/** The e = 1 forgery: signature = EMSA-PKCS1-v1_5 encoding, no private key. */
function forgeE1(header: Record<string, unknown>, n: string): string {
  const now = Math.floor(Date.now() / 1000);
  const signingInput = `${b64(header)}.${b64({ iss: ISS, aud: AUD, sub: "mallory", iat: now, exp: now + 300 })}`;
  const k = Buffer.from(n, "base64url").length;
  return `${signingInput}.${forgeRs256WithExponentOne(signingInput, k).toString("base64url")}`;
}

async function verifies(verifier: ReturnType<typeof verifierFor>, token: string): Promise<boolean> {
  try {
    await verifier.verify(token);
    return true;
  } catch (error) {
    assert.equal((error as Error).name, "AuthError", `not an AuthError: ${String(error)}`);
    return false;
  }
}

// ------------------------------------------------------------------ expectations

/**
 * json_web_key_test.json, per tcId: gatepass refuses the key set (with the reason), or accepts it
 * and then the JWS verifies or not exactly as Wycheproof says.
 */
const KEY_SET_REFUSED: Record<number, Reason> = {
  1: "MIXED_KEYSET", // jws_mixedSymmetryKeyset: an oct key beside an EC key
  6: "USE_NOT_SIG", // rs256 published with use "enc" (alg RSA1_5)
  7: "RSA_MODULUS_ROCA", // jws_rsa_roca_key
  8: "RSA_MODULUS_SIZE", // keysize_too_small: 1024 bits
  9: "RSA_EXPONENT_INVALID", // exponentOne
  10: "SECRET_TOO_SHORT", // HS256 key of 31 bytes
  11: "SECRET_TOO_SHORT", // HS384 key of 47 bytes
  12: "SECRET_TOO_SHORT", // HS512 key of 63 bytes
  16: "MEMBER_MISSING", // empty HS256 key ("k": "")
  17: "MEMBER_MISSING",
  18: "MEMBER_MISSING",
  19: "ALG_UNSUPPORTED", // wrong_algorithm: alg "ES521" (not a JOSE name) on a P-256 key
  20: "ALG_UNSUPPORTED", // invalid_algorithm: ES224
  21: "USE_NOT_SIG", // invalid_use: "enc"
  22: "INVALID_POINT", // invalid_point: y changed, off the curve (refused by OpenSSL at import)
  23: "INVALID_POINT", // wrong_curve: P-256 coordinates labelled P-384 (refused by OpenSSL)
  24: "MEMBER_MISSING", // wrong_kty: EC members under kty "RSA" (no n)
  25: "ALG_UNSUPPORTED", // alg A256GCM on an oct key
  26: "ALG_UNSUPPORTED", // alg A256KW on an oct key
};

/** json_web_key_test.json cases whose key set gatepass accepts but whose JWS it refuses otherwise. */
const KEY_FILE_OTHER: Record<number, string> = {
  4: "ERR_KEY_NOT_FOUND", // jws_duplicate_kid: two keys share the kid; the lookup refuses to guess
};

/**
 * json_web_signature_test.json: groups whose key set gatepass refuses (by group comment and tcId
 * range), and single cases where gatepass's verdict differs from Wycheproof's.
 */
const SIGNATURE_GROUP_REFUSED: Record<number, Reason> = {
  // By the group's first tcId. RFC 7520's EC key is published with alg "ES521", which is not a JOSE
  // algorithm (RFC 7518 §3.1 names it ES512): a key pinned to an unknown algorithm is refused, so
  // the valid vectors of these two groups do not verify.
  347: "ALG_UNSUPPORTED",
  351: "ALG_UNSUPPORTED",
  353: "USE_NOT_SIG", // rsa_encryption: use "enc"
  354: "USE_NOT_SIG", // ec_key_for_encryption: use "enc"
  355: "KEY_OPS_NO_VERIFY", // rsa_encryption: key_ops ["encrypt"]
  356: "KEY_OPS_NO_VERIFY", // ec_key_for_encryption: key_ops ["encrypt"]
};
/** Valid vectors gatepass refuses, and why (none may be an invalid vector gatepass accepts). */
const SIGNATURE_STRICTER: Record<number, string> = {
  // An empty payload segment (RFC 7515 allows one; a JWT always has a claims set): the verifier
  // refuses empty segments before any crypto.
  259: "empty segment",
  264: "empty segment",
  268: "empty segment",
  272: "empty segment",
  320: "empty segment",
  325: "empty segment",
  // RFC 7520 Figure 20 is a PS384 signature under a key published with alg "PS256": a key with an
  // alg member verifies that algorithm only (RFC 7517 §4.4), so gatepass refuses it.
  346: "ERR_JWT_ALGORITHM_NOT_ALLOWED",
  350: "ERR_JWT_ALGORITHM_NOT_ALLOWED",
  // A "?" inserted in the header or payload segment: lenient decoders skip it, gatepass refuses
  // any segment that is not canonical base64url (RFC 7515 §2).
  372: "not canonical base64url",
  373: "not canonical base64url",
};

/**
 * Vector defects: these invalid vectors are byte for byte the valid tcId 357 (the padding their
 * comment promises is absent), so a verifier that accepts 357 accepts them. Checked, not skipped.
 */
const SIGNATURE_SAME_AS_VALID: Record<number, number> = { 367: 357, 370: 357 };

// ------------------------------------------------------------------ the runs

const counts = {
  groups: 0,
  cases: 0,
  signatureLevel: 0,
  fullVerifier: 0,
  carriedOver: 0,
  forged: 0,
  notCarried: [] as string[],
};

describe("Wycheproof JSON Web Key vectors", { skip: SKIP, timeout: 120_000 }, () => {
  it("every group: the key set is refused for the documented reason, or each JWS verifies exactly as Wycheproof says; carried over to JWTs", async () => {
    const file = load(FILES.key);
    assert.equal(file.testGroups.length, 25);
    assert.equal(file.numberOfTests, 26);
    for (const group of file.testGroups) {
      counts.groups += 1;
      const publics = keysOf(group.public ?? group.private).map(publicJwk);
      const privates = keysOf(group.private);
      const imported = importSet(publics);
      let verifier: ReturnType<typeof verifierFor> | undefined;
      let configError: unknown;
      try {
        verifier = verifierFor(publics);
      } catch (error) {
        configError = error;
      }
      for (const test of group.tests) {
        counts.cases += 1;
        const where = `tcId ${test.tcId} (${group.comment}, ${test.comment})`;
        const expectedRefusal = KEY_SET_REFUSED[test.tcId];
        if (expectedRefusal !== undefined) {
          assert.equal(test.result, "invalid", `${where}: only invalid vectors may be refused`);
          assert.equal(imported.ok ? "accepted" : imported.reason, expectedRefusal, where);
          assert.ok(
            configError instanceof ConfigError,
            `${where}: the configuration is refused at cold start`,
          );
          assert.equal(verifier, undefined);
        } else {
          assert.ok(imported.ok, `${where}: key set refused (${imported.ok ? "" : imported.reason})`);
          assert.equal(configError, undefined, `${where}: ${String(configError)}`);
          counts.signatureLevel += 1;
          const outcome = verifyCompact(test.jws, imported.keySet);
          const other = KEY_FILE_OTHER[test.tcId];
          if (other !== undefined) {
            assert.equal(outcome.ok, false, where);
            assert.equal(outcome.why, other, where);
          } else {
            assert.equal(outcome.ok, test.result === "valid", `${where}: ${outcome.why}`);
          }
          counts.fullVerifier += 1;
          assert.equal(await verifies(verifier!, String(test.jws)), false, `${where}: not a JWT`);
        }
        // Carry-over: the same header over a JSON claims set.
        const header = headerOf(test.jws);
        if (header === undefined) {
          counts.notCarried.push(`${test.tcId}: no compact header`);
          continue;
        }
        const exponentOne = publics.find((k) => k.kty === "RSA" && k.e === "AQ");
        const token = exponentOne ? forgeE1(header, String(exponentOne.n)) : resign(header, privates);
        if (token === undefined) {
          counts.notCarried.push(`${test.tcId}: no usable private key for ${String(header.alg)}`);
          continue;
        }
        counts.carriedOver += 1;
        if (exponentOne) counts.forged += 1;
        // A tampered signature (tcId 3) stays tampered; every other case is signed correctly.
        const tampered = /Modified/.test(test.comment);
        const jwt = tampered ? `${token.slice(0, -4)}${token.slice(-4) === "AAAA" ? "BBBB" : "AAAA"}` : token;
        const expected =
          expectedRefusal === undefined && KEY_FILE_OTHER[test.tcId] === undefined && test.result === "valid";
        const got = verifier === undefined ? false : await verifies(verifier, jwt);
        assert.equal(got, expected, `${where}: JWT carry-over`);
      }
    }
  });
});

describe("Wycheproof JSON Web Signature vectors", { skip: SKIP, timeout: 300_000 }, () => {
  it("every group and case: valid vectors verify, invalid ones never do (signature level); no JWS passes the full verifier", async () => {
    const file = load(FILES.signature);
    assert.equal(file.testGroups.length, 23);
    assert.equal(file.numberOfTests, 401);
    const differences: string[] = [];
    for (const group of file.testGroups) {
      counts.groups += 1;
      const publics = keysOf(group.public ?? group.private).map(publicJwk);
      const privates = keysOf(group.private);
      const label = `${group.comment}/${String(publics[0]?.kty)}`;
      const imported = importSet(publics);
      const refused = SIGNATURE_GROUP_REFUSED[group.tests[0]!.tcId];
      if (refused !== undefined) {
        assert.equal(imported.ok ? "accepted" : imported.reason, refused, label);
        assert.throws(() => verifierFor(publics), ConfigError);
      } else {
        assert.ok(imported.ok, `${label}: key set refused (${imported.ok ? "" : imported.reason})`);
      }
      const verifier = refused === undefined ? verifierFor(publics) : undefined;
      let carried = false;
      for (const test of group.tests) {
        counts.cases += 1;
        const where = `tcId ${test.tcId} (${label}, ${test.comment})`;
        if (imported.ok) {
          counts.signatureLevel += 1;
          const outcome = verifyCompact(test.jws, imported.keySet);
          const stricter = SIGNATURE_STRICTER[test.tcId];
          const twin = SIGNATURE_SAME_AS_VALID[test.tcId];
          if (stricter !== undefined) {
            assert.equal(test.result, "valid", `${where}: only valid vectors may be refused`);
            assert.equal(outcome.why, stricter, where);
          }
          if (twin !== undefined) {
            const valid = file.testGroups.flatMap((g) => g.tests).find((t) => t.tcId === twin)!;
            assert.equal(valid.result, "valid");
            assert.equal(test.jws, valid.jws, `${where} is identical to tcId ${twin}`);
          }
          const expected = twin !== undefined || (stricter === undefined && test.result === "valid");
          if (outcome.ok !== expected)
            differences.push(`${test.tcId} ${test.result} ${test.comment}: ${outcome.why}`);
          counts.fullVerifier += 1;
          assert.equal(
            await verifies(verifier!, typeof test.jws === "string" ? test.jws : JSON.stringify(test.jws)),
            false,
            `${where}: not a JWT`,
          );
        }
        // One JWT per group carried over: the first valid vector's header, re-signed.
        if (carried || test.result !== "valid") continue;
        const header = headerOf(test.jws);
        const token = header && privates.length > 0 ? resign(header, privates) : undefined;
        if (token === undefined) {
          counts.notCarried.push(`${label} tcId ${test.tcId}: no private key`);
          continue;
        }
        carried = true;
        counts.carriedOver += 1;
        const got = verifier === undefined ? false : await verifies(verifier, token);
        // The header's alg against the key's pinned alg is what refuses 346/350; an empty payload
        // (the other stricter cases) is gone once the claims set is signed.
        const keyRefuses = SIGNATURE_STRICTER[test.tcId] === "ERR_JWT_ALGORITHM_NOT_ALLOWED";
        if (got !== (refused === undefined && !keyRefuses))
          differences.push(`${test.tcId} JWT carry-over: ${got ? "verifies" : "refused"}`);
      }
    }
    assert.deepEqual(differences, []);
  });

  it("summary", { skip: SKIP }, (t) => {
    t.diagnostic(
      `groups ${counts.groups}, cases ${counts.cases}, signature level ${counts.signatureLevel}, full verifier ${counts.fullVerifier}, carried over ${counts.carriedOver} (forged ${counts.forged}), not carried ${counts.notCarried.length}: ${counts.notCarried.join("; ")}`,
    );
  });
});

// Keeps the import list honest: every algorithm a vector names is one gatepass knows or refuses.
void ((alg: Algorithm) => alg);
