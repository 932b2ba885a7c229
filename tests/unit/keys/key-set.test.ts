/**
 * Key lookup (src/keys/key-set.ts), RFC 8725: kid selects, the key must allow the token's alg, a
 * token without kid needs exactly one candidate, and ambiguity fails rather than guesses.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { AuthErrorCodes } from "../../../src/errors.js";
import type { Algorithm } from "../../../src/keys/algorithms.js";
import { KeySet, StaticKeySource } from "../../../src/keys/key-set.js";
import type { VerificationKey } from "../../../src/keys/types.js";
import { assertAuthError, testKey } from "../../helpers/keys.js";

let ids = 0;
function vk(
  kid: string | undefined,
  algorithms: Algorithm[],
  alg: Parameters<typeof testKey>[0] = "RS256",
): VerificationKey {
  ids += 1;
  return { kid, key: testKey(alg).verifyKey, algorithms: new Set(algorithms), id: `t#${ids}` };
}

describe("KeySet", () => {
  const rsA = vk("a", ["RS256"]);
  const esB = vk("b", ["ES256"], "ES256");
  const psC = vk("c", ["PS256", "RS256"]);
  const set = new KeySet([rsA, esB, psC]);

  test("size and hasKid", () => {
    assert.equal(set.size, 3);
    assert.equal(set.hasKid("a"), true);
    assert.equal(set.hasKid("z"), false);
  });

  test("the kid selects the key", () => {
    assert.equal(set.get({ kid: "a", alg: "RS256" }), rsA);
    assert.equal(set.get({ kid: "b", alg: "ES256" }), esB);
    assert.equal(set.get({ kid: "c", alg: "PS256" }), psC);
  });

  test("an unknown kid is not found (find: undefined, get: ERR_KEY_NOT_FOUND)", async () => {
    assert.equal(set.find({ kid: "z", alg: "RS256" }), undefined);
    await assertAuthError(() => set.get({ kid: "z", alg: "RS256" }), AuthErrorCodes.KEY_NOT_FOUND);
  });

  test("kids that are Object.prototype names are just unknown kids", async () => {
    for (const kid of ["__proto__", "constructor", "toString", "hasOwnProperty"]) {
      assert.equal(set.find({ kid, alg: "RS256" }), undefined);
      await assertAuthError(() => set.get({ kid, alg: "RS256" }), AuthErrorCodes.KEY_NOT_FOUND);
    }
  });

  test("a kid whose key does not allow the alg fails (ERR_JWT_ALGORITHM_NOT_ALLOWED)", async () => {
    await assertAuthError(() => set.get({ kid: "a", alg: "PS256" }), AuthErrorCodes.ALGORITHM_NOT_ALLOWED);
    await assertAuthError(() => set.get({ kid: "b", alg: "RS256" }), AuthErrorCodes.ALGORITHM_NOT_ALLOWED);
  });

  test("without kid: exactly one candidate for the alg is used", () => {
    assert.equal(set.get({ kid: undefined, alg: "ES256" }), esB);
    assert.equal(set.get({ kid: undefined, alg: "PS256" }), psC);
  });

  test("without kid: two candidates are ambiguous (ERR_KEY_NOT_FOUND), none is not found", async () => {
    await assertAuthError(() => set.get({ kid: undefined, alg: "RS256" }), AuthErrorCodes.KEY_NOT_FOUND);
    assert.equal(set.find({ kid: undefined, alg: "EdDSA" }), undefined);
    await assertAuthError(() => set.get({ kid: undefined, alg: "EdDSA" }), AuthErrorCodes.KEY_NOT_FOUND);
  });

  test("a duplicated kid that could verify the same token fails rather than guesses", async () => {
    const dup = new KeySet([vk("same", ["RS256"]), vk("same", ["RS256", "PS256"])]);
    await assertAuthError(() => dup.get({ kid: "same", alg: "RS256" }), AuthErrorCodes.KEY_NOT_FOUND);
  });

  test("a duplicated kid across key types picks the one key that allows the alg", () => {
    const rs = vk("same", ["RS256"]);
    const es = vk("same", ["ES256"], "ES256");
    const mixed = new KeySet([rs, es]);
    assert.equal(mixed.get({ kid: "same", alg: "ES256" }), es);
    assert.equal(mixed.get({ kid: "same", alg: "RS256" }), rs);
  });

  test("a token with kid does not match keys that have no kid", async () => {
    const noKid = new KeySet([vk(undefined, ["RS256"])]);
    await assertAuthError(() => noKid.get({ kid: "x", alg: "RS256" }), AuthErrorCodes.KEY_NOT_FOUND);
    assert.ok(noKid.get({ kid: undefined, alg: "RS256" }));
  });

  test("an empty set finds nothing", async () => {
    const empty = new KeySet([]);
    await assertAuthError(() => empty.get({ kid: undefined, alg: "RS256" }), AuthErrorCodes.KEY_NOT_FOUND);
    await assertAuthError(() => empty.get({ kid: "a", alg: "RS256" }), AuthErrorCodes.KEY_NOT_FOUND);
  });

  describe("ignoreKid (one configured key: secret or PEM)", () => {
    const only = vk(undefined, ["RS256", "PS256"]);
    const single = new KeySet([only], { ignoreKid: true });

    test("any kid, or none, selects the key", () => {
      assert.equal(single.get({ kid: "anything", alg: "RS256" }), only);
      assert.equal(single.get({ kid: "../../dev/null", alg: "PS256" }), only);
      assert.equal(single.get({ kid: undefined, alg: "RS256" }), only);
    });

    test("an alg the key does not allow fails (ERR_JWT_ALGORITHM_NOT_ALLOWED)", async () => {
      await assertAuthError(
        () => single.get({ kid: undefined, alg: "HS256" }),
        AuthErrorCodes.ALGORITHM_NOT_ALLOWED,
      );
      await assertAuthError(
        () => single.get({ kid: "x", alg: "ES256" }),
        AuthErrorCodes.ALGORITHM_NOT_ALLOWED,
      );
    });
  });

  test("messages never echo the kid", async () => {
    const kid = "attacker-controlled-kid-value";
    const error = await assertAuthError(() => set.get({ kid, alg: "RS256" }), AuthErrorCodes.KEY_NOT_FOUND);
    assert.ok(!error.message.includes(kid));
  });
});

describe("StaticKeySource", () => {
  test("delegates to its key set and hydrates without doing anything", async () => {
    const key = vk("k", ["RS256"]);
    const source = new StaticKeySource(new KeySet([key]));
    assert.equal(source.getKey({ kid: "k", alg: "RS256" }), key);
    await assertAuthError(() => source.getKey({ kid: "x", alg: "RS256" }), AuthErrorCodes.KEY_NOT_FOUND);
    await source.hydrate();
  });
});
