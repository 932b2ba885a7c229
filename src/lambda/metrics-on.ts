/**
 * `gatepass:metrics` in a `gatepass bundle --config` bundle whose configuration has `metrics`: the
 * EMF metrics (`metrics.ts`), with `POWERTOOLS_SERVICE_NAME` read at cold start.
 */
export { metricsFor } from "./metrics.js";
