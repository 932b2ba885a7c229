import type { IssuerConfig } from "../config/types.js";
import { ConfigError } from "../errors.js";
import type { Logger } from "../log.js";
import { fileSystem } from "../util/builtins.js";
import { jsonErrorPosition } from "../util/json.js";
import { ALGORITHMS, type Algorithm, algorithmsForKey, unusableKeyReason } from "./algorithms.js";
import { DiscoveryKeySource } from "./discovery.js";
import { bindKey, importJwk, importPem, importSecret, newKeyId } from "./import.js";
import { getSharedRemoteJwks, RemoteJwksSource } from "./jwks/remote-jwks.js";
import { KeySet, StaticKeySource } from "./key-set.js";
import type { KeyEventCounter, KeySource, VerificationKey } from "./types.js";

/** Effects a key source may use, injected so tests control time and the network. */
export interface KeySourceDeps {
  now: () => number;
  fetch: typeof fetch | undefined;
  logger: Logger;
  /** Use the process-wide registry of remote key sets (warm Lambda reuse) [true]. */
  shared: boolean;
  /** Counts remote key-set events (metrics) [none]. */
  counter?: KeyEventCounter | undefined;
}

/** Every asymmetric algorithm: the default allowlist of a remote key set, whose keys are not known yet. */
const ASYMMETRIC: readonly Algorithm[] = ALGORITHMS.filter((a) => !a.startsWith("HS"));

function readJwksFile(path: string, field: string): { keys: unknown[] } {
  let text: string;
  try {
    text = fileSystem().readFileSync(path, "utf8");
  } catch (error) {
    throw new ConfigError(
      field,
      `cannot read ${JSON.stringify(path)} (${(error as NodeJS.ErrnoException).code ?? "error"}).`,
    );
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    // Node's message quotes the text around the error, which may be key material.
    throw new ConfigError(field, `${JSON.stringify(path)} is not valid JSON (${jsonErrorPosition(error)}).`);
  }
  const keys = (doc as { keys?: unknown })?.keys;
  if (!Array.isArray(keys))
    throw new ConfigError(field, `the file ${JSON.stringify(path)} is not a JWKS ({"keys": [...]}).`);
  return { keys };
}

/**
 * Imports an inline or file JWKS; keys that cannot be used are configuration errors, not silent
 * skips. A key set is public by nature: one that mixes shared secrets (`oct`) with public keys is
 * refused, since which of its keys may verify a token is then ambiguous (an HS256 token would
 * verify under a "public" set's secret).
 */
function importKeySet(
  jwks: { keys: unknown[] },
  allowed: readonly Algorithm[],
  field: string,
): VerificationKey[] {
  const kinds = new Set(
    jwks.keys.map((jwk) => ((jwk as { kty?: unknown } | null)?.kty === "oct" ? "secret" : "public")),
  );
  if (kinds.size > 1) {
    throw new ConfigError(
      field,
      'mixes shared secrets (kty "oct") with public keys; a key set is public by nature: put shared secrets in the issuer\'s "secret" and keep the public keys in "jwks".',
    );
  }
  return jwks.keys.map((jwk, i) => {
    const result = importJwk(jwk as Record<string, unknown>, allowed, { allowSymmetric: true });
    if (!result.ok) throw new ConfigError(`${field}.keys[${i}]`, `${result.reason}.`);
    return result.key;
  });
}

/**
 * The key source of an issuer with shared secrets: one key (the first secret) carrying the others
 * as {@link VerificationKey.alternates}, so a token without `kid` verifies under any of them. Each
 * secret verifies the HMAC algorithms it is long enough for (of the allowlist, if any); with
 * `allowInsecureShortSecret`, a shorter one verifies the allowlist's HMAC algorithms, by default
 * HS256 only. The issuer's algorithms are their union.
 */
