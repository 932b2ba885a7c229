/**
 * What `gatepass bundle --config` puts in place of the remote key sources (`keys/jwks/remote-jwks.ts`,
 * `keys/discovery.ts`) when no issuer of the embedded configuration has `jwksUri` or `discovery`:
 * the bundle then carries no JWKS fetching, caching or discovery code. The names are typed against
 * the modules they replace; reaching one would mean the configuration changed after validation,
 * and fails the cold start.
 */
import type { DiscoveryKeySource as Discovery } from "../keys/discovery.js";
import type {
  getSharedRemoteJwks as GetSharedRemoteJwks,
  RemoteJwksSource as Remote,
} from "../keys/jwks/remote-jwks.js";

function absent(): never {
  throw new Error("this bundle has no remote key sources: its configuration has no jwksUri or discovery");
}

export const RemoteJwksSource = class {
  constructor() {
    absent();
  }
} as unknown as typeof Remote;

export const DiscoveryKeySource = class {
  constructor() {
    absent();
  }
} as unknown as typeof Discovery;

export const getSharedRemoteJwks: typeof GetSharedRemoteJwks = absent;
