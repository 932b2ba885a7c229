import { type LanguageToken, STAR } from "./languages.js";
import type { RoutedMethod } from "./methods.js";
import { type HttpRoutePattern, pathLanguage } from "./route-pattern.js";

/**
 * The zone of a rule: the requests an IAM resource written for its pattern covers, in route terms.
 * The pattern's literal segments stay in place, and each `{param}` or `{proxy+}` stands for one or
 * more whole path segments of any content, empty ones included (`GET /orders/{id}` covers
 * `/orders/`, `/orders/7` and `/orders/7/notes`). That is exactly what IAM's `*` does between two
 * `/` (it spans any run, `/` included, and may match nothing): the policy builder writes `{param}`
 * and `{proxy+}` as `*`, so a request in a rule's zone is covered by that rule's IAM resource, and a
 * request outside it is not (a test holds the two readings equal).
 *
 * A decision on an unmatched request reads the zones of the rules the request falls in (see
 * `rule-set.ts`). {@link ZoneIndex} finds them without a scan over the rules: a segment trie per
 * method, walked once along the request path with every branch that can match kept at once.
 */

interface ZoneNode {
  literals?: Map<string, ZoneNode>;
  /** The child entered by a `{param}` / `{proxy+}`: one segment, then any number more. */
  wild?: ZoneNode;
  /** Whether this node is such a child (it may take further segments). */
  loops: boolean;
  /** Rules whose zone ends here. */
  ends?: number[];
}

/** Whether a pattern's zone is wider than the pattern's exact path, i.e. it has a parameter. */
export function hasZone(pattern: HttpRoutePattern): boolean {
  return pattern.segments.some((s) => s.kind !== "literal");
}

export class ZoneIndex {
  readonly #roots = new Map<string, ZoneNode>();
  readonly #rank: ArrayLike<number>;

  /**
   * @param entries the rules with a zone ({@link hasZone}), each with its methods.
   * @param rank rule index → the order in which matches are reported (lowest first).
   */
  constructor(
    entries: ReadonlyArray<{
      readonly index: number;
      readonly pattern: HttpRoutePattern;
      readonly methods: readonly RoutedMethod[];
    }>,
    rank: ArrayLike<number>,
  ) {
    this.#rank = rank;
    for (const entry of entries) {
      for (const method of entry.methods) {
        let at = this.#roots.get(method) ?? { loops: false };
        this.#roots.set(method, at);
        for (const seg of entry.pattern.segments) {
          if (seg.kind !== "literal") {
            at.wild ??= { loops: true };
            at = at.wild;
            continue;
          }
          at.literals ??= new Map();
          const child: ZoneNode = at.literals.get(seg.value) ?? { loops: false };
          at.literals.set(seg.value, child);
          at = child;
        }
        at.ends ??= [];
        at.ends.push(entry.index);
      }
    }
  }

  /**
   * The rules whose zone holds `method path`, by rank (lowest first); empty when none. The path is
   * read as given (a path that does not start with `/` is in no zone). Each step keeps the set of
   * trie nodes the path so far can reach.
   */
  find(method: string, path: string): number[] {
    const root = this.#roots.get(method);
    if (root === undefined || path.charCodeAt(0) !== 47) return [];
    let states = new Set<ZoneNode>([root]);
    for (const segment of path.slice(1).split("/")) {
      const next = new Set<ZoneNode>();
      for (const s of states) {
        if (s.loops) next.add(s);
        if (s.wild) next.add(s.wild);
        const child = s.literals?.get(segment);
        if (child) next.add(child);
      }
      if (next.size === 0) return [];
      states = next;
    }
    const out: number[] = [];
    for (const s of states) if (s.ends) out.push(...s.ends);
    const rank = this.#rank;
    return out.sort((a, b) => rank[a]! - rank[b]!);
  }
}

/**
 * The zone of a pattern as a language for `intersects` (`languages.ts`): literal characters, and
 * {@link STAR} (any run, `/` included, possibly empty) for each `{param}` and `{proxy+}`.
 */
export function zoneLanguage(pattern: HttpRoutePattern): LanguageToken[] {
  return pathLanguage(pattern).map((t) => (t < 0 ? STAR : t));
}
