/**
 * RFC 9449 DPoP through the handler, with the real API Gateway event shapes
 * (`tests/fixtures/events/`): access tokens and proofs are made by `jose` (thumbprints with
 * `calculateJwkThumbprint`), so the oracle shares no code with gatepass.
 */
import assert from "node:assert/strict";
import { createHash, createHmac, randomUUID } from "node:crypto";
import { before, describe, test } from "node:test";
import { type CryptoKey, calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import { createAuthorizer } from "../../../src/lambda/authorizer.js";
import { createMemoryLogger } from "../../../src/log.js";
import { loadEvent } from "../adapters/fixtures.js";

const ISSUER = "https://as.example.test/";
const AUDIENCE = "orders-api";
const SECRET = "dpop-test-secret-of-32-bytes-or-more-please!";
const OPTS = { timeout: 20_000 };
/** The URLs of the fixtures' requests, as their clients sent them. */
const REST_URL = "https://s4x3opwd6i.execute-api.us-east-1.amazonaws.com/test/orders/42";
const HTTP_URL = "https://abcdef123.execute-api.us-east-1.amazonaws.com/prod/orders/42";

type Mode = "required" | "if-present" | undefined;
type Kind = "rest-request" | "http-v2";

let clientKey: { privateKey: CryptoKey; publicJwk: JWK; jkt: string };
let otherKey: { privateKey: CryptoKey; publicJwk: JWK; jkt: string };

async function keyPair(alg: string) {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  return { privateKey, publicJwk, jkt: await calculateJwkThumbprint(publicJwk, "sha256") };
}

before(async () => {
  clientKey = await keyPair("ES256");
  otherKey = await keyPair("ES256");
});

function authorizer(mode: Mode, extra: Record<string, unknown> = {}, now?: () => number) {
  const logger = createMemoryLogger();
  const issuer: Record<string, unknown> = { issuer: ISSUER, audience: [AUDIENCE], secret: SECRET, ...extra };
  if (issuer.secret === undefined) delete issuer.secret;
  if (mode !== undefined) issuer.dpop = mode;
  const handler = createAuthorizer(
    { issuers: [issuer], tokenSources: ["header:authorization"] },
    now === undefined ? { logger } : { logger, now },
  );
  return { handler, logger };
}

async function accessToken(jkt?: string | null): Promise<string> {
  const claims: Record<string, unknown> = { scope: "orders:read" };
  if (jkt !== undefined && jkt !== null) claims.cnf = { jkt };
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "HS256" })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject("client-42")
    .setIssuedAt()
    .setExpirationTime("5m")
    .sign(new TextEncoder().encode(SECRET));
}

interface ProofOptions {
  typ?: string | null;
  alg?: string;
  jwk?: JWK | null;
  htm?: string | null;
  htu?: string | null;
  iat?: number | null;
  jti?: string | null;
  ath?: string | null;
  key?: CryptoKey;
}

function ath(token: string): string {
  return createHash("sha256").update(token).digest("base64url");
}

/** A proof for `token`: by default a valid one for `GET url` signed by the client's key. */
async function proof(token: string, url: string, o: ProofOptions = {}): Promise<string> {
  const claims: Record<string, unknown> = {};
  const put = (name: string, value: unknown, fallback: unknown) => {
    const v = value === undefined ? fallback : value;
    if (v !== null) claims[name] = v;
  };
  put("htm", o.htm, "GET");
  put("htu", o.htu, url);
  put("iat", o.iat, Math.floor(Date.now() / 1000));
  put("jti", o.jti, randomUUID());
  put("ath", o.ath, ath(token));
  const header: Record<string, unknown> = { alg: o.alg ?? "ES256" };
  const typ = o.typ === undefined ? "dpop+jwt" : o.typ;
  if (typ !== null) header.typ = typ;
  const jwk = o.jwk === undefined ? clientKey.publicJwk : o.jwk;
  if (jwk !== null) header.jwk = jwk;
  return new SignJWT(claims).setProtectedHeader(header as never).sign(o.key ?? clientKey.privateKey);
}

/** An unsecured (`alg: none`) or HMAC proof, built by hand: `jose` signs neither as a DPoP proof. */
function handProof(token: string, url: string, alg: "none" | "HS256"): string {
  const enc = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");
  const input = `${enc({ typ: "dpop+jwt", alg, jwk: clientKey.publicJwk })}.${enc({
    htm: "GET",
    htu: url,
    iat: Math.floor(Date.now() / 1000),
    jti: randomUUID(),
    ath: ath(token),
  })}`;
  if (alg === "none") return `${input}.`;
  return `${input}.${createHmac("sha256", "k").update(input).digest("base64url")}`;
}

