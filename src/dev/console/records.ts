import type { CacheState, Verdict } from "../gateway.js";
import type { CheckedResponse } from "../policy-check.js";
import type { DevRequest } from "../request.js";
import type { LineOutcome } from "../request-line.js";
import { type DecidingStatement, decidingStatement } from "./decision.js";
import { createRedactor, credentialsOf, type IdentityNames, type TokenView, tokenView } from "./redact.js";

/**
 * The console's request records: one per request the gateway answered (the console's own requests
 * excepted), kept in a bounded ring in memory and pushed to subscribers (the server-sent event
 * stream). A record is captured cheaply on the request path (references only); its view — what the
 * console shows, credentials replaced (see `redact.ts`) — is built the first time it is asked for.
 */

/** The outcome groups the console filters by. */
export type OutcomeGroup = "allow" | "deny" | "unauthorized" | "error" | "other";

/** The group of a request line outcome: refusals by policy, usage plan or simple response are all `deny`. */
export function outcomeGroup(outcome: LineOutcome): OutcomeGroup {
  switch (outcome) {
    case "allow":
    case "unauthorized":
    case "error":
      return outcome;
    case "deny":
    case "implicit-deny":
    case "forbidden":
    case "invalid-api-key":
    case "throttled":
    case "quota-exceeded":
      return "deny";
    default:
      return "other";
  }
}

/** What the console shows of one request. Every string has credentials replaced. */
export interface RecordView {
  readonly id: number;
  readonly requestId: string;
  /** ISO time the request arrived. */
  readonly time: string;
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly outcome: LineOutcome;
  readonly group: OutcomeGroup;
  /** The authorizer's reason code (`ERR_SCOPE_MISSING`), when gatepass's authorizer gave one. */
  readonly reasonCode: string | null;
  /** The gateway's sentence, then the authorizer's explanation. */
  readonly reason: string;
  readonly authorizerReason: string | null;
  readonly principal: string | null;
  readonly cache: CacheState | null;
  readonly durationMs: number;
  /** The JWTs the request carried, decoded, signatures elided. */
  readonly tokens: readonly TokenView[];
  /** The authorizer's event and answer (`cached` on a cache hit: no event then). */
  readonly authorizer: {
    readonly event: unknown;
    readonly answer: unknown;
    readonly error: string | null;
    readonly cached: boolean;
  } | null;
  /** Which statement decided, and why. */
  readonly decision: DecidingStatement | null;
  /** The backend's event and answer (Lambda backends), or what it is. */
  readonly backend: {
    readonly description: string;
    readonly event: unknown;
    readonly answer: unknown;
  } | null;
}

/** What a backend reports about one call, when asked (Lambda backends fill both). */
export interface BackendTrace {
  event?: unknown;
  answer?: unknown;
}

/** What the request handlers know when a request ends. */
export interface FinishedRequest {
  readonly request: DevRequest;
  readonly status: number;
  readonly outcome: LineOutcome;
  readonly verdict: Verdict | undefined;
  readonly durationMs: number;
  /** gatepass's decision explanation (`ERR_… : detail: rule …`). */
  readonly explained: string | undefined;
  readonly backend?: BackendTrace;
}

interface AuthorizerCall {
  event?: Record<string, unknown>;
  answer?: unknown;
  error?: string;
  cached: boolean;
}

/** One entry of the ring: the raw capture, and its view once built. */
interface Entry {
  readonly id: number;
  readonly finished: FinishedRequest;
  readonly call: AuthorizerCall | undefined;
  view?: RecordView;
}

export interface RecorderOptions {
  /** Records kept [200]. */
  readonly capacity?: number;
  /** The identity sources' names: their values are credentials. */
  readonly identity: IdentityNames;
  /** The request ARN the policy is evaluated against (as the gateway builds it). */
  readonly arnOf: (request: DevRequest) => string;
  /** `demo`, `upstream http://…`, `lambda …`. */
  readonly backendDescription: string;
}

const DEFAULT_CAPACITY = 200;
/** Authorizer calls waiting for their request to end (a client that went away leaves one). */
const MAX_PENDING_CALLS = 1000;

/** A reason code at the start of an explanation: `ERR_SCOPE_MISSING: …`. */
const REASON_CODE = /^(ERR_[A-Z0-9_]+)\b/;

/** The request records and their subscribers; also the gateway's authorizer observer. */
export class RequestRecorder {
  private readonly entries: Entry[] = [];
  private readonly pending = new Map<string, AuthorizerCall>();
  private readonly subscribers = new Set<(view: RecordView) => void>();
  private readonly capacity: number;
  private nextId = 1;

  constructor(private readonly options: RecorderOptions) {
    this.capacity = Math.max(1, options.capacity ?? DEFAULT_CAPACITY);
  }

