import type { IncomingMessage } from "node:http";

/**
 * The `Host` check of the local gateway, against DNS rebinding: a web page on
 * `http://rebind.attacker.example` whose name later resolves to 127.0.0.1 reaches the server with
 * that name as `Host`. Only loopback names (`localhost`, the 127.0.0.0/8 addresses, `[::1]`, any
 * port) and the configured ones (`dev.allowedHosts`, `--allow-host`) are answered.
 *
 * A request without `Host` (HTTP/1.0; HTTP/1.1 without one gets 400 from `node:http` itself) is
 * answered: browsers always send `Host`, so such a request cannot come from a rebinding page.
 */

/** Why a request's host is refused, or `undefined` when it may be answered. */
export type HostRefusal = { readonly status: 400 | 421; readonly message: string } | undefined;

/** `127.a.b.c`, every part 0–255 in decimal. */
const LOOPBACK_V4 =
  /^127\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const LOOPBACK_V6 = new Set(["::1", "0:0:0:0:0:0:0:1"]);
/** `name` or `name:port`; `[v6]` or `[v6]:port`. */
const HOST_PORT = /^(?:\[([0-9a-f:.]+)\]|([^:[\]]+))(?::(\d{1,5}))?$/;

/** The host name of a `Host` value (lower-case, no port, IPv6 without brackets), or `undefined` when malformed. */
function hostOf(value: string): { name: string; v6: boolean } | undefined {
  const match = HOST_PORT.exec(value.trim().toLowerCase());
  if (!match) return undefined;
  return match[1] !== undefined ? { name: match[1], v6: true } : { name: match[2]!, v6: false };
}

/** True for `localhost`, 127.0.0.0/8 and `::1`. */
function isLoopbackName(name: string, v6: boolean): boolean {
  return v6 ? LOOPBACK_V6.has(name) : name === "localhost" || LOOPBACK_V4.test(name);
}

/** Checks a `Host` header value (or an absolute-form target's authority) against the loopback names and `allowed`. */
function checkHost(value: string, allowed: ReadonlySet<string>): HostRefusal {
  const host = hostOf(value);
  if (host === undefined) return { status: 400, message: "Bad Request: malformed Host header" };
  if (isLoopbackName(host.name, host.v6) || (!host.v6 && allowed.has(host.name))) return undefined;
  return {
    status: 421,
    message:
      "Misdirected Request: gatepass dev answers only loopback host names (localhost, 127.0.0.1, [::1]); allow another name with --allow-host NAME or dev.allowedHosts",
  };
}

const ABSOLUTE_AUTHORITY = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i;

/** `Host` values already accepted, per allowed set (a client sends the same one on every request). */
const accepted = new WeakMap<ReadonlySet<string>, Set<string>>();

/** {@link checkHost}, remembering accepted values (at most 64 per allowed set). */
function checkHostValue(value: string, allowed: ReadonlySet<string>): HostRefusal {
  let known = accepted.get(allowed);
  if (known?.has(value)) return undefined;
  const refusal = checkHost(value, allowed);
  if (refusal === undefined) {
    if (known === undefined) {
      known = new Set();
      accepted.set(allowed, known);
    }
    if (known.size >= 64) known.clear();
    known.add(value);
  }
  return refusal;
}

/**
 * Checks the request's host: every `Host` line (more than one is a 400, RFC 9112 §3.2) and, for an
 * absolute-form target (`GET http://name/path`), its authority, which takes precedence over `Host`.
 */
export function checkRequestHost(req: IncomingMessage, allowed: ReadonlySet<string>): HostRefusal {
  const raw = req.rawHeaders;
  let host: string | undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length !== 4 || name.toLowerCase() !== "host") continue;
    if (host !== undefined) return { status: 400, message: "Bad Request: more than one Host header" };
    host = raw[i + 1]!;
  }
  const url = req.url ?? "/";
  if (url.charCodeAt(0) !== 47) {
    const authority = ABSOLUTE_AUTHORITY.exec(url)?.[1];
    if (authority !== undefined) {
      const userinfo = authority.lastIndexOf("@");
      const refusal = checkHost(userinfo === -1 ? authority : authority.slice(userinfo + 1), allowed);
      if (refusal) return refusal;
    }
  }
  return host === undefined ? undefined : checkHostValue(host, allowed);
}
