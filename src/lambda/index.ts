/**
 * `gatepass/lambda`: the ready-made Lambda authorizer, configured from the environment
 * (`GATEPASS_CONFIG` or the `GATEPASS_*` shortcuts). A bad configuration throws while the module
 * loads, so Lambda reports an init error and no request is ever answered by a broken authorizer.
 * Remote keys are fetched during init, so the first request does not wait for them.
 */
import { buildAuthorizer } from "./authorizer.js";
import { loadConfig, rulesFor } from "./config.js";
import { metricsFor } from "./metrics.js";

// buildAuthorizer rather than createAuthorizer: the same handler, without the library hooks'
// code (an environment configuration cannot name functions).
const config = loadConfig();
export const handler = buildAuthorizer(config, rulesFor(config), { metrics: metricsFor(config) });
await handler.hydrate();
