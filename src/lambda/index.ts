/**
 * `gatepass/lambda`: the ready-made Lambda authorizer, configured from the environment
 * (`GATEPASS_CONFIG` or the `GATEPASS_*` shortcuts). A bad configuration throws while the module
 * loads, so Lambda reports an init error and no request is ever answered by a broken authorizer.
 * Remote keys are fetched during init, so the first request does not wait for them.
 */
import { createAuthorizer } from "./authorizer.js";
import { loadConfig } from "./config.js";

export const handler = createAuthorizer(loadConfig());
await handler.hydrate();
