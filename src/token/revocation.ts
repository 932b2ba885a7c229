import type { RevocationConfig } from "../config/types.js";
import { AuthError, AuthErrorCodes } from "../errors.js";
import { describeUrl, fetchJson } from "../keys/jwks/fetch-json.js";
import { DocumentError, DocumentUnavailableError, RemoteDocument } from "../keys/remote-document.js";
import { type Logger, silentLogger } from "../log.js";
import { fileSystem } from "../util/builtins.js";
import { isJsonObject, type JsonObject } from "../util/json.js";

/**
 * An issuer's revocation list (`issuers[].revocation`): a JSON document, at a URL or in a file,
 *
 * ```json
 * { "revoked_jti": ["9f1c…", "…"], "subjects": { "user-42": 1767225600 } }
 * ```
 *
 * - `revoked_jti`: the `jti`s of revoked tokens (strings of 1 to 256 characters);
 * - `subjects`: per `sub`, a "not before" time (NumericDate, seconds): every token of that subject
 *   issued before it (`iat` < the time, or without `iat`) is revoked, so one entry signs a user out
 *   of every older token;
 * - other members are ignored; both members are optional; at most `maxEntries` entries in all and
 *   `maxResponseBytes` bytes. A document that breaks these rules is refused as a whole (a failed
 *   fetch: the last good list stays in use within its stale window), never half read.
 *
 * It is fetched and cached by {@link RemoteDocument} (max age, single flight, cooldown, stale if
 * error); a fresh list answers without a promise. A token without `jti` is judged by its subject.
 */

/** The parsed list. */
export interface RevocationList {
  readonly jtis: ReadonlySet<string>;
  readonly subjects: ReadonlyMap<string, number>;
}

/** The longest `jti` or `sub` accepted in a list. */
const MAX_ID_LENGTH = 256;

/** Parses a list document; throws a {@link DocumentError} (safe to log) for one that breaks the format. */
export function parseRevocationList(doc: JsonObject, maxEntries: number): RevocationList {
  const jtis = new Set<string>();
  const subjects = new Map<string, number>();
  const listed = doc.revoked_jti;
  if (listed !== undefined) {
    if (!Array.isArray(listed)) throw new DocumentError("revoked_jti is not an array");
    if (listed.length > maxEntries) throw new DocumentError(`more than ${maxEntries} entries`);
    for (const jti of listed) {
      if (typeof jti !== "string" || jti.length === 0 || jti.length > MAX_ID_LENGTH)
        throw new DocumentError(
          `revoked_jti holds a value that is not a string of 1 to ${MAX_ID_LENGTH} characters`,
        );
      jtis.add(jti);
    }
  }
  const subs = doc.subjects;
  if (subs !== undefined) {
    if (!isJsonObject(subs)) throw new DocumentError("subjects is not an object");
    const names = Object.keys(subs);
    if (jtis.size + names.length > maxEntries) throw new DocumentError(`more than ${maxEntries} entries`);
    for (const sub of names) {
      const at = subs[sub];
      if (sub.length === 0 || sub.length > MAX_ID_LENGTH)
        throw new DocumentError(`subjects holds a name that is not 1 to ${MAX_ID_LENGTH} characters`);
      if (typeof at !== "number" || !Number.isFinite(at) || at < 0)
        throw new DocumentError("subjects holds a time that is not a NumericDate");
      subjects.set(sub, at);
    }
  }
  return { jtis, subjects };
}

/** Effects the check may use, injected so tests control time and the network. */
export interface RevocationDeps {
  readonly now: () => number;
  readonly fetch: typeof fetch | undefined;
  readonly logger?: Logger;
}

