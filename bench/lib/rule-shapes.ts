/**
 * Route rule sets for timing the rule compiler (`compileRules`), in two shapes:
 *
 * - realistic: many top-level resources, each with the usual CRUD routes and a sub-collection,
 *   plus an admin `{proxy+}`; most rules share no leading literal with most others.
 * - nested: one REST tree under a single root, `/a/{a}/b1/{b}/c2/{c}/…`, collections and items at
 *   every level; every rule shares its leading literal with every other, and each rule's IAM
 *   resource (`GET/a/*`, `GET/a/* /b1/*`, …) covers the routes below it.
 */

export interface RuleShape {
  readonly name: string;
  readonly rules: (n: number) => Array<{ route: string; scopes: string[] }>;
}

function realistic(n: number): Array<{ route: string; scopes: string[] }> {
  const out: Array<{ route: string; scopes: string[] }> = [
    { route: "ANY /admin/{proxy+}", scopes: ["admin"] },
    { route: "GET /health", scopes: ["ops"] },
  ];
  for (let r = 0; out.length < n; r++) {
    const res = `resource${r}`;
    const read = [`${res}:read`];
    const write = [`${res}:write`];
    for (const rule of [
      { route: `GET /${res}`, scopes: read },
      { route: `POST /${res}`, scopes: write },
      { route: `GET /${res}/{id}`, scopes: read },
      { route: `PUT /${res}/{id}`, scopes: write },
      { route: `DELETE /${res}/{id}`, scopes: write },
      { route: `GET /${res}/{id}/items`, scopes: read },
      { route: `POST /${res}/{id}/items`, scopes: write },
      { route: `GET /${res}/{id}/items/{itemId}`, scopes: read },
    ]) {
      if (out.length < n) out.push(rule);
    }
  }
  return out.slice(0, n);
}

const WORDS = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"];

function nested(n: number): Array<{ route: string; scopes: string[] }> {
  const out: Array<{ route: string; scopes: string[] }> = [];
  // Breadth first: each collection has three child collections under its item.
  let level: string[] = ["/a"];
  for (let depth = 0; out.length < n; depth++) {
    const next: string[] = [];
    for (const path of level) {
      const item = `${path}/{${WORDS[depth]}Id}`;
      const read = [`${WORDS[depth]}:read`];
      const write = [`${WORDS[depth]}:write`];
      for (const rule of [
        { route: `GET ${path}`, scopes: read },
        { route: `POST ${path}`, scopes: write },
        { route: `GET ${item}`, scopes: read },
        { route: `PUT ${item}`, scopes: write },
        { route: `DELETE ${item}`, scopes: write },
      ]) {
        if (out.length < n) out.push(rule);
      }
      for (let v = 1; v <= 3; v++) next.push(`${item}/${WORDS[depth + 1]}${v}`);
    }
    level = next;
  }
  return out;
}

export const RULE_SHAPES: readonly RuleShape[] = [
  { name: "realistic", rules: realistic },
  { name: "nested", rules: nested },
];