/** The fixture event of `kind` with `Authorization: <authorization>` and, unless `null`, `DPoP: <dpop>`. */
function event(kind: Kind, authorization: string, dpop: string | string[] | null): Record<string, unknown> {
  const e = loadEvent(kind, "unused");
  const headers = e.headers as Record<string, string>;
  if (kind === "http-v2") {
    headers.authorization = authorization;
    if (dpop !== null) headers.dpop = Array.isArray(dpop) ? dpop.join(",") : dpop;
    e.identitySource = [authorization];
  } else {
    const multi = e.multiValueHeaders as Record<string, string[]>;
    headers.Authorization = authorization;
    multi.Authorization = [authorization];
    if (dpop !== null) {
      const list = Array.isArray(dpop) ? dpop : [dpop];
      headers.DPoP = list[list.length - 1]!;
      multi.DPoP = list;
    }
  }
  return e;
}

const urlOf = (kind: Kind) => (kind === "http-v2" ? HTTP_URL : REST_URL);

function allowed(response: unknown): boolean {
  const r = response as { isAuthorized?: boolean; policyDocument?: { Statement: Array<{ Effect: string }> } };
  if (r.isAuthorized !== undefined) return r.isAuthorized;
  return r.policyDocument!.Statement.every((s) => s.Effect === "Allow");
}

function assertNoSecrets(lines: readonly unknown[], secrets: readonly string[]): void {
  const text = JSON.stringify(lines);
  for (const s of secrets) {
    // Every segment of a JWT is distinctive: none of them may appear in a log line.
    for (const part of s.split(".").filter((p) => p.length > 10))
      assert.ok(!text.includes(part), "a log line holds a token or a proof");
  }
}

/** A 401 with `ERR_DPOP_INVALID` whose detail contains `detailPart`; no token or proof in the logs. */
async function assertDpopRefused(
  run: ReturnType<typeof authorizer>,
  e: Record<string, unknown>,
  detailPart: string,
  secrets: readonly string[],
): Promise<void> {
  await assert.rejects(run.handler(e as never), (err: Error) => err.message === "Unauthorized");
  const decision = run.logger.lines.findLast((l) => l.message === "decision");
  assert.equal(decision?.reason, "ERR_DPOP_INVALID");
  assert.match(String(decision?.detail), new RegExp(detailPart));
  assertNoSecrets(run.logger.lines, secrets);
}

async function assertAllowed(
  run: ReturnType<typeof authorizer>,
  e: Record<string, unknown>,
  secrets: string[],
) {
  const response = await run.handler(e as never);
  assert.equal(allowed(response), true, JSON.stringify(run.logger.lines.at(-1)));
  assertNoSecrets(run.logger.lines, secrets);
}

