import type { EventKind } from "../adapters/types.js";
import { bearerChallenge, CHALLENGE_CONTEXT_KEY } from "../config/resource.js";
import type { GatepassConfig } from "../config/types.js";
import type { Logger } from "../log.js";
import type { ArnParts } from "../policy/arn.js";
import type { PolicyDocument } from "../policy/build.js";
import type { PolicyRules } from "../policy/rule-policy.js";
import { ROUTED_METHODS } from "../rules/methods.js";
import { checkRequirement, DEFAULT_SCOPE_CLAIMS, readClaim } from "../rules/requirements.js";

/**
 * The RFC 6750 §3 `insufficient_scope` challenge of a protected resource (`resource`), carried by a
 * REST API policy answer in its context under {@link CHALLENGE_CONTEXT_KEY}, for the API's
 * `ACCESS_DENIED` Gateway Response to map into `WWW-Authenticate`
 * (`gatewayresponse.header.WWW-Authenticate: context.authorizer.wwwAuthenticate`).
 *
 * API Gateway caches one answer (policy and context) per token and judges the cached policy for every
 * route that token calls while the TTL lasts; the context that reaches the Gateway Response is that
 * cached one, whichever route it denies. So:
 * - the challenge goes with every policy that denies some route of the stage (a Deny for this
 *   request, and an Allow whose policy denies other routes, explicitly or by allowing only a list);
 *   a policy that allows the whole stage carries none;
 * - its `scope` holds the scopes of **every** rule the principal fails (a token granted them passes
 *   the scope part of each of those rules, so it is right for whichever denied route the cached answer
 *   is judged against), plus the scopes it already holds that the resource knows (named by a rule or
 *   by `resource.scopesSupported`), so that re-authorizing with it loses nothing (the MCP
 *   specification's "recommended approach"). When no failing rule names a scope the denial is not
 *   about scopes: the challenge then has no `scope`. Scopes that are not RFC 6749 scope-tokens are
 *   left out; a value over {@link MAX_CHALLENGE_BYTES} drops the held scopes, then `scope`.
 * HTTP APIs and WebSocket APIs have no Gateway Responses: their answers carry no challenge, and the
 * first such event logs `resource_challenge_unavailable` once (the decision itself is unchanged).
 */
export interface ResourceChallenge {
  /**
   * The challenge for the context of a policy answer (`undefined`: none), for a request of `kind` by
   * a principal with `claims`, answered with `document` built for `arn` (`undefined` for an HTTP API
   * simple response): its context entry, and the bytes that entry adds to the context's JSON.
   */
  valueFor(
    kind: EventKind,
    claims: Record<string, unknown>,
    scopeClaims: readonly string[] | undefined,
    document: PolicyDocument | undefined,
    arn: ArnParts,
  ): { readonly context: Readonly<Record<string, string>>; readonly bytes: number } | undefined;
}

/** The longest challenge value, in bytes (a header value; API Gateway bounds response headers). */
export const MAX_CHALLENGE_BYTES = 2048;

/** RFC 6749 §3.3: `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )`. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/** `undefined` (no work per request) unless `resource` is configured. */
export function resourceChallenge(
  cfg: GatepassConfig,
  rules: PolicyRules,
  logger: Logger,
): ResourceChallenge | undefined {
  const resource = cfg.resource;
  if (resource === undefined) return undefined;
  const known = new Set<string>(resource.scopesSupported);
  for (const rule of rules.rules) for (const scope of rule.requirement.scopes) known.add(scope);
  let warned = false;

  /** The scopes the claims grant through `scopeClaims` that the resource knows. */
  function held(claims: Record<string, unknown>, scopeClaims: readonly string[]): Set<string> {
    const out = new Set<string>();
    for (const name of scopeClaims) {
      const value = readClaim(claims, name);
      const granted =
        typeof value === "string" ? value.split(" ") : Array.isArray(value) ? (value as unknown[]) : [];
      for (const scope of granted) if (typeof scope === "string" && known.has(scope)) out.add(scope);
    }
    return out;
  }

  /**
   * The scopes of the rules the principal fails. They follow from its verdict on each distinct
   * requirement, which is what identifies its IAM plan (the policy builder's, memoized by the rule
   * set): so they are computed once per plan, not per request.
   */
  const neededByPlan = new WeakMap<object, ReadonlySet<string>>();
  function failingScopes(claims: Record<string, unknown>, scopeClaims: readonly string[] | undefined) {
    const plan = rules.iamPlan(claims, { scopeClaims });
    let needed = neededByPlan.get(plan);
    if (needed === undefined) {
      const out = new Set<string>();
      for (const rule of rules.rules) {
        const requirement = rule.requirement;
        if (requirement.scopes.length === 0) continue;
        let failed: boolean;
        try {
          failed = checkRequirement(requirement, claims, scopeClaims) !== null;
        } catch {
          failed = true;
        }
        if (failed) for (const scope of requirement.scopes) out.add(scope);
      }
      needed = out;
      neededByPlan.set(plan, needed);
    }
    return needed;
  }

  function scopeList(claims: Record<string, unknown>, scopeClaims: readonly string[] | undefined) {
    const needed = failingScopes(claims, scopeClaims);
    const has = held(claims, scopeClaims ?? DEFAULT_SCOPE_CLAIMS);
    // Nothing to ask for: the principal holds every scope the failing rules name.
    if ([...needed].every((scope) => has.has(scope))) return null;
    const valid = (set: ReadonlySet<string>) => [...set].filter((s) => SCOPE_TOKEN.test(s)).sort();
    return { needed: valid(needed), all: valid(new Set([...has, ...needed])) };
  }

  /** The context entry of `value`, and the bytes `"key":"value",` adds to the context's JSON. */
  const entry = (value: string) => ({
    context: { [CHALLENGE_CONTEXT_KEY]: value },
    bytes: CHALLENGE_CONTEXT_KEY.length + 4 + Buffer.byteLength(JSON.stringify(value)),
  });

  return {
    valueFor(kind, claims, scopeClaims, document, arn) {
      if (kind !== "rest-token" && kind !== "rest-request") {
        if (!warned) {
          warned = true;
          logger.warn("resource_challenge_unavailable", {
            kind,
            detail:
              "resource is configured, but HTTP APIs and WebSocket APIs have no Gateway Responses: their 401 and 403 answers carry no WWW-Authenticate challenge (tokens are still checked against resource.uri)",
          });
        }
        return undefined;
      }
      if (document === undefined || allowsWholeStage(document, arn)) return undefined;
      const scopes = scopeList(claims, scopeClaims);
      const error = "insufficient_scope" as const;
      if (scopes === null || scopes.needed.length === 0) return entry(bearerChallenge(resource, { error }));
      for (const scope of [scopes.all, scopes.needed]) {
        const value = bearerChallenge(resource, { error, scope });
        if (Buffer.byteLength(value) <= MAX_CHALLENGE_BYTES) return entry(value);
      }
      return entry(bearerChallenge(resource, { error }));
    },
  };
}

/** Whether `document` allows every route of `arn`'s stage: one Allow of every routed method, no Deny. */
function allowsWholeStage(document: PolicyDocument, arn: ArnParts): boolean {
  if (document.Statement.some((s) => s.Effect !== "Allow")) return false;
  const allowed = new Set(document.Statement.flatMap((s) => s.Resource));
  return ROUTED_METHODS.every((m) => allowed.has(`${arn.prefix}${m}/*`));
}
