import type { GatepassConfig } from "../config/types.js";
import { rulesFor } from "../lambda/config.js";

/** What a configuration's identity-provider presets expanded to, and which methods its rules leave open. */

/** One issuer a preset expanded to: the generic checks it runs (never key material). */
export interface PresetExpansion {
  entry: string;
  preset: string;
  issuer: string | null;
  keys: string;
  audience: string[] | null;
  algorithms: string[] | null;
  typ: string | null;
  clientId?: string[];
  clientIdClaim?: string[];
  requiredClaimValues?: Record<string, string[]>;
  scopeClaims: string[];
}

/** The preset entries of a configuration, as {@link PresetExpansion}s. */
export function presetsOf(config: GatepassConfig): PresetExpansion[] {
  return config.issuers
    .filter((i) => i.preset !== undefined)
    .map((i) => ({
      entry: `issuers[${i.origin}]`,
      preset: i.preset!,
      issuer: i.issuer,
      keys:
        i.jwksUri !== undefined
          ? `jwksUri ${i.jwksUri}`
          : i.discovery
            ? "discovery"
            : i.jwks !== undefined
              ? "jwks (inline)"
              : i.jwksFile !== undefined
                ? `jwksFile ${i.jwksFile}`
                : "publicKey",
      audience: i.audience,
      algorithms: i.algorithms,
      typ: i.typ,
      ...(i.clientId ? { clientId: i.clientId, clientIdClaim: i.clientIdClaim ?? ["client_id"] } : {}),
      ...(i.requiredClaimValues ? { requiredClaimValues: i.requiredClaimValues } : {}),
      scopeClaims: i.scopeClaims ?? ["scope", "scp"],
    }));
}

/** A rule path whose other methods any authenticated principal may call (unmatched routes allowed). */
export interface UnmatchedMethods {
  path: string;
  methods: string[];
  decidedBy: string;
}

/** The configuration's rule paths with methods left to an allowing unmatched-route answer. */
export function unmatchedMethodsOf(config: GatepassConfig): UnmatchedMethods[] {
  return rulesFor(config).unmatchedMethods.map((u) => ({
    path: u.path,
    methods: [...u.methods],
    decidedBy: u.decidedBy,
  }));
}
