/**
 * e2e: tokens minted by PyJWT exactly as the users of the classic Python Lambda authorizer mint them
 * (`jwt.encode({"id": 42, ...}, SECRET_KEY, algorithm="HS256")`, a 13-byte secret, often no `exp`),
 * verified by the Lambda bundle (`gatepass bundle --out DIR`, configured from the environment as the
 * README's "Coming from a hand-written authorizer" says), invoked in a fresh Node process with REST
 * `TOKEN` events as API Gateway sends them.
 *
 * PyJWT is Debian's `python3-jwt`, run with `/usr/bin/python3` (a `python3` earlier on PATH may be
 * another Python without it); `.ci/run` installs it. The tests are skipped, saying so, only when
 * `/usr/bin/python3` cannot import `jwt`; any other problem fails them.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { pathToFileURL } from "node:url";
import { referenceEvaluate } from "../helpers/iam-reference.js";
import { cleanupTempDirs, runCli, runNode, tempDir } from "./cli-helpers.js";

const PYTHON = "/usr/bin/python3";
/** The gist's kind of secret: 13 bytes, shorter than HS256's 32. */
const LEGACY_SECRET = "my-secret-key";
const STRONG_SECRET = "a-new-strong-secret-of-48-bytes-0123456789abcdef";
const METHOD_ARN = "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/prod/GET/orders/42";

function pyjwtMissing(): string | undefined {
  try {
    execFileSync(PYTHON, ["-c", "import jwt"], { stdio: "ignore", timeout: 20_000 });
    return undefined;
  } catch {
    return `PyJWT is not importable by ${PYTHON} (install Debian's python3-jwt, as .ci/run does)`;
  }
}
const SKIP = pyjwtMissing();

/**
 * Mints with PyJWT: each spec is `jwt.encode(claims, secret, algorithm="HS256")`, with `exp` as
 * PyJWT users write it (a timezone-aware datetime) when `expIn` is given.
 */
function pyjwt(specs: Array<{ claims: Record<string, unknown>; secret: string; expIn?: number }>): string[] {
  const script = `
import json, sys
from datetime import datetime, timedelta, timezone
import jwt
out = []
for spec in json.load(sys.stdin):
    claims = dict(spec["claims"])
    if spec.get("expIn") is not None:
        claims["exp"] = datetime.now(tz=timezone.utc) + timedelta(seconds=spec["expIn"])
    token = jwt.encode(claims, spec["secret"], algorithm="HS256")
    out.append(token if isinstance(token, str) else token.decode("ascii"))
print(json.dumps(out))
`;
  const stdout = execFileSync(PYTHON, ["-c", script], {
    input: JSON.stringify(specs),
    encoding: "utf8",
    timeout: 20_000,
  });
  return JSON.parse(stdout) as string[];
}

let bundleFile: string;

interface Invocation {
  /** Set when importing the bundle threw (a Lambda init error). */
  init?: { name: string; message: string };
  results: Array<{ response?: Record<string, unknown>; error?: string }>;
  /** The JSON log lines the handler wrote. */
  logs: Array<Record<string, unknown>>;
  raw: string;
}

/** Imports the bundle from a fresh directory with `env` and calls its handler with each event. */
async function invoke(env: Record<string, string>, events: unknown[]): Promise<Invocation> {
  const cwd = tempDir("gatepass-pyjwt-");
  const copy = join(cwd, "index.mjs");
  copyFileSync(bundleFile, copy);
  const script = `
    let mod;
    try { mod = await import(process.env.BUNDLE_URL); }
    catch (error) {
      process.stderr.write("INIT " + JSON.stringify({ name: error?.name, message: error?.message }) + "\\n");
      process.exit(0);
    }
    const results = [];
    for (const event of JSON.parse(process.env.EVENTS)) {
      try { results.push({ response: await mod.handler(event, { awsRequestId: "pyjwt" }) }); }
      catch (error) { results.push({ error: error.message }); }
    }
    process.stderr.write("RESULTS " + JSON.stringify(results) + "\\n");
  `;
  const run = await runNode(["--input-type=module", "-e", script], {
    cwd,
    env: { BUNDLE_URL: pathToFileURL(copy).href, EVENTS: JSON.stringify(events), NODE_PATH: "", ...env },
  });
  assert.equal(run.code, 0, run.stderr);
  const raw = `${run.stdout}\n${run.stderr}`;
  const logs = run.stdout
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const init = run.stderr.split("\n").find((l) => l.startsWith("INIT "));
  if (init) return { init: JSON.parse(init.slice(5)), results: [], logs, raw };
  const line = run.stderr.split("\n").find((l) => l.startsWith("RESULTS "));
  assert.ok(line, run.stderr);
  return { results: JSON.parse(line.slice(8)), logs, raw };
}

