/**
 * The handler of a bundle with its configuration embedded (`gatepass bundle --config`): the
 * environment's logging variables still apply, and a bad value fails the cold start naming it.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ConfigError } from "../../../src/errors.js";
import { parseConfig, rulesFor } from "../../../src/lambda/config.js";
import { embeddedAuthorizer } from "../../../src/lambda/embedded.js";

const config = parseConfig({ issuers: [{ secret: "a-strong-shared-secret-of-48-bytes-0123456789ab" }] });

describe("embeddedAuthorizer and GATEPASS_LOG_SAMPLE_RATE", () => {
  test("a rate above 0 and up to 1 is accepted", () => {
    for (const rate of ["0.01", "1", " .5 "])
      assert.equal(
        typeof embeddedAuthorizer(config, rulesFor(config), { GATEPASS_LOG_SAMPLE_RATE: rate }),
        "function",
      );
  });
  test("anything else fails the cold start, naming the variable", () => {
    for (const rate of ["0", "2", "-1", "1e-2x", "all"])
      assert.throws(
        () => embeddedAuthorizer(config, rulesFor(config), { GATEPASS_LOG_SAMPLE_RATE: rate }),
        (error: unknown) =>
          error instanceof ConfigError && error.message.includes("GATEPASS_LOG_SAMPLE_RATE"),
        rate,
      );
  });
});
