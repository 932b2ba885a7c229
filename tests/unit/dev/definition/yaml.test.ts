// biome-ignore-all lint/suspicious/noTemplateCurlyInString: CloudFormation ${…} substitutions, written out as the template has them
/**
 * Parsing definitions (src/dev/definition/yaml.ts): CloudFormation's short-form tags become the long
 * form CloudFormation documents for each function (Template reference, "Intrinsic function
 * reference": `!GetAtt A.B` ≡ `{"Fn::GetAtt": ["A", "B"]}`, `!Sub` scalar and sequence forms, …);
 * JSON parses too; size, alias, expansion and depth are bounded; `__proto__` is refused; errors
 * name the line and never quote the file.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  MAX_ALIASES,
  MAX_DEFINITION_BYTES,
  MAX_DEPTH,
  parseDefinitionText,
} from "../../../../src/dev/definition/yaml.js";

const T = { timeout: 30_000 };
const parse = (text: string) => parseDefinitionText(text, "template.yaml");

describe("CloudFormation short-form tags", () => {
  test("each tag becomes its long form", T, () => {
    const text = [
      "ref: !Ref MyParam",
      "cond: !Condition IsProd",
      "sub1: !Sub 'arn:${AWS::Partition}:s3:::${Bucket}'",
      "sub2: !Sub",
      "  - '${A}-${B}'",
      "  - A: !Ref X",
      "    B: b",
      "att1: !GetAtt Fn.Arn",
      "att2: !GetAtt Table.StreamSpecification.StreamArn",
      "att3: !GetAtt [Fn, Arn]",
      "join: !Join [',', [a, b]]",
      "select: !Select [0, !GetAZs '']",
      "split: !Split ['|', 'a|b']",
      "if: !If [IsProd, 1, !Ref AWS::NoValue]",
      "eq: !Equals [!Ref Env, prod]",
      "not: !Not [!Condition IsProd]",
      "and: !And [!Condition A, !Condition B]",
      "or: !Or [!Condition A, !Condition B]",
      "map: !FindInMap [Map, !Ref AWS::Region, Key]",
      "b64: !Base64 text",
      "imp: !ImportValue shared-export",
      "azs: !GetAZs us-east-1",
      "cidr: !Cidr [10.0.0.0/16, 4, 8]",
      "tr: !Transform { Name: AWS::Include, Parameters: { Location: api.yaml } }",
    ].join("\n");
    assert.deepEqual(parse(text), {
      ref: { Ref: "MyParam" },
      cond: { Condition: "IsProd" },
      sub1: { "Fn::Sub": "arn:${AWS::Partition}:s3:::${Bucket}" },
      sub2: { "Fn::Sub": ["${A}-${B}", { A: { Ref: "X" }, B: "b" }] },
      att1: { "Fn::GetAtt": ["Fn", "Arn"] },
      att2: { "Fn::GetAtt": ["Table", "StreamSpecification.StreamArn"] },
      att3: { "Fn::GetAtt": ["Fn", "Arn"] },
      join: { "Fn::Join": [",", ["a", "b"]] },
      select: { "Fn::Select": [0, { "Fn::GetAZs": "" }] },
      split: { "Fn::Split": ["|", "a|b"] },
      if: { "Fn::If": ["IsProd", 1, { Ref: "AWS::NoValue" }] },
      eq: { "Fn::Equals": [{ Ref: "Env" }, "prod"] },
      not: { "Fn::Not": [{ Condition: "IsProd" }] },
      and: { "Fn::And": [{ Condition: "A" }, { Condition: "B" }] },
      or: { "Fn::Or": [{ Condition: "A" }, { Condition: "B" }] },
      map: { "Fn::FindInMap": ["Map", { Ref: "AWS::Region" }, "Key"] },
      b64: { "Fn::Base64": "text" },
      imp: { "Fn::ImportValue": "shared-export" },
      azs: { "Fn::GetAZs": "us-east-1" },
      cidr: { "Fn::Cidr": ["10.0.0.0/16", 4, 8] },
      tr: { "Fn::Transform": { Name: "AWS::Include", Parameters: { Location: "api.yaml" } } },
    });
  });

  test("property: a short-form tag and the long form written in JSON parse to the same value", T, () => {
    const name = fc.stringMatching(/^[A-Za-z][A-Za-z0-9]{0,12}$/);
    const scalarTags = fc.record({
      tag: fc.constantFrom("Ref", "Sub", "ImportValue", "Base64", "Condition"),
      arg: name,
    });
    fc.assert(
      fc.property(fc.array(fc.tuple(name, scalarTags), { minLength: 1, maxLength: 6 }), (entries) => {
        const keys = new Map(entries.map(([k, v]) => [`k${k}`, v]));
        const yaml = [...keys].map(([k, { tag, arg }]) => `${k}: !${tag} ${arg}`).join("\n");
        const longName = (tag: string) => (tag === "Ref" || tag === "Condition" ? tag : `Fn::${tag}`);
        const json = JSON.stringify(
          Object.fromEntries([...keys].map(([k, { tag, arg }]) => [k, { [longName(tag)]: arg }])),
        );
        assert.deepEqual(parse(yaml), parse(json));
      }),
      { numRuns: 200 },
    );
  });

  test("an unknown tag is refused, naming the tag and its line", T, () => {
    assert.throws(() => parse("a: 1\nb: !GetParam x\n"), {
      message: "template.yaml uses the unknown tag !GetParam (line 2).",
    });
  });

  test("a tag on a node kind its function does not take is refused", T, () => {
    assert.throws(() => parse("a:\n  b: !Ref [x, y]\n"), {
      message: "template.yaml uses !Ref on a sequence (line 2), which it does not take.",
    });
    assert.throws(() => parse("a: !GetAtt NoDot\n"), /without "Resource.Attribute" \(line 1\)/);
  });
});

describe("JSON templates", () => {
  test("parse as YAML 1.2 flow content", T, () => {
    const text = JSON.stringify({
      Resources: { Fn: { Type: "AWS::Lambda::Function", Properties: { Timeout: 3 } } },
    });
    assert.deepEqual(parse(text), {
      Resources: { Fn: { Type: "AWS::Lambda::Function", Properties: { Timeout: 3 } } },
    });
  });
});

describe("bounds and refusals", () => {
  test("a text larger than the cap is refused before parsing", T, () => {
    const text = `a: "${"x".repeat(MAX_DEFINITION_BYTES)}"`;
    assert.throws(() => parse(text), {
      message: "template.yaml is larger than 5 MB, the most gatepass reads.",
    });
  });

  test("a billion-laughs document is refused (expansion cap)", T, () => {
    const lines = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"];
    const names = "bcdefghij";
    for (let i = 0; i < names.length; i++) {
      const prev = i === 0 ? "a" : names[i - 1];
      lines.push(`${names[i]}: &${names[i]} [${Array(9).fill(`*${prev}`).join(", ")}]`);
    }
    const started = Date.now();
    assert.throws(() => parse(lines.join("\n")), {
      message: "template.yaml expands to more than 1000000 values (aliases repeated too often).",
    });
    assert.ok(Date.now() - started < 10_000);
  });

  test("more aliases than the cap are refused", T, () => {
    const text = `a: &a x\nb: [${Array(MAX_ALIASES + 1)
      .fill("*a")
      .join(", ")}]\n`;
    assert.throws(() => parse(text), { message: `template.yaml uses more than ${MAX_ALIASES} aliases.` });
    const fine = `a: &a x\nb: [${Array(MAX_ALIASES).fill("*a").join(", ")}]\n`;
    assert.equal((parse(fine) as { b: string[] }).b.length, MAX_ALIASES);
  });

  test("a recursive alias is refused", T, () => {
    assert.throws(() => parse("a: &a\n  b: *a\n"), {
      message: "template.yaml uses an alias that is undefined or inside its own anchor (line 2).",
    });
  });

  test("nesting built from aliases counts toward the depth cap", T, () => {
    const lines = ["l0: &l0 [x]"];
    for (let i = 1; i <= MAX_DEPTH; i++) lines.push(`l${i}: &l${i} [*l${i - 1}]`);
    assert.throws(() => parse(lines.join("\n")), {
      message: `template.yaml nests values deeper than ${MAX_DEPTH} levels.`,
    });
  });

  test("aliases repeat one value: anchored content is parsed once", T, () => {
    const value = parse("base: &base { Timeout: 10, Env: { A: b } }\nfn1: *base\nfn2: *base\n") as Record<
      string,
      unknown
    >;
    assert.deepEqual(value.fn1, { Timeout: 10, Env: { A: "b" } });
    assert.deepEqual(value.fn2, value.fn1);
  });

  test("deep nesting is refused", T, () => {
    const text = `${"[".repeat(MAX_DEPTH + 5)}${"]".repeat(MAX_DEPTH + 5)}`;
    assert.throws(() => parse(text), /nests values deeper/);
  });

  // Regression guards against quadratic parsing (the parser's own duplicate-key check took 29 s for
  // 40,000 keys in one mapping on an idle machine; JSON through the YAML parser 10 s for 5 MB).
  test("a mapping with 40,000 keys parses in linear time", { timeout: 60_000 }, () => {
    const text = Array.from({ length: 40_000 }, (_, i) => `k${i}: ${i}`).join("\n");
    const started = Date.now();
    assert.equal(Object.keys(parse(text) as object).length, 40_000);
    assert.ok(Date.now() - started < 15_000, `took ${Date.now() - started} ms`);
  });

  test("a 5 MB JSON template parses quickly", { timeout: 60_000 }, () => {
    const resources: Record<string, unknown> = {};
    for (let i = 0; i < 20_000; i++)
      resources[`Fn${i}`] = {
        Type: "AWS::Serverless::Function",
        Properties: { Handler: `src/f${i}.handler`, Environment: { Variables: { A: "x".repeat(40) } } },
      };
    const text = JSON.stringify({ Resources: resources });
    assert.ok(text.length > 3_000_000 && text.length < MAX_DEFINITION_BYTES);
    const started = Date.now();
    assert.equal(Object.keys((parse(text) as { Resources: object }).Resources).length, 20_000);
    assert.ok(Date.now() - started < 15_000, `took ${Date.now() - started} ms`);
  });

  test("JSON keeps the refusals: depth, __proto__", T, () => {
    assert.throws(
      () => parse(`${"[".repeat(MAX_DEPTH + 2)}${"]".repeat(MAX_DEPTH + 2)}`),
      /nests values deeper/,
    );
    assert.throws(() => parse('{"a": {"__proto__": {"x": 1}}}'), {
      message: 'template.yaml uses the key "__proto__", which gatepass refuses.',
    });
  });

  test("a __proto__ key is refused and pollutes nothing", T, () => {
    assert.throws(() => parse("Resources:\n  __proto__:\n    polluted: true\n"), {
      message: 'template.yaml uses the key "__proto__" (line 2), which gatepass refuses.',
    });
    assert.throws(() => parse('{"__proto__": {"polluted": true}}'), /"__proto__"/);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  test("a duplicate key is refused with its line", T, () => {
    assert.throws(() => parse("a: 1\nb: 2\na: 3\n"), {
      message: "template.yaml is not valid YAML or JSON: a key appears twice in one mapping (line 3).",
    });
  });

  test("a syntax error names the line and never quotes the file", T, () => {
    const secret = "s3cr3t-Value-Do-Not-Print";
    for (const text of [
      `a: 1\nb: [${secret}\n`,
      `a: 1\n  b: ${secret}\n`,
      `{"a": "${secret}" "b"}`,
      `a: "${secret}\n`,
    ]) {
      assert.throws(
        () => parse(text),
        (error: Error) => !error.message.includes(secret) && /\(line \d+\)\.$/.test(error.message),
      );
    }
  });
});
