import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { ConfigError } from "../../../src/errors.js";
import { excessPathGlobs, toIamResourceTail, toIamResourceTails } from "../../../src/policy/iam-resources.js";
import {
  compareSpecificity,
  coversPattern,
  createRouteMatcher,
  type HttpRoutePattern,
  parseRoutePattern,
} from "../../../src/rules/route-pattern.js";
import { matchRoutePattern } from "../../helpers/route-pattern-match.js";

const http = (text: string) => {
  const pattern = parseRoutePattern(text);
  assert.equal(pattern.kind, "http");
  return pattern as HttpRoutePattern;
};

describe("parseRoutePattern", () => {
  it("parses methods, literal segments, parameters and a greedy proxy", () => {
    const p = http("GET /orders/{id}/items/{proxy+}");
    assert.equal(p.method, "GET");
    assert.equal(p.text, "GET /orders/{id}/items/{proxy+}");
    assert.equal(p.shape, "GET /orders/{}/items/{+}");
    assert.deepEqual(p.segments, [
      { kind: "literal", value: "orders" },
      { kind: "param", name: "id" },
      { kind: "literal", value: "items" },
      { kind: "proxy", name: "proxy" },
    ]);
  });

  it("normalizes the method to upper case and keeps the root path", () => {
    const p = http("any /");
    assert.equal(p.method, "ANY");
    assert.equal(p.text, "ANY /");
    assert.deepEqual(p.segments, []);
  });

  it("reads $connect as a route key and $default as the catch-all", () => {
    assert.deepEqual(parseRoutePattern("$connect"), { kind: "key", text: "$connect" });
    assert.deepEqual(parseRoutePattern("$default"), { kind: "default", text: "$default" });
  });

  const bad: Array<[unknown, RegExp]> = [
    ["", /expected a route/],
    [42, /expected a route/],
    ["GET", /expected "METHOD \/path"/],
    [" /orders", /expected "METHOD \/path"/],
    ["FETCH /orders", /unknown method "FETCH"/],
    ["GET orders", /must start with "\/"/],
    ["GET /orders//items", /empty path segment/],
    ["GET /orders/", /empty path segment/],
    ["GET /{proxy+}/items", /must be the last segment/],
    ["GET /orders/{id}/{id}", /appears twice/],
    ["GET /orders/{}", /malformed parameter/],
    ["GET /orders/{id", /malformed parameter/],
    ["GET /orders/{a b}", /parameter names use/],
    ["GET /orders/*", /invalid character "\*"/],
    ["GET /orders/a?b", /invalid character "\?"/],
    ["GET /orders/x{id}", /invalid character "\{"/],
    ["GET /orders /x", /invalid character " "/],
    ["$disconnect", /unknown route key/],
    ["$foo", /unknown route key/],
  ];
  for (const [input, message] of bad) {
    it(`refuses ${JSON.stringify(input)} with a ConfigError naming the field`, () => {
      assert.throws(
        () => parseRoutePattern(input, "routes[3].route"),
        (error: unknown) =>
          error instanceof ConfigError && error.field === "routes[3].route" && message.test(error.detail),
      );
    });
  }
});

describe("one pattern matches a request (createRouteMatcher)", () => {
  const cases: Array<[string, string, string, boolean]> = [
    ["GET /orders/{id}", "GET", "/orders/7", true],
    ["GET /orders/{id}", "GET", "/orders/", false], // {param} is never empty
    ["GET /orders/{id}", "GET", "/orders/7/", false], // trailing slash is significant
    ["GET /orders/{id}", "GET", "/orders/7/items", false], // {param} never spans "/"
    ["GET /orders/{id}", "POST", "/orders/7", false],
    ["GET /orders/{id}", "get", "/orders/7", false], // methods compare exactly
    ["GET /Orders", "GET", "/orders", false], // literals are case-sensitive
    ["GET /a%20b", "GET", "/a%20b", true], // no decoding: compared as given
    ["GET /a%20b", "GET", "/a b", false],
    ["ANY /admin/{proxy+}", "DELETE", "/admin/users/7", true],
    ["ANY /admin/{proxy+}", "PATCH", "/admin/x//y/", true], // the proxy takes anything non-empty
    ["ANY /admin/{proxy+}", "GET", "/admin/", false], // ...but not nothing
    ["ANY /admin/{proxy+}", "GET", "/admin", false],
    ["ANY /admin/{proxy+}", "PROPFIND", "/admin/x", false], // ANY means the seven routable methods
    ["GET /", "GET", "/", true],
    ["GET /", "GET", "//", false],
    ["GET /{proxy+}", "GET", "/", false],
    ["GET /x", "GET", "x", false], // a path starts with "/"
  ];
  for (const [pattern, method, path, expected] of cases) {
    it(`${pattern} ${expected ? "matches" : "does not match"} ${method} ${path}`, () => {
      assert.equal(createRouteMatcher([http(pattern)]).match(method, path) === 0, expected);
      assert.equal(matchRoutePattern(http(pattern), method, path), expected, "the reference agrees");
    });
  }
});

