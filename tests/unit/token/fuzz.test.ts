/**
 * Property tests (fast-check): arbitrary strings, character and byte mutations of a valid token,
 * and validly-MACed arbitrary JSON never make the verifier throw anything but an `AuthError`,
 * and a mutated token never verifies.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { createVerifier } from "../../../src/token/verifier.js";
import { b64url, craftToken, rawSignature, TEST_AUDIENCE, TEST_ISSUER, testKey } from "../../helpers/keys.js";

const T = 1_700_000_000;
const hs = testKey("HS256");
const es = testKey("ES256");
const opts = { now: () => T * 1000, sharedKeyCache: false };
const claims = { iss: TEST_ISSUER, aud: TEST_AUDIENCE, sub: "fuzz", exp: T + 600 };

const verifiers = {
  secret: createVerifier(
    { issuers: [{ issuer: TEST_ISSUER, audience: TEST_AUDIENCE, secret: hs.secret }] },
    opts,
  ),
  jwks: createVerifier(
    { issuers: [{ issuer: TEST_ISSUER, audience: TEST_AUDIENCE, jwks: { keys: [es.publicJwk] } }] },
    opts,
  ),
};
const validHs = craftToken({ alg: "HS256", typ: "JWT" }, claims, { key: hs });
const validEs = craftToken({ alg: "ES256", kid: es.kid }, claims, { key: es });

/** Resolves when `token` is refused with an AuthError; fails on acceptance or any other error. */
async function mustRefuse(verify: (t: string) => Promise<unknown>, token: string): Promise<void> {
  try {
    await verify(token);
  } catch (error) {
    assert.equal(
      (error as Error)?.name,
      "AuthError",
      `non-AuthError for ${JSON.stringify(token)}: ${String(error)}`,
    );
    assert.match((error as { code: string }).code, /^ERR_/);
    return;
  }
  assert.fail(`accepted a mutated token: ${JSON.stringify(token)}`);
}

/** Resolves either way, but only an AuthError counts as a refusal. */
async function acceptOrAuthError(verify: (t: string) => Promise<unknown>, token: string): Promise<unknown> {
  try {
    return await verify(token);
  } catch (error) {
    assert.equal((error as Error)?.name, "AuthError", `non-AuthError: ${String(error)}`);
    return undefined;
  }
}

const mutation = (valid: string) =>
  fc.oneof(
    // replace one character by any string (including multi-byte, control, dots, '=')
    fc
      .tuple(fc.nat(valid.length - 1), fc.string({ unit: "binary", maxLength: 3 }))
      .map(([i, s]) => valid.slice(0, i) + s + valid.slice(i + 1)),
    // insert
    fc
      .tuple(fc.nat(valid.length), fc.string({ unit: "binary-ascii", minLength: 1, maxLength: 4 }))
      .map(([i, s]) => valid.slice(0, i) + s + valid.slice(i)),
    // delete a run
    fc
      .tuple(fc.nat(valid.length - 1), fc.integer({ min: 1, max: 8 }))
      .map(([i, n]) => valid.slice(0, i) + valid.slice(i + n)),
    // swap two characters
    fc.tuple(fc.nat(valid.length - 1), fc.nat(valid.length - 1)).map(([i, j]) => {
      const chars = [...valid];
      [chars[i], chars[j]] = [chars[j]!, chars[i]!];
      return chars.join("");
    }),
    // truncate
    fc.nat(valid.length - 1).map((n) => valid.slice(0, n)),
    // change one base64url character to another alphabet character
    fc
      .tuple(
        fc.nat(valid.length - 1),
        fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
      )
      .map(([i, c]) => (valid[i] === "." ? valid : valid.slice(0, i) + c + valid.slice(i + 1))),
  );

/** Flips bits in the decoded bytes of one segment and re-encodes it canonically. */
const byteMutation = (valid: string) =>
  fc.tuple(fc.nat(2), fc.nat(10_000), fc.integer({ min: 1, max: 255 })).map(([segment, at, xor]) => {
    const parts = valid.split(".");
    const bytes = Buffer.from(parts[segment]!, "base64url");
    const i = at % bytes.length;
    bytes[i] = bytes[i]! ^ xor;
    parts[segment] = bytes.toString("base64url");
    return parts.join(".");
  });

