/**
 * Contract matrix (README, "Every API Gateway event type"): every event fixture × every token case × both algorithms
 * (RS256 public key, HS256 shared secret) × both HTTP API response modes, through the handler.
 * Each invocation is checked for its outcome (401 / 403 / allow), the validity of the returned
 * response, the one `decision` log line and its reason code, and the absence of the token and the
 * secret from the response and the logs.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  ALGS,
  type Alg,
  assertDecisionLog,
  assertValidResponse,
  contractConfig,
  eventWithoutToken,
  FIXTURE_NAMES,
  FIXTURE_RULES,
  type FixtureName,
  fixtureEvent,
  flipSignatureBit,
  GRANTING_SCOPE,
  type HttpApiResponse,
  invoke,
  makeHandler,
  mint,
  type Status,
  secretsOf,
  T,
  type TestHandler,
} from "./helpers.js";

const PRINCIPAL = "user-1";

const handlers: Record<"open" | "ruled", Record<HttpApiResponse, TestHandler>> = {
  open: {
    simple: makeHandler(contractConfig()),
    iam: makeHandler(contractConfig({ httpApi: { response: "iam" } })),
  },
  ruled: {
    simple: makeHandler(contractConfig({ routes: FIXTURE_RULES })),
    iam: makeHandler(contractConfig({ routes: FIXTURE_RULES, httpApi: { response: "iam" } })),
  },
};

/** The rule that decides each fixture's request in the ruled configuration. */
const RULE_OF: Record<FixtureName, string> = {
  "rest-token": "GET /orders/{id}",
  "rest-token-raw": "GET /",
  "rest-request": "GET /orders/{id}",
  "rest-request-console-test": "POST /orders",
  "http-v1": "GET /request",
  "http-v2": "GET /orders/{id}",
  "http-v2-default-stage": "ANY /lambda",
  "websocket-connect": "$connect",
};

interface TokenCase {
  readonly name: string;
  readonly config: "open" | "ruled";
  /** The token, or `null` for an event without any. */
  readonly token: (alg: Alg) => string | null;
  readonly status: Status;
  /** The reason code(s) the decision line must carry (`null` for an allow). */
  readonly reason: string | readonly string[] | null;
}

const base = { sub: PRINCIPAL, email: "user-1@example.com", groups: ["staff", "ops"] };
const memo = new Map<string, string>();
const once = (key: string, make: () => string) => {
  let value = memo.get(key);
  if (value === undefined) {
    value = make();
    memo.set(key, value);
  }
  return value;
};

const CASES: readonly TokenCase[] = [
  {
    name: "valid",
    config: "open",
    token: (alg) => once(`valid:${alg}`, () => mint(alg, { ...base, scope: "profile" })),
    status: 200,
    reason: null,
  },
  {
    name: "expired",
    config: "open",
    token: (alg) => once(`expired:${alg}`, () => mint(alg, base, { now: T - 3600, expiresIn: 600 })),
    status: 401,
    reason: "ERR_JWT_EXPIRED",
  },
  {
    name: "wrong audience",
    config: "open",
    token: (alg) => once(`aud:${alg}`, () => mint(alg, base, { audience: "billing-api" })),
    status: 401,
    reason: "ERR_JWT_AUDIENCE_INVALID",
  },
  {
    name: "unknown issuer",
    config: "open",
    token: (alg) => once(`iss:${alg}`, () => mint(alg, base, { issuer: "https://unknown.issuer.test/" })),
    status: 401,
    reason: "ERR_JWT_ISSUER_INVALID",
  },
  {
    name: "bad signature",
    config: "open",
    token: (alg) => once(`sig:${alg}`, () => flipSignatureBit(mint(alg, base))),
    status: 401,
    reason: "ERR_JWT_SIGNATURE_INVALID",
  },
  { name: "missing token", config: "open", token: () => null, status: 401, reason: "ERR_JWT_MISSING" },
  {
    name: "malformed token",
    config: "open",
    token: () => "aaaa.bbbb.cccc",
    status: 401,
    reason: "ERR_JWT_MALFORMED",
  },
  {
    name: "forbidden by a rule",
    config: "ruled",
    token: (alg) =>
      once(`forbidden:${alg}`, () => mint(alg, { sub: PRINCIPAL, scope: "profile", groups: ["guest"] })),
    status: 403,
    reason: ["ERR_SCOPE_MISSING", "ERR_CLAIM_MISMATCH"],
  },
  {
    name: "allowed by a rule",
    config: "ruled",
    token: (alg) =>
      once(`allowed:${alg}`, () => mint(alg, { sub: PRINCIPAL, scope: GRANTING_SCOPE, groups: ["staff"] })),
    status: 200,
    reason: null,
  },
  {
    name: "missing principal claim",
    config: "open",
    token: (alg) => once(`noprincipal:${alg}`, () => mint(alg, { email: "x@example.com", scope: "profile" })),
    status: 401,
    reason: "ERR_JWT_CLAIM_MISSING",
  },
];

