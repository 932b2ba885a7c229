import type { DevUsagePlan } from "../config/types.js";

/**
 * API Gateway's usage plans for a REST API whose methods require an API key and whose key source
 * is `AUTHORIZER`: the key is the authorizer's `usageIdentifierKey`
 * (AWS: api-gateway-api-key-source.html, api-gateway-lambda-authorizer-output.html).
 * - No key, or a key in no plan: `INVALID_API_KEY`, 403 `{"message":"Forbidden"}`.
 * - Each key has its own token bucket (`throttle`): it holds `burstLimit` requests, starts full and
 *   refills at `rateLimit` per second; a request finding it empty is `THROTTLED`, 429
 *   `{"message":"Too Many Requests"}`.
 * - Each key has its own `quota` per UTC calendar period (day, week from Monday, month); a request
 *   beyond it is `QUOTA_EXCEEDED`, 429 `{"message":"Limit Exceeded"}`.
 * A refused request consumes neither a token nor quota. State lives in memory, per server.
 */

export type MeterOutcome = "invalid-api-key" | "throttled" | "quota-exceeded";

export type MeterResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly outcome: MeterOutcome; readonly reason: string };

interface KeyState {
  readonly plan: DevUsagePlan;
  /** Requests left in the bucket (fractional while refilling). */
  tokens: number;
  /** When the bucket was last refilled, ms. */
  refilledAt: number;
  /** The quota period the count belongs to. */
  period: string;
  used: number;
}

const DAY_MS = 86_400_000;

/** The UTC calendar period `ms` falls in: `2026-12-03`, `W2918` (weeks from Monday), `2026-12`. */
export function quotaPeriod(period: "DAY" | "WEEK" | "MONTH", ms: number): string {
  const iso = new Date(ms).toISOString();
  if (period === "DAY") return iso.slice(0, 10);
  if (period === "MONTH") return iso.slice(0, 7);
  // 1970-01-01 was a Thursday: shifting by 3 days makes weeks start on Monday.
  return `W${Math.floor((Math.floor(ms / DAY_MS) + 3) / 7)}`;
}

export class UsagePlans {
  private readonly keys = new Map<string, KeyState>();

  constructor(
    plans: readonly DevUsagePlan[],
    private readonly now: () => number,
  ) {
    const at = now();
    for (const plan of plans)
      for (const key of plan.keys)
        this.keys.set(key, {
          plan,
          tokens: plan.throttle?.burstLimit ?? 0,
          refilledAt: at,
          period: plan.quota ? quotaPeriod(plan.quota.period, at) : "",
          used: 0,
        });
  }

  /** Meters one request made with `key` (the authorizer's `usageIdentifierKey`, `null` when none). */
  meter(key: string | null): MeterResult {
    const state = key === null ? undefined : this.keys.get(key);
    if (state === undefined)
      return {
        ok: false,
        outcome: "invalid-api-key",
        reason:
          key === null
            ? "the authorizer returned no usageIdentifierKey; the method requires an API key"
            : "the authorizer's usageIdentifierKey is in no usage plan",
      };
    const at = this.now();
    const { quota, throttle } = state.plan;
    if (quota) {
      const period = quotaPeriod(quota.period, at);
      if (period !== state.period) {
        state.period = period;
        state.used = 0;
      }
      if (state.used >= quota.limit)
        return {
          ok: false,
          outcome: "quota-exceeded",
          reason: `the key's quota of ${quota.limit} requests per ${quota.period} is used up`,
        };
    }
    if (throttle) {
      const elapsed = Math.max(0, at - state.refilledAt) / 1000;
      state.tokens = Math.min(throttle.burstLimit, state.tokens + elapsed * throttle.rateLimit);
      state.refilledAt = at;
      if (state.tokens < 1)
        return {
          ok: false,
          outcome: "throttled",
          reason: `the key's throttle (rate ${throttle.rateLimit}/s, burst ${throttle.burstLimit}) is exceeded`,
        };
      state.tokens -= 1;
    }
    state.used += 1;
    return { ok: true };
  }
}
