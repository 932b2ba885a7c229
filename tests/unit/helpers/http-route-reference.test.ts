/**
 * The tests' reference of HTTP API route selection against the example of "Routing API requests"
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { selectRouteReference } from "../../helpers/http-route-reference.js";

describe("selectRouteReference: AWS's documented example", () => {
  const routes = ["GET /pets/dog/1", "GET /pets/dog/{id}", "GET /pets/{proxy+}", "ANY /{proxy+}", "$default"];
  for (const [method, path, expected] of [
    ["GET", "/pets/dog/1", "GET /pets/dog/1"],
    ["GET", "/pets/dog/2", "GET /pets/dog/{id}"],
    ["GET", "/pets/cat/1", "GET /pets/{proxy+}"],
    ["POST", "/test/5", "ANY /{proxy+}"],
  ] as const) {
    test(`${method} ${path} → ${expected}`, () => {
      assert.equal(selectRouteReference(routes, method, path), expected);
      // The order the routes are listed in does not matter.
      assert.equal(selectRouteReference([...routes].reverse(), method, path), expected);
    });
  }

  test("$default when nothing else matches; Not Found without it", () => {
    assert.equal(selectRouteReference(["GET /pets/{id}", "$default"], "GET", "/"), "$default");
    assert.equal(selectRouteReference(["GET /pets/{id}", "$default"], "POST", "/pets/1"), "$default");
    assert.equal(selectRouteReference(["GET /pets/{id}"], "POST", "/pets/1"), null);
    assert.equal(selectRouteReference(["GET /pets/{id}", "$default"], "GET", "/pets/1/x"), "$default");
  });

  test("a route for the method over ANY; a longer greedy prefix first; literals are case-sensitive", () => {
    assert.equal(selectRouteReference(["ANY /pets", "GET /pets"], "GET", "/pets"), "GET /pets");
    assert.equal(selectRouteReference(["ANY /pets", "GET /pets"], "PUT", "/pets"), "ANY /pets");
    assert.equal(
      selectRouteReference(["ANY /{proxy+}", "ANY /a/{proxy+}"], "GET", "/a/b/c"),
      "ANY /a/{proxy+}",
    );
    assert.equal(selectRouteReference(["GET /Pets", "$default"], "GET", "/pets"), "$default");
    assert.equal(selectRouteReference(["GET /", "$default"], "GET", "/"), "GET /");
  });
});
