import type { DefinitionNote } from "./model.js";
import { isRecord } from "./yaml.js";

/**
 * Resolves CloudFormation intrinsic functions as far as a local run can: parameters (their
 * `Default`, or values given like `--parameter-overrides`), pseudo parameters, `Ref`/`Fn::GetAtt`
 * of the template's own functions and API Gateway resources, `Fn::Sub`, `Fn::Join`, `Fn::Select`,
 * `Fn::Split`, `Fn::If` on conditions that can be evaluated, `Fn::FindInMap`, `Fn::Base64`,
 * `Fn::GetAZs`. Anything else (an `Fn::ImportValue`, an attribute only a deployment knows) is
 * replaced by a stated fallback and reported once per place as a {@link DefinitionNote}.
 *
 * Resolution is lazy: readers resolve only the properties they read, so a template's unrelated
 * resources never produce notes.
 */

/** The account and region a local run pretends to be in (ARNs, `AWS::Region`, `${AWS::AccountId}`). */
export const LOCAL_REGION = "us-east-1";
export const LOCAL_ACCOUNT_ID = "123456789012";
export const LOCAL_STACK_NAME = "gatepass-local";
/** Deepest chain of `AWS::Include`s followed. */
export const MAX_INCLUDE_DEPTH = 8;

/** Resource types whose `Ref`/`Fn::GetAtt …Arn` is a Lambda function. */
export const FUNCTION_TYPES: ReadonlySet<string> = new Set([
  "AWS::Serverless::Function",
  "AWS::Lambda::Function",
]);

/** The ARN a function of the template stands for; readers map it back to the function. */
export function localFunctionArn(functionName: string): string {
  return `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:function:${functionName}`;
}

/**
 * The function name in a Lambda function ARN or an API Gateway Lambda invocation URI
 * (`arn:aws:apigateway:…:lambda:path/2015-03-31/functions/arn:aws:lambda:…:function:NAME[:alias]/invocations`),
 * or `undefined` when `text` names no function.
 */
export function functionNameInArn(text: string): { name: string; arn: string } | undefined {
  const m = /arn:aws[a-z-]*:lambda:[^:/]*:[^:/]*:function:([A-Za-z0-9_.-]+)(?::([A-Za-z0-9_$.-]+))?/.exec(
    text,
  );
  if (!m) return undefined;
  return { name: m[1]!, arn: m[0] };
}

/** Raised inside condition evaluation when a value cannot be known; never leaves this module. */
class Unresolvable extends Error {}

export interface IntrinsicOptions {
  /** Parameter values, like `sam deploy --parameter-overrides` (win over each `Default`). */
  readonly parameters?: Readonly<Record<string, string>>;
  /** Reads an `AWS::Include` location relative to the template (returns its parsed value), when given. */
  readonly include?: (location: string, at: string) => unknown;
}

type Template = Record<string, unknown>;

export class Intrinsics {
  readonly notes: DefinitionNote[] = [];
  private readonly noted = new Set<string>();
  private readonly parameters: Record<string, unknown>;
  private readonly resources: Record<string, unknown>;
  private readonly conditions: Record<string, unknown>;
  private readonly mappings: Record<string, unknown>;
  private readonly conditionValues = new Map<string, boolean | undefined>();
  private includeDepth = 0;
  /** Functions whose name is being resolved (a `FunctionName` that refers to its own function). */
  private readonly naming = new Set<string>();

  constructor(
    template: Template,
    private readonly options: IntrinsicOptions = {},
  ) {
    this.parameters = isRecord(template.Parameters) ? template.Parameters : {};
    this.resources = isRecord(template.Resources) ? template.Resources : {};
    this.conditions = isRecord(template.Conditions) ? template.Conditions : {};
    this.mappings = isRecord(template.Mappings) ? template.Mappings : {};
  }

