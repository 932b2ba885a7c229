"use strict";
// `require("gatepass/lambda")`: the handler module awaits its keys at load (top-level await), so
// require() cannot load it on any Node.js version. Point Lambda at it, or import it.
throw new Error(
  'gatepass/lambda is an ES module with top-level await and cannot be loaded with require(): use export { handler } from "gatepass/lambda" in an .mjs file, or set the function\'s handler to node_modules/gatepass/dist/lambda/index.handler.',
);