/**
 * `http-v2-default-stage` is a `$default` route whose identity sources are the token alone: a simple
 * response is then cached for every route, so gatepass answers it route-independently, allowed only
 * for a principal every rule allows. The ruled tokens all fail some rule (the admin one at least).
 */
const routeIndependent = (fixture: FixtureName, c: TokenCase, mode: HttpApiResponse) =>
  fixture === "http-v2-default-stage" && mode === "simple" && c.config === "ruled";

async function check(fixture: FixtureName, c: TokenCase, alg: Alg, mode: HttpApiResponse): Promise<void> {
  if (routeIndependent(fixture, c, mode)) {
    c = { ...c, status: 403, reason: ["ERR_SCOPE_MISSING", "ERR_CLAIM_MISMATCH"] };
  }
  const at = `${fixture} × ${c.name} × ${alg} × httpApi ${mode}`;
  const h = handlers[c.config][mode];
  const token = c.token(alg);
  const event = token === null ? eventWithoutToken(fixture) : fixtureEvent(fixture, token);
  const from = h.logger.lines.length;
  const outcome = await invoke(h.handler, event);
  assert.equal(outcome.status, c.status, `${at}: expected ${c.status}, got ${outcome.status}`);
  const secrets = secretsOf(token);
  if (outcome.status !== 401) {
    assertValidResponse(outcome.response, event, { httpApi: mode, secrets });
    const principal =
      "isAuthorized" in outcome.response
        ? outcome.response.context?.principalId
        : outcome.response.principalId;
    assert.equal(principal, PRINCIPAL, at);
  }
  const line = assertDecisionLog(h.logger.lines, from, outcome, secrets);
  const reasons: ReadonlyArray<string | null> =
    c.reason === null ? [null] : typeof c.reason === "string" ? [c.reason] : c.reason;
  assert.ok(reasons.includes(line.reason as string | null), `${at}: reason ${String(line.reason)}`);
  if (c.config === "ruled" && !routeIndependent(fixture, c, mode))
    assert.equal(line.rule, RULE_OF[fixture], `${at}: decided by ${line.rule}`);
  if (outcome.status !== 401) {
    const issuer = alg === "RS256" ? "https://rs.issuer.test/" : "https://hs.issuer.test/";
    assert.equal(line.issuer, issuer, at);
  }
}

describe("contract matrix: fixture × token case × algorithm × HTTP API response mode", () => {
  for (const fixture of FIXTURE_NAMES) {
    for (const c of CASES) {
      test(`${fixture}: ${c.name} → ${c.status === 200 ? "allow" : c.status}`, async () => {
        for (const alg of ALGS)
          for (const mode of ["simple", "iam"] as const) await check(fixture, c, alg, mode);
      });
    }
  }

  test("the missing-token events really carry no token, and the other events carry it where the fixture says", () => {
    const token = mint("HS256", base);
    for (const fixture of FIXTURE_NAMES) {
      assert.ok(JSON.stringify(fixtureEvent(fixture, token)).includes(token), fixture);
      const { type: _type, ...stripped } = eventWithoutToken(fixture);
      assert.ok(!JSON.stringify(stripped).includes("TOKEN"), fixture);
    }
  });

  test("the ruled configuration has no IAM warnings (every cached answer is exact)", () => {
    for (const h of Object.values(handlers.ruled)) {
      assert.deepEqual(
        h.logger.lines.filter((l) => l.event === "rules_warning"),
        [],
      );
    }
  });
});
