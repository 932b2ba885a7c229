/**
 * The SAM deploy path, as the docs print it: every `--parameter-overrides` the docs print is run
 * through a shell and then through SAM CLI's own parameter parser (ported below), and each value
 * must arrive as the shell delivered it; the template passes cfn-lint.
 *
 * SAM CLI parses `--parameter-overrides` with `CfnParameterOverridesType` (aws/aws-sam-cli,
 * `samcli/cli/types.py`, v1.164.0): each argument after the option (until the next `-…` argument,
 * `OptionNargs`) is stripped, prefixed with a space and matched with `findall` against
 * `ParameterKey=K,ParameterValue=V` pairs, else ` K=V` pairs, where an unquoted V stops at the first
 * space. A JSON document with a space in it therefore arrives as `{` (aws-sam-cli issues #2018, #3508).
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { commands, docFiles, ROOT, shBlocks } from "./doc-commands.js";

const TEST = { timeout: 60_000 };

// ---- a port of samcli/cli/types.py (`_generate_match_regex`, `CfnParameterOverridesType`) ----

/** `PARAM_AND_METADATA_KEY_REGEX = """([A-Za-z0-9\\"\']+)"""` */
const KEY = `([A-Za-z0-9"']+)`;
/** `_generate_match_regex(match_pattern=".", delim=" ")` */
const VALUE_SPACE_DELIM = `("(?:\\\\.|[^"\\\\]+)*"|'(?:\\\\.|[^'\\\\]+)*'|(?:\\\\.|[^ "\\\\]+)+)`;
/** `_pattern_1`, `_pattern_2`, tried in this order (`ordered_pattern_match`). */
const PATTERNS = [
  `(?:ParameterKey=${KEY},ParameterValue=${VALUE_SPACE_DELIM})`,
  `(?:(?: )${KEY}=${VALUE_SPACE_DELIM})`,
];

/** `_unquote_wrapped_quotes` */
function unquote(value: string): string {
  let v = value;
  if (v.length > 0 && v[0] === v[v.length - 1] && (v[0] === '"' || v[0] === "'")) v = v.slice(1, -1);
  return v.replaceAll("\\ ", " ").replaceAll('\\"', '"').replaceAll("\\'", "'");
}

/** `CfnParameterOverridesType.convert` for command-line strings (no `file://`). */
export function samParameterOverrides(values: readonly string[]): Record<string, string> {
  const parameters = new Map<string, string>();
  for (const value of values) {
    const normalized = ` ${value.trim()}`;
    let matched = false;
    for (const pattern of PATTERNS) {
      const groups = [...normalized.matchAll(new RegExp(pattern, "g"))];
      if (groups.length > 0) {
        for (const m of groups) parameters.set(m[1]!, m[2]!);
        matched = true;
        break;
      }
    }
    if (!matched) throw new Error(`${value} is not a valid format`);
  }
  const result: Record<string, string> = {};
  for (const [key, value] of parameters) result[unquote(key)] = unquote(value);
  return result;
}

describe("the port of SAM CLI's CfnParameterOverridesType", () => {
  // Cases from aws-sam-cli tests/unit/cli/test_types.py (TestCfnParameterOverridesType).
  const cases: [string, Record<string, string>][] = [
    [
      "ParameterKey=KeyPairName,ParameterValue=MyKey ParameterKey=InstanceType,ParameterValue=t1.micro",
      { KeyPairName: "MyKey", InstanceType: "t1.micro" },
    ],
    ["KeyPairName=MyKey InstanceType=t1.micro", { KeyPairName: "MyKey", InstanceType: "t1.micro" }],
    ["KeyPairName=MyKey, InstanceType=t1.micro,", { KeyPairName: "MyKey,", InstanceType: "t1.micro," }],
    ['ParameterKey="Ke y",ParameterValue=Value', { ParameterKey: "Ke y" }],
    ['ParameterKey="Key",ParameterValue=Val\\ ue', { Key: "Val ue" }],
    ['ParameterKey="Key",ParameterValue="Val\\"ue"', { Key: 'Val"ue' }],
    ["ParameterKey='Key',ParameterValue='Val ue'", { Key: "Val ue" }],
    ['ParameterKey=Key,ParameterValue=""', { Key: "" }],
    ['Key=Key1230 Value="{\\"a\\":\\"b\\"}"', { Key: "Key1230", Value: '{"a":"b"}' }],
    [`Key=Key1230 Value='{"a":"b"}'`, { Key: "Key1230", Value: '{"a":"b"}' }],
    [
      'DeployStackName=new-stack DeployParameterOverrides="{"bucketName":"production","bucketRegion":"eu-west-1"}" ' +
        'DeployParameterBucketOverrides="{"bucketName":"myownbucket"}"',
      { DeployStackName: "new-stack", DeployParameterOverrides: "{", DeployParameterBucketOverrides: "{" },
    ],
  ];
  for (const [input, expected] of cases) {
    test(`parses ${input}`, () => assert.deepEqual(samParameterOverrides([input]), expected));
  }
  test("refuses what SAM CLI refuses", () => {
    for (const input of ["some string", ",,", "ParameterKey:Key,ParameterValue:Value"])
      assert.throws(() => samParameterOverrides([input]), /not a valid format/);
  });
  test("a JSON configuration passed as one shell word arrives as `{`", () => {
    const config = '{ "issuers": [{ "issuer": "https://id.example.com/" }] }';
    assert.deepEqual(samParameterOverrides([`GatepassConfig=${config}`]), { GatepassConfig: "{" });
  });
});

