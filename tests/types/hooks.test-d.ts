/**
 * Type-level tests of the library hooks (`check`, `context`), checked by `tsc` in
 * `npm run typecheck` (never run): the hook shapes users write are accepted, wrong answers are not.
 */
import { createAuthorizer, createVerifier, type TokenCheck } from "../../src/index.js";

const issuers = [{ issuer: "https://id.example.com/", audience: ["orders-api"], discovery: true }];

// A check may return nothing, a boolean, or an ERR_* code of its own; sync or async.
const quiet: TokenCheck = (payload) => {
  void payload.tenant;
};
const flag: TokenCheck = (payload) => payload.tenant === "acme";
const coded: TokenCheck = (payload) => (payload.tenant === "x" ? "ERR_TENANT_SUSPENDED" : undefined);
const later: TokenCheck = async (_payload, header, { issuer }) => {
  await Promise.resolve(header.kid ?? issuer);
};
export const verifiers = [quiet, flag, coded, later].map((check) => createVerifier({ issuers }, { check }));

// @ts-expect-error a refusal code has the ERR_ form
export const badCode: TokenCheck = () => "TENANT_SUSPENDED";
// @ts-expect-error a check answers no objects
export const badObject: TokenCheck = () => ({ refuse: true });

export const handler = createAuthorizer(
  { issuers },
  {
    check: coded,
    context: (payload) => ({ plan: "gold", seats: 3, trial: false, tenant: String(payload.tenant) }),
  },
);
export const asyncContext = createAuthorizer({ issuers }, { context: async () => undefined });
// @ts-expect-error context values are strings, numbers or booleans
export const nested = createAuthorizer({ issuers }, { context: () => ({ roles: ["a"] }) });