  /** Records a note, once per place and message. */
  note(at: string, message: string): void {
    const key = `${at}\u0000${message}`;
    if (this.noted.has(key)) return;
    this.noted.add(key);
    this.notes.push({ at, message });
  }

  /** The type of a resource of the template (`AWS::Serverless::Function`), or `undefined`. */
  resourceType(logicalId: string): string | undefined {
    const resource = this.resources[logicalId];
    return isRecord(resource) && typeof resource.Type === "string" ? resource.Type : undefined;
  }

  /** `value` with every intrinsic function resolved (or replaced by a noted fallback); `undefined` for `AWS::NoValue`. */
  resolve(value: unknown, at: string): unknown {
    return this.walk(value, at, false);
  }

  /** {@link resolve}, then a string (numbers and booleans as text); `undefined` when absent or not scalar. */
  string(value: unknown, at: string): string | undefined {
    const resolved = this.resolve(value, at);
    if (typeof resolved === "string") return resolved;
    if (typeof resolved === "number" || typeof resolved === "boolean") return String(resolved);
    return undefined;
  }

  /** Evaluates a named condition: `true`/`false`, or `undefined` when it depends on something unknown. */
  condition(name: string): boolean | undefined {
    if (this.conditionValues.has(name)) return this.conditionValues.get(name);
    this.conditionValues.set(name, undefined); // a cycle evaluates to unknown
    let result: boolean | undefined;
    try {
      result = this.evalCondition(this.conditions[name], `Conditions.${name}`);
    } catch (error) {
      if (!(error instanceof Unresolvable)) throw error;
      result = undefined;
    }
    this.conditionValues.set(name, result);
    return result;
  }

  private evalCondition(expr: unknown, at: string): boolean {
    if (typeof expr === "boolean") return expr;
    if (expr === "true" || expr === "false") return expr === "true";
    if (!isRecord(expr) || Object.keys(expr).length !== 1) throw new Unresolvable();
    const [fn, arg] = Object.entries(expr)[0]!;
    const args = Array.isArray(arg) ? arg : [arg];
    switch (fn) {
      case "Condition": {
        const value = typeof arg === "string" ? this.condition(arg) : undefined;
        if (value === undefined) throw new Unresolvable();
        return value;
      }
      case "Fn::Equals": {
        if (args.length !== 2) throw new Unresolvable();
        const [a, b] = args.map((x) => this.walk(x, at, true));
        return JSON.stringify(scalarText(a)) === JSON.stringify(scalarText(b));
      }
      case "Fn::Not":
        return !this.evalCondition(args[0], at);
      case "Fn::And":
        return args.every((x) => this.evalCondition(x, at));
      case "Fn::Or":
        return args.some((x) => this.evalCondition(x, at));
      default:
        throw new Unresolvable();
    }
  }

  /** In `strict` mode (conditions) anything unknown throws {@link Unresolvable} instead of a noted fallback. */
  private fallback(strict: boolean, at: string, message: string, value: unknown): unknown {
    if (strict) throw new Unresolvable();
    this.note(at, message);
    return value;
  }

  private walk(value: unknown, at: string, strict: boolean): unknown {
    if (Array.isArray(value)) {
      const out: unknown[] = [];
      value.forEach((item, i) => {
        const resolved = this.walk(item, `${at}[${i}]`, strict);
        if (resolved !== undefined) out.push(resolved);
      });
      return out;
    }
    if (!isRecord(value)) return value;
    const keys = Object.keys(value);
    if (keys.length === 1 && (keys[0] === "Ref" || keys[0]!.startsWith("Fn::")))
      return this.intrinsic(keys[0]!, value[keys[0]!], at, strict);
    const out: Record<string, unknown> = {};
    for (const key of keys) {
      const resolved = this.walk(value[key], `${at}.${key}`, strict);
      if (resolved !== undefined) out[key] = resolved;
    }
    return out;
  }

