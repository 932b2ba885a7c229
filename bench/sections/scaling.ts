/**
 * Section 9: scaling. The per-call cost of one REST TOKEN handler invocation (the whole path, the
 * decision log line written to stdout as in section 2: the section runs in a child process whose
 * stdout is /dev/null) as the configuration grows:
 *
 * - route rules: 1, 10, 100, 1,000 rules of the shapes of section 8 (`bench/lib/rule-shapes.ts`);
 *   the request matches the last rule declared (the worst case for a scan over the rules);
 * - issuers: 1, 10, 100 (each with its own shared secret); the token is from the last one;
 * - JWKS size: 1, 10, 100 ES256 keys inline; the token is signed with the last one;
 * - context claims: 0, 4, 16, 64 claims copied from the token into the authorizer context.
 *
 * HS256 (its verification is the cheapest, so what grows shows) except for the JWKS rows. Token
 * cache off. Each group is measured side by side, with the floor's verification of its token.
 *
 * Route rules are measured three ways per shape: the handler with one principal (its IAM plan is
 * remembered by the claims the rules read: the hit case); the handler with a different principal on
 * every call (a fresh `scope` claim per call from a pool larger than that memory: the miss case); and
 * the request-level decision alone (`decide` on the compiled rules), for the request matching the
 * last rule and for an unmatched request under its IAM resource.
 */

import { microTiming } from "../lib/checks.js";
import { runSectionInChild } from "../lib/child-section.js";
import { isAllowed } from "../lib/events.js";
import {
  AUDIENCE,
  type BenchAlgorithm,
  type BenchKey,
  benchKey,
  ISSUER,
  issuerConfig,
  signJwt,
  standardClaims,
} from "../lib/fixtures.js";
import { createFloorVerifier } from "../lib/floor.js";
import { compileRules, createAuthorizer } from "../lib/gatepass.js";
import { type Candidate, freshStrings, type Measurement, measure, ratio } from "../lib/harness.js";
import { RULE_SHAPES } from "../lib/rule-shapes.js";
import type { BenchContext, Section, SectionResult, TargetResult } from "../lib/section.js";
import { markdownTable, num, ratioText, withRange } from "../lib/table.js";
import { difference } from "./handler.js";

/** The architecture's target: the per-call cost with 1,000 rules within this factor of that with 1 rule. */
export const RULE_SCALING_TARGET_RATIO = 1.2;

const RULE_COUNTS = [1, 10, 100, 1000];
const ISSUER_COUNTS = [1, 10, 100];
const JWKS_SIZES = [1, 10, 100];
const CLAIM_COUNTS = [0, 4, 16, 64];

const METHOD_ARN_PREFIX = "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/prod/";

function tokenEvent(token: string, method: string, path: string): Record<string, unknown> {
  return {
    type: "TOKEN",
    authorizationToken: `Bearer ${token}`,
    methodArn: `${METHOD_ARN_PREFIX}${method}${path}`,
  };
}

/** A concrete request for a route pattern: `{x}` → `42`, `{proxy+}` → `x/y`, `ANY` → `GET`. */
function requestFor(route: string): { method: string; path: string } {
  const [method, pattern] = route.split(" ") as [string, string];
  const path = pattern.replace(/\{[^}]+\+\}/g, "x/y").replace(/\{[^}]+\}/g, "42");
  return { method: method === "ANY" ? "GET" : method, path };
}

interface Variant {
  readonly label: string;
  readonly config: Record<string, unknown>;
  readonly key: BenchKey;
  readonly token: string;
  readonly event: Record<string, unknown>;
  /** Tokens to cycle through, one per call, instead of fresh copies of `token`. */
  readonly pool?: readonly string[];
}

/**
 * Distinct principals per call: larger than the rule set's memory of plans (1,024), so that cycling
 * through it, every call misses.
 */
const MISS_POOL = 4096;

const BASE_ROUTES = [
  { route: "GET /orders/{id}", scopes: ["orders:read"] },
  { route: "POST /orders", scopes: ["orders:write"] },
  { route: "ANY /admin/{proxy+}", claims: { groups: ["admin"] } },
  { route: "$connect", scopes: ["orders:read"] },
];

