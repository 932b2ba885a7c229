/**
 * Loads the authorizer event fixtures (`tests/fixtures/events/*.json`) and substitutes the `TOKEN`
 * placeholder, leaving the `type` field (`"TOKEN"` is also an event type) alone.
 */
import { readFileSync } from "node:fs";

const DIR = new URL("../../fixtures/events/", import.meta.url);

export const FIXTURES = [
  "rest-token",
  "rest-token-raw",
  "rest-request",
  "rest-request-console-test",
  "http-v1",
  "http-v2",
  "http-v2-default-stage",
  "websocket-connect",
] as const;
export type FixtureName = (typeof FIXTURES)[number];

/** A JWT-shaped string (header `{"alg":"HS256"}`, payload `{"sub":"a"}`); never verified here. */
export const JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2lnbmF0dXJlLXBsYWNlaG9sZGVy";

function substitute(value: unknown, token: string, key: string | null): unknown {
  if (typeof value === "string") return key === "type" ? value : value.replace(/\bTOKEN\b/g, token);
  if (Array.isArray(value)) return value.map((item) => substitute(item, token, null));
  if (typeof value === "object" && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = substitute(v, token, k);
    return out;
  }
  return value;
}

/** The fixture as parsed JSON, with every `TOKEN` placeholder replaced by `token` (default: {@link JWT}). */
export function loadEvent(name: FixtureName, token: string = JWT): Record<string, unknown> {
  const raw: unknown = JSON.parse(readFileSync(new URL(`${name}.json`, DIR), "utf8"));
  return substitute(raw, token, null) as Record<string, unknown>;
}
