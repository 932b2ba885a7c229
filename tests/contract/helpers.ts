/**
 * Shared helpers for the contract and property tests: the handler as users meet it, driven with the
 * real event fixtures and real tokens, and one strict check of every returned response.
 *
 * The checks here are deliberately independent of the code under test where they can be (the ARN
 * prefix, the expected response form, the exact `Action`, and the IAM verdict, from the reference
 * evaluator in `tests/helpers/iam-reference.ts`), and use gatepass's own `validateAuthorizerResponse`
 * for the response rules it implements. Each rule of {@link responseProblems} has a negative test in
 * `response-validity.test.ts`.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  type AuthorizerHandler,
  type AuthorizerResponse,
  createAuthorizer,
} from "../../src/lambda/authorizer.js";
import { createMemoryLogger } from "../../src/log.js";
import { validateAuthorizerResponse } from "../../src/policy/evaluate.js";
import { signToken } from "../../src/token/sign.js";
import { referenceDependsOnColonReading, referenceEvaluate } from "../helpers/iam-reference.js";
import { flipSignatureBit, testKey } from "../helpers/keys.js";
import { FIXTURES } from "../unit/adapters/fixtures.js";

/** The frozen clock of every contract test, in seconds. */
export const T = 1_700_000_000;
export const NOW = () => T * 1000;

export const RS_ISSUER = "https://rs.issuer.test/";
export const HS_ISSUER = "https://hs.issuer.test/";
export const AUDIENCE = "orders-api";

export const rsKey = testKey("RS256");
export const hsKey = testKey("HS256");
/** The HS256 shared secret: it must never appear in a response or a log line. */
export const SECRET = hsKey.secret!;

export type Alg = "RS256" | "HS256";
export const ALGS: readonly Alg[] = ["RS256", "HS256"];

export const ISSUERS = [
  { issuer: RS_ISSUER, audience: [AUDIENCE], publicKey: rsKey.publicPem, algorithms: ["RS256"] },
  { issuer: HS_ISSUER, audience: [AUDIENCE], secret: SECRET },
];

/** Header for REST/HTTP fixtures, the query parameter for the WebSocket fixture (browsers cannot set headers). */
export const TOKEN_SOURCES = ["header:authorization", "query:access_token"];

/**
 * One rule per fixture route (each fixture's request is decided by a rule, not by `unmatchedRoutes`),
 * plus an `ANY … {proxy+}` rule none of them hits.
 */
export const FIXTURE_RULES = [
  { route: "GET /orders/{id}", scopes: ["orders:read"] },
  { route: "POST /orders", scopes: ["orders:write"] },
  { route: "GET /", scopes: ["root:read"] },
  { route: "GET /request", claims: { groups: "staff" } },
  { route: "ANY /lambda", scopes: ["lambda:invoke"] },
  { route: "$connect", scopes: ["ws:connect"] },
  { route: "ANY /admin/{proxy+}", claims: { groups: ["admin"] } },
];
/** Scopes that pass every rule of {@link FIXTURE_RULES} except the admin one. */
export const GRANTING_SCOPE = "orders:read orders:write root:read lambda:invoke ws:connect";

export type HttpApiResponse = "simple" | "iam";

/** A plain configuration document; `extra` overrides top-level fields. */
export function contractConfig(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { issuers: ISSUERS, tokenSources: TOKEN_SOURCES, ...extra };
}

/** A handler with a memory logger, the frozen clock and no process-wide key cache. */
export interface TestHandler {
  readonly handler: AuthorizerHandler;
  readonly logger: ReturnType<typeof createMemoryLogger>;
  readonly httpApi: HttpApiResponse;
}

export function makeHandler(config: Record<string, unknown>): TestHandler {
  const logger = createMemoryLogger();
  const handler = createAuthorizer(config, { now: NOW, logger, sharedKeyCache: false });
  const httpApi = ((config.httpApi as { response?: HttpApiResponse } | undefined)?.response ??
    "simple") as HttpApiResponse;
  return { handler, logger, httpApi };
}