  /** Seen by the gateway: the authorizer ran. */
  invoked(
    requestId: string,
    event: Record<string, unknown>,
    answer: { ok: true; value: unknown } | { ok: false; error: string },
  ): void {
    this.remember(
      requestId,
      answer.ok
        ? { event, answer: answer.value, cached: false }
        : { event, error: answer.error, cached: false },
    );
  }

  /** Seen by the gateway: a cached answer was reused. */
  cached(requestId: string, answer: CheckedResponse): void {
    const shown =
      answer.kind === "policy"
        ? {
            principalId: answer.principalId,
            policyDocument: answer.policyDocument,
            context: answer.context,
            ...(answer.usageIdentifierKey !== null ? { usageIdentifierKey: answer.usageIdentifierKey } : {}),
          }
        : { isAuthorized: answer.isAuthorized, context: answer.context };
    this.remember(requestId, { answer: shown, cached: true });
  }

  private remember(requestId: string, call: AuthorizerCall): void {
    this.pending.set(requestId, call);
    if (this.pending.size > MAX_PENDING_CALLS) {
      const oldest = this.pending.keys().next();
      if (!oldest.done) this.pending.delete(oldest.value);
    }
  }

  /** Records a finished request and tells the subscribers. */
  record(finished: FinishedRequest): void {
    const requestId = finished.request.requestId;
    const call = this.pending.get(requestId);
    if (call !== undefined) this.pending.delete(requestId);
    const entry: Entry = { id: this.nextId++, finished, call };
    this.entries.push(entry);
    if (this.entries.length > this.capacity) this.entries.shift();
    if (this.subscribers.size === 0) return;
    const view = this.viewOf(entry);
    for (const subscriber of this.subscribers) subscriber(view);
  }

  /** The records kept, oldest first. */
  views(): RecordView[] {
    return this.entries.map((entry) => this.viewOf(entry));
  }

  /** The first JWT record `id`'s request carried (for the explainer; never sent to the page). */
  tokenOf(id: number): string | undefined {
    const entry = this.entries.find((e) => e.id === id);
    if (entry === undefined) return undefined;
    return credentialsOf(entry.finished.request, this.options.identity).tokens[0];
  }

  /** Calls `subscriber` with each new record until the returned function is called. */
  subscribe(subscriber: (view: RecordView) => void): () => void {
    this.subscribers.add(subscriber);
    return () => this.subscribers.delete(subscriber);
  }

  private viewOf(entry: Entry): RecordView {
    entry.view ??= buildView(entry.id, entry.finished, entry.call, this.options);
    return entry.view;
  }
}

/** The view of one record (credentials replaced everywhere). */
export function buildView(
  id: number,
  finished: FinishedRequest,
  call: AuthorizerCall | undefined,
  options: Pick<RecorderOptions, "identity" | "arnOf" | "backendDescription">,
): RecordView {
  const { request, verdict, explained } = finished;
  const credentials = credentialsOf(request, options.identity);
  const redact = createRedactor(credentials.secrets);
  const arn = options.arnOf(request);
  const answer = call?.answer;
  const view: RecordView = {
    id,
    requestId: request.requestId,
    time: new Date(request.timeEpoch).toISOString(),
    method: request.method,
    path: request.path,
    status: finished.status,
    outcome: finished.outcome,
    group: outcomeGroup(finished.outcome),
    reasonCode: explained !== undefined ? (REASON_CODE.exec(explained)?.[1] ?? null) : null,
    reason: verdict?.reason ?? reasonOf(finished.outcome),
    authorizerReason: explained ?? null,
    principal: verdict?.allowed ? verdict.caller.principalId : principalOfAnswer(answer),
    cache: verdict?.cache ?? null,
    durationMs: finished.durationMs,
    tokens: credentials.tokens.slice(0, 4).map(tokenView),
    authorizer: call
      ? { event: call.event ?? null, answer: answer ?? null, error: call.error ?? null, cached: call.cached }
      : null,
    decision: answer !== undefined && call?.error === undefined ? decidingStatement(answer, arn) : null,
    backend: finished.backend
      ? {
          description: options.backendDescription,
          event: finished.backend.event ?? null,
          answer: finished.backend.answer ?? null,
        }
      : null,
  };
  return redact(view) as RecordView;
}

/** The `principalId` of a policy answer (a refused request has one too). */
function principalOfAnswer(answer: unknown): string | null {
  if (typeof answer !== "object" || answer === null) return null;
  const id = (answer as Record<string, unknown>).principalId;
  return typeof id === "string" ? id : null;
}

/** The sentence for a request the gateway did not authorize. */
function reasonOf(outcome: LineOutcome): string {
  switch (outcome) {
    case "issuer":
      return "answered by the development issuer";
    case "metadata":
      return "protected resource metadata (RFC 9728), served without authorization";
    case "preflight":
      return "CORS preflight answered by the gateway (no authorizer)";
    case "refused":
      return "refused before routing (Host or path)";
    default:
      return outcome;
  }
}
