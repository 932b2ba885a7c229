// Which URLs may serve keys (`jwksUri`, discovery): a rule of the configuration, also applied by
// `keys/discovery.ts` to the `jwks_uri` a discovery document names.

const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(["127.0.0.1", "localhost", "[::1]"]);

/**
 * True when `url` may serve keys or discovery: `https`, or `http` on a loopback host
 * (`127.0.0.1`, `localhost`, `[::1]`) for development and tests. URLs with credentials are refused.
 *
 * @example
 * isAllowedKeyUrl("https://id.example.com/.well-known/jwks.json"); // true
 * isAllowedKeyUrl("http://127.0.0.1:4000/.well-known/jwks.json");  // true
 * isAllowedKeyUrl("http://id.example.com/.well-known/jwks.json");  // false
 */
export function isAllowedKeyUrl(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.username !== "" || parsed.password !== "") return false;
  if (parsed.protocol === "https:") return parsed.hostname !== "";
  return parsed.protocol === "http:" && LOOPBACK_HOSTS.has(parsed.hostname);
}