describe("property: hostile input never crashes and never verifies", () => {
  test("arbitrary strings are refused with an AuthError", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string(),
          fc.string({ unit: "binary" }),
          fc.string({ unit: fc.constantFrom("a", "Z", "0", "-", "_", ".", "=", " ", "e", "y", "J") }),
          fc.array(fc.base64String(), { minLength: 1, maxLength: 6 }).map((parts) => parts.join(".")),
        ),
        async (s) => {
          for (const v of Object.values(verifiers)) await mustRefuse(v.verify, s);
        },
      ),
      { numRuns: 200 },
    );
  });

  for (const [name, valid, verifier] of [
    ["HS256 (secret)", validHs, verifiers.secret],
    ["ES256 (inline JWKS)", validEs, verifiers.jwks],
  ] as const) {
    test(`character mutations of a valid ${name} token never verify`, async () => {
      await verifier.verify(valid); // control (and it is now cached: mutations must not hit it)
      await fc.assert(
        fc.asyncProperty(mutation(valid), async (mutated) => {
          fc.pre(mutated !== valid);
          await mustRefuse(verifier.verify, mutated);
        }),
        { numRuns: 300 },
      );
    });

    test(`byte mutations of a valid ${name} token never verify`, async () => {
      await fc.assert(
        fc.asyncProperty(byteMutation(valid), async (mutated) => {
          fc.pre(mutated !== valid);
          await mustRefuse(verifier.verify, mutated);
        }),
        { numRuns: 300 },
      );
    });
  }

  test("validly MACed arbitrary headers and payloads are accepted only when every rule holds", async () => {
    const headerArb = fc.record(
      {
        alg: fc.oneof(
          fc.constant("HS256"),
          fc.constantFrom("none", "HS384", "RS256", "hs256"),
          fc.jsonValue(),
        ),
        typ: fc.oneof(fc.constant("JWT"), fc.jsonValue()),
        kid: fc.oneof(fc.string(), fc.jsonValue()),
        crit: fc.jsonValue(),
        b64: fc.jsonValue(),
      },
      { requiredKeys: [] },
    );
    const payloadArb = fc.record(
      {
        iss: fc.oneof(fc.constant(TEST_ISSUER), fc.jsonValue()),
        aud: fc.oneof(fc.constant(TEST_AUDIENCE), fc.constant([TEST_AUDIENCE, "x"]), fc.jsonValue()),
        exp: fc.oneof(fc.integer({ min: T - 100, max: T + 100 }), fc.double(), fc.jsonValue()),
        nbf: fc.oneof(fc.integer({ min: T - 100, max: T + 100 }), fc.jsonValue()),
        iat: fc.oneof(fc.integer({ min: T - 100, max: T + 100 }), fc.jsonValue()),
        sub: fc.jsonValue(),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(headerArb, payloadArb, async (header, payload) => {
        const h = b64url(header);
        const p = b64url(payload);
        const t = `${h}.${p}.${rawSignature("HS256", hs.signingKey, `${h}.${p}`).toString("base64url")}`;
        const result = (await acceptOrAuthError(verifiers.secret.verify, t)) as
          | { header: Record<string, unknown>; payload: Record<string, unknown> }
          | undefined;
        if (result === undefined) return;
        // Accepted: every rule must hold.
        assert.equal(result.header.alg, "HS256");
        assert.equal(result.header.crit, undefined);
        assert.equal(result.header.b64, undefined);
        assert.equal(result.payload.iss, TEST_ISSUER);
        assert.ok(
          result.payload.aud === TEST_AUDIENCE ||
            (Array.isArray(result.payload.aud) && result.payload.aud.includes(TEST_AUDIENCE)),
        );
        assert.equal(typeof result.payload.exp, "number");
        assert.ok((result.payload.exp as number) > T - 5);
        if (result.payload.nbf !== undefined) assert.ok((result.payload.nbf as number) <= T + 5);
        if (result.payload.iat !== undefined) assert.ok((result.payload.iat as number) <= T + 5);
      }),
      { numRuns: 300 },
    );
  });
});
