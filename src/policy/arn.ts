import type { RuleTarget } from "../rules/rules.js";

/**
 * Method and route ARNs (AWS: arn-format-reference.html, api-gateway-lambda-authorizer-input.html):
 * `arn:{partition}:execute-api:{region}:{account}:{apiId}/{stage}/{VERB}/{path…}` for REST and HTTP
 * APIs (the root path ends in a slash: `…/dev/GET/`), and `…/{stage}/$connect` for WebSocket APIs.
 * The partition (`aws`, `aws-cn`, `aws-us-gov`, …) is always read from the ARN, never assumed.
 */

interface ArnBase {
  /** The ARN exactly as received. */
  readonly arn: string;
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
  readonly apiId: string;
  /** `dev`, `Prod`, `$default`… */
  readonly stage: string;
  /** `arn:{partition}:execute-api:{region}:{account}:{apiId}/{stage}/`: what every resource of this stage starts with. */
  readonly prefix: string;
  /** Everything after the prefix: `GET/orders/7`, `GET/`, `$connect`. */
  readonly tail: string;
}

/** A REST or HTTP API request ARN. */
export interface HttpArnParts extends ArnBase {
  readonly kind: "http";
  /** The verb as written (`GET`); not checked against a list, so the rules can refuse unknown ones. */
  readonly method: string;
  /** The request path with its leading `/` (`/orders/7`, `/` for the root), not decoded. */
  readonly path: string;
  readonly routeKey: null;
}

/**
 * A WebSocket route ARN: `…/{stage}/$connect`, a route key instead of verb and path. Authorizers run
 * only on `$connect`, so no other route key is accepted.
 */
export interface RouteArnParts extends ArnBase {
  readonly kind: "route";
  readonly routeKey: "$connect";
  readonly method: null;
  readonly path: null;
}

/**
 * A parsed method ARN (`kind: "http"`) or WebSocket route ARN (`kind: "route"`). Both carry `method`,
 * `path` and `routeKey`, `null` where they do not apply, so either test narrows the union.
 */
export type ArnParts = HttpArnParts | RouteArnParts;

/** API Gateway answers 414 for longer method ARNs, so anything longer is not one. */
export const MAX_ARN_LENGTH = 1600;

/**
 * The longest `arn:{partition}:execute-api:{region}:{account}:{apiId}/{stage}/` accepted, so that
 * `prefix + "*"` and the rules' resources stay within IAM's limits (`MAX_PREFIX` in rules.ts).
 */
export const MAX_ARN_PREFIX = 290;

const PARTITION = /^aws(?:-[a-z0-9]+){0,4}$/;
const REGION = /^[a-z0-9-]{1,32}$/;
/**
 * Account and API id: any 1 to 64 printable ASCII characters that cannot reach another field or
 * widen a resource: no `:` `/` (field separators), `*` `?` (IAM wildcards), `$` `{` `}` (policy
 * variables), `"` `\`, whitespace or control characters. AWS sends 12 digits and a 10-character id;
 * emulators send other values (serverless-offline: `random-account-id`, `random-api-id`).
 */