// ---- the docs' commands, through a shell ----

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/**
 * Runs a doc block in bash in an empty directory with `sam`, `npx` and `aws` as functions that
 * print their arguments (NUL-separated, one record per call): what the shell delivers to each tool.
 */
function argvOf(block: string): string[][] {
  const cwd = mkdtempSync(join(tmpdir(), "gatepass-sam-doc-"));
  dirs.push(cwd);
  const stub = (name: string) => `${name}() { printf '%s\\0' ${name} "$@"; printf '\\n\\0'; }`;
  const script = [stub("sam"), stub("npx"), stub("aws"), "set -e", block].join("\n");
  const run = spawnSync("bash", ["-c", script], { cwd, encoding: "utf8", timeout: 20_000 });
  assert.equal(run.status, 0, run.stderr);
  const calls: string[][] = [];
  let current: string[] = [];
  for (const field of run.stdout.split("\0")) {
    if (field === "\n") {
      calls.push(current);
      current = [];
    } else if (field !== "") current.push(field);
  }
  return calls;
}

/** SAM CLI's `OptionNargs`: the arguments after `--parameter-overrides` until the next option. */
function overridesOf(argv: readonly string[]): string[] | undefined {
  const at = argv.indexOf("--parameter-overrides");
  if (at < 0) return undefined;
  const values: string[] = [];
  for (const arg of argv.slice(at + 1)) {
    if (arg.startsWith("-")) break;
    values.push(arg);
  }
  return values;
}

test("every --parameter-overrides the docs print reaches SAM CLI intact", TEST, () => {
  let seen = 0;
  for (const file of docFiles()) {
    for (const block of shBlocks(file)) {
      if (!block.text.includes("sam ")) continue;
      for (const argv of argvOf(block.text)) {
        if (argv[0] !== "sam") continue;
        const values = overridesOf(argv);
        if (values === undefined) continue;
        seen++;
        const where = `${file}:${block.line}`;
        assert.ok(values.length > 0, `${where}: --parameter-overrides without a value`);
        const parsed = samParameterOverrides(values);
        for (const word of values) {
          const eq = word.indexOf("=");
          assert.ok(eq > 0, `${where}: ${word} is not Key=Value`);
          const key = word.slice(0, eq);
          assert.equal(parsed[key], word.slice(eq + 1), `${where}: SAM CLI would deliver ${key} changed`);
        }
      }
    }
  }
  assert.ok(seen > 0, "the docs print no --parameter-overrides: this test would check nothing");
});

test("the SAM docs deploy the configuration embedded in the bundle, not as a parameter", () => {
  const block = shBlocks("deploy/sam/README.md").find((b) => b.text.includes("sam deploy"));
  assert.ok(block, "deploy/sam/README.md prints no sam deploy");
  const lines = commands(block.text);
  const bundle = lines.find((c) => c.startsWith("npx gatepass bundle"));
  assert.match(bundle ?? "", /--out dist-lambda --config gatepass\.config\.json/);
  assert.doesNotMatch(block.text, /GatepassConfig|GATEPASS_CONFIG/);
});

/** cfn-lint: on PATH, or where pyenv puts it on these machines. */
function cfnLint(): string | undefined {
  const which = spawnSync("bash", ["-c", "command -v cfn-lint"], { encoding: "utf8" });
  if (which.status === 0 && which.stdout.trim() !== "") return which.stdout.trim();
  const pyenv = join(process.env.HOME ?? "/root", ".pyenv", "shims", "cfn-lint");
  return existsSync(pyenv) ? pyenv : undefined;
}

const CFN_LINT = cfnLint();

// cfn-lint takes about 3 s on an idle machine, over a minute while the whole suite runs on two cores.
test("cfn-lint passes deploy/sam/template.yaml (SAM transform included)", {
  timeout: 280_000,
  skip: CFN_LINT ? false : "cfn-lint is not installed (pip install cfn-lint where PyPI is reachable)",
}, async () => {
  const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    const child = spawn(CFN_LINT!, [join(ROOT, "deploy", "sam", "template.yaml")], { timeout: 250_000 });
    let output = "";
    child.stdout.on("data", (chunk) => {
      output += chunk;
    });
    child.stderr.on("data", (chunk) => {
      output += chunk;
    });
    child.once("error", reject);
    child.once("close", (exit) => resolve({ code: exit, output }));
  });
  assert.equal(code, 0, output);
});
