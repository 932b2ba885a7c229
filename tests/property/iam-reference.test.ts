/**
 * gatepass's IAM evaluator (`evaluatePolicy`, used by the local gateway for cached policies) against
 * the tests' independent reference (`tests/helpers/iam-reference.ts`, written from AWS's docs): a
 * table of the documentation's own examples, then a differential property over random policies and
 * ARNs (wildcards, regex metacharacters, `$connect`, `$default`, unicode, colons in paths).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { evaluatePolicy } from "../../src/policy/evaluate.js";
import {
  referenceDependsOnColonReading,
  referenceEvaluate,
  referenceGlobMatch,
} from "../helpers/iam-reference.js";

const doc = (...Statement: unknown[]) => ({ Version: "2012-10-17", Statement });
const allow = (Resource: unknown, extra: Record<string, unknown> = {}) => ({
  Effect: "Allow",
  Action: "execute-api:Invoke",
  Resource,
  ...extra,
});
const deny = (Resource: unknown, extra: Record<string, unknown> = {}) => ({
  Effect: "Deny",
  Action: "execute-api:Invoke",
  Resource,
  ...extra,
});

describe("the IAM reference: AWS's documented examples", () => {
  const ACCT = "123456789012";
  // https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-iam-policy-examples-for-api-execution.html
  const demo = "arn:aws:execute-api:us-east-1:*:a123456789/test/POST/my-demo-resource-path/*";
  const pets = "arn:aws:execute-api:*:*:a123456789/*/*/petstorewalkthrough/pets";
  const cases: [string, unknown, string, string][] = [
    [
      "POST under the demo path, stage test",
      doc(allow([demo])),
      `arn:aws:execute-api:us-east-1:${ACCT}:a123456789/test/POST/my-demo-resource-path/a/b`,
      "allow",
    ],
    [
      "GET is not POST",
      doc(allow([demo])),
      `arn:aws:execute-api:us-east-1:${ACCT}:a123456789/test/GET/my-demo-resource-path/a`,
      "implicit-deny",
    ],
    [
      "another region",
      doc(allow([demo])),
      `arn:aws:execute-api:eu-west-1:${ACCT}:a123456789/test/POST/my-demo-resource-path/a`,
      "implicit-deny",
    ],
    [
      "pets in any stage and method",
      doc(allow([pets])),
      `arn:aws:execute-api:eu-west-1:${ACCT}:a123456789/prod/DELETE/petstorewalkthrough/pets`,
      "allow",
    ],
    [
      "pets: a child resource is another resource",
      doc(allow([pets])),
      `arn:aws:execute-api:eu-west-1:${ACCT}:a123456789/prod/GET/petstorewalkthrough/pets/1`,
      "implicit-deny",
    ],
    // AWS (api-gateway-lambda-authorizer-output.html): `…/Prod/*/*` covers the root `…/Prod/GET/` (the `*` may match nothing).
    [
      "`*` matches nothing",
      doc(allow(`arn:aws:execute-api:us-east-1:${ACCT}:abc/Prod/*/*`)),
      `arn:aws:execute-api:us-east-1:${ACCT}:abc/Prod/GET/`,
      "allow",
    ],
    [
      "`*` spans `/`",
      doc(allow(`arn:aws:execute-api:us-east-1:${ACCT}:abc/Prod/*`)),
      `arn:aws:execute-api:us-east-1:${ACCT}:abc/Prod/GET/a/b/c`,
      "allow",
    ],
    [
      "`?` is exactly one character",
      doc(allow(`arn:aws:execute-api:us-east-1:${ACCT}:abc/Prod/GET/v?`)),
      `arn:aws:execute-api:us-east-1:${ACCT}:abc/Prod/GET/v12`,
      "implicit-deny",
    ],
    [
      "case-sensitive resource",
      doc(allow(`arn:aws:execute-api:us-east-1:${ACCT}:abc/prod/*`)),
      `arn:aws:execute-api:us-east-1:${ACCT}:abc/Prod/GET/`,
      "implicit-deny",
    ],
    [
      "explicit Deny wins over an Allow, in any order",
      doc(deny(`arn:aws:execute-api:us-east-1:${ACCT}:abc/Prod/DELETE/*`), allow("*")),
      `arn:aws:execute-api:us-east-1:${ACCT}:abc/Prod/DELETE/x`,
      "explicit-deny",
    ],
    [
      "a `*` ending a segment expands past colons",
      doc(allow("arn:aws:execute-api:*")),
      `arn:aws:execute-api:us-east-1:${ACCT}:abc/Prod/GET/`,
      "allow",
    ],
    [
      "`$connect` and `$default` are literal text",
      doc(allow(`arn:aws:execute-api:us-east-1:${ACCT}:abc/$default/$connect`)),
      `arn:aws:execute-api:us-east-1:${ACCT}:abc/$default/$connect`,
      "allow",
    ],
    [
      "`.` is not a wildcard",
      doc(allow(`arn:aws:execute-api:us-east-1:${ACCT}:abc/dev/GET/a.b`)),
      `arn:aws:execute-api:us-east-1:${ACCT}:abc/dev/GET/axb`,
      "implicit-deny",
    ],
    [
      "action names are case-insensitive, with wildcards",
      doc({ Effect: "Allow", Action: ["EXECUTE-API:inv*"], Resource: "*" }),
      `arn:aws:execute-api:us-east-1:${ACCT}:abc/dev/GET/`,
      "allow",
    ],
    [
      "another service's action",
      doc({ Effect: "Allow", Action: "s3:*", Resource: "*" }),
      `arn:aws:execute-api:us-east-1:${ACCT}:abc/dev/GET/`,
      "implicit-deny",
    ],
    [
      "an Allow with a Condition is not counted",
      doc(allow("*", { Condition: { IpAddress: { "aws:SourceIp": "192.0.2.0/24" } } })),
      `arn:aws:execute-api:us-east-1:${ACCT}:abc/dev/GET/`,
      "implicit-deny",
    ],
    [
      "a Deny with a Condition is counted",
      doc(allow("*"), deny("*", { Condition: { Bool: { "aws:SecureTransport": "false" } } })),
      `arn:aws:execute-api:us-east-1:${ACCT}:abc/dev/GET/`,
      "explicit-deny",
    ],
    [
      "Effect is exact",
      doc({ ...allow("*"), Effect: "allow" }),
      `arn:aws:execute-api:us-east-1:${ACCT}:abc/dev/GET/`,
      "invalid",
    ],
    [
      "no statement: implicit deny",
      doc(),
      `arn:aws:execute-api:us-east-1:${ACCT}:abc/dev/GET/`,
      "implicit-deny",
    ],
  ];
  for (const [name, policy, arn, expected] of cases) {
    test(name, () => {
      assert.equal(referenceEvaluate(policy, arn), expected);
      const product = evaluatePolicy(policy, arn);
      assert.equal(product, expected === "invalid" ? "implicit-deny" : expected);
    });
  }

  test("the glob matcher: `*` and `?` by the documented rules", () => {
    assert.equal(referenceGlobMatch("a*", "a"), true);
    assert.equal(referenceGlobMatch("a*c", "a/b/c"), true);
    assert.equal(referenceGlobMatch("a?c", "ac"), false);
    assert.equal(referenceGlobMatch("a?c", "abc"), true);
    assert.equal(referenceGlobMatch("a*c", "a:c", { reading: "narrow" }), false);
    assert.equal(referenceGlobMatch("a*:c", "a:b:c", { reading: "narrow" }), true);
    assert.equal(referenceGlobMatch("a*", "a:b", { reading: "narrow" }), true);
    assert.equal(referenceGlobMatch("a?b", "a:b", { reading: "narrow" }), false);
    assert.equal(referenceGlobMatch("a?b", "a:b", { reading: "wide" }), true);
    assert.equal(referenceGlobMatch("é?", "é🙂".slice(0, 2)), true);
    assert.equal(referenceGlobMatch("A", "a", { ignoreAsciiCase: true }), true);
  });
});