  private intrinsic(fn: string, arg: unknown, at: string, strict: boolean): unknown {
    switch (fn) {
      case "Ref":
        return typeof arg === "string" ? this.ref(arg, at, strict) : this.bad(fn, at);
      case "Fn::GetAtt": {
        let parts: unknown = arg;
        if (typeof arg === "string")
          parts = [arg.slice(0, arg.indexOf(".")), arg.slice(arg.indexOf(".") + 1)];
        if (!Array.isArray(parts) || parts.length !== 2) return this.bad(fn, at);
        const attribute = this.walk(parts[1], at, strict);
        if (typeof parts[0] !== "string" || typeof attribute !== "string") return this.bad(fn, at);
        return this.getAtt(parts[0], attribute, at, strict);
      }
      case "Fn::Sub":
        return this.sub(arg, at, strict);
      case "Fn::Join": {
        if (!Array.isArray(arg) || arg.length !== 2) return this.bad(fn, at);
        const delimiter = this.walk(arg[0], at, strict);
        const list = this.walk(arg[1], at, strict);
        if (typeof delimiter !== "string" || !Array.isArray(list)) return this.bad(fn, at);
        return list.map((x) => scalarText(x)).join(delimiter);
      }
      case "Fn::Select": {
        if (!Array.isArray(arg) || arg.length !== 2) return this.bad(fn, at);
        const index = Number(this.walk(arg[0], at, strict));
        const list = this.walk(arg[1], at, strict);
        if (!Array.isArray(list) || !Number.isInteger(index) || index < 0 || index >= list.length)
          return this.bad(fn, at);
        return list[index];
      }
      case "Fn::Split": {
        if (!Array.isArray(arg) || arg.length !== 2) return this.bad(fn, at);
        const delimiter = this.walk(arg[0], at, strict);
        const text = this.walk(arg[1], at, strict);
        if (typeof delimiter !== "string" || typeof text !== "string" || delimiter === "")
          return this.bad(fn, at);
        return text.split(delimiter);
      }
      case "Fn::If": {
        if (!Array.isArray(arg) || arg.length !== 3 || typeof arg[0] !== "string") return this.bad(fn, at);
        const decided = this.condition(arg[0]);
        if (decided === undefined) {
          if (strict) throw new Unresolvable();
          this.note(
            at,
            `Fn::If on condition ${arg[0]} cannot be evaluated locally; its first branch is used.`,
          );
          return this.walk(arg[1], at, strict);
        }
        return this.walk(decided ? arg[1] : arg[2], at, strict);
      }
      case "Fn::FindInMap": {
        if (!Array.isArray(arg) || arg.length < 3) return this.bad(fn, at);
        const [map, top, second] = arg.slice(0, 3).map((x) => scalarText(this.walk(x, at, strict)));
        const table = this.mappings[map!];
        const row = isRecord(table) ? table[top!] : undefined;
        if (isRecord(row) && second! in row) return this.walk(row[second!], at, strict);
        const options = arg[3];
        if (isRecord(options) && "DefaultValue" in options)
          return this.walk(options.DefaultValue, at, strict);
        return this.fallback(
          strict,
          at,
          `Fn::FindInMap finds no entry ${map}/${top}/${second}; an empty string is used.`,
          "",
        );
      }
      case "Fn::Base64": {
        const text = this.walk(arg, at, strict);
        return typeof text === "string" ? Buffer.from(text, "utf8").toString("base64") : this.bad(fn, at);
      }
      case "Fn::GetAZs":
        return ["a", "b", "c"].map((zone) => `${LOCAL_REGION}${zone}`);
      case "Fn::ImportValue":
        return this.fallback(
          strict,
          at,
          "Fn::ImportValue (another stack's export) cannot be resolved locally; the text IMPORTED_VALUE is used.",
          "IMPORTED_VALUE",
        );
      case "Fn::Transform": {
        if (isRecord(arg) && arg.Name === "AWS::Include" && this.options.include) {
          const parameters = isRecord(arg.Parameters) ? arg.Parameters : {};
          const location = this.walk(parameters.Location, at, strict);
          if (typeof location === "string" && !/^s3:\/\/|^https?:\/\//i.test(location)) {
            if (this.includeDepth >= MAX_INCLUDE_DEPTH)
              throw new Error(
                `${at} includes files more than ${MAX_INCLUDE_DEPTH} levels deep (an include loop?).`,
              );
            this.includeDepth++;
            try {
              return this.walk(this.options.include(location, at), at, strict);
            } finally {
              this.includeDepth--;
            }
          }
        }
        return this.fallback(
          strict,
          at,
          "Fn::Transform (other than AWS::Include of a local file) is not run locally; the value is left out.",
          undefined,
        );
      }
      default:
        return this.fallback(strict, at, `${fn} is not evaluated locally; the value is left out.`, undefined);
    }
  }

