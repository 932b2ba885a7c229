/**
 * The methods API Gateway routes. `ANY` in a route pattern stands for exactly these; any other verb
 * (`TRACE`, `CONNECT`, a lower-case `get`) is never routed, so the rules deny it.
 */
export const ROUTED_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"] as const;
/** One of {@link ROUTED_METHODS}. */
export type RoutedMethod = (typeof ROUTED_METHODS)[number];

const METHOD_SET: ReadonlySet<string> = new Set(ROUTED_METHODS);

/** True for one of {@link ROUTED_METHODS} (exact, upper case). */
export function isRoutedMethod(method: string): method is RoutedMethod {
  return METHOD_SET.has(method);
}
