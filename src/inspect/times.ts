import type { JsonObject } from "../util/json.js";

/** The time claims of a token (`auth_time`, `iat`, `nbf`, `exp`) in words, relative to now. */

/** "14 minutes", "1 hour", "3 days": the whole units in `seconds`, rounded down. */
export function humanSpan(seconds: number): string {
  const s = Math.floor(Math.abs(seconds));
  if (s === 0) return "less than a second";
  const [n, unit] =
    s < 60
      ? [s, "second"]
      : s < 3600
        ? [Math.floor(s / 60), "minute"]
        : s < 172800
          ? [Math.floor(s / 3600), "hour"]
          : [Math.floor(s / 86400), "day"];
  return `${n} ${unit}${n === 1 ? "" : "s"}`;
}

/** In display order: chronological for a normal token. */
const PHRASES: Record<string, { past: string; future: string }> = {
  auth_time: { past: "authenticated {} ago", future: "authenticated {} in the future" },
  iat: { past: "issued {} ago", future: "issued {} in the future" },
  nbf: { past: "valid since {} ago", future: "not valid for another {}" },
  exp: { past: "expired {} ago", future: "expires in {}" },
};

export interface TimeInfo {
  epoch: number;
  iso: string;
  relative: string;
}

export function timesOf(payload: JsonObject | null, now: number): Record<string, TimeInfo> {
  const out: Record<string, TimeInfo> = {};
  if (!payload) return out;
  for (const [claim, phrase] of Object.entries(PHRASES)) {
    const value = payload[claim];
    if (typeof value !== "number" || !Number.isFinite(value) || Math.abs(value) > 253402300799) continue;
    const delta = value - now;
    out[claim] = {
      epoch: value,
      iso: new Date(value * 1000).toISOString(),
      relative: (delta >= 0 ? phrase.future : phrase.past).replace("{}", humanSpan(delta)),
    };
  }
  return out;
}
