/**
 * Property: the local gateway's canonical path leaves nothing for the next parser to read
 * differently. For any path built from the confusing pieces (dots, slashes, backslashes, `;`, percent
 * escapes of them), `canonicalPath` either refuses it, or gives a path that a WHATWG URL parser keeps
 * as is, that has no empty segment, and whose segments, decoded once, are never `.`/`..` and never
 * hold a `/` or `\`. The oracle is `new URL()` and a byte-wise percent-decoding, not the product's code.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { canonicalPath } from "../../src/dev/request.js";

const piece = fc.constantFrom(
  "/",
  "//",
  ".",
  "..",
  "\\",
  ";",
  "%2e",
  "%2E",
  "%2f",
  "%5c",
  "%25",
  "%61",
  "%7E",
  "%c3%a9",
  "%",
  "%0",
  "%00",
  "a",
  "admin",
  "x",
  "~",
  "-",
);
/** Percent-decoding once, byte by byte (never throws on bytes that are not UTF-8). */
const decodeOnce = (segment: string) =>
  segment.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
const path = fc.array(piece, { maxLength: 10 }).map((parts) => `/${parts.join("")}`);

describe("canonicalPath (property)", () => {
  it("refuses, or gives a path no parser reads as another path", () => {
    fc.assert(
      fc.property(path, (raw) => {
        const result = canonicalPath(raw);
        if (!result.ok) return;
        const p = result.path;
        assert.ok(p.startsWith("/"), p);
        assert.equal(new URL(p, "http://upstream.test").pathname, p, `${raw} → ${p}`);
        assert.ok(!p.includes("//"), p);
        assert.ok(!p.includes("\\"), p);
        for (const segment of p.split("/").slice(1)) {
          const decoded = decodeOnce(segment);
          const bare = decoded.split(";")[0];
          assert.ok(bare !== "." && bare !== "..", `${raw} → ${p}`);
          assert.ok(!decoded.includes("/") && !decoded.includes("\\"), `${raw} → ${p}`);
        }
        assert.deepEqual(canonicalPath(p), { ok: true, path: p }, "canonical twice is canonical");
      }),
      { numRuns: 3000 },
    );
  });

  it("keeps what a path means: decoding the result once equals decoding the input once", () => {
    fc.assert(
      fc.property(path, (raw) => {
        const result = canonicalPath(raw);
        if (!result.ok) return;
        const segments = (p: string) =>
          p
            .split("/")
            .filter((s) => s.length > 0)
            .map(decodeOnce);
        assert.deepEqual(segments(result.path), segments(raw));
      }),
      { numRuns: 3000 },
    );
  });
});