  private bad(fn: string, at: string): never {
    throw new Error(`${at} uses ${fn} with arguments CloudFormation does not accept.`);
  }

  private ref(name: string, at: string, strict: boolean): unknown {
    switch (name) {
      case "AWS::Region":
        return LOCAL_REGION;
      case "AWS::AccountId":
        return LOCAL_ACCOUNT_ID;
      case "AWS::StackName":
        return LOCAL_STACK_NAME;
      case "AWS::StackId":
        return `arn:aws:cloudformation:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:stack/${LOCAL_STACK_NAME}/00000000-0000-0000-0000-000000000000`;
      case "AWS::Partition":
        return "aws";
      case "AWS::URLSuffix":
        return "amazonaws.com";
      case "AWS::NotificationARNs":
        return [];
      case "AWS::NoValue":
        return undefined;
    }
    if (name in this.parameters) return this.parameter(name, at, strict);
    // SAM: `!Ref Fn.Alias` (AutoPublishAlias) and `!Ref Fn.Version` are qualified ARNs of the function.
    const qualified = /^([A-Za-z0-9]+)\.(Alias|Version)$/.exec(name);
    if (qualified && FUNCTION_TYPES.has(this.resourceType(qualified[1]!) ?? ""))
      return `${localFunctionArn(this.functionName(qualified[1]!))}:${qualified[2] === "Alias" ? "live" : "1"}`;
    const type = this.resourceType(name);
    if (type === undefined) {
      if (strict) throw new Unresolvable();
      throw new Error(
        `${at} refers to ${safeName(name)}, which is neither a parameter nor a resource of the template.`,
      );
    }
    if (FUNCTION_TYPES.has(type)) return this.functionName(name);
    if (type === "AWS::Cognito::UserPool")
      return this.fallback(
        strict,
        at,
        `the id of user pool ${name} is known only once deployed; ${LOCAL_REGION}_${name} is used.`,
        `${LOCAL_REGION}_${name}`,
      );
    if (type.startsWith("AWS::ApiGateway") || type.startsWith("AWS::Serverless::")) return name;
    return this.fallback(
      strict,
      at,
      `Ref ${name} (a ${type}) is known only once deployed; the logical id ${name} is used.`,
      name,
    );
  }

  private parameter(name: string, at: string, strict: boolean): unknown {
    const declared = this.parameters[name];
    const type = isRecord(declared) && typeof declared.Type === "string" ? declared.Type : "String";
    let value: unknown = this.options.parameters?.[name];
    if (value === undefined && isRecord(declared)) value = declared.Default;
    if (value === undefined)
      return this.fallback(
        strict,
        at,
        `parameter ${name} has no Default and no value was given; an empty string is used.`,
        "",
      );
    if (type === "CommaDelimitedList" || type.startsWith("List<"))
      return Array.isArray(value)
        ? value.map(scalarText)
        : scalarText(value)
            .split(",")
            .map((x) => x.trim());
    return scalarText(value);
  }