/** Reads a list file with the fetch's size cap; failures are {@link DocumentError}s. */
async function readListFile(path: string, maxBytes: number): Promise<JsonObject> {
  const fs = fileSystem();
  let text: string;
  try {
    const { size } = await fs.promises.stat(path);
    if (size > maxBytes) throw new DocumentError(`file larger than ${maxBytes} bytes`);
    text = await fs.promises.readFile(path, "utf8");
  } catch (error) {
    if (error instanceof DocumentError) throw error;
    throw new DocumentError(`cannot read the file (${(error as NodeJS.ErrnoException).code ?? "error"})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new DocumentError("invalid JSON");
  }
  if (!isJsonObject(value)) throw new DocumentError("not a JSON object");
  return value;
}

/**
 * The revocation check of one issuer. `check` returns (nothing) for a token that is not revoked,
 * synchronously while the list is fresh, and throws an `AuthError` (`ERR_JWT_REVOKED`, or
 * `ERR_REVOCATION_UNAVAILABLE` with `onUnavailable: "deny"`) otherwise.
 */
export class RevocationCheck {
  readonly document: RemoteDocument<RevocationList>;
  private readonly config: RevocationConfig;
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly where: string;
  private lastAllowWarning = Number.NEGATIVE_INFINITY;

  constructor(config: RevocationConfig, deps: RevocationDeps) {
    this.config = config;
    this.logger = deps.logger ?? silentLogger;
    this.now = deps.now;
    const url = config.url;
    this.where = url !== undefined ? describeUrl(url) : `file ${config.file}`;
    const maxBytes = config.maxResponseBytes;
    this.document = new RemoteDocument<RevocationList>({
      settings: config,
      load:
        url !== undefined
          ? () =>
              fetchJson(url, { timeoutMs: config.timeoutMs, maxResponseBytes: maxBytes, fetch: deps.fetch })
          : () => readListFile(config.file!, maxBytes),
      parse: (doc) => parseRevocationList(doc, config.maxEntries),
      where: this.where,
      events: { fetched: "revocation_fetched", failed: "revocation_fetch_failed" },
      now: deps.now,
      logger: this.logger,
    });
  }

  /** Refuses a revoked token (see the class). */
  check(payload: JsonObject): void | Promise<void> {
    let list: RevocationList | Promise<RevocationList>;
    try {
      list = this.document.get();
    } catch (error) {
      return this.unavailable(error);
    }
    if (list instanceof Promise)
      return list.then(
        (l) => judge(l, payload),
        (error: unknown) => this.unavailable(error),
      );
    judge(list, payload);
  }

  hydrate(): Promise<void> {
    return this.document.hydrate();
  }

  /** No usable list: the configured policy. */
  private unavailable(error: unknown): void {
    const reason = error instanceof DocumentUnavailableError ? error.reason : "unexpected error";
    if (this.config.onUnavailable === "deny") {
      throw new AuthError(
        AuthErrorCodes.REVOCATION_UNAVAILABLE,
        `The revocation list is unavailable from ${this.where} (${reason}).`,
        { cause: error },
      );
    }
    // Allowed by policy: said once per cooldown, not on every call.
    const t = this.now();
    if (t - this.lastAllowWarning >= this.config.cooldownSeconds * 1000) {
      this.lastAllowWarning = t;
      this.logger.warn("revocation_unchecked", {
        uri: this.where,
        reason,
        detail: 'the revocation list is unavailable: tokens are accepted unchecked (onUnavailable: "allow")',
      });
    }
  }
}

/** Throws `ERR_JWT_REVOKED` when the list names the token's `jti`, or its subject after its `iat`. */
function judge(list: RevocationList, payload: JsonObject): void {
  const jti = payload.jti;
  if (typeof jti === "string" && list.jtis.has(jti))
    throw new AuthError(AuthErrorCodes.REVOKED, "The token's jti is on the issuer's revocation list.");
  const sub = payload.sub;
  if (typeof sub !== "string") return;
  const notBefore = list.subjects.get(sub);
  if (notBefore === undefined) return;
  const iat = payload.iat;
  if (typeof iat !== "number" || !(iat >= notBefore))
    throw new AuthError(
      AuthErrorCodes.REVOKED,
      typeof iat === "number"
        ? "The token was issued before its subject's not-before time on the revocation list."
        : "The token's subject has a not-before time on the revocation list and the token has no iat.",
    );
}
