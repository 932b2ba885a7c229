/**
 * The files generated from the configuration's table of fields (src/config/fields.ts) by
 * scripts/generate-config.ts: the validator's shape table, the input type, the JSON Schema shipped
 * in the package, and the README's configuration tables must be current; and the JSON Schema must accept and refuse what
 * the validator does, checked with a small draft-07 evaluator written here (not the generator's code).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import {
  formatted,
  INPUT_PATH,
  README_PATH,
  renderInputType,
  renderJsonSchema,
  renderShape,
  SCHEMA_PATH,
  SHAPE_PATH,
  updateReadme,
} from "../../../scripts/generate-config.js";
import { ConfigError } from "../../../src/errors.js";
import { parseConfig } from "../../../src/lambda/config.js";

const REGENERATE = "run `node --import tsx scripts/generate-config.ts`";

describe("generated from the table of fields, and current", { timeout: 30_000 }, () => {
  test("src/config/shape.ts (the table the validator uses) is current", () => {
    assert.equal(readFileSync(SHAPE_PATH, "utf8"), formatted(SHAPE_PATH, renderShape()), REGENERATE);
  });

  test("src/config/input.ts (GatepassConfigInput) is current", () => {
    assert.equal(readFileSync(INPUT_PATH, "utf8"), formatted(INPUT_PATH, renderInputType()), REGENERATE);
  });

  test("schema/gatepass.config.schema.json is current", () => {
    assert.equal(readFileSync(SCHEMA_PATH, "utf8"), formatted(SCHEMA_PATH, renderJsonSchema()), REGENERATE);
  });

  test("the README's configuration tables are current", () => {
    const readme = readFileSync(README_PATH, "utf8");
    assert.equal(readme, updateReadme(readme), REGENERATE);
  });

  test("the package ships the JSON Schema", () => {
    const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8"));
    assert.ok(pkg.files.includes("schema"), "package.json files lacks schema");
  });
});

// ---- a draft-07 evaluator for the keywords the schema uses ---------------------------------------

type Schema = Record<string, unknown>;

const typeOf = (v: unknown) =>
  v === null ? "null" : Array.isArray(v) ? "array" : Number.isInteger(v) ? "integer" : typeof v;

function valid(schema: Schema, v: unknown): boolean {
  if (schema.anyOf) return (schema.anyOf as Schema[]).some((s) => valid(s, v));
  if ("const" in schema && v !== schema.const) return false;
  if (schema.enum && !(schema.enum as unknown[]).includes(v)) return false;
  const type = schema.type as string | undefined;
  if (type !== undefined) {
    const actual = typeOf(v);
    if (!(actual === type || (type === "number" && actual === "integer"))) return false;
  }
  if (typeof v === "string") {
    if (typeof schema.minLength === "number" && v.length < schema.minLength) return false;
    if (typeof schema.pattern === "string" && !new RegExp(schema.pattern, "u").test(v)) return false;
  }
  if (typeof v === "number") {
    if (typeof schema.minimum === "number" && v < schema.minimum) return false;
    if (typeof schema.maximum === "number" && v > schema.maximum) return false;
    if (typeof schema.exclusiveMinimum === "number" && v <= schema.exclusiveMinimum) return false;
  }
  if (Array.isArray(v)) {
    if (typeof schema.minItems === "number" && v.length < schema.minItems) return false;
    if (typeof schema.maxItems === "number" && v.length > schema.maxItems) return false;
    if (schema.items && !v.every((item) => valid(schema.items as Schema, item))) return false;
  }
  if (typeOf(v) === "object") {
    const o = v as Record<string, unknown>;
    const properties = (schema.properties ?? {}) as Record<string, Schema>;
    for (const key of (schema.required ?? []) as string[]) if (!(key in o)) return false;
    for (const [key, value] of Object.entries(o)) {
      if (key in properties) {
        if (!valid(properties[key]!, value)) return false;
      } else if (schema.additionalProperties === false) return false;
    }
  }
  return true;
}

const schema = JSON.parse(readFileSync(SCHEMA_PATH, "utf8")) as Schema;
const SECRET = "s3cr3t-value-that-is-long-enough-for-hs256!";
const base = { issuers: [{ secret: SECRET }] };

/** Documents the validator accepts: the schema must accept each. */
const ACCEPTED: Array<[string, unknown]> = [
  ["the least document", base],
  [
    "with $schema (editors)",
    { $schema: "./node_modules/gatepass/schema/gatepass.config.schema.json", ...base },
  ],
  [
    "every section",
    {
      issuers: [
        {
          issuer: "https://id.example.com/",
          audience: ["orders-api"],
          algorithms: ["RS256"],
          jwksUri: "https://id.example.com/.well-known/jwks.json",
          clockToleranceSeconds: 5,
          maxTokenAgeSeconds: null,
          requiredClaims: [],
          typ: null,
          requireExp: true,
          jwksCache: { maxAgeSeconds: 600, cooldownSeconds: 0.3, timeoutMs: 3000, staleIfErrorSeconds: 3600 },
        },
        { issuer: null, audience: "a", discovery: false, secret: SECRET },
      ],
      principalClaim: "sub",
      tokenSources: ["header:authorization", "cookie:session", "query:token"],
      routes: [
        { route: "GET /orders/{id}", scopes: ["orders:read"], scopesMode: "any" },
        { route: "ANY /admin/{proxy+}", claims: { groups: ["admin"] } },
        { route: "$connect", allow: true },
      ],
      unmatchedRoutes: "deny",
      context: { claims: ["sub", "email"], maxBytes: 2048 },
      httpApi: { response: "iam" },
      maxTokenBytes: 16384,
      tokenCache: { maxEntries: 0, ttlSeconds: 60 },
      logLevel: "silent",
      dev: {
        api: "http-v2-simple",
        stage: "$default",
        identitySources: ["header:authorization"],
        resultTtlSeconds: 0,
        cors: { allowOrigin: "*" },
        allowedHosts: ["api.test"],
      },
    },
  ],
  ["dev.cors false", { ...base, dev: { cors: false } }],
];

