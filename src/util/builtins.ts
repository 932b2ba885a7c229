/**
 * Node built-ins that the Lambda handler needs only on some paths, loaded on first use.
 *
 * Why not `import`: an ESM import of `node:fs` builds its namespace, which reads every export, and
 * `fs.ReadStream` loads the whole streams stack; a dynamic `import("node:http")` goes through the
 * ESM loader. Both cost a cold start milliseconds for a module it may never use (a key file is
 * optional; a fetch happens once). `process.getBuiltinModule` (Node ≥ 20.16) returns the module
 * itself, without either cost.
 */
import type * as NodeBuffer from "node:buffer";
import type * as Crypto from "node:crypto";
import type * as Fs from "node:fs";
import type * as Http from "node:http";

/**
 * `node:crypto`, which every verification needs, as the module itself: an ESM import of it builds
 * its namespace, which reads every export, and reading `webcrypto` and `subtle` loads Web Crypto
 * (about half a millisecond of every cold start, for an API gatepass never calls).
 */
export const nodeCrypto: typeof Crypto = process.getBuiltinModule("node:crypto");

/** `node:buffer`, the module itself (its ESM namespace would read every export too). */
export const nodeBuffer: typeof NodeBuffer = process.getBuiltinModule("node:buffer");

/** `node:fs`. */
export function fileSystem(): typeof Fs {
  return process.getBuiltinModule("node:fs");
}

/** `node:https` for an https URL, `node:http` otherwise (their `get` and `request` take the same arguments). */
export function httpClient(protocol: string): Pick<typeof Http, "get" | "request"> {
  return protocol === "https:"
    ? process.getBuiltinModule("node:https")
    : process.getBuiltinModule("node:http");
}