/** Signs `claims` with the issuer of `alg`; `iss`, `aud`, `iat` and `exp` (T + 600) unless overridden. */
export function mint(
  alg: Alg,
  claims: Record<string, unknown>,
  options: { issuer?: string; audience?: string | string[]; now?: number; expiresIn?: number } = {},
): string {
  const key = alg === "RS256" ? rsKey.signingKey : SECRET;
  return signToken(claims, key, {
    alg,
    issuer: options.issuer ?? (alg === "RS256" ? RS_ISSUER : HS_ISSUER),
    audience: options.audience ?? AUDIENCE,
    expiresIn: options.expiresIn ?? 600,
    now: options.now ?? T,
  });
}

export { flipSignatureBit };

// ---------------------------------------------------------------------------------------------
// Fixtures

export const FIXTURE_NAMES = FIXTURES;
export type FixtureName = (typeof FIXTURE_NAMES)[number];

const FIXTURE_DIR = new URL("../fixtures/events/", import.meta.url);
const rawFixtures = new Map<FixtureName, unknown>();

function rawFixture(name: FixtureName): unknown {
  let raw = rawFixtures.get(name);
  if (raw === undefined) {
    raw = JSON.parse(readFileSync(new URL(`${name}.json`, FIXTURE_DIR), "utf8"));
    rawFixtures.set(name, raw);
  }
  return raw;
}

/**
 * Replaces the `TOKEN` placeholder (a whole word) in every string except the `type` field. Unlike a
 * `String.replace` with a string, `$&` and friends in `token` are inserted verbatim.
 */
function fill(value: unknown, token: string, key: string | null): unknown {
  if (typeof value === "string") return key === "type" ? value : value.split(/\bTOKEN\b/).join(token);
  if (Array.isArray(value)) return value.map((item) => fill(item, token, null));
  if (typeof value === "object" && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = fill(v, token, k);
    return out;
  }
  return value;
}

/** A fresh copy of the fixture with `token` wherever the client's token goes. */
export function fixtureEvent(name: FixtureName, token: string): Record<string, unknown> {
  return fill(rawFixture(name), token, null) as Record<string, unknown>;
}

/**
 * The fixture as the client sent it without any credential: every value holding the token is
 * removed (headers, multi-value headers, cookies, query parameters, `identitySource`). A REST `TOKEN`
 * event cannot lose `authorizationToken` and stay a `TOKEN` event, so it gets the empty string.
 */
export function eventWithoutToken(name: FixtureName): Record<string, unknown> {
  const marker = "zzTOKENMARKERzz";
  const strip = (value: unknown): unknown => {
    if (Array.isArray(value))
      return value.filter((v) => !(typeof v === "string" && v.includes(marker))).map((v) => strip(v));
    if (typeof value === "object" && value !== null) {
      const isTokenEvent = (value as { type?: unknown }).type === "TOKEN";
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) {
        if (typeof v === "string" && v.includes(marker)) {
          if (k === "authorizationToken" && isTokenEvent) out[k] = "";
          continue;
        }
        if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === "string" && x.includes(marker)))
          continue;
        out[k] = strip(v);
      }
      return out;
    }
    return value;
  };
  const event = strip(fixtureEvent(name, marker)) as Record<string, unknown>;
  assert.ok(!JSON.stringify(event).includes(marker), `${name}: the token was not fully removed`);
  return event;
}

/** Is the event an HTTP API payload 2.0 event (the detection rule of adapters/detect.ts, restated here, own properties)? */
export function isHttpV2Event(event: unknown): boolean {
  return (
    typeof event === "object" &&
    event !== null &&
    !Array.isArray(event) &&
    Object.hasOwn(event, "version") &&
    (event as { version: unknown }).version === "2.0" &&
    typeof (event as { routeArn?: unknown }).routeArn === "string"
  );
}

