/**
 * `gatepass:metrics` in a `gatepass bundle --config` bundle whose configuration has no `metrics`:
 * no metrics code in the bundle. Metrics are then decided at bundle time, so
 * `POWERTOOLS_METRICS_NAMESPACE` does not turn them on in such a bundle.
 */
import type { metricsFor as MetricsFor } from "./metrics.js";

export const metricsFor: typeof MetricsFor = () => undefined;
