/**
 * One route selection: for random route sets and requests, the route the local gateway selects
 * (`RouteTable`) and the rule the rules decide on (`decide`) are both the route API Gateway
 * selects, computed by a small independent reference written from AWS's documentation:
 * - REST: the resource tree, segment by segment from the left, a literal before `{param}` before
 *   `{proxy+}`; on the same path, the exact method before `ANY`.
 * - HTTP API ("Routing API requests", http-api-develop-routes): a full match of route and method,
 *   then a route with a greedy path variable, then `$default`; ties broken as REST does.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { RouteTable } from "../../src/dev/request.js";
import { compileRules } from "../../src/rules/rules.js";
import { METHODS, routeArbitrary, WORDS } from "../helpers/route-arbitraries.js";

interface Route {
  method: string;
  segs: string[]; // "a", "{p0}", "{proxy+}"
}

const text = (r: Route) => `${r.method} /${r.segs.join("/")}`;

/** Reference: does `r` match the request? */
function matches(r: Route, method: string, parts: string[]): boolean {
  if (r.method !== "ANY" && r.method !== method) return false;
  for (let i = 0; i < r.segs.length; i++) {
    const s = r.segs[i]!;
    if (s === "{proxy+}") return parts.length > i;
    if (i >= parts.length) return false;
    if (!s.startsWith("{") && s !== parts[i]) return false;
  }
  return parts.length === r.segs.length;
}

const kind = (s: string | undefined) =>
  s === undefined ? 0 : s === "{proxy+}" ? 3 : s.startsWith("{") ? 2 : 1;

/** Reference: is `x` preferred to `y` (both matching the same request)? */
function before(x: Route, y: Route, http: boolean): boolean {
  const gx = x.segs.at(-1) === "{proxy+}";
  const gy = y.segs.at(-1) === "{proxy+}";
  if (http && gx !== gy) return !gx;
  for (let i = 0; i < Math.max(x.segs.length, y.segs.length); i++) {
    const kx = kind(x.segs[i]);
    const ky = kind(y.segs[i]);
    if (kx !== ky) return kx < ky;
  }
  return x.method !== "ANY" && y.method === "ANY";
}

function reference(routes: Route[], method: string, path: string, http: boolean): string | null {
  const parts = path === "/" ? [] : path.slice(1).split("/");
  let best: Route | null = null;
  for (const r of routes) if (matches(r, method, parts) && (best === null || before(r, best, http))) best = r;
  return best === null ? null : text(best);
}

const route = routeArbitrary;
/** Distinct routes (one per method and shape, as the configuration requires). */
const routeSet = fc.uniqueArray(route, {
  maxLength: 8,
  selector: (r) =>
    `${r.method} ${r.segs.map((s) => (s.startsWith("{") ? s.replace(/\d+/, "") : s)).join("/")}`,
});
const request = fc.record({
  method: fc.constantFrom(...METHODS),
  path: fc.array(fc.constantFrom(...WORDS, "x"), { maxLength: 4 }).map((p) => `/${p.join("/")}`),
});

describe("route selection: the local gateway and the rules select the route API Gateway selects", () => {
  for (const [api, http] of [
    ["rest-request", false],
    ["http-v2-simple", true],
  ] as const) {
    test(`${http ? "HTTP API" : "REST"} selection`, () => {
      fc.assert(
        fc.property(routeSet, fc.array(request, { minLength: 1, maxLength: 6 }), (routes, requests) => {
          const keys = routes.map(text);
          const table = new RouteTable(keys, api);
          const rules = compileRules({ routes: keys.map((k) => ({ route: k, allow: true })) });
          for (const { method, path } of requests) {
            const expected = reference(routes, method, path, http);
            const gateway = table.match(method, path).routeKey;
            assert.equal(
              gateway,
              expected ?? "$default",
              `gateway: ${method} ${path} among ${keys.join(", ")}`,
            );
            const decided = rules.decide({}, { method, path, selection: http ? "http" : "rest" }).route;
            assert.equal(decided, expected, `rules: ${method} ${path} among ${keys.join(", ")}`);
          }
        }),
        {
          numRuns: 600,
          examples: [
            [
              [
                { method: "GET", segs: ["{p0}", "b", "c"] },
                { method: "GET", segs: ["a", "{p1}", "{p2}"] },
              ],
              [{ method: "GET", path: "/a/b/c" }],
            ],
          ],
        },
      );
    });
  }
});