/** Is the event an HTTP API payload 1.0 event (`version: "1.0"`, not a REST `TOKEN` event)? */
export function isHttpV1Event(event: unknown): boolean {
  const e = event as Record<string, unknown>;
  return (
    typeof event === "object" &&
    event !== null &&
    Object.hasOwn(e, "version") &&
    e.version === "1.0" &&
    e.type !== "TOKEN" &&
    typeof e.methodArn === "string"
  );
}

/** The ARN API Gateway evaluates the answer against: `routeArn` for 2.0, else `methodArn`. */
export function eventArn(event: Record<string, unknown>): string {
  const arn = isHttpV2Event(event) ? event.routeArn : event.methodArn;
  assert.equal(typeof arn, "string", "the event has no ARN");
  return arn as string;
}

const ARN_PREFIX = /^(arn:([^:/]+):execute-api:([^:/]+):(\d{12}):([^/:]+)\/([^/]+)\/)(.*)$/s;

/** `arn:{partition}:execute-api:{region}:{account}:{apiId}/{stage}/` of a method/route ARN (own parser, not gatepass's). */
export function stagePrefix(arn: string): string {
  const match = ARN_PREFIX.exec(arn);
  assert.ok(match, `not an execute-api ARN: ${arn}`);
  return match[1]!;
}

export interface ArnRewrite {
  partition?: string;
  region?: string;
  account?: string;
  apiId?: string;
  stage?: string;
}

/**
 * The event with its method/route ARN moved to another partition, region, account, API or stage
 * (and `requestContext`'s `stage`, `apiId`, `accountId` kept consistent with it).
 */
export function rewriteArn(event: Record<string, unknown>, to: ArnRewrite): Record<string, unknown> {
  const copy = structuredClone(event);
  const key = isHttpV2Event(copy) ? "routeArn" : "methodArn";
  const match = ARN_PREFIX.exec(copy[key] as string);
  assert.ok(match);
  const [, , partition, region, account, apiId, stage, tail] = match;
  const p = { partition, region, account, apiId, stage, ...to };
  copy[key] = `arn:${p.partition}:execute-api:${p.region}:${p.account}:${p.apiId}/${p.stage}/${tail}`;
  const context = copy.requestContext as Record<string, unknown> | null | undefined;
  if (context && typeof context === "object") {
    if ("stage" in context) context.stage = p.stage;
    if ("apiId" in context) context.apiId = p.apiId;
    if ("accountId" in context) context.accountId = p.account;
  }
  return copy;
}

/** A method ARN for `method` and `path` in the stage of `arn` (REST/HTTP APIs). */
export function methodArnIn(arn: string, method: string, path: string): string {
  return `${stagePrefix(arn)}${method}${path}`;
}

/** The REST `TOKEN` or `REQUEST` fixture moved to `method path` (ARN and the event's own fields). */
export function restEventFor(
  kind: "rest-token" | "rest-request",
  token: string,
  method: string,
  path: string,
  prefix?: string,
): Record<string, unknown> {
  const event = fixtureEvent(kind, token);
  const base = prefix ?? stagePrefix(event.methodArn as string);
  event.methodArn = `${base}${method}${path}`;
  if (kind === "rest-request") {
    event.httpMethod = method;
    event.path = path;
    event.resource = path;
    const context = event.requestContext as Record<string, unknown>;
    context.httpMethod = method;
    context.path = path;
    context.resourcePath = path;
  }
  return event;
}

// ---------------------------------------------------------------------------------------------
// Outcomes

export type Status = 200 | 403 | 401;

export type Outcome =
  | { readonly status: 401; readonly error: unknown }
  | { readonly status: 200 | 403; readonly response: AuthorizerResponse };

/**
 * Calls the handler and classifies what API Gateway would answer: a rejection is only a 401 when it
 * is an `Error` whose message is exactly `"Unauthorized"` (anything else would be a 500, and fails
 * here); a response is 200 when its policy allows the event's own ARN (or `isAuthorized: true`),
 * else 403.
 */
export async function invoke(handler: AuthorizerHandler, event: unknown): Promise<Outcome> {
  let response: AuthorizerResponse;
  try {
    response = await handler(event, { awsRequestId: "contract-test" });
  } catch (error) {
    assertUnauthorizedError(error);
    return { status: 401, error };
  }
  return { status: statusOf(response, event), response };
}

