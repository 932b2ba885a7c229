/** Assertions shared by the key-source suites (remote JWKS, discovery). */
import assert from "node:assert/strict";
import { AuthError } from "../../src/errors.js";
import type { VerificationKey } from "../../src/keys/types.js";
import type { createMemoryLogger } from "../../src/log.js";

/** A `getKey` answer that must be immediate: the key itself, not a promise. */
export function sync(answer: VerificationKey | Promise<VerificationKey>): VerificationKey {
  assert.ok(!(answer instanceof Promise), "expected a synchronous answer");
  return answer;
}

/** Runs `run` and asserts it throws or rejects with an `AuthError` of `code`; returns the error. */
export async function rejectsWith(run: () => unknown, code: string): Promise<AuthError> {
  let caught: unknown;
  try {
    await run();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof AuthError, `expected an AuthError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code);
  return caught;
}

/** The memory logger's lines of one event. */
export function events(logger: ReturnType<typeof createMemoryLogger>, event: string) {
  return logger.lines.filter((line) => line.event === event);
}
