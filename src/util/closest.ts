/** "Did you mean …?" for configuration field names. */

/**
 * The known name closest to `name` by edit distance (Levenshtein, case-insensitive), when it is
 * close enough to be a typo: at most 1 edit per 3 characters, and 3 at most. Names longer than 64
 * characters get no suggestion (the distance is quadratic).
 */
export function closest(name: string, known: readonly string[]): string | undefined {
  if (name.length > 64) return undefined;
  const a = name.toLowerCase();
  let best: string | undefined;
  let bestDistance = Math.min(3, Math.max(1, Math.floor(a.length / 3)));
  for (const candidate of known) {
    const d = editDistance(a, candidate.toLowerCase());
    if (d <= bestDistance && (best === undefined || d < bestDistance)) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++)
      row[j] = Math.min(
        previous[j]! + 1,
        row[j - 1]! + 1,
        previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    previous = row;
  }
  return previous[b.length]!;
}

/** The sentence of a `ConfigError` for an unknown field: the closest known name, then every known one. */
export function unknownField(name: string, known: readonly string[]): string {
  const near = closest(name, known);
  return `unknown field${near === undefined ? "" : `, did you mean ${JSON.stringify(near)}?`} (expected one of: ${known.join(", ")}).`;
}