/** Fails unless `error` is exactly `Error("Unauthorized")` (API Gateway answers 500 for anything else). */
export function assertUnauthorizedError(error: unknown): void {
  assert.ok(error instanceof Error, `rejected with a non-Error: ${String(error)}`);
  assert.equal(error.message, "Unauthorized", `rejected with ${error.name}: ${error.message}`);
  assert.equal(error.constructor, Error, `rejected with ${error.constructor.name}, not a plain Error`);
}

/**
 * 200 or 403 for a returned response, as API Gateway decides it for the event's own ARN (the IAM
 * reference evaluator, not gatepass's). A policy whose verdict depends on a point AWS's documentation
 * leaves open (whether a `*` inside an ARN segment spans a `:`) fails here.
 */
export function statusOf(response: unknown, event: unknown): 200 | 403 {
  const r = response as Record<string, unknown>;
  if (typeof r === "object" && r !== null && "isAuthorized" in r) return r.isAuthorized === true ? 200 : 403;
  const arn = eventArn(event as Record<string, unknown>);
  assert.ok(
    !referenceDependsOnColonReading(r?.policyDocument, arn),
    `the policy's verdict for ${arn} depends on how a wildcard treats ':'`,
  );
  return referenceEvaluate(r?.policyDocument, arn) === "allow" ? 200 : 403;
}

// ---------------------------------------------------------------------------------------------
// Response validity

export interface CheckOptions {
  /** `httpApi.response` of the configuration [simple]. */
  readonly httpApi?: HttpApiResponse;
  /** Strings that must appear nowhere in the response (tokens, their segments, secrets). */
  readonly secrets?: readonly string[];
  /** Largest context as JSON, in UTF-8 bytes [4096 + room for the 2.0 `principalId`]. */
  readonly maxContextBytes?: number;
}

const STATEMENT_ACTION = "execute-api:Invoke";

/**
 * Every problem of `response` as an answer to `event` (empty when valid):
 * - the form: a simple response exactly for HTTP 2.0 with `httpApi.response: "simple"`, else IAM;
 * - `validateAuthorizerResponse` (kind, and `flatContext` for REST, WebSocket and HTTP 1.0, with
 *   `claims` reserved for 1.0);
 * - stricter than the validator where the contract is: `Action` exactly `execute-api:Invoke`,
 *   non-empty `Resource` lists, every resource inside the event's own
 *   `arn:{partition}:execute-api:{region}:{account}:{apiId}/{stage}/`;
 * - a bounded context (and the WebSocket 8 KB result limit);
 * - none of `secrets` anywhere in it.
 */