/** Shape mistakes the validator refuses: the schema must refuse each too (editors flag them). */
const REFUSED: Array<[string, unknown]> = [
  ["no issuers", {}],
  ["an empty issuers list", { issuers: [] }],
  ["an unknown top-level key", { ...base, issuer: "x" }],
  ["a misspelt issuer key", { issuers: [{ secret: SECRET, audiance: "x" }] }],
  ["a misspelt rule key", { ...base, routes: [{ route: "GET /a", scope: ["x"] }] }],
  ["a rule without route", { ...base, routes: [{ scopes: ["x"] }] }],
  ["an unknown algorithm", { issuers: [{ secret: SECRET, algorithms: ["none"] }] }],
  ["an empty algorithm list", { issuers: [{ secret: SECRET, algorithms: [] }] }],
  ["clockToleranceSeconds over 300", { issuers: [{ secret: SECRET, clockToleranceSeconds: 301 }] }],
  ["a fractional clockToleranceSeconds", { issuers: [{ secret: SECRET, clockToleranceSeconds: 1.5 }] }],
  ["jwksCache.timeoutMs 0", { issuers: [{ secret: SECRET, jwksCache: { timeoutMs: 0 } }] }],
  ["an unknown jwksCache key", { issuers: [{ secret: SECRET, jwksCache: { ttl: 1 } }] }],
  ["a token source without a kind", { ...base, tokenSources: ["authorization"] }],
  ["no token source", { ...base, tokenSources: [] }],
  ["unmatchedRoutes a boolean", { ...base, unmatchedRoutes: false }],
  ["maxTokenBytes over 16 KiB", { ...base, maxTokenBytes: 16385 }],
  ["context.maxBytes under 64", { ...base, context: { maxBytes: 10 } }],
  ["an unknown httpApi.response", { ...base, httpApi: { response: "rest" } }],
  ["a negative tokenCache.maxEntries", { ...base, tokenCache: { maxEntries: -1 } }],
  ["logLevel in capitals", { ...base, logLevel: "INFO" }],
  ["an unknown dev.api", { ...base, dev: { api: "rest" } }],
  ["a dev.stage with a slash", { ...base, dev: { stage: "a/b" } }],
  ["dev.resultTtlSeconds over 3600", { ...base, dev: { resultTtlSeconds: 3601 } }],
  ["an unknown dev.cors key", { ...base, dev: { cors: { origin: "*" } } }],
  ["an empty principalClaim", { ...base, principalClaim: "" }],
];

describe("the JSON Schema agrees with the validator", () => {
  for (const [what, doc] of ACCEPTED) {
    test(`accepted by both: ${what}`, () => {
      parseConfig(doc);
      assert.ok(valid(schema, doc), "the JSON Schema refuses it");
    });
  }
  for (const [what, doc] of REFUSED) {
    test(`refused by both: ${what}`, () => {
      assert.throws(() => parseConfig(doc), ConfigError);
      assert.ok(!valid(schema, doc), "the JSON Schema accepts it");
    });
  }

  test("every closed object of the schema lists exactly the keys the validator accepts", () => {
    // The validator's message lists the keys it accepts; rule keys come from the rule compiler.
    const objects: Array<[string, (extra: Record<string, unknown>) => unknown, Schema]> = [];
    const props = (s: Schema) => s.properties as Record<string, Schema>;
    const issuer = (props(schema).issuers!.items ?? {}) as Schema;
    const cors = (props(props(schema).dev!).cors!.anyOf as Schema[])[0]!;
    objects.push(["", (x) => ({ ...base, ...x }), schema]);
    objects.push(["issuers[0]", (x) => ({ issuers: [{ secret: SECRET, ...x }] }), issuer]);
    objects.push([
      "issuers[0].jwksCache",
      (x) => ({ issuers: [{ secret: SECRET, jwksCache: x }] }),
      props(issuer).jwksCache!,
    ]);
    objects.push([
      "routes[0]",
      (x) => ({ ...base, routes: [{ route: "GET /a", ...x }] }),
      props(schema).routes!.items as Schema,
    ]);
    for (const section of ["context", "httpApi", "tokenCache", "dev"]) {
      objects.push([section, (x) => ({ ...base, [section]: x }), props(schema)[section]!]);
    }
    objects.push(["dev.cors", (x) => ({ ...base, dev: { cors: x } }), cors]);
    for (const [path, make, object] of objects) {
      assert.equal(object.additionalProperties, false, `${path || "top level"} is not closed`);
      let caught: unknown;
      try {
        parseConfig(make({ zzUnknown: 1 }));
      } catch (error) {
        caught = error;
      }
      assert.ok(caught instanceof ConfigError, `${path}: an unknown key is accepted`);
      const listed = /expected one of: (.*)\)\.$/.exec(caught.message)?.[1]?.split(", ");
      assert.deepEqual(listed, Object.keys(props(object)), `${path || "top level"}`);
    }
  });
});
