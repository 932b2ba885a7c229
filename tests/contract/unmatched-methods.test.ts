/**
 * A rule for some methods of a path leaves the others to `unmatchedRoutes`: with "allow", any
 * authenticated principal may call them. API Gateway's semantics, kept, but said at cold start.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createAuthorizer } from "../../src/lambda/authorizer.js";
import { createMemoryLogger } from "../../src/log.js";
import { compileRules } from "../../src/rules/rules.js";

const ISSUERS = [{ issuer: "https://unmatched.issuer.test/", audience: ["api"], secret: "x".repeat(32) }];

describe("methods left to unmatchedRoutes", () => {
  test("a GET-only rule names the other methods of its path, when unmatched routes are allowed", () => {
    const rules = compileRules({
      routes: [
        { route: "GET /orders/{id}", scopes: ["orders:read"] },
        { route: "DELETE /orders/{id}", scopes: ["orders:admin"] },
        { route: "ANY /admin/{proxy+}", claims: { groups: ["admin"] } },
        { route: "GET /", allow: true },
      ],
      unmatchedRoutes: "allow",
    });
    assert.deepEqual(
      rules.unmatchedMethods.map((u) => [u.path, u.methods.join(","), u.decidedBy]),
      [
        ["/orders/{id}", "POST,PUT,PATCH,HEAD,OPTIONS", "unmatchedRoutes"],
        ["/", "POST,PUT,PATCH,DELETE,HEAD,OPTIONS", "unmatchedRoutes"],
      ],
    );
  });

  test("an open $default rule leaves them open too; unmatchedRoutes deny or a guarded $default does not", () => {
    const routes = [{ route: "GET /orders/{id}", scopes: ["orders:read"] }];
    const open = compileRules({
      routes: [...routes, { route: "$default", allow: true }],
      unmatchedRoutes: "deny",
    });
    assert.equal(open.unmatchedMethods[0]?.decidedBy, "$default");
    assert.deepEqual(compileRules({ routes, unmatchedRoutes: "deny" }).unmatchedMethods, []);
    const guarded = compileRules({ routes: [...routes, { route: "$default", scopes: ["x"] }] });
    assert.deepEqual(guarded.unmatchedMethods, []);
  });

  test("a sibling rule for the other methods (ANY on the same path) leaves nothing", () => {
    const rules = compileRules({
      routes: [
        { route: "GET /orders/{id}", scopes: ["orders:read"] },
        { route: "ANY /orders/{id}", scopes: ["orders:write"] },
      ],
    });
    assert.deepEqual(rules.unmatchedMethods, []);
  });

  test("the authorizer logs a warn line at creation naming the path and the methods", () => {
    const logger = createMemoryLogger();
    createAuthorizer(
      { issuers: ISSUERS, routes: [{ route: "GET /orders/{id}", scopes: ["orders:read"] }] },
      { logger, sharedKeyCache: false },
    );
    const line = logger.lines.find((l) => l.event === "rules_unmatched_methods");
    assert.ok(line, "a rules_unmatched_methods line");
    assert.equal(line.level, "WARN");
    assert.equal(line.path, "/orders/{id}");
    assert.deepEqual(line.methods, ["POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]);
  });
});