function baseConfig(issuers: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    issuers,
    tokenSources: ["header:authorization"],
    routes: BASE_ROUTES,
    context: { claims: ["sub", "email", "scope", "groups"] },
    tokenCache: { maxEntries: 0 },
    ...extra,
  };
}

function ordersEvent(token: string) {
  return tokenEvent(token, "GET", "/orders/42");
}

interface Group {
  readonly name: string;
  readonly unit: string;
  readonly alg: BenchAlgorithm;
  readonly variants: readonly Variant[];
}

function groups(quick: boolean): Group[] {
  const out: Group[] = [];
  const hs = benchKey("HS256");
  for (const shape of RULE_SHAPES) {
    for (const miss of [false, true]) {
      out.push({
        name: `route rules (${shape.name}${miss ? ", a new principal per call" : ""})`,
        unit: "rules",
        alg: "HS256",
        variants: RULE_COUNTS.map((n) => {
          const routes = shape.rules(n);
          const last = routes[routes.length - 1]!;
          const { method, path } = requestFor(last.route);
          const scope = last.scopes.join(" ");
          const token = signJwt(standardClaims({ scope }), hs);
          const pool = miss
            ? Array.from({ length: quick ? 8 : MISS_POOL }, (_, i) =>
                signJwt(standardClaims({ scope: `${scope} p${i}` }), hs),
              )
            : undefined;
          return {
            label: n.toLocaleString("en-US"),
            config: baseConfig([issuerConfig(hs)], {
              routes,
              context: { claims: ["sub", "email", "scope", "groups"] },
            }),
            key: hs,
            token,
            event: tokenEvent(token, method, path),
            ...(pool ? { pool } : {}),
          };
        }),
      });
    }
  }
  out.push({
    name: "issuers",
    unit: "issuers",
    alg: "HS256",
    variants: ISSUER_COUNTS.map((n) => {
      const keys = Array.from({ length: n }, (_, i) => benchKey("HS256", 100 + i));
      const issuers = keys.map((key, i) => ({ ...issuerConfig(key), issuer: `https://id${i}.example.com/` }));
      const lastKey = keys[n - 1]!;
      const token = signJwt(standardClaims({ iss: `https://id${n - 1}.example.com/` }), lastKey);
      return {
        label: String(n),
        config: baseConfig(issuers),
        key: lastKey,
        token,
        event: ordersEvent(token),
      };
    }),
  });
  out.push({
    name: "JWKS size (ES256 keys, inline)",
    unit: "keys",
    alg: "ES256",
    variants: JWKS_SIZES.map((n) => {
      const keys = Array.from({ length: n }, (_, i) => benchKey("ES256", 100 + i));
      const lastKey = keys[n - 1]!;
      const token = signJwt(standardClaims(), lastKey);
      const issuer = {
        issuer: ISSUER,
        audience: [AUDIENCE],
        algorithms: ["ES256"],
        jwks: { keys: keys.map((k) => k.publicJwk) },
      };
      return {
        label: String(n),
        config: baseConfig([issuer]),
        key: lastKey,
        token,
        event: ordersEvent(token),
      };
    }),
  });
  out.push({
    name: "context claims",
    unit: "claims",
    alg: "HS256",
    variants: CLAIM_COUNTS.map((n) => {
      const names = Array.from({ length: n }, (_, i) => `claim${i}`);
      const token = signJwt(standardClaims(Object.fromEntries(names.map((c, i) => [c, `value-${i}`]))), hs);
      const config = baseConfig([issuerConfig(hs)]);
      if (n === 0) delete config.context;
      else config.context = { claims: names };
      return { label: String(n), config, key: hs, token, event: ordersEvent(token) };
    }),
  });
  return out;
}

const signedUs = (us: number) => `${us >= 0 ? "+" : ""}${num(us)}`;

export const scalingSection: Section = {
  id: "scaling",
  title: "9. Scaling with the configuration",
  run: (context) => runSectionInChild("bench/sections/scaling.ts", "scalingInChild", context),
};

