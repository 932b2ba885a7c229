/**
 * The route table of an API definition (`ApiRouteTable`) on the cases AWS's documentation gives,
 * checked against the independent references (`tests/helpers/*-route-reference.ts`) as well.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ApiRouteTable } from "../../../src/dev/api-routes.js";
import type { ApiKind, RouteDefinition } from "../../../src/dev/definition/model.js";
import {
  createRouteMatcher,
  type HttpRoutePattern,
  parseRoutePattern,
} from "../../../src/rules/route-pattern.js";
import { selectRouteReference } from "../../helpers/http-route-reference.js";
import { selectRestReference } from "../../helpers/rest-route-reference.js";

const routes = (keys: readonly string[]): RouteDefinition[] =>
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

const select = (kind: ApiKind, keys: readonly string[], method: string, path: string) =>
  new ApiRouteTable(kind, routes(keys)).select(method, path)?.route.routeKey ?? null;

describe("HTTP API route selection: the example of 'Routing API requests' (http-api-develop-routes)", () => {
  const keys = ["GET /pets/dog/1", "GET /pets/dog/{id}", "GET /pets/{proxy+}", "ANY /{proxy+}", "$default"];
  const cases: Array<[string, string, string | null]> = [
    ["GET", "/pets/dog/1", "GET /pets/dog/1"], // full match
    ["GET", "/pets/dog/2", "GET /pets/dog/{id}"], // full match with a path variable
    ["GET", "/pets/cat/1", "GET /pets/{proxy+}"], // greedy, for the method
    ["POST", "/test/5", "ANY /{proxy+}"], // ANY matches the methods no route defines
    ["POST", "/pets/dog/1", "ANY /{proxy+}"],
    ["GET", "/", "$default"], // a greedy variable needs at least one segment
  ];
  for (const [method, path, expected] of cases) {
    it(`${method} ${path} → ${expected}`, () => {
      assert.equal(select("http", keys, method, path), expected);
      assert.equal(selectRouteReference(keys, method, path), expected);
    });
  }
  it("without $default, a request no route takes has no route (404 Not Found)", () => {
    const noDefault = keys.filter((k) => k !== "$default");
    assert.equal(select("http", noDefault, "GET", "/"), null);
    assert.equal(select("http", ["GET /pets"], "POST", "/pets"), null);
    assert.equal(selectRouteReference(["GET /pets"], "POST", "/pets"), null);
  });
  it("a full match wins over a greedy route even when the greedy one is more literal", () => {
    const k = ["GET /pets/{proxy+}", "GET /{a}/{b}"];
    assert.equal(select("http", k, "GET", "/pets/1"), "GET /{a}/{b}");
    assert.equal(selectRouteReference(k, "GET", "/pets/1"), "GET /{a}/{b}");
  });
});

describe("REST resource and method selection", () => {
  const keys = [
    "GET /orders/mine",
    "GET /orders/{id}",
    "ANY /orders/{id}",
    "POST /orders/{id}/notes",
    "ANY /{proxy+}",
    "GET /",
  ];
  const cases: Array<[string, string, string | null, string]> = [
    ["GET", "/orders/mine", "GET /orders/mine", "a literal resource over {param}"],
    ["GET", "/orders/7", "GET /orders/{id}", "{param} over {proxy+}"],
    ["DELETE", "/orders/7", "ANY /orders/{id}", "ANY on the resource takes the other methods"],
    ["DELETE", "/orders/mine", null, "a resource without the method or ANY is no route"],
    ["GET", "/orders/7/notes", null, "…even when a less specific resource ({proxy+} ANY) has it"],
    ["POST", "/orders/7/notes", "POST /orders/{id}/notes", "deeper resource"],
    ["GET", "/orders/7/notes/1", "ANY /{proxy+}", "{proxy+} takes what no resource takes"],
    ["GET", "/", "GET /", "the root resource"],
    ["POST", "/", null, "the root without the method"],
  ];
  for (const [method, path, expected, why] of cases) {
    it(`${method} ${path} → ${expected ?? "no route"} (${why})`, () => {
      assert.equal(select("rest", keys, method, path), expected);
      assert.equal(selectRestReference(keys, method, path), expected);
    });
  }
  it("/{proxy+} does not take the root (a method on / is needed)", () => {
    assert.equal(select("rest", ["ANY /{proxy+}"], "GET", "/"), null);
  });
  it("the rules' selection ('rest') falls back to a less specific route where the API has no route", () => {
    const patterns = keys.map((k) => parseRoutePattern(k) as HttpRoutePattern);
    const rules = createRouteMatcher(patterns, "rest");
    assert.equal(keys[rules.match("DELETE", "/orders/mine")], "ANY /orders/{id}");
    const exact = createRouteMatcher(patterns, "rest-resource");
    assert.equal(exact.match("DELETE", "/orders/mine"), -1);
  });
});

describe("WebSocket route selection", () => {
  it("the upgrade is the $connect route", () => {
    assert.equal(select("websocket", ["$connect", "$default", "sendMessage"], "GET", "/"), "$connect");
  });
  it("without $connect there is no route to authorize (the upgrade is accepted as is)", () => {
    const table = new ApiRouteTable("websocket", routes(["$default"]));
    assert.equal(table.hasConnect, false);
    assert.equal(table.select("GET", "/"), null);
  });
});

describe("route table details", () => {
  it("path parameters are decoded; the route key of a REST method is METHOD /resource", () => {
    const table = new ApiRouteTable("rest", routes(["GET /files/{name}", "ANY /{proxy+}"]));
    assert.deepEqual(table.select("GET", "/files/a%20b")?.match, {
      resource: "/files/{name}",
      routeKey: "GET /files/{name}",
      pathParameters: { name: "a b" },
    });
    assert.deepEqual(table.select("GET", "/x/y%2Fz")?.match.pathParameters, { proxy: "x/y/z" });
  });
  it("a route with a malformed path is skipped and reported, not served", () => {
    const table = new ApiRouteTable("rest", routes(["GET /a//b", "GET /ok"]));
    assert.equal(table.skipped.length, 1);
    assert.equal(table.select("GET", "/ok")?.route.routeKey, "GET /ok");
  });
  it("$default of an HTTP API: no path parameters, resource $default", () => {
    assert.deepEqual(new ApiRouteTable("http", routes(["$default"])).select("GET", "/a/b")?.match, {
      resource: "$default",
      routeKey: "$default",
      pathParameters: null,
    });
  });
});