function secretKeySource(
  issuer: IssuerConfig,
  field: string,
): { source: KeySource; algorithms: Algorithm[] } {
  const secrets = [issuer.secret!].flat();
  const keys = secrets.map((secret, i) => {
    const key = importSecret(secret);
    const byLength = algorithmsForKey(key).filter((a) => issuer.algorithms?.includes(a) ?? true);
    // The opt-in accepts the allowlist's HMAC algorithms whatever the length (as the schema did).
    const usable = !issuer.allowInsecureShortSecret
      ? byLength
      : (issuer.algorithms?.filter((a) => a.startsWith("HS")) ??
        (byLength.length > 0 ? byLength : ["HS256" as const]));
    const name = Array.isArray(issuer.secret) ? `${field}.secret[${i}]` : `${field}.secret`;
    if (usable.length === 0) throw new ConfigError(name, `${unusableKeyReason(key)}.`);
    // Shared secrets are not judged (there is nothing to judge in random bytes): bound as they are.
    return { kid: undefined, key, algorithms: new Set(usable), id: newKeyId("secret") } as VerificationKey;
  });
  const algorithms = issuer.algorithms ?? ALGORITHMS.filter((a) => keys.some((k) => k.algorithms.has(a)));
  const [first, ...rest] = keys;
  const key: VerificationKey =
    rest.length === 0
      ? first!
      : { ...first!, algorithms: new Set(algorithms), alternates: [first!, ...rest] };
  return { source: new StaticKeySource(new KeySet([key], { ignoreKid: true })), algorithms };
}

/**
 * Builds the key source of one issuer and its effective algorithm allowlist (the configured one,
 * or what the key source can verify). Everything that can be checked without the network is
 * checked here, at cold start, and throws a `ConfigError` naming `field`.
 */
export function createKeySource(
  issuer: IssuerConfig,
  field: string,
  deps: KeySourceDeps,
): { source: KeySource; algorithms: Algorithm[] } {
  // A single configured key: checkIssuerKeys has already checked it against the allowlist (secret
  // length per HS algorithm, PEM type and size), so this only imports and binds it.
  if (issuer.secret !== undefined) return secretKeySource(issuer, field);
  if (issuer.publicKey !== undefined) {
    const key = importPem(issuer.publicKey);
    const algorithms = issuer.algorithms ?? algorithmsForKey(key);
    const bound = bindKey(key, undefined, undefined, algorithms, "pem");
    if (!bound.ok) throw new ConfigError(`${field}.publicKey`, `${bound.reason}.`);
    return { source: new StaticKeySource(new KeySet([bound.key], { ignoreKid: true })), algorithms };
  }
  const seed = issuer.jwksFile !== undefined ? readJwksFile(issuer.jwksFile, `${field}.jwksFile`) : undefined;
  if (issuer.jwks !== undefined || (seed && issuer.jwksUri === undefined && !issuer.discovery)) {
    const jwks = issuer.jwks ?? seed!;
    const keys = importKeySet(
      jwks,
      issuer.algorithms ?? ALGORITHMS,
      issuer.jwks ? `${field}.jwks` : `${field}.jwksFile`,
    );
    const verifiable = new Set(keys.flatMap((k) => [...k.algorithms]));
    const orphan = issuer.algorithms?.find((alg) => !verifiable.has(alg));
    if (orphan) throw new ConfigError(`${field}.algorithms`, `no key in the key set can verify ${orphan}.`);
    return {
      source: new StaticKeySource(new KeySet(keys)),
      algorithms: issuer.algorithms ?? [...verifiable],
    };
  }
  const algorithms = issuer.algorithms ?? [...ASYMMETRIC];
  const options = {
    cache: issuer.jwksCache,
    now: deps.now,
    fetch: deps.fetch,
    logger: deps.logger,
    counter: deps.counter,
    allowedAlgorithms: algorithms,
    seed,
  };
  if (issuer.jwksUri !== undefined) {
    const source = deps.shared
      ? getSharedRemoteJwks(issuer.jwksUri, options)
      : new RemoteJwksSource(issuer.jwksUri, options);
    return { source, algorithms };
  }
  if (issuer.discovery && issuer.issuer !== null) {
    return { source: new DiscoveryKeySource(issuer.issuer, { ...options, shared: deps.shared }), algorithms };
  }
  throw new ConfigError(
    field,
    "needs a key source: one of secret, publicKey, jwks, jwksFile, jwksUri or discovery.",
  );
}
