import { existsSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import type { DevServer } from "../../dev/server.js";

/** Single quotes for a shell, so a printed line runs exactly as shown. */
const shellQuote = (text: string) =>
  /^[\w./:@%+=,-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;

/** A path as short as it stays unambiguous: relative to `cwd` when under it. */
function shown(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel !== "" && !rel.startsWith("..") ? rel : path;
}

/**
 * The banner lines of `gatepass dev --tls`: the server certificate's CA for `curl --cacert`, the
 * truststore, and with mutual TLS ready `curl` lines: a token bound to the client certificate of
 * the token request's own connection (`bind_cert=1`), then the API called with and without it.
 * The client certificate is the one `gatepass keys generate --client-cert` wrote beside the
 * truststore (`client.pem`, `client.key.pem`), else placeholders to replace.
 */
export function tlsBanner(
  server: DevServer,
  cwd: string = process.cwd(),
): { info: string[]; tryLines: string[] } {
  const tls = server.tls;
  if (tls === null) return { info: [], tryLines: [] };
  const cacert = tls.serverCaFile === null ? null : shown(tls.serverCaFile, cwd);
  const info = [
    `  tls         ${cacert === null ? "HTTPS with the --tls-cert certificate" : `HTTPS, development certificate for localhost, 127.0.0.1 and ::1 (curl --cacert ${cacert})`}`,
  ];
  if (!tls.mutual || tls.truststoreFile === null) {
    info.push("  mtls        off (--client-ca TRUSTSTORE.pem turns on the custom domain's mutual TLS)");
    return { info, tryLines: [] };
  }
  info.push(
    `  mtls        client certificates issued by the ${tls.trustedCount} CA(s) of ${shown(tls.truststoreFile, cwd)}; without one: 403, as on an API Gateway custom domain`,
  );
  if (!server.trustsDevIssuer || server.issuer === null || server.dev.api === "websocket")
    return { info, tryLines: [] };
  const dir = dirname(tls.truststoreFile);
  const generated = existsSync(join(dir, "client.pem")) && existsSync(join(dir, "client.key.pem"));
  const cert = generated ? shellQuote(shown(join(dir, "client.pem"), cwd)) : "CLIENT.pem";
  const key = generated ? shellQuote(shown(join(dir, "client.key.pem"), cwd)) : "CLIENT.key.pem";
  const ca = cacert === null ? "" : ` --cacert ${shellQuote(cacert)}`;
  const path = server.configDescription === "embedded demo" ? "/orders/42" : "/";
  const tryLines = [
    `Try mutual TLS (${generated ? "each line runs as printed" : "CLIENT.pem and CLIENT.key.pem: a client certificate the truststore accepts, and its key"}):`,
    `  TOKEN=$(curl -s${ca} --cert ${cert} --key ${key} ${server.issuer.url}/token -d sub=alice -d scope=orders:read -d bind_cert=1 | sed -E 's/.*"access_token":"([^"]+)".*/\\1/')`,
    `  curl -i${ca} --cert ${cert} --key ${key} ${server.url}${path} -H "Authorization: Bearer $TOKEN"   # the token is bound to this certificate`,
    `  curl -i${ca} ${server.url}${path} -H "Authorization: Bearer $TOKEN"   # 403: no client certificate`,
  ];
  return { info, tryLines };
}