// ---------------------------------------------------------------------------------------------
// Differential property

const PARTITIONS = ["aws", "aws-cn"];
const REGIONS = ["eu-west-1", "us-east-1"];
const ACCOUNTS = ["123456789012", "210987654321"];
const APIS = ["a1b2c3d4e5", "zz9yy8xx7w"];
const STAGES = ["prod", "Prod", "$default", "dev"];
const METHODS = ["GET", "POST", "DELETE", "*"];
const SEGMENTS = [
  "orders",
  "42",
  "a.b",
  "a+b",
  "(x)",
  "[y]",
  "^z$",
  "a|b",
  "back\\slash",
  "é",
  "中文",
  "🙂",
  "a:b",
  "",
  "$connect",
  "%2F",
];

const pick = (values: readonly string[]) => fc.constantFrom(...values);
const pathArb = (segments: readonly string[]) =>
  fc.array(pick(segments), { maxLength: 3 }).map((s) => `/${s.join("/")}`);
const arnArb = (segments: readonly string[]) =>
  fc
    .tuple(
      pick(PARTITIONS),
      pick(REGIONS),
      pick(ACCOUNTS),
      pick(APIS),
      pick(STAGES),
      fc.oneof(
        {
          weight: 4,
          arbitrary: fc.tuple(pick(METHODS.slice(0, 3)), pathArb(segments)).map(([m, p]) => m + p),
        },
        { weight: 1, arbitrary: fc.constantFrom("$connect", "$default", "$disconnect") },
      ),
    )
    .map(([p, r, a, api, s, t]) => `arn:${p}:execute-api:${r}:${a}:${api}/${s}/${t}`);
