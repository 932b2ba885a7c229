/** The banner lines of `gatepass dev` serving a definition: the routes with authorizer and integration, the notes once. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { definitionBanner } from "../../../src/cli/commands/dev-definition.js";
import type { DevServer } from "../../../src/dev/server.js";

const server = (definition: unknown, routes: unknown[]) => ({ definition, routes }) as unknown as DevServer;

describe("definitionBanner", () => {
  it("is empty without a definition", () => {
    assert.deepEqual(definitionBanner(server(null, [])), []);
  });
  it("lists each route with its authorizer (or none) and integration, then the notes", () => {
    const lines = definitionBanner(
      server(
        {
          format: "sam",
          file: "/work/app/template.yaml",
          name: "OrdersApi",
          kind: "rest",
          notes: [{ at: "Resources.Fn.Properties.CodeUri", message: "!Sub not resolved; used src/" }],
        },
        [
          {
            routeKey: "GET /orders/{id}",
            authorizer: "TokenAuth (rest-token)",
            integration: "lambda src/app.ts#handler",
          },
          { routeKey: "GET /health", authorizer: "none", integration: "mock" },
        ],
      ),
      "/work/app",
    );
    assert.deepEqual(lines, [
      "  definition  template.yaml (sam, rest API OrdersApi)",
      "  routes",
      "    GET /orders/{id}  authorizer TokenAuth (rest-token)  ->  lambda src/app.ts#handler",
      "    GET /health       authorizer none  ->  mock",
      "  notes",
      "    Resources.Fn.Properties.CodeUri: !Sub not resolved; used src/",
    ]);
  });
});