describe("specificity (createRouteMatcher)", () => {
  const patterns = [
    "ANY /{proxy+}",
    "GET /orders/{id}",
    "GET /orders/mine",
    "ANY /orders/{id}",
    "GET /orders/{id}/{proxy+}",
    "GET /orders/{id}/items",
    "POST /orders",
  ].map(http);

  const cases: Array<[string, string, string | null]> = [
    ["GET", "/orders/mine", "GET /orders/mine"], // literal beats {param}
    ["GET", "/orders/7", "GET /orders/{id}"], // specific method beats ANY
    ["DELETE", "/orders/7", "ANY /orders/{id}"],
    ["GET", "/orders/7/items", "GET /orders/{id}/items"],
    ["GET", "/orders/7/notes/1", "GET /orders/{id}/{proxy+}"],
    ["POST", "/orders/7/items", "ANY /{proxy+}"], // no POST rule below /orders/{id}: back off to the proxy
    ["POST", "/orders", "POST /orders"],
    ["GET", "/orders", "ANY /{proxy+}"],
    ["GET", "/", null],
  ];

  for (const order of ["as listed", "reversed"]) {
    const list = order === "reversed" ? [...patterns].reverse() : patterns;
    const matcher = createRouteMatcher(list);
    for (const [method, path, expected] of cases) {
      it(`${method} ${path} → ${expected} (${order}: list order does not matter)`, () => {
        const index = matcher.match(method, path);
        assert.equal(index === -1 ? null : list[index]!.text, expected);
      });
    }
  }

  it("agrees with 'the first match in compareSpecificity order' for random rules and paths", () => {
    const segment = fc.constantFrom("a", "b", "{p}");
    const pattern = fc
      .tuple(fc.constantFrom("GET", "POST", "ANY"), fc.array(segment, { maxLength: 3 }), fc.boolean())
      .map(([m, segs, proxy]) => {
        const named = segs.map((s, i) => (s === "{p}" ? `{p${i}}` : s));
        if (proxy) named.push("{rest+}");
        return http(`${m} /${named.join("/")}`);
      });
    const path = fc
      .array(fc.constantFrom("a", "b", "c", ""), { maxLength: 4 })
      .map((segs) => `/${segs.join("/")}`);
    fc.assert(
      fc.property(
        fc.uniqueArray(pattern, { selector: (p) => p.shape, maxLength: 8 }),
        fc.constantFrom("GET", "POST", "PUT"),
        path,
        (list, method, p) => {
          const sorted = [...list].sort(compareSpecificity);
          const expected = sorted.find((candidate) => matchRoutePattern(candidate, method, p)) ?? null;
          const index = createRouteMatcher(list).match(method, p);
          assert.equal(index === -1 ? null : list[index]!.text, expected?.text ?? null);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("orders by path first, then specific method before ANY", () => {
    assert.ok(compareSpecificity(http("ANY /orders/{id}"), http("GET /orders/{proxy+}")) < 0);
    assert.ok(compareSpecificity(http("GET /a"), http("ANY /a")) < 0);
    assert.ok(compareSpecificity(http("GET /a/b/{c}"), http("GET /a/{b}/c")) < 0);
  });
});

describe("IAM translation", () => {
  it("writes {param}, {proxy+} and ANY as *", () => {
    assert.equal(toIamResourceTail(parseRoutePattern("GET /orders/{id}")), "GET/orders/*");
    assert.equal(toIamResourceTail(parseRoutePattern("ANY /admin/{proxy+}")), "*/admin/*");
    assert.equal(toIamResourceTail(parseRoutePattern("GET /")), "GET/");
    assert.equal(toIamResourceTail(parseRoutePattern("$connect")), "$connect");
    assert.equal(toIamResourceTail(parseRoutePattern("$default")), "*");
  });

  it("expands ANY per method so the method part stays literal", () => {
    assert.deepEqual(toIamResourceTails(parseRoutePattern("ANY /a/{id}")), [
      "GET/a/*",
      "POST/a/*",
      "PUT/a/*",
      "PATCH/a/*",
      "DELETE/a/*",
      "HEAD/a/*",
      "OPTIONS/a/*",
    ]);
    assert.deepEqual(toIamResourceTails(parseRoutePattern("POST /a")), ["POST/a"]);
  });

  it("lists the globs of what the wildcards add to a pattern", () => {
    assert.deepEqual(excessPathGlobs(http("GET /orders/{id}")), ["/orders/", "/orders/*/*"]);
    assert.deepEqual(excessPathGlobs(http("GET /a/{x}/b")), ["/a//b", "/a/*/*/b"]);
    assert.deepEqual(excessPathGlobs(http("GET /a/{proxy+}")), ["/a/"]);
    // A {param} followed only by the proxy: the proxy can absorb extra segments, so no "*/*" glob.
    assert.deepEqual(excessPathGlobs(http("GET /a/{x}/{proxy+}")), ["/a//*", "/a/*/"]);
    assert.deepEqual(excessPathGlobs(http("GET /a/b")), []);
  });

  it("decides coverage of one pattern by another", () => {
    assert.equal(coversPattern(http("GET /orders/{id}"), http("GET /orders/mine")), true);
    assert.equal(coversPattern(http("ANY /{proxy+}"), http("GET /orders/{id}/{proxy+}")), true);
    assert.equal(coversPattern(http("GET /orders/{id}"), http("ANY /orders/{id}")), false);
    assert.equal(coversPattern(http("GET /orders/{id}"), http("GET /orders/{proxy+}")), false);
    assert.equal(coversPattern(http("GET /orders/mine"), http("GET /orders/{id}")), false);
  });
});