const WITHOUT_COLON = SEGMENTS.filter((s) => !s.includes(":"));
/** ARNs whose path holds a `:` (every one has the segment `a:b`). */
const arnWithColonArb = fc
  .tuple(arnArb(WITHOUT_COLON), pathArb(WITHOUT_COLON))
  .map(([arn, rest]) => `${arn.replace(/\/\$(connect|default|disconnect)$/, "/GET")}/a:b${rest}`);

/** A glob for one part: the text itself, a wildcard, or the text with a wildcard in it. */
const globOf = (values: readonly string[]) =>
  fc.oneof(
    { weight: 4, arbitrary: pick(values) },
    { weight: 2, arbitrary: fc.constant("*") },
    {
      weight: 2,
      arbitrary: fc
        .tuple(pick(values), fc.nat(), fc.constantFrom("*", "?", "**", "*?"), fc.boolean())
        .map(([v, at, w, replace]) => {
          const i = v.length === 0 ? 0 : at % (v.length + 1);
          return v.slice(0, i) + w + v.slice(replace ? i + 1 : i);
        }),
    },
  );
const pathGlob = fc
  .array(globOf(SEGMENTS), { maxLength: 3 })
  .chain((s) => fc.constantFrom(`/${s.join("/")}`, `/${s.join("/")}/*`, `/${s.join("/")}*`));
/** Globs built part by part, and a few short ones. */
const randomGlob = fc.oneof(
  {
    weight: 8,
    arbitrary: fc
      .tuple(
        globOf(PARTITIONS),
        globOf(REGIONS),
        globOf(ACCOUNTS),
        globOf(APIS),
        globOf(STAGES),
        fc.oneof(
          fc.tuple(globOf(METHODS), pathGlob).map(([m, p]) => `${m}${p}`),
          globOf(["$connect", "$default"]),
        ),
      )
      .map(([p, r, a, api, s, t]) => `arn:${p}:execute-api:${r}:${a}:${api}/${s}/${t}`),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      "*",
      "arn:*",
      "arn:aws:execute-api:*",
      "arn:aws:execute-api:*:a1b2c3d4e5/*",
      "arn:aws:execute-api:eu-west-1:*",
      "arn:aws:execute-api:*:*:*",
      "arn:aws:execute-api:*:*:a1b2c3d4e5/*",
    ),
  },
);
/** `text` with up to three edits: a run replaced by `*` or `?`, or a `*` inserted. */
const globFrom = (text: string) =>
  fc
    .array(fc.tuple(fc.constantFrom("*", "?", "+*"), fc.nat(), fc.nat({ max: 12 })), { maxLength: 3 })
    .map((edits) => {
      let out = text;
      for (const [kind, at, length] of edits) {
        const i = at % (out.length + 1);
        if (kind === "+*") out = `${out.slice(0, i)}*${out.slice(i)}`;
        else if (kind === "?") out = `${out.slice(0, i)}?${out.slice(i + 1)}`;
        else out = `${out.slice(0, i)}*${out.slice(i + length)}`;
      }
      return out;
    });