/** A REST API TOKEN authorizer event, as API Gateway sends it (the gist strips `Bearer `). */
const tokenEvent = (token: string) => ({
  type: "TOKEN",
  authorizationToken: `Bearer ${token}`,
  methodArn: METHOD_ARN,
});

/** `signed`'s header and signature around `other`'s payload: a payload altered after signing. */
const spliced = (signed: string, other: string) => {
  const [h, , sig] = signed.split(".");
  return `${h}.${other.split(".")[1]}.${sig}`;
};

const decisions = (inv: Invocation) => inv.logs.filter((l) => l.event === "decision");

function assertAllowed(result: Invocation["results"][number] | undefined, principalId: string) {
  assert.ok(result?.response, `expected an Allow, got ${JSON.stringify(result)}`);
  assert.equal(result.response.principalId, principalId);
  const doc = result.response.policyDocument as { Version: string };
  assert.equal(doc.Version, "2012-10-17");
  // Judged by the independent IAM reference: the request's own ARN, and (API Gateway caches the
  // answer per token for every route) another route of the same stage, are allowed.
  assert.equal(referenceEvaluate(doc, METHOD_ARN), "allow");
  assert.equal(referenceEvaluate(doc, METHOD_ARN.replace("/GET/orders/42", "/POST/orders")), "allow");
}

const noSecrets = (inv: Invocation) => {
  for (const s of [LEGACY_SECRET, STRONG_SECRET]) assert.ok(!inv.raw.includes(s), "a secret was printed");
};

before(async () => {
  if (SKIP) return;
  const dir = tempDir("gatepass-pyjwt-bundle-");
  const result = await runCli(["bundle", "--out", dir]);
  assert.equal(result.code, 0, result.stderr);
  bundleFile = join(dir, "index.mjs");
});

after(cleanupTempDirs);