  /** A function of the template, as its `Ref` (its name) or `.Arn`. */
  private functionName(logicalId: string): string {
    const resource = this.resources[logicalId];
    const properties = isRecord(resource) && isRecord(resource.Properties) ? resource.Properties : {};
    if (properties.FunctionName !== undefined && !this.naming.has(logicalId)) {
      this.naming.add(logicalId);
      try {
        const name = this.walk(
          properties.FunctionName,
          `Resources.${logicalId}.Properties.FunctionName`,
          true,
        );
        if (typeof name === "string" && name !== "") return name;
      } catch (error) {
        if (!(error instanceof Unresolvable)) throw error;
      } finally {
        this.naming.delete(logicalId);
      }
    }
    return logicalId;
  }

  private getAtt(logicalId: string, attribute: string, at: string, strict: boolean): unknown {
    const type = this.resourceType(logicalId);
    if (type === undefined) {
      if (strict) throw new Unresolvable();
      throw new Error(
        `${at} uses Fn::GetAtt of ${safeName(logicalId)}, which is not a resource of the template.`,
      );
    }
    if (FUNCTION_TYPES.has(type) && attribute === "Arn")
      return localFunctionArn(this.functionName(logicalId));
    if (
      (type === "AWS::ApiGateway::RestApi" || type === "AWS::Serverless::Api") &&
      attribute === "RootResourceId"
    )
      return rootResourceId(logicalId);
    if (type === "AWS::Cognito::UserPool" && (attribute === "Arn" || attribute === "ProviderURL")) {
      const poolId = `${LOCAL_REGION}_${logicalId}`;
      const value =
        attribute === "Arn"
          ? `arn:aws:cognito-idp:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:userpool/${poolId}`
          : `https://cognito-idp.${LOCAL_REGION}.amazonaws.com/${poolId}`;
      return this.fallback(
        strict,
        at,
        `the id of user pool ${logicalId} is known only once deployed; ${poolId} is used in its ${attribute}.`,
        value,
      );
    }
    return this.fallback(
      strict,
      at,
      `Fn::GetAtt ${logicalId}.${attribute} (a ${type}) is known only once deployed; the text ${logicalId}.${attribute} is used.`,
      `${logicalId}.${attribute}`,
    );
  }

  private sub(arg: unknown, at: string, strict: boolean): unknown {
    let template: unknown = arg;
    let variables: Record<string, unknown> = {};
    if (Array.isArray(arg)) {
      if (arg.length !== 2 || !isRecord(arg[1])) return this.bad("Fn::Sub", at);
      template = arg[0];
      variables = arg[1];
    }
    if (typeof template !== "string") return this.bad("Fn::Sub", at);
    return template.replace(/\$\{([^}]*)\}/g, (_whole, inner: string) => {
      if (inner.startsWith("!")) return `\${${inner.slice(1)}}`;
      const name = inner.trim();
      if (name in variables) return scalarText(this.walk(variables[name], at, strict));
      const dot = name.indexOf(".");
      if (dot > 0 && !name.startsWith("AWS::"))
        return scalarText(this.getAtt(name.slice(0, dot), name.slice(dot + 1), at, strict));
      return scalarText(this.ref(name, at, strict));
    });
  }
}

/** What `Fn::GetAtt Api.RootResourceId` stands for (never a logical id: those have no dot). */
export function rootResourceId(apiLogicalId: string): string {
  return `${apiLogicalId}.RootResourceId`;
}

/** A scalar as CloudFormation turns it into text; a list joined by commas (as in `Fn::Sub` of a list parameter). */
export function scalarText(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return value.map(scalarText).join(",");
  if (value === undefined || value === null) return "";
  return JSON.stringify(value);
}

/** A name from the file, for a message: printable, short. */
export function safeName(name: string): string {
  const clean = name.replace(/[^\x21-\x7e]/g, "?");
  return clean.length > 64 ? `${clean.slice(0, 64)}…` : clean;
}
