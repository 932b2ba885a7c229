"use strict";
// `require("gatepass")`: gatepass is an ES module package. Node.js 20.19+ and 22.12+ load it with
// require() as well; older versions cannot, and get this message instead of ERR_REQUIRE_ESM.
try {
  module.exports = require("../dist/index.js");
} catch (error) {
  if (error && error.code === "ERR_REQUIRE_ESM") {
    throw new Error(
      'gatepass is an ES module: use import { ... } from "gatepass" (or await import("gatepass") from CommonJS), or Node.js 20.19+ / 22.12+, which can require() it.',
      { cause: error },
    );
  }
  throw error;
}