describe("PyJWT tokens through the Lambda bundle", { skip: SKIP, timeout: 120_000 }, () => {
  test("the gist's 13-byte SECRET_KEY is refused at cold start, naming the variable and the opt-in", async () => {
    const inv = await invoke({ SECRET_KEY: LEGACY_SECRET, GATEPASS_PRINCIPAL_CLAIM: "id" }, []);
    assert.ok(inv.init, "the bundle should fail to load");
    assert.equal(inv.init.name, "ConfigError");
    assert.match(inv.init.message, /SECRET_KEY: must be at least 32 bytes for HS256 \(got 13\)/);
    assert.match(inv.init.message, /GATEPASS_ALLOW_INSECURE_SHORT_SECRET=true/);
    noSecrets(inv);
  });

  test("with the opt-in and GATEPASS_PRINCIPAL_CLAIM=id: Allow for exactly the gist's tokens, a warning at cold start", async () => {
    const [good, numericOnly, wrongSecret, noExp, expired] = pyjwt([
      { claims: { id: 42, email: "ada@example.com" }, secret: LEGACY_SECRET, expIn: 300 },
      { claims: { id: 7 }, secret: LEGACY_SECRET, expIn: 300 },
      { claims: { id: 42 }, secret: "another-secret", expIn: 300 },
      { claims: { id: 42 }, secret: LEGACY_SECRET },
      { claims: { id: 42 }, secret: LEGACY_SECRET, expIn: -120 },
    ]);
    const inv = await invoke(
      {
        SECRET_KEY: LEGACY_SECRET,
        GATEPASS_ALLOW_INSECURE_SHORT_SECRET: "true",
        GATEPASS_PRINCIPAL_CLAIM: "id",
        GATEPASS_CONTEXT_CLAIMS: "email,id",
      },
      [good!, numericOnly!, wrongSecret!, noExp!, expired!, spliced(good!, numericOnly!)].map((t) =>
        tokenEvent(t),
      ),
    );
    assert.equal(inv.init, undefined, JSON.stringify(inv.init));
    assertAllowed(inv.results[0], "42");
    const context = inv.results[0]!.response!.context as Record<string, unknown>;
    assert.equal(context.email, "ada@example.com");
    assert.equal(context.id, 42);
    assertAllowed(inv.results[1], "7");
    for (const i of [2, 3, 4, 5]) assert.deepEqual(inv.results[i], { error: "Unauthorized" }, `event ${i}`);
    const reasons = decisions(inv).map((d) => d.reason);
    assert.deepEqual(reasons, [
      null,
      null,
      "ERR_JWT_SIGNATURE_INVALID",
      "ERR_JWT_CLAIM_MISSING",
      "ERR_JWT_EXPIRED",
      "ERR_JWT_SIGNATURE_INVALID",
    ]);
    assert.match(String(decisions(inv)[3]!.detail), /requireExp: false/);
    const warnings = inv.logs.filter((l) => l.event === "insecure_short_secret");
    assert.equal(warnings.length, 1, "one warning per cold start");
    assert.equal(warnings[0]!.level, "WARN");
    noSecrets(inv);
  });

  test("without GATEPASS_PRINCIPAL_CLAIM the decision log says which setting to change", async () => {
    const [token] = pyjwt([
      { claims: { id: 42, email: "ada@example.com" }, secret: LEGACY_SECRET, expIn: 300 },
    ]);
    const inv = await invoke({ SECRET_KEY: LEGACY_SECRET, GATEPASS_ALLOW_INSECURE_SHORT_SECRET: "true" }, [
      tokenEvent(token!),
    ]);
    assert.deepEqual(inv.results, [{ error: "Unauthorized" }]);
    const [decision] = decisions(inv);
    assert.equal(decision!.reason, "ERR_JWT_CLAIM_MISSING");
    assert.match(String(decision!.detail), /GATEPASS_PRINCIPAL_CLAIM/);
    assert.match(String(decision!.detail), /id, email, exp/);
    assert.ok(!String(decision!.detail).includes("ada@example.com"));
  });

  test("exp-less tokens are accepted only with requireExp: false (GATEPASS_CONFIG)", async () => {
    const [noExp] = pyjwt([{ claims: { id: 42 }, secret: LEGACY_SECRET }]);
    const inv = await invoke(
      {
        GATEPASS_CONFIG: JSON.stringify({
          issuers: [{ secret: LEGACY_SECRET, allowInsecureShortSecret: true, requireExp: false }],
          principalClaim: "id",
        }),
      },
      [tokenEvent(noExp!)],
    );
    assertAllowed(inv.results[0], "42");
    noSecrets(inv);
  });

  test("rotation: GATEPASS_SECRET (new, strong) and GATEPASS_SECRET_PREVIOUS (the gist's) both verify; then the weak one goes", async () => {
    const [legacy, strong] = pyjwt([
      { claims: { id: 1 }, secret: LEGACY_SECRET, expIn: 300 },
      { claims: { id: 2 }, secret: STRONG_SECRET, expIn: 300 },
    ]);
    const during = await invoke(
      {
        GATEPASS_SECRET: STRONG_SECRET,
        GATEPASS_SECRET_PREVIOUS: LEGACY_SECRET,
        GATEPASS_ALLOW_INSECURE_SHORT_SECRET: "true",
        GATEPASS_PRINCIPAL_CLAIM: "id",
      },
      [tokenEvent(legacy!), tokenEvent(strong!)],
    );
    assertAllowed(during.results[0], "1");
    assertAllowed(during.results[1], "2");
    const afterwards = await invoke({ GATEPASS_SECRET: STRONG_SECRET, GATEPASS_PRINCIPAL_CLAIM: "id" }, [
      tokenEvent(legacy!),
      tokenEvent(strong!),
    ]);
    assert.deepEqual(afterwards.results[0], { error: "Unauthorized" });
    assertAllowed(afterwards.results[1], "2");
    assert.equal(afterwards.logs.filter((l) => l.event === "insecure_short_secret").length, 0);
    noSecrets(during);
    noSecrets(afterwards);
  });
});