export function responseProblems(response: unknown, event: unknown, options: CheckOptions = {}): string[] {
  const problems: string[] = [];
  const v2 = isHttpV2Event(event);
  const v1 = isHttpV1Event(event);
  const simple = v2 && (options.httpApi ?? "simple") === "simple";
  const isObject = typeof response === "object" && response !== null && !Array.isArray(response);
  if (!isObject) return [`the response is not an object: ${String(response)}`];
  const r = response as Record<string, unknown>;
  if (simple && !("isAuthorized" in r)) problems.push("expected a simple response ({ isAuthorized })");
  if (!simple && "isAuthorized" in r) problems.push("expected an IAM policy response, got a simple one");
  problems.push(
    ...validateAuthorizerResponse(response, simple ? "simple" : "iam", {
      flatContext: !v2,
      ...(v1 ? { reservedContextKeys: ["claims"] } : {}),
    }),
  );
  if (!simple) {
    const doc = r.policyDocument as { Statement?: unknown } | undefined;
    const statements = Array.isArray(doc?.Statement) ? (doc.Statement as unknown[]) : [];
    if (statements.length === 0) problems.push("policyDocument.Statement is empty");
    const prefix = stagePrefix(eventArn(event as Record<string, unknown>));
    statements.forEach((s, i) => {
      const st = s as Record<string, unknown>;
      if (st?.Action !== STATEMENT_ACTION)
        problems.push(
          `Statement[${i}].Action is not exactly ${STATEMENT_ACTION}: ${JSON.stringify(st?.Action)}`,
        );
      const resources = typeof st?.Resource === "string" ? [st.Resource] : st?.Resource;
      if (!Array.isArray(resources) || resources.length === 0) {
        problems.push(`Statement[${i}].Resource is empty or missing`);
        return;
      }
      for (const resource of resources) {
        if (typeof resource !== "string" || !resource.startsWith(prefix))
          problems.push(`Statement[${i}].Resource ${JSON.stringify(resource)} is outside ${prefix}`);
      }
    });
  }
  const context = r.context;
  if (context !== undefined && typeof context === "object" && context !== null) {
    const bytes = Buffer.byteLength(JSON.stringify(context), "utf8");
    const max = options.maxContextBytes ?? 4096 + 3 * 1024 + 20;
    if (bytes > max) problems.push(`the context is ${bytes} bytes (at most ${max})`);
  }
  if (typeof (event as { methodArn?: unknown }).methodArn === "string" && !v2) {
    const arn = (event as { methodArn: string }).methodArn;
    if (arn.endsWith("/$connect") && Buffer.byteLength(JSON.stringify(r), "utf8") > 8192)
      problems.push("a WebSocket authorizer result is over 8 KB");
  }
  const text = JSON.stringify(r);
  for (const secret of options.secrets ?? []) {
    if (secret.length > 0 && text.includes(secret))
      problems.push("a token or secret appears in the response");
  }
  return problems;
}

/** Asserts {@link responseProblems} finds nothing. */
export function assertValidResponse(response: unknown, event: unknown, options: CheckOptions = {}): void {
  const problems = responseProblems(response, event, options);
  assert.deepEqual(problems, [], `invalid response: ${problems.join("; ")}\n${JSON.stringify(response)}`);
}

/** The token and its three segments (each segment alone would leak it too), plus the shared secret. */
export function secretsOf(token: string | null): string[] {
  const out = [SECRET];
  if (token !== null && token.length > 0) {
    out.push(token);
    for (const part of token.split(".")) if (part.length >= 16) out.push(part);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Log lines

export type LogLine = Record<string, unknown> & { level: string; event: string };

/**
 * The lines logged since `from`: exactly one `decision` line, with outcome, reason, principal,
 * issuer, route and durationMs as the outcome requires; nothing in any line may contain a secret.
 */
export function assertDecisionLog(
  lines: readonly LogLine[],
  from: number,
  outcome: Outcome,
  secrets: readonly string[],
): LogLine {
  const fresh = lines.slice(from);
  const text = JSON.stringify(fresh);
  for (const secret of secrets) assert.ok(!text.includes(secret), "a token or secret appears in the logs");
  const decisions = fresh.filter((l) => l.event === "decision");
  assert.equal(decisions.length, 1, `expected one decision line, got ${decisions.length}: ${text}`);
  const line = decisions[0]!;
  const expected = outcome.status === 200 ? "allow" : outcome.status === 403 ? "deny" : "unauthorized";
  assert.equal(line.outcome, expected, text);
  assert.equal(typeof line.durationMs, "number");
  assert.ok(Number.isFinite(line.durationMs) && (line.durationMs as number) >= 0);
  assert.ok("route" in line, "the decision line has no route");
  if (outcome.status === 200) assert.equal(line.reason, null);
  else assert.match(String(line.reason), /^ERR_[A-Z_]+$/);
  if (outcome.status !== 401) {
    assert.equal(typeof line.principal, "string");
    assert.ok("issuer" in line, "the decision line has no issuer");
    assert.equal(typeof line.route, "string");
    const principal =
      "isAuthorized" in outcome.response
        ? (outcome.response.context as { principalId?: unknown } | undefined)?.principalId
        : outcome.response.principalId;
    assert.equal(line.principal, principal);
  }
  return line;
}
