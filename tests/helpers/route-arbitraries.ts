import fc from "fast-check";

/** Small route shapes for property tests: few methods and words, so routes collide and overlap often. */
export const METHODS = ["GET", "POST", "DELETE"] as const;
export const WORDS = ["a", "b", "c"];

/** A route: a method (or `ANY`), up to three literal or `{pN}` segments, and maybe a final `{proxy+}`. */
export const routeArbitrary = fc
  .record({
    method: fc.constantFrom(...METHODS, "ANY"),
    segs: fc.array(fc.oneof(fc.constantFrom(...WORDS), fc.constant("{p}")), { minLength: 0, maxLength: 3 }),
    greedy: fc.boolean(),
  })
  .map(({ method, segs, greedy }) => ({
    method: method as string,
    segs: [...segs.map((s, i) => (s === "{p}" ? `{p${i}}` : s)), ...(greedy ? ["{proxy+}"] : [])],
  }));
