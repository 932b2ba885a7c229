/**
 * The revocation list's parts alone: the document format and its bounds, the cached document's
 * freshness, single flight and cooldown, a fresh list answering without a promise, and the
 * token-status layer being absent (no work per call) when no issuer configures it.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseConfigShape } from "../../../src/config/schema.js";
import {
  DocumentError,
  DocumentUnavailableError,
  RemoteDocument,
} from "../../../src/keys/remote-document.js";
import { silentLogger } from "../../../src/log.js";
import { parseRevocationList } from "../../../src/token/revocation.js";
import { tokenStatus } from "../../../src/token/status.js";
import { createVerifier, verifyNowOf } from "../../../src/token/verifier.js";

describe("revocation list document", () => {
  test("revoked_jti and subjects, both optional; other members ignored", () => {
    const list = parseRevocationList(
      { revoked_jti: ["a", "b"], subjects: { alice: 1700000000 }, version: 3 },
      10,
    );
    assert.deepEqual([...list.jtis], ["a", "b"]);
    assert.equal(list.subjects.get("alice"), 1700000000);
    assert.equal(parseRevocationList({}, 10).jtis.size, 0);
  });

  test("a document that breaks the format or the bounds is refused whole", () => {
    const bad: unknown[] = [
      { revoked_jti: "a" },
      { revoked_jti: [1] },
      { revoked_jti: [""] },
      { revoked_jti: ["x".repeat(257)] },
      { subjects: [] },
      { subjects: { alice: "soon" } },
      { subjects: { alice: -1 } },
      { revoked_jti: ["a", "b", "c"] },
      { revoked_jti: ["a", "b"], subjects: { c: 1 } },
    ];
    for (const doc of bad)
      assert.throws(() => parseRevocationList(doc as never, 2), DocumentError, JSON.stringify(doc));
  });
});

describe("RemoteDocument", () => {
  const settings = { maxAgeSeconds: 10, cooldownSeconds: 5, staleIfErrorSeconds: 20 };
  function doc(load: () => Promise<Record<string, unknown>>) {
    const clock = { t: 0 };
    const d = new RemoteDocument({
      settings,
      load,
      parse: (x) => x,
      where: "test",
      events: { fetched: "f", failed: "x" },
      now: () => clock.t,
      logger: silentLogger,
    });
    return { d, clock };
  }

  test("single flight, then the fresh value without a promise", async () => {
    let loads = 0;
    const { d } = doc(async () => ({ n: ++loads }));
    const all = await Promise.all([d.get(), d.get(), d.get()]);
    assert.deepEqual(all, [{ n: 1 }, { n: 1 }, { n: 1 }]);
    assert.deepEqual(d.get(), { n: 1 });
    assert.equal(loads, 1);
  });

  test("failure: unavailable before any success; no retry within the cooldown; stale served after one", async () => {
    let fail = true;
    let loads = 0;
    const { d, clock } = doc(async () => {
      loads += 1;
      if (fail) throw new DocumentError("down");
      return { ok: true };
    });
    await assert.rejects(
      Promise.resolve().then(() => d.get()),
      DocumentUnavailableError,
    );
    assert.throws(() => d.get(), DocumentUnavailableError);
    assert.equal(loads, 1);
    clock.t = 5000;
    fail = false;
    assert.deepEqual(await d.get(), { ok: true });
    fail = true;
    clock.t = 16000;
    assert.deepEqual(await d.get(), { ok: true }); // stale, the refresh failed
    assert.deepEqual(d.get(), { ok: true }); // a known outage: at once
    // Past the stale window: one more fetch (the cooldown has passed), which fails, then fail closed.
    clock.t = 36000;
    await assert.rejects(
      Promise.resolve().then(() => d.get()),
      DocumentUnavailableError,
    );
    assert.throws(() => d.get(), DocumentUnavailableError);
  });
});

describe("no revocation or introspection configured", () => {
  test("no token-status layer, and the verifier keeps its synchronous form", () => {
    const cfg = parseConfigShape({ issuers: [{ secret: "s".repeat(32) }] });
    assert.equal(tokenStatus(cfg, { now: Date.now, fetch: undefined, logger: silentLogger }), undefined);
    assert.equal(typeof verifyNowOf(createVerifier(cfg)), "function");
  });
});
