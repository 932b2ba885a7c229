import { type LanguageToken, STAR } from "./iam-glob.js";
import type { RoutedMethod } from "./methods.js";
import type { HttpRoutePattern } from "./route-pattern.js";

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
  literals: Map<string, ZoneNode> | null;
  /** The child entered by a `{param}` / `{proxy+}`: one segment, then any number more. */
  wild: ZoneNode | null;
  /** Whether this node is such a child (it may take further segments). */
  readonly loops: boolean;
  /** Rules whose zone ends here, by rank. */
  ends: number[] | null;
  /** The walk that last reached this node (to keep each node once per step). */
  mark: number;
}

const node = (loops: boolean): ZoneNode => ({ literals: null, wild: null, loops, ends: null, mark: 0 });

/** Whether a pattern's zone is wider than the pattern's exact path, i.e. it has a parameter. */
export function hasZone(pattern: HttpRoutePattern): boolean {
  return pattern.segments.some((s) => s.kind !== "literal");
}

export class ZoneIndex {
  readonly #roots = new Map<string, ZoneNode>();
  #walk = 0;

  /**
   * @param entries the rules with a zone ({@link hasZone}), each with its methods and its rank (the
   *   order in which matches are reported, lowest first).
   */
  constructor(
    entries: ReadonlyArray<{
      readonly index: number;
      readonly rank: number;
      readonly pattern: HttpRoutePattern;
      readonly methods: readonly RoutedMethod[];
    }>,
  ) {
    const sorted = [...entries].sort((a, b) => a.rank - b.rank);
    for (const entry of sorted) {
      for (const method of entry.methods) {
        let at = this.#roots.get(method);
        if (at === undefined) {
          at = node(false);
          this.#roots.set(method, at);
        }
        for (const seg of entry.pattern.segments) {
          if (seg.kind === "literal") {
            at.literals ??= new Map();
            let child = at.literals.get(seg.value);
            if (child === undefined) {
              child = node(false);
              at.literals.set(seg.value, child);
            }
            at = child;
          } else {
            at.wild ??= node(true);
            at = at.wild;
          }
        }
        at.ends ??= [];
        at.ends.push(entry.index);
      }
    }
    this.#ranks = new Map(entries.map((e) => [e.index, e.rank]));
  }

  readonly #ranks: Map<number, number>;

  /**
   * The rules whose zone holds `method path`, by rank (lowest first); empty when none. The path is
   * read as given (a path that does not start with `/` is in no zone).
   */
  find(method: string, path: string): number[] {
    const root = this.#roots.get(method);
    if (root === undefined || path.charCodeAt(0) !== 47) return NONE;
    let states: ZoneNode[] = [root];
    let pos = 1;
    for (;;) {
      let end = path.indexOf("/", pos);
      if (end === -1) end = path.length;
      const segment = path.slice(pos, end);
      const walk = ++this.#walk;
      const next: ZoneNode[] = [];
      const add = (n: ZoneNode) => {
        if (n.mark !== walk) {
          n.mark = walk;
          next.push(n);
        }
      };
      for (let i = 0; i < states.length; i++) {
        const s = states[i]!;
        if (s.loops) add(s);
        if (s.wild !== null) add(s.wild);
        const child = s.literals?.get(segment);
        if (child !== undefined) add(child);
      }
      if (next.length === 0) return NONE;
      states = next;
      if (end === path.length) break;
      pos = end + 1;
    }
    let out: number[] | null = null;
    for (const s of states) {
      if (s.ends === null) continue;
      out = out === null ? [...s.ends] : out.concat(s.ends);
    }
    if (out === null) return NONE;
    if (out.length > 1) {
      const ranks = this.#ranks;
      out.sort((a, b) => ranks.get(a)! - ranks.get(b)!);
    }
    return out;
  }
}

const NONE: number[] = [];

/**
 * The zone of a pattern as a language for `intersects` (`iam-glob.ts`): literal characters, and
 * {@link STAR} (any run, `/` included, possibly empty) for each `{param}` and `{proxy+}`.
 */
export function zoneLanguage(pattern: HttpRoutePattern): LanguageToken[] {
  if (pattern.segments.length === 0) return [47];
  const out: LanguageToken[] = [];
  for (const seg of pattern.segments) {
    out.push(47);
    if (seg.kind === "literal") for (let i = 0; i < seg.value.length; i++) out.push(seg.value.charCodeAt(i));
    else out.push(STAR);
  }
  return out;
}