/** The measurements, run in a child process whose stdout is /dev/null. */
export const scalingInChild: Section = {
  id: "scaling",
  title: "9. Scaling with the configuration",
  async run(context: BenchContext): Promise<SectionResult> {
    const rows: string[][] = [];
    const targets: TargetResult[] = [];
    for (const group of groups(context.quick)) {
      context.progress(`scaling: ${group.name}`);
      const first = group.variants[0]!;
      const floor = createFloorVerifier({
        alg: group.alg,
        key: first.key.verifyKey,
        issuer: (
          JSON.parse(Buffer.from(first.token.split(".")[1]!, "base64url").toString()) as { iss: string }
        ).iss,
        audience: AUDIENCE,
      });
      const floorNext = freshStrings(first.token);
      const candidates: Candidate[] = [{ name: "floor", run: () => floor(floorNext()) }];
      const refused: string[] = [];
      const refusedRows: string[][] = [];
      for (const variant of group.variants) {
        let handler: (event: unknown) => Promise<unknown>;
        try {
          handler = createAuthorizer(variant.config, { sharedKeyCache: false }) as unknown as typeof handler;
        } catch (error) {
          refused.push(variant.label);
          refusedRows.push([
            group.name,
            variant.label,
            `refused: ${(error as { detail?: string }).detail?.split(";")[0] ?? String(error)}`,
            "",
            "",
          ]);
          continue;
        }
        // A fresh token string per call, in a fresh copy of the event, as a Lambda parses each event anew.
        const pool = variant.pool;
        let at = 0;
        const next =
          pool === undefined
            ? freshStrings(variant.token)
            : () => {
                at = at + 1 === pool.length ? 0 : at + 1;
                return pool[at]!;
              };
        const event = variant.event;
        const call = () => handler({ ...event, authorizationToken: `Bearer ${next()}` });
        const response = await call();
        if (!isAllowed(response))
          throw new Error(
            `${group.name}, ${variant.label}: the handler does not allow the benchmark request`,
          );
        candidates.push({ name: variant.label, run: call });
      }
      const results = await measure(candidates, microTiming(context));
      const floorResult = results[0]!;
      const base = results[1];
      const byLabel = new Map<string, Measurement>(results.slice(1).map((r) => [r.name, r]));
      for (const result of results.slice(1)) {
        rows.push([
          group.name,
          result.name,
          withRange(result.stats),
          base === undefined ? "" : result === base ? "1.00×" : ratioText(ratio(result, base)),
          signedUs(difference(result, floorResult).median),
        ]);
      }
      rows.push(...refusedRows);
      if (group.name.startsWith("route rules") && !group.name.includes("per call")) {
        const one = byLabel.get("1");
        const thousand = byLabel.get("1,000");
        const shape = group.name.slice("route rules (".length, -1);
        if (one !== undefined && thousand !== undefined) {
          const r = ratio(thousand, one).median;
          targets.push({
            target: `handler per-call cost with 1,000 ${shape} rules ≤ ${RULE_SCALING_TARGET_RATIO}× that with 1 rule`,
            measured: `${r.toFixed(2)}× (${num(thousand.stats.median)} vs ${num(one.stats.median)} µs)`,
            met: r <= RULE_SCALING_TARGET_RATIO,
          });
        } else {
          targets.push({
            target: `handler per-call cost with 1,000 ${shape} rules ≤ ${RULE_SCALING_TARGET_RATIO}× that with 1 rule`,
            measured: `the configuration is refused with ${refused.join(", ")} rules`,
            met: null,
          });
        }
      }
    }
    const decideRows = await decideScaling(context, targets);
    const body = [
      "One REST TOKEN handler invocation (a fresh token string per call, token cache off, the decision",
      "line written to stdout, /dev/null) as one dimension of the configuration grows; the others as in",
      "section 2 (4 context claims; 4 route rules on `GET /orders/42`). Route rules: the shapes of",
      "section 8, the request matching the last rule declared; issuers: each with its own secret, the",
      "token from the last; JWKS: ES256 keys inline, the token signed by the last; context claims: that",
      "many string claims copied to the context. HS256 except the JWKS rows. × smallest: ratio to the",
      "group's first row in the same round; over floor: µs over the floor's verification of the",
      'group\'s first token (median of the per-round differences). "A new principal per call": every',
      "call carries a `scope` claim no earlier call had (a pool of 4,096 tokens, more than the 1,024",
      "plans the rule set remembers by the claims its rules read), so every call computes its IAM plan:",
      "the miss case, next to the hit case above it.",
      "",
      markdownTable(
        [
          { title: "dimension" },
          { title: "size", align: "right" },
          { title: "µs/op", align: "right" },
          { title: "× smallest", align: "right" },
          { title: "over floor, µs", align: "right" },
        ],
        rows,
      ),
      "",
      "The request-level decision alone: `decide(claims, { method, path })` on the compiled rules of",
      "each shape, for the request matching the last rule declared, and for a path below it (`/x`",
      "appended: no rule matches it, except for 1 realistic rule, `ANY /admin/{proxy+}`; the IAM",
      "resources of the rules above it cover it, so their requirements decide). × smallest: ratio to",
      "1 rule, same round.",
      "",
      markdownTable(
        [
          { title: "decision" },
          { title: "rules", align: "right" },
          { title: "µs/op", align: "right" },
          { title: "× smallest", align: "right" },
        ],
        decideRows,
      ),
    ].join("\n");
    return { title: this.title, body, targets };
  },
};