const ID = /^[!#%&'()+,\-.0-9;<=>@A-Z[\]^_`a-z|~]{1,64}$/;
const STAGE = /^(?:\$default|[A-Za-z0-9_-]{1,128})$/;
const VERB = /^[A-Z]{1,16}$/;
// Paths: anything printable; `*` and `?` are legal in a path and handled by the policy builder.
const CONTROL = /[\u0000-\u001f\u007f]/;

/** The part of a method or route ARN that {@link arnFault} reports as wrong. */
export type ArnFault =
  | "type"
  | "length"
  | "format"
  | "service"
  | "partition"
  | "region"
  | "account"
  | "API id"
  | "stage"
  | "prefix length"
  | "method"
  | "path"
  | "route key";

/**
 * Splits a method ARN or route ARN. Returns `null` for anything malformed, never throws: wrong
 * prefix or service, a partition that is not `aws`/`aws-*`, an account or API id that is empty,
 * longer than 64 characters or holds a character outside printable ASCII or one of
 * `: / * ? $ { } " \`, an oddly shaped stage, a verb that is not upper-case letters, a tail that is
 * neither `VERB/path` nor `$connect`, control characters in the path, a stage prefix longer than
 * {@link MAX_ARN_PREFIX} or more than {@link MAX_ARN_LENGTH} characters. {@link arnFault} says which.
 *
 * @example
 * parseArn("arn:aws:execute-api:us-east-1:123456789012:abcdef1234/dev/GET/orders/7")
 * // { kind: "http", partition: "aws", region: "us-east-1", accountId: "123456789012", apiId: "abcdef1234",
 * //   stage: "dev", method: "GET", path: "/orders/7", prefix: "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/dev/", … }
 * parseArn("arn:aws-cn:execute-api:cn-north-1:123456789012:abcdef1234/prod/$connect") // { kind: "route", routeKey: "$connect", … }
 * parseArn("arn:aws:execute-api:us-east-1:random-account-id:random-api-id/dev/GET/") // serverless-offline's: accepted
 * parseArn("arn:aws:s3:::bucket") // null
 */
export function parseArn(arn: unknown): ArnParts | null {
  const parts = scanArn(arn);
  return typeof parts === "string" ? null : parts;
}

/**
 * Which part of `arn` makes {@link parseArn} refuse it, or `null` when it is a valid ARN: for logs,
 * which must say what is wrong without echoing the ARN.
 *
 * @example
 * arnFault("arn:aws:execute-api:us-east-1:*:abcdef1234/dev/GET/") // "account"
 */
export function arnFault(arn: unknown): ArnFault | null {
  const parts = scanArn(arn);
  return typeof parts === "string" ? parts : null;
}

/** The validated fields of a stage prefix (`arn:…:{apiId}/{stage}/`). */
interface StagePrefix {
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
  readonly apiId: string;
  readonly stage: string;
  readonly prefix: string;
}

/**
 * Stage prefixes already validated, by their text: a function serves a few API stages, so every
 * request after the first skips the six field checks of its prefix. Only valid prefixes are kept
 * (an invalid one is checked, and refused, every time), and at most {@link MAX_KNOWN_PREFIXES}.
 */
const knownPrefixes = new Map<string, StagePrefix>();
const MAX_KNOWN_PREFIXES = 64;

function scanArn(arn: unknown): ArnParts | ArnFault {
  if (typeof arn !== "string") return "type";
  if (arn.length > MAX_ARN_LENGTH) return "length";
  // A valid prefix holds exactly two slashes, at its end and before the stage: the text up to the
  // second slash is the prefix whenever the ARN starts with a known one.
  const first = arn.indexOf("/");
  const second = first === -1 ? -1 : arn.indexOf("/", first + 1);
  const known = second === -1 ? undefined : knownPrefixes.get(arn.slice(0, second + 1));
  const parts = known ?? scanPrefix(arn);
  if (typeof parts === "string") return parts;
  return scanTail(arn, parts);
}

/** The checks of everything up to the stage's slash, in the order {@link arnFault} reports them. */
function scanPrefix(arn: string): StagePrefix | ArnFault {
  // Only the first five colons separate ARN fields; the resource part may contain more (paths can).
  const c1 = arn.indexOf(":");
  const c2 = arn.indexOf(":", c1 + 1);
  const c3 = arn.indexOf(":", c2 + 1);
  const c4 = arn.indexOf(":", c3 + 1);
  const c5 = arn.indexOf(":", c4 + 1);
  if (c1 === -1 || c2 === -1 || c3 === -1 || c4 === -1 || c5 === -1 || arn.slice(0, c1) !== "arn")
    return "format";
  if (arn.slice(c2 + 1, c3) !== "execute-api") return "service";
  const partition = arn.slice(c1 + 1, c2);
  const region = arn.slice(c3 + 1, c4);
  const accountId = arn.slice(c4 + 1, c5);
  if (partition.length > 32 || !PARTITION.test(partition)) return "partition";
  if (!REGION.test(region)) return "region";
  if (!ID.test(accountId)) return "account";
  const s1 = arn.indexOf("/", c5 + 1);
  const s2 = s1 === -1 ? -1 : arn.indexOf("/", s1 + 1);
  if (s2 === -1) return "format";
  const apiId = arn.slice(c5 + 1, s1);
  const stage = arn.slice(s1 + 1, s2);
  if (!ID.test(apiId)) return "API id";
  if (!STAGE.test(stage)) return "stage";
  if (s2 + 1 > MAX_ARN_PREFIX) return "prefix length";
  const prefix = arn.slice(0, s2 + 1);
  const parts: StagePrefix = { partition, region, accountId, apiId, stage, prefix };
  if (knownPrefixes.size >= MAX_KNOWN_PREFIXES) knownPrefixes.clear();
  knownPrefixes.set(prefix, parts);
  return parts;
}

/** The route after a valid stage prefix: `VERB/path`, or `$connect`. */
function scanTail(arn: string, stagePrefix: StagePrefix): ArnParts | ArnFault {
  const { partition, region, accountId, apiId, stage, prefix } = stagePrefix;
  const tail = arn.slice(prefix.length);
  // Object literals written out, not spread: spreading then adding keys takes a slow path in V8
  // (about 4 µs per call on Node 20), and this runs on every request.
  const s3 = tail.indexOf("/");
  if (s3 === -1) {
    if (tail !== "$connect") return "route key";
    return {
      arn,
      partition,
      region,
      accountId,
      apiId,
      stage,
      prefix,
      tail,
      kind: "route",
      routeKey: "$connect",
      method: null,
      path: null,
    };
  }
  const method = tail.slice(0, s3);
  const path = tail.slice(s3);
  if (!VERB.test(method)) return "method";
  if (CONTROL.test(path)) return "path";
  return {
    arn,
    partition,
    region,
    accountId,
    apiId,
    stage,
    prefix,
    tail,
    kind: "http",
    method,
    path,
    routeKey: null,
  };
}

/**
 * What the rules should decide for this ARN: `{ method, path }` for REST/HTTP, `{ routeKey }` for a
 * WebSocket route.
 *
 * @example
 * arnTarget(parseArn("arn:aws:execute-api:eu-west-1:123456789012:abc/dev/GET/")!) // { method: "GET", path: "/" }
 */
export function arnTarget(parts: ArnParts): RuleTarget {
  return parts.kind === "http" ? { method: parts.method, path: parts.path } : { routeKey: parts.routeKey };
}

/**
 * A resource ARN of the same partition, region, account, API and stage as `parts`, ending in `tail`
 * (an IAM glob such as `GET/orders/*`).
 *
 * @example
 * stageResource(parts, "GET/orders/*") // "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/dev/GET/orders/*"
 */
export function stageResource(parts: Pick<ArnBase, "prefix">, tail: string): string {
  return parts.prefix + tail;
}

/**
 * The resource covering every method, route and path of the ARN's stage: `…/{stage}/*`.
 *
 * @example
 * stageWildcard(parts) // "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/dev/*"
 */
export function stageWildcard(parts: Pick<ArnBase, "prefix">): string {
  return `${parts.prefix}*`;
}

/**
 * Builds the prefix of a stage from its parts (for emulators and tests that make ARNs).
 *
 * @example
 * buildArn({ partition: "aws", region: "us-east-1", accountId: "123456789012", apiId: "abcdef1234", stage: "dev" }, "GET/")
 * // "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/dev/GET/"
 */
export function buildArn(
  parts: Pick<ArnBase, "partition" | "region" | "accountId" | "apiId" | "stage">,
  tail: string,
): string {
  return `arn:${parts.partition}:execute-api:${parts.region}:${parts.accountId}:${parts.apiId}/${parts.stage}/${tail}`;
}
