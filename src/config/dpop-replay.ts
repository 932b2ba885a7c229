/**
 * What DynamoDB and AWS accept for `dpopReplay`, shared by the configuration table (`fields.ts`),
 * its validation (`schema.ts`), the environment's `GATEPASS_DPOP_REPLAY_TABLE` (`from-env.ts`) and
 * the bundles configured at build time (`lambda/embedded.ts`).
 */

/**
 * A DynamoDB table name: 3 to 255 of `a-z A-Z 0-9 _ - .` (DynamoDB's naming rules). A name only:
 * no ARN, no path, nothing a request could be steered with.
 */
export const DYNAMODB_TABLE_PATTERN = "^[A-Za-z0-9_.-]{3,255}$";
/** An AWS region name (`eu-west-1`, `us-gov-west-1`, `cn-north-1`). */
export const AWS_REGION_PATTERN = "^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$";

/** How long a put may take before the request is refused [ms]. */
export const DEFAULT_REPLAY_TIMEOUT_MS = 1000;

/** The variable that makes the replay store a DynamoDB table of this name. */
export const REPLAY_TABLE_VARIABLE = "GATEPASS_DPOP_REPLAY_TABLE";

/**
 * `GATEPASS_DPOP_REPLAY_TABLE`, trimmed; `undefined` when unset or blank. The caller validates it
 * as the `dpopReplay.table` field.
 */
export function replayTableOf(env: Record<string, string | undefined>): string | undefined {
  const raw = env[REPLAY_TABLE_VARIABLE]?.trim();
  return raw === undefined || raw === "" ? undefined : raw;
}
