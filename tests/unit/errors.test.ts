/**
 * The reason codes: one union for every reason a request is refused (verification, event, rule,
 * internal), each with what API Gateway answers for it.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { AuthErrorCodes, ReasonCodes, reasonStatus } from "../../src/errors.js";
import type { RuleReason } from "../../src/rules/decisions.js";

describe("ReasonCodes", () => {
  test("one union for verification, event, rule and internal reasons, with the existing strings", () => {
    const codes = Object.values(ReasonCodes).sort();
    // Log field values are a contract: these strings never change.
    assert.deepEqual(codes, [
      "ERR_CERT_BINDING",
      "ERR_CHECK_REFUSED",
      "ERR_CLAIM_MISMATCH",
      "ERR_DPOP_INVALID",
      "ERR_EVENT_INVALID_ARN",
      "ERR_EVENT_UNSUPPORTED",
      "ERR_HOOK_FAILED",
      "ERR_INTERNAL",
      "ERR_INTROSPECTION_UNAVAILABLE",
      "ERR_JWKS_UNAVAILABLE",
      "ERR_JWT_ALGORITHM_NOT_ALLOWED",
      "ERR_JWT_AUDIENCE_INVALID",
      "ERR_JWT_CLAIM_INVALID",
      "ERR_JWT_CLAIM_MISSING",
      "ERR_JWT_CRIT_UNSUPPORTED",
      "ERR_JWT_EXPIRED",
      "ERR_JWT_IAT_INVALID",
      "ERR_JWT_ISSUER_INVALID",
      "ERR_JWT_MALFORMED",
      "ERR_JWT_MISSING",
      "ERR_JWT_NOT_YET_VALID",
      "ERR_JWT_REVOKED",
      "ERR_JWT_SIGNATURE_INVALID",
      "ERR_JWT_TOO_LARGE",
      "ERR_JWT_TYPE_INVALID",
      "ERR_KEY_NOT_FOUND",
      "ERR_KEY_REFUSED",
      "ERR_REVOCATION_UNAVAILABLE",
      "ERR_ROUTE_NOT_ALLOWED",
      "ERR_SCOPE_MISSING",
      "ERR_TOKEN_INACTIVE",
    ]);
    for (const code of Object.values(AuthErrorCodes)) assert.ok(codes.includes(code), code);
  });

  test("each code has its HTTP meaning: 403 when the rules refuse the route, 401 for everything else", () => {
    const rule: RuleReason[] = ["ERR_SCOPE_MISSING", "ERR_CLAIM_MISMATCH", "ERR_ROUTE_NOT_ALLOWED"];
    for (const code of Object.values(ReasonCodes)) {
      assert.equal(reasonStatus(code), rule.includes(code as RuleReason) ? 403 : 401, code);
    }
    assert.equal(reasonStatus(ReasonCodes.EVENT_UNSUPPORTED), 401);
    assert.equal(reasonStatus(ReasonCodes.INTERNAL), 401);
    assert.equal(reasonStatus(AuthErrorCodes.EXPIRED), 401);
  });
});
