import { ALGORITHMS, type Algorithm, isAlgorithm } from "../keys/algorithms.js";
import { parseDuration } from "../token/sign.js";
import { parser } from "./output.js";

/**
 * Option value parsers shared by the commands. Each throws a message saying what is expected;
 * commander turns it into a one-line usage error (exit 2).
 */

/** `--alg`: an algorithm gatepass can sign and verify. */
export const parseAlgorithm = parser((value: string): Algorithm => {
  if (!isAlgorithm(value)) {
    throw new Error(
      `unsupported algorithm "${value.slice(0, 20)}" (expected one of ${ALGORITHMS.join(", ")})`,
    );
  }
  return value;
});

/** `--kid`: a key id as gatepass accepts it in a token header (1 to 256 characters). */
export const parseKid = parser((value: string): string => {
  if (value.length === 0 || value.length > 256) throw new Error("expected 1 to 256 characters");
  return value;
});

/** `--ttl`, `--nbf`: `30s`, `15m`, `1h`, `7d` or a number of seconds. */
export const parseDurationOption = parser((value: string): number => {
  if (!/^\d+\s*[smhd]?$/.test(value.trim()))
    throw new Error(`expected a duration such as 30s, 15m, 1h or 7d, got "${value.slice(0, 20)}"`);
  return parseDuration(value);
});
