/**
 * What `gatepass bundle --config` puts in place of the token-status layer (`token/status.ts`) when
 * no issuer of the embedded configuration has `revocation` or `introspection`, and in place of
 * `token/revocation.ts` or `token/introspection.ts` when only the other one is used: the bundle then
 * carries none of their code. The names are typed against the modules they replace; reaching one
 * that a configuration needs would mean it changed after validation, and fails the cold start.
 */
import type { Introspector as IntrospectorType } from "../token/introspection.js";
import type { RevocationCheck as RevocationCheckType } from "../token/revocation.js";
import type { tokenStatus as TokenStatus } from "../token/status.js";

function absent(what: string): never {
  throw new Error(`this bundle has no ${what} code: its configuration did not use it when it was built`);
}

export const tokenStatus: typeof TokenStatus = (cfg) =>
  cfg.issuers.some((i) => i.revocation !== undefined || i.introspection !== undefined)
    ? absent("revocation or introspection")
    : undefined;

export const RevocationCheck = class {
  constructor() {
    absent("revocation");
  }
} as unknown as typeof RevocationCheckType;

export const Introspector = class {
  constructor() {
    absent("introspection");
  }
} as unknown as typeof IntrospectorType;
