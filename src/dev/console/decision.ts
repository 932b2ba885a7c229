import { evaluatePolicy } from "../../policy/evaluate.js";

/**
 * Which statement of an authorizer's answer decided a request, and why, in one sentence. The
 * answer is the same IAM evaluation the gateway runs (`evaluatePolicy`): each statement is
 * evaluated alone to find the one that decided, so the sentence never disagrees with the verdict.
 */

export interface DecidingStatement {
  /** The policy's (or simple response's) answer for the ARN. */
  readonly effect: "allow" | "explicit-deny" | "implicit-deny";
  /** `policyDocument.Statement[index]`, or `null` when no single statement decided. */
  readonly index: number | null;
  readonly statement: unknown;
  readonly why: string;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const list = (value: unknown): string =>
  Array.isArray(value) ? value.map((v) => JSON.stringify(v)).join(", ") : JSON.stringify(value);

/**
 * Explains an authorizer answer (a policy response, a simple response, or a cached checked answer
 * of either) for `arn`; `null` when the answer is neither.
 *
 * @example
 * const arn = "arn:aws:execute-api:us-east-1:123456789012:gatepass01/dev/GET/admin/users";
 * decidingStatement({ principalId: "u", policyDocument: { Version: "2012-10-17", Statement: [
 *   { Effect: "Deny", Action: "execute-api:Invoke", Resource: arn }] } }, arn);
 * // { effect: "explicit-deny", index: 0, why: "an explicit Deny matches arn:…: Statement[0] (Resource "arn:…"); …" }
 */
export function decidingStatement(answer: unknown, arn: string): DecidingStatement | null {
  if (!isRecord(answer)) return null;
  if (!isRecord(answer.policyDocument)) {
    if (typeof answer.isAuthorized !== "boolean") return null;
    return answer.isAuthorized
      ? { effect: "allow", index: null, statement: null, why: "the simple response says isAuthorized: true" }
      : {
          effect: "implicit-deny",
          index: null,
          statement: null,
          why: "the simple response says isAuthorized: false (403 Forbidden)",
        };
  }
  const document = answer.policyDocument;
  const effect = evaluatePolicy(document, arn);
  const statements = Array.isArray(document.Statement) ? document.Statement : [];
  const version = document.Version ?? "2012-10-17";
  const alone = (statement: unknown) => evaluatePolicy({ Version: version, Statement: [statement] }, arn);
  /** The statement's first resource that decides alone (a statement often lists many). */
  const resourceOf = (statement: Record<string, unknown>): string => {
    const resources = statement.Resource;
    if (Array.isArray(resources)) {
      const found = resources.find((r) => alone({ ...statement, Resource: r }) === effect);
      if (found !== undefined) return JSON.stringify(found);
    }
    return list(resources ?? statement.NotResource);
  };
  if (effect === "explicit-deny") {
    const index = statements.findIndex((s) => alone(s) === "explicit-deny");
    const statement = statements[index];
    return {
      effect,
      index: index === -1 ? null : index,
      statement: statement ?? null,
      why: `an explicit Deny matches ${arn}${isRecord(statement) ? `: Statement[${index}], Resource ${resourceOf(statement)}` : ""}; a Deny wins over every Allow`,
    };
  }
  if (effect === "allow") {
    const index = statements.findIndex((s) => alone(s) === "allow");
    const statement = statements[index];
    return {
      effect,
      index: index === -1 ? null : index,
      statement: statement ?? null,
      why: `an Allow matches ${arn}${isRecord(statement) ? `: Statement[${index}], Resource ${resourceOf(statement)}` : ""}, and no Deny does`,
    };
  }
  const wouldAllow = statements.findIndex((s) => alone(s) === "allow");
  if (wouldAllow !== -1)
    return {
      effect,
      index: null,
      statement: null,
      why: `Statement[${wouldAllow}] would allow ${arn}, but another statement is malformed, so nothing is allowed`,
    };
  const allows = statements.filter((s) => isRecord(s) && s.Effect === "Allow");
  return {
    effect,
    index: null,
    statement: null,
    why:
      allows.length === 0
        ? `no Allow statement matches ${arn}: the policy has no Allow statement`
        : `no Allow statement matches ${arn}; the Allow statements cover ${allows.map((s) => list((s as Record<string, unknown>).Resource)).join("; ")}`,
  };
}