/** `decide` alone, per shape and rule count: the matched request, then the unmatched one. */
async function decideScaling(context: BenchContext, targets: TargetResult[]): Promise<string[][]> {
  const rows: string[][] = [];
  for (const shape of RULE_SHAPES) {
    for (const unmatched of [false, true]) {
      const name = `decide (${shape.name}, ${unmatched ? "a path below the last rule's" : "the last rule's request"})`;
      context.progress(`scaling: ${name}`);
      const candidates: Candidate[] = [];
      for (const n of RULE_COUNTS) {
        const routes = shape.rules(n);
        const last = routes[routes.length - 1]!;
        const { method, path } = requestFor(last.route);
        let rules: ReturnType<typeof compileRules>;
        try {
          rules = compileRules({ routes });
        } catch (error) {
          rows.push([
            name,
            n.toLocaleString("en-US"),
            `refused: ${(error as { detail?: string }).detail?.split(";")[0] ?? String(error)}`,
            "",
          ]);
          continue;
        }
        const claims = standardClaims({ scope: last.scopes.join(" ") });
        const target = { method, path: unmatched ? `${path}/x` : path };
        const decision = rules.decide(claims, target);
        if (!unmatched && decision.route !== last.route)
          throw new Error(`${name}, ${n}: unexpected decision ${JSON.stringify(decision)}`);
        candidates.push({ name: n.toLocaleString("en-US"), run: () => rules.decide(claims, target) });
      }
      const results = await measure(candidates, microTiming(context));
      const base = results[0]!;
      for (const result of results) {
        rows.push([
          name,
          result.name,
          withRange(result.stats),
          result === base ? "1.00×" : ratioText(ratio(result, base)),
        ]);
      }
      if (!unmatched) {
        if (results.at(-1)!.name !== "1,000") {
          targets.push({
            target: `decide per-call cost with 1,000 ${shape.name} rules ≤ ${RULE_SCALING_TARGET_RATIO}× that with 1 rule`,
            measured: "the configuration is refused with 1,000 rules",
            met: null,
          });
          continue;
        }
        const r = ratio(results.at(-1)!, base).median;
        targets.push({
          target: `decide per-call cost with 1,000 ${shape.name} rules ≤ ${RULE_SCALING_TARGET_RATIO}× that with 1 rule`,
          measured: `${r.toFixed(2)}× (${num(results.at(-1)!.stats.median)} vs ${num(base.stats.median)} µs)`,
          met: r <= RULE_SCALING_TARGET_RATIO,
        });
      }
    }
  }
  return rows;
}
