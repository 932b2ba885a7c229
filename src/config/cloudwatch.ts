/**
 * What CloudWatch accepts for the `metrics` settings, shared by the configuration table
 * (`fields.ts`) and the environment's `POWERTOOLS_*` variables (`lambda/metrics.ts`).
 */

/** A CloudWatch namespace: 1–255 of its characters, never the reserved `AWS/` prefix. */
export const METRICS_NAMESPACE_PATTERN = "^(?!AWS/)[0-9A-Za-z .\\-_/#:]{1,255}$";
/** A dimension value: printable ASCII, not starting with a colon, at most 255 characters here. */
export const METRICS_SERVICE_PATTERN = "^[!-9;-~][ -~]{0,254}$";
