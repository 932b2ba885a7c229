/**
 * The SAM template's protected resource (deploy/sam/template.yaml, RFC 9728): off by default; with
 * `ResourceUri` set, the metadata document on `GET /.well-known/oauth-protected-resource[/…]`
 * without authorization, and the 401/403 Gateway Responses with their `WWW-Authenticate`
 * challenges. The template's intrinsic functions are evaluated here by a small evaluator of their
 * own (Ref, Fn::Join, Fn::If, Fn::Sub, Fn::Not, Fn::Equals), so the document the deployed stack
 * serves is compared with the one written out below. (cfn-lint checks the template in sam-deploy.test.ts.)
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { parseDefinitionText } from "../../src/dev/definition/yaml.js";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
const NO_VALUE = Symbol("AWS::NoValue");

const template = parseDefinitionText(
  readFileSync(new URL("../../deploy/sam/template.yaml", import.meta.url), "utf8"),
  "template.yaml",
) as {
  Parameters: Record<string, { Type: string; Default?: string }>;
  Conditions: Record<string, Json>;
  Resources: Record<string, { Type: string; Condition?: string; Properties: Record<string, Json> }>;
};

/** Evaluates `value` with `params` (lists as arrays), as CloudFormation would. */
function evaluate(value: Json, params: Record<string, string | string[]>): Json | typeof NO_VALUE {
  if (Array.isArray(value))
    return value.map((v) => evaluate(v, params)).filter((v) => v !== NO_VALUE) as Json[];
  if (value === null || typeof value !== "object") return value;
  const [key] = Object.keys(value);
  const arg = value[key!]!;
  switch (key) {
    case "Ref":
      if (arg === "AWS::NoValue") return NO_VALUE;
      return params[arg as string] ?? null;
    case "Fn::Join": {
      const [sep, list] = arg as [string, Json];
      return (evaluate(list, params) as string[]).join(sep);
    }
    case "Fn::If": {
      const [name, yes, no] = arg as [string, Json, Json];
      return evaluate(evaluate(template.Conditions[name]!, params) ? yes : no, params);
    }
    case "Fn::Not":
      return !evaluate((arg as Json[])[0]!, params);
    case "Fn::Equals": {
      const [a, b] = arg as [Json, Json];
      return JSON.stringify(evaluate(a, params)) === JSON.stringify(evaluate(b, params));
    }
    case "Fn::Sub":
      return (arg as string).replace(/\$\{([^}]+)\}/g, (_, name: string) => String(params[name]));
    default: {
      const out: Record<string, Json> = {};
      for (const [k, v] of Object.entries(value)) {
        const e = evaluate(v, params);
        if (e !== NO_VALUE) out[k] = e as Json;
      }
      return out;
    }
  }
}

/** Parameter values: the template's defaults, then `overrides` (lists split at commas). */
function parameters(overrides: Record<string, string> = {}): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, p] of Object.entries(template.Parameters)) {
    const raw = overrides[name] ?? p.Default ?? "";
    out[name] = p.Type === "CommaDelimitedList" ? raw.split(",") : raw;
  }
  return out;
}

const ON = {
  ResourceUri: "https://mcp.example.com/mcp",
  ResourceAuthorizationServers: "https://id.example.com/,https://id2.example.com/",
  ResourceScopesSupported: "orders:read,orders:write",
  ResourceMetadataUrl: "https://mcp.example.com/.well-known/oauth-protected-resource/mcp",
};

const responses = (params: Record<string, string | string[]>) =>
  evaluate(
    template.Resources.RestApi!.Properties.GatewayResponses as Record<string, Json> as Json,
    params,
  ) as Record<string, { ResponseParameters: { Headers: Record<string, string> } }>;

test("SAM: off by default: no metadata function, the 401 says Bearer, the 403 no challenge", () => {
  const params = parameters();
  assert.equal(evaluate(template.Conditions.HasResource!, params), false);
  assert.equal(template.Resources.ResourceMetadataFunction!.Condition, "HasResource");
  const r = responses(params);
  assert.equal(r.UNAUTHORIZED!.ResponseParameters.Headers["WWW-Authenticate"], "'Bearer'");
  assert.ok(!("WWW-Authenticate" in r.ACCESS_DENIED!.ResponseParameters.Headers));
});

test("SAM: with ResourceUri, the 401 names the metadata URL and the 403 maps the Deny's context", () => {
  const r = responses(parameters(ON));
  assert.equal(
    r.UNAUTHORIZED!.ResponseParameters.Headers["WWW-Authenticate"],
    `'Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp"'`,
  );
  assert.equal(
    r.ACCESS_DENIED!.ResponseParameters.Headers["WWW-Authenticate"],
    "context.authorizer.wwwAuthenticate",
  );
});

test("SAM: the metadata document, served without authorization on the well-known paths", () => {
  const fn = template.Resources.ResourceMetadataFunction!.Properties;
  const env = evaluate(fn.Environment!, parameters(ON)) as { Variables: { METADATA: string } };
  assert.deepEqual(JSON.parse(env.Variables.METADATA), {
    resource: "https://mcp.example.com/mcp",
    authorization_servers: ["https://id.example.com/", "https://id2.example.com/"],
    bearer_methods_supported: ["header"],
    scopes_supported: ["orders:read", "orders:write"],
  });
  const noScopes = evaluate(fn.Environment!, parameters({ ...ON, ResourceScopesSupported: "" })) as {
    Variables: { METADATA: string };
  };
  assert.ok(!("scopes_supported" in JSON.parse(noScopes.Variables.METADATA)));
  const events = Object.values(
    fn.Events as Record<string, { Type: string; Properties: Record<string, Json> }>,
  );
  assert.deepEqual(
    events.map((e) => [e.Type, e.Properties.Method, e.Properties.Path, e.Properties.Auth]),
    [
      ["Api", "GET", "/.well-known/oauth-protected-resource", { Authorizer: "NONE" }],
      ["Api", "GET", "/.well-known/oauth-protected-resource/{proxy+}", { Authorizer: "NONE" }],
    ],
  );
  assert.match(String(fn.InlineCode), /"content-type": "application\/json"/);
});