const actionArb = fc.constantFrom(
  "execute-api:Invoke",
  "execute-api:*",
  "*",
  "EXECUTE-API:invoke",
  "execute-api:Inv?ke",
  "execute-api:I*",
  "execute-api:Invoke*",
  "s3:*",
  "execute-api:ManageConnections",
  "execute-api:Invoke ",
);
const statementArb = (resourceGlob: fc.Arbitrary<string>) =>
  fc
    .record({
      Effect: fc.oneof({ weight: 12, arbitrary: fc.constantFrom("Allow", "Deny") }, fc.constant("allow")),
      Action: fc.oneof(actionArb, fc.array(actionArb, { minLength: 1, maxLength: 3 })),
      Resource: fc.oneof(resourceGlob, fc.array(resourceGlob, { maxLength: 3 })),
      extra: fc.oneof(
        { weight: 8, arbitrary: fc.constant({}) },
        fc.constant({ Sid: "s1" }),
        fc.constant({ Condition: { Bool: { "aws:SecureTransport": "true" } } }),
        fc.constant({ NotResource: "REPLACE" }),
        fc.constant({ NotAction: "REPLACE" }),
      ),
    })
    .map(({ Effect, Action, Resource, extra }) => {
      const s: Record<string, unknown> = { Effect, Action, Resource, ...extra };
      if ("NotResource" in extra) {
        s.NotResource = Resource;
        delete s.Resource;
      }
      if ("NotAction" in extra) {
        s.NotAction = Action;
        delete s.Action;
      }
      return s;
    });
/** An ARN and a policy for it: resources derived from that ARN, from another one, or built at random. */
const caseArb = (arns: fc.Arbitrary<string>) =>
  fc.tuple(arns, arns).chain(([arn, other]) =>
    fc.tuple(
      fc.constant(arn),
      fc
        .array(statementArb(fc.oneof(globFrom(arn), globFrom(other), randomGlob)), { maxLength: 4 })
        .map((s) => doc(...s)),
    ),
  );

/**
 * The product's verdict against the reference's. Safety: an Allow only where the reference allows.
 * Exactness: the same verdict (an `"invalid"` document is at best an implicit deny, never an Allow).
 */
function differential(policy: { Statement: unknown[] }, arn: string, seen: Record<string, number>) {
  const expected = referenceEvaluate(policy, arn);
  const actual = evaluatePolicy(policy, arn);
  seen[expected] = (seen[expected] ?? 0) + 1;
  if (actual === "allow") assert.equal(expected, "allow", "the product allows what AWS refuses");
  if (expected === "invalid") return;
  assert.equal(actual, expected);
}

describe("evaluatePolicy agrees with the IAM reference", () => {
  for (const [name, arns] of [
    ["ARNs without a `:` in the path", arnArb(WITHOUT_COLON)],
    ["ARNs with a `:` in the path", arnWithColonArb],
  ] as const) {
    test(`${name}, where the reading of \`:\` does not matter: the same verdict`, () => {
      const seen: Record<string, number> = {};
      fc.assert(
        fc.property(caseArb(arns), ([arn, policy]) => {
          if (referenceDependsOnColonReading(policy, arn)) return;
          differential(policy, arn, seen);
        }),
        { numRuns: 3000 },
      );
      for (const verdict of ["allow", "explicit-deny", "implicit-deny", "invalid"])
        assert.ok((seen[verdict] ?? 0) >= 100, JSON.stringify(seen));
    });

    // Only a `*` ending a segment may expand past a colon: `…:21098*a1b2c3d4e5/…` or `…/GET/*/x`
    // (for `…/GET/a:b/x`) must not allow.
    test(`${name}, where the documented reading decides: never an Allow it refuses`, () => {
      fc.assert(
        fc.property(caseArb(arns), ([arn, policy]) => differential(policy, arn, {})),
        { numRuns: 3000 },
      );
    });
  }
});