for (const kind of ["rest-request", "http-v2"] as const) {
  describe(`DPoP (RFC 9449) through the handler, ${kind} events`, () => {
    test("required: a DPoP-bound token with a valid proof is allowed", OPTS, async () => {
      const run = authorizer("required");
      const token = await accessToken(clientKey.jkt);
      const p = await proof(token, urlOf(kind));
      await assertAllowed(run, event(kind, `DPoP ${token}`, p), [token, p]);
    });

    test("required: the DPoP scheme name is case-insensitive", OPTS, async () => {
      const run = authorizer("required");
      const token = await accessToken(clientKey.jkt);
      const p = await proof(token, urlOf(kind));
      await assertAllowed(run, event(kind, `dpop ${token}`, p), [token, p]);
    });

    test(
      "if-present: a token without cnf.jkt passes as Bearer, a bound one needs its proof",
      OPTS,
      async () => {
        const run = authorizer("if-present");
        const plain = await accessToken();
        await assertAllowed(run, event(kind, `Bearer ${plain}`, null), [plain]);
        const bound = await accessToken(clientKey.jkt);
        const p = await proof(bound, urlOf(kind));
        await assertAllowed(run, event(kind, `DPoP ${bound}`, p), [bound, p]);
        await assertDpopRefused(
          run,
          event(kind, `Bearer ${bound}`, p),
          "without the DPoP authorization scheme",
          [bound, p],
        );
      },
    );

    test("required: a Bearer token is refused (§7.1)", OPTS, async () => {
      const run = authorizer("required");
      const plain = await accessToken();
      await assertDpopRefused(run, event(kind, `Bearer ${plain}`, null), "not DPoP-bound", [plain]);
      const bound = await accessToken(clientKey.jkt);
      const p = await proof(bound, urlOf(kind));
      await assertDpopRefused(run, event(kind, `Bearer ${bound}`, p), "DPoP authorization scheme", [
        bound,
        p,
      ]);
    });

    test("required: a DPoP token without cnf.jkt is refused", OPTS, async () => {
      const run = authorizer("required");
      const token = await accessToken();
      const p = await proof(token, urlOf(kind));
      await assertDpopRefused(run, event(kind, `DPoP ${token}`, p), "no cnf.jkt", [token, p]);
    });

    test("a missing DPoP header is refused (§4.3 check 1)", OPTS, async () => {
      const run = authorizer("required");
      const token = await accessToken(clientKey.jkt);
      await assertDpopRefused(run, event(kind, `DPoP ${token}`, null), "no DPoP proof header", [token]);
    });

    test("two DPoP headers are refused (§4.3 check 1)", OPTS, async () => {
      const run = authorizer("required");
      const token = await accessToken(clientKey.jkt);
      const p1 = await proof(token, urlOf(kind));
      const p2 = await proof(token, urlOf(kind));
      await assertDpopRefused(run, event(kind, `DPoP ${token}`, [p1, p2]), "more than one DPoP proof", [
        token,
        p1,
        p2,
      ]);
    });

    test("a malformed proof is refused (§4.3 check 2)", OPTS, async () => {
      const run = authorizer("required");
      const token = await accessToken(clientKey.jkt);
      await assertDpopRefused(run, event(kind, `DPoP ${token}`, "not.a-jwt"), "not a well-formed JWT", [
        token,
      ]);
      await assertDpopRefused(run, event(kind, `DPoP ${token}`, "x".repeat(9000)), "larger than", [token]);
    });

    test("a proof with the wrong typ is refused (§4.3 check 4)", OPTS, async () => {
      const run = authorizer("required");
      const token = await accessToken(clientKey.jkt);
      const wrong = await proof(token, urlOf(kind), { typ: "JWT" });
      await assertDpopRefused(run, event(kind, `DPoP ${token}`, wrong), "typ is not dpop\\+jwt", [
        token,
        wrong,
      ]);
      const none = await proof(token, urlOf(kind), { typ: null });
      await assertDpopRefused(run, event(kind, `DPoP ${token}`, none), "typ is not dpop\\+jwt", [
        token,
        none,
      ]);
    });

    test("alg none and HS256 proofs are refused (§4.3 check 5)", OPTS, async () => {
      const run = authorizer("required");
      const token = await accessToken(clientKey.jkt);
      const none = handProof(token, urlOf(kind), "none");
      const hs = handProof(token, urlOf(kind), "HS256");
      // An unsecured JWS has an empty signature: malformed before its alg is read.
      await assertDpopRefused(run, event(kind, `DPoP ${token}`, none), "not a well-formed JWT|alg", [token]);
      await assertDpopRefused(run, event(kind, `DPoP ${token}`, hs), "alg is not an allowed asymmetric", [
        token,
        hs,
      ]);
    });

    test("an algorithm outside the issuer's allowlist is refused (§4.3 check 5)", OPTS, async () => {
      // An issuer of RS256 tokens that allows RS256 only: an ES256 proof is refused.
      const rsa = await generateKeyPair("RS256", { extractable: true });
      const run = authorizer("required", {
        secret: undefined,
        jwks: { keys: [{ ...(await exportJWK(rsa.publicKey)), alg: "RS256", kid: "as-1" }] },
        algorithms: ["RS256"],
      });
      const token = await new SignJWT({ cnf: { jkt: clientKey.jkt } })
        .setProtectedHeader({ alg: "RS256", kid: "as-1" })
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setSubject("client-42")
        .setIssuedAt()
        .setExpirationTime("5m")
        .sign(rsa.privateKey);
      const p = await proof(token, urlOf(kind));
      await assertDpopRefused(run, event(kind, `DPoP ${token}`, p), "alg is not an allowed asymmetric", [
        token,
        p,
      ]);
    });

    test("a proof signed by another key than its jwk is refused (§4.3 check 6)", OPTS, async () => {
      const run = authorizer("required");
      const token = await accessToken(clientKey.jkt);
      const forged = await proof(token, urlOf(kind), { key: otherKey.privateKey });
      await assertDpopRefused(run, event(kind, `DPoP ${token}`, forged), "signature does not verify", [
        token,
        forged,
      ]);
    });

    test(
      "a proof without a jwk, or with private key material in it, is refused (§4.3 check 7)",
      OPTS,
      async () => {
        const run = authorizer("required");
        const token = await accessToken(clientKey.jkt);
        const privateJwk = await exportJWK(clientKey.privateKey);
        assert.ok(privateJwk.d !== undefined);
        const withPrivate = await proof(token, urlOf(kind), { jwk: privateJwk });
        await assertDpopRefused(run, event(kind, `DPoP ${token}`, withPrivate), "private key material", [
          token,
          withPrivate,
        ]);
        const without = await proof(token, urlOf(kind), { jwk: null });
        await assertDpopRefused(run, event(kind, `DPoP ${token}`, without), "no jwk header", [
          token,
          without,
        ]);
      },
    );

    test("htm must be the request method (§4.3 check 8)", OPTS, async () => {
      const run = authorizer("required");
      const token = await accessToken(clientKey.jkt);
      const p = await proof(token, urlOf(kind), { htm: "POST" });
      await assertDpopRefused(run, event(kind, `DPoP ${token}`, p), "htm does not match", [token, p]);
      const missing = await proof(token, urlOf(kind), { htm: null });
      await assertDpopRefused(run, event(kind, `DPoP ${token}`, missing), "no htm", [token, missing]);
    });

    test("htu must be the request URL; its query and fragment are ignored (§4.3 check 9)", OPTS, async () => {
      const run = authorizer("required");
      const token = await accessToken(clientKey.jkt);
      const other = await proof(token, urlOf(kind).replace("/orders/42", "/orders/43"));
      await assertDpopRefused(run, event(kind, `DPoP ${token}`, other), "htu does not match", [token, other]);
      const noStage = await proof(token, urlOf(kind).replace(/\/(test|prod)\//, "/"));
      await assertDpopRefused(run, event(kind, `DPoP ${token}`, noStage), "htu does not match", [
        token,
        noStage,
      ]);
      const withQuery = await proof(token, `${urlOf(kind)}?lang=en#top`);
      await assertAllowed(run, event(kind, `DPoP ${token}`, withQuery), [token, withQuery]);
      // Scheme and host case are not significant (RFC 3986 §6.2.2.1).
      const upper = await proof(
        token,
        urlOf(kind).replace("https://", "HTTPS://").replace("execute-api", "EXECUTE-API"),
      );
      await assertAllowed(run, event(kind, `DPoP ${token}`, upper), [token, upper]);
    });

    test("dpopUrlBase replaces https:// + Host for a custom domain behind a proxy", OPTS, async () => {
      const run = authorizer("required", { dpopUrlBase: "https://api.example.com/v1/" });
      const token = await accessToken(clientKey.jkt);
      const path = new URL(urlOf(kind)).pathname;
      const good = await proof(token, `https://api.example.com/v1${path}`);
      await assertAllowed(run, event(kind, `DPoP ${token}`, good), [token, good]);
      const direct = await proof(token, urlOf(kind));
      await assertDpopRefused(run, event(kind, `DPoP ${token}`, direct), "htu does not match", [
        token,
        direct,
      ]);
    });

    test(
      "iat must be within the window: too old or in the future is refused (§4.3 check 11)",
      OPTS,
      async () => {
        const run = authorizer("required");
        const token = await accessToken(clientKey.jkt);
        const now = Math.floor(Date.now() / 1000);
        const old = await proof(token, urlOf(kind), { iat: now - 120 });
        await assertDpopRefused(run, event(kind, `DPoP ${token}`, old), "iat is outside", [token, old]);
        const future = await proof(token, urlOf(kind), { iat: now + 120 });
        await assertDpopRefused(run, event(kind, `DPoP ${token}`, future), "iat is outside", [token, future]);
        const edge = await proof(token, urlOf(kind), { iat: now - 50 });
        await assertAllowed(run, event(kind, `DPoP ${token}`, edge), [token, edge]);
        const missing = await proof(token, urlOf(kind), { iat: null });
        await assertDpopRefused(run, event(kind, `DPoP ${token}`, missing), "no numeric iat", [
          token,
          missing,
        ]);
        // A wider configured window accepts the older proof.
        const wide = authorizer("required", { dpopIatWindowSeconds: 300 });
        const older = await proof(token, urlOf(kind), { iat: now - 120 });
        await assertAllowed(wide, event(kind, `DPoP ${token}`, older), [token, older]);
      },
    );

    test("a missing jti is refused (§4.3 check 3)", OPTS, async () => {
      const run = authorizer("required");
      const token = await accessToken(clientKey.jkt);
      const p = await proof(token, urlOf(kind), { jti: null });
      await assertDpopRefused(run, event(kind, `DPoP ${token}`, p), "no usable jti", [token, p]);
    });

    test("a replayed jti is refused within the window, and forgotten after it (§11.1)", OPTS, async () => {
      let clock = Date.now();
      const run = authorizer("required", {}, () => clock);
      const token = await accessToken(clientKey.jkt);
      const p = await proof(token, urlOf(kind), { iat: Math.floor(clock / 1000) });
      await assertAllowed(run, event(kind, `DPoP ${token}`, p), [token, p]);
      await assertDpopRefused(run, event(kind, `DPoP ${token}`, p), "already used \\(replay\\)", [token, p]);
      // Same jti in a new proof (another iat): still a replay.
      const jti = randomUUID();
      const first = await proof(token, urlOf(kind), { jti, iat: Math.floor(clock / 1000) });
      const again = await proof(token, urlOf(kind), { jti, iat: Math.floor(clock / 1000) - 1 });
      await assertAllowed(run, event(kind, `DPoP ${token}`, first), [token, first]);
      await assertDpopRefused(run, event(kind, `DPoP ${token}`, again), "replay", [token, again]);
      // After the window the proof is refused for its iat, not remembered for ever.
      clock += 61_000;
      await assertDpopRefused(run, event(kind, `DPoP ${token}`, p), "iat is outside", [token, p]);
    });

    test("ath must be the hash of the access token (§4.3 check 12)", OPTS, async () => {
      const run = authorizer("required");
      const token = await accessToken(clientKey.jkt);
      const wrong = await proof(token, urlOf(kind), { ath: ath(`${token}x`) });
      await assertDpopRefused(run, event(kind, `DPoP ${token}`, wrong), "ath does not match", [token, wrong]);
      const missing = await proof(token, urlOf(kind), { ath: null });
      await assertDpopRefused(run, event(kind, `DPoP ${token}`, missing), "ath does not match", [
        token,
        missing,
      ]);
    });

    test("cnf.jkt must be the thumbprint of the proof's key (§4.3 check 13)", OPTS, async () => {
      const run = authorizer("required");
      const token = await accessToken(otherKey.jkt);
      const p = await proof(token, urlOf(kind));
      await assertDpopRefused(run, event(kind, `DPoP ${token}`, p), "cnf.jkt does not match", [token, p]);
    });

    test("dpop off: the DPoP scheme is not a credential and cnf.jkt is ignored", OPTS, async () => {
      const run = authorizer(undefined);
      const bound = await accessToken(clientKey.jkt);
      await assertAllowed(run, event(kind, `Bearer ${bound}`, null), [bound]);
      const p = await proof(bound, urlOf(kind));
      await assert.rejects(run.handler(event(kind, `DPoP ${bound}`, p) as never), /Unauthorized/);
      const decision = run.logger.lines.findLast((l) => l.message === "decision");
      assert.equal(decision?.reason, "ERR_JWT_MISSING");
      assertNoSecrets(run.logger.lines, [bound, p]);
    });
  });
}

describe("DPoP (RFC 9449): events without the request's headers", () => {
  test("a REST TOKEN event cannot carry a proof: DPoP-bound tokens are refused", OPTS, async () => {
    const run = authorizer("required");
    const token = await accessToken(clientKey.jkt);
    const e = loadEvent("rest-token", token);
    e.authorizationToken = `DPoP ${token}`;
    await assertDpopRefused(run, e, "rest-token event carries no DPoP proof", [token]);
  });
});

describe("DPoP (RFC 9449): configuration", () => {
  const base = { issuer: ISSUER, audience: [AUDIENCE], secret: SECRET };
  const refused = (extra: Record<string, unknown>, field: RegExp) =>
    assert.throws(
      () => createAuthorizer({ issuers: [{ ...base, ...extra }] }, { logger: createMemoryLogger() }),
      (e: Error) => e.name === "ConfigError" && field.test(e.message),
    );

  test("dpopUrlBase must be an https URL without query, fragment or credentials", OPTS, () => {
    refused({ dpop: "required", dpopUrlBase: "http://api.example.com" }, /dpopUrlBase/);
    refused({ dpop: "required", dpopUrlBase: "https://api.example.com/v1?x=1" }, /dpopUrlBase/);
    refused({ dpop: "required", dpopUrlBase: "https://api.example.com/#top" }, /dpopUrlBase/);
    refused({ dpop: "required", dpopUrlBase: "https://user:pw@api.example.com" }, /dpopUrlBase/);
    refused({ dpop: "required", dpopUrlBase: "not a url" }, /dpopUrlBase/);
  });

  test("dpopUrlBase and dpopIatWindowSeconds without dpop are refused, not ignored", OPTS, () => {
    refused({ dpopUrlBase: "https://api.example.com" }, /dpopUrlBase.*dpop/);
    refused({ dpopIatWindowSeconds: 30 }, /dpopIatWindowSeconds.*dpop/);
  });
});
