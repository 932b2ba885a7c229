/**
 * Route selection of an API definition, for random route sets and requests:
 * - REST (`ApiRouteTable`, "rest-resource"): the method API Gateway runs, or none, as the
 *   independent reference written from AWS's documentation (`rest-route-reference.ts`) says;
 * - HTTP API: the route key, `$default`, or none, as `http-route-reference.ts` says (requests on
 *   which that reference decides what the documentation leaves open are not compared);
 * - one implementation: whenever the definition's REST table selects a route, the rules' REST
 *   selection (`decide`, `selection: "rest"`) selects the same one; likewise for HTTP APIs.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { ApiRouteTable } from "../../src/dev/api-routes.js";
import type { RouteDefinition } from "../../src/dev/definition/model.js";
import { compileRules } from "../../src/rules/rules.js";
import { selectRouteReference } from "../helpers/http-route-reference.js";
import { selectRestReference } from "../helpers/rest-route-reference.js";
import { METHODS, routeArbitrary, WORDS } from "../helpers/route-arbitraries.js";

interface Route {
  method: string;
  segs: string[];
}

const key = (r: Route) => `${r.method} /${r.segs.join("/")}`;

const definitionRoutes = (keys: readonly string[]): RouteDefinition[] =>
  keys.map((routeKey) => {
    const space = routeKey.indexOf(" ");
    return {
      method: space < 0 ? "" : routeKey.slice(0, space),
      path: space < 0 ? "" : routeKey.slice(space + 1),
      routeKey,
      authorizer: null,
      integration: { kind: "mock" },
      at: routeKey,
    };
  });

/** Distinct routes: one per method and path shape (REST: one resource per shape, so `{pN}` names by position). */
const routeSet = fc.uniqueArray(routeArbitrary, {
  maxLength: 8,
  selector: (r) =>
    `${r.method} ${r.segs.map((s) => (s.startsWith("{") ? s.replace(/\d+/, "") : s)).join("/")}`,
});
const request = fc.record({
  method: fc.constantFrom(...METHODS),
  path: fc.array(fc.constantFrom(...WORDS, "x"), { maxLength: 4 }).map((p) => `/${p.join("/")}`),
});

/**
 * Whether the HTTP reference decides `method path` on a point the documentation leaves open: two
 * greedy routes of different lengths both match (the reference prefers the longer prefix, the
 * product the more specific segments from the left).
 */
function undocumentedGreedyTie(routes: readonly Route[], method: string, path: string): boolean {
  const parts = path === "/" ? [] : path.slice(1).split("/");
  const greedyLengths = new Set<number>();
  for (const r of routes) {
    if (r.segs.at(-1) !== "{proxy+}" || (r.method !== "ANY" && r.method !== method)) continue;
    const prefix = r.segs.slice(0, -1);
    if (parts.length <= prefix.length) continue;
    if (prefix.every((s, i) => s.startsWith("{") || s === parts[i])) greedyLengths.add(prefix.length);
  }
  return greedyLengths.size > 1;
}

describe("route selection of an API definition agrees with AWS's documentation and with the rules", () => {
  test("REST: the resource by path, then the method or ANY on it, else no route", () => {
    fc.assert(
      fc.property(routeSet, fc.array(request, { minLength: 1, maxLength: 6 }), (routes, requests) => {
        const keys = routes.map(key);
        const table = new ApiRouteTable("rest", definitionRoutes(keys));
        const rules = compileRules({ routes: keys.map((k) => ({ route: k, allow: true })) });
        for (const { method, path } of requests) {
          const selected = table.select(method, path)?.route.routeKey ?? null;
          assert.equal(
            selected,
            selectRestReference(keys, method, path),
            `${method} ${path} among ${keys.join(", ")}`,
          );
          if (selected !== null) {
            const decided = rules.decide({}, { method, path, selection: "rest" }).route;
            assert.equal(decided, selected, `rules: ${method} ${path} among ${keys.join(", ")}`);
          }
        }
      }),
      {
        numRuns: 600,
        examples: [
          [
            [
              { method: "GET", segs: ["a"] },
              { method: "ANY", segs: ["{proxy+}"] },
            ],
            [{ method: "POST", path: "/a" }],
          ],
        ],
      },
    );
  });

  test("HTTP API: full match, then greedy, then $default, else no route", () => {
    fc.assert(
      fc.property(
        routeSet,
        fc.boolean(),
        fc.array(request, { minLength: 1, maxLength: 6 }),
        (routes, withDefault, requests) => {
          const keys = [...routes.map(key), ...(withDefault ? ["$default"] : [])];
          const table = new ApiRouteTable("http", definitionRoutes(keys));
          const rules = compileRules({ routes: routes.map((r) => ({ route: key(r), allow: true })) });
          for (const { method, path } of requests) {
            const selected = table.select(method, path)?.route.routeKey ?? null;
            if (!undocumentedGreedyTie(routes, method, path))
              assert.equal(
                selected,
                selectRouteReference(keys, method, path),
                `${method} ${path} among ${keys.join(", ")}`,
              );
            if (selected !== null && selected !== "$default") {
              const decided = rules.decide({}, { method, path, selection: "http" }).route;
              assert.equal(decided, selected, `rules: ${method} ${path} among ${keys.join(", ")}`);
            }
          }
        },
      ),
      { numRuns: 600 },
    );
  });
});
