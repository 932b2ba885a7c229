import { createHash, createPrivateKey, type KeyObject, X509Certificate } from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import type { RequestListener } from "node:http";
import { createServer, type Server as HttpsServer, request as httpsRequest } from "node:https";
import { join, resolve } from "node:path";
import { Readable } from "node:stream";
import type { TLSSocket } from "node:tls";
import type { DevApiType } from "../config/types.js";
import { createServerCertificate, createTestCa, type IssuedCertificate, readTestCa } from "../keys/x509.js";
import { plainLimitHeaders } from "./limits.js";

/**
 * `gatepass dev --tls`: the local gateway over HTTPS, as an API Gateway custom domain, and with
 * `--client-ca` the custom domain's mutual TLS (AWS: rest-api-mutual-tls.html,
 * http-api-mutual-tls.html, knowledge-center/api-gateway-mutual-tls-403-errors):
 * - the server asks every client for a certificate and checks it against the truststore; a request
 *   of a client without one, or with one the truststore does not accept (unknown issuer, expired,
 *   self-signed), gets API Gateway's 403 `{"message":"Forbidden"}` before any route, authorizer or
 *   backend runs (the development issuer and the console stay reachable: they are not the API);
 * - the certificate of an accepted client goes into every authorizer event and backend event in
 *   AWS's shape ({@link ApiGatewayClientCert}): REST and HTTP API 1.0
 *   `requestContext.identity.clientCert`, HTTP API 2.0 `requestContext.authentication.clientCert`;
 * - WebSocket APIs have no mutual TLS on AWS: `--client-ca` with one is refused at start.
 *
 * The server certificate is `--tls-cert`/`--tls-key`, or a development certificate for
 * `localhost`, `127.0.0.1` and `::1` issued by a development CA kept beside the development
 * issuer's keys (`tls-ca.pem`), so `curl --cacert` keeps working across restarts.
 */

/** What `--tls`, `--tls-cert`, `--tls-key` and `--client-ca` name (paths relative to `cwd`). */
export interface DevTlsOptions {
  /** The server certificate, PEM (a chain may follow it); with {@link keyFile}. [a development certificate] */
  readonly certFile?: string;
  /** The server certificate's private key, PEM (unencrypted). */
  readonly keyFile?: string;
  /** The truststore: PEM CA certificates. Given: mutual TLS. */
  readonly clientCaFile?: string;
}

/** What the server runs with, and what the banner tells clients. */
export interface DevTls {
  /** Mutual TLS (`--client-ca`) is on. */
  readonly mutual: boolean;
  /** The truststore file as resolved (`null` without mutual TLS). */
  readonly truststoreFile: string | null;
  /** How many CA certificates the truststore holds. */
  readonly trustedCount: number;
  /** The file clients pass to `curl --cacert`: the development CA (`null` for a `--tls-cert` brought along). */
  readonly serverCaFile: string | null;
  /** The server's certificate (its own fetches pin it). */
  readonly serverCertificate: X509Certificate;
  /** The `node:https` server options. */
  readonly serverOptions: {
    readonly cert: string;
    readonly key: string;
    readonly ca?: string[];
    readonly requestCert: boolean;
    readonly rejectUnauthorized: false;
  };
}

/**
 * The mutual-TLS client certificate as API Gateway puts it into events. AWS's examples show
 * `subjectDN`/`issuerDN` as distinguished names and `validity` in OpenSSL's text form
 * (`May 28 12:30:02 2019 GMT`) and the serial number as colon-separated lower-case hex bytes
 * (`a1:a1:…`; api-gateway-lambda-authorizer-input.html, http-api-lambda-authorizer.html): here
 * the names are the certificate's RDNs in order, joined with commas (`CN=client,O=Example`;
 * AWS's examples show placeholders), the serial and the dates as those examples show them.
 */
export interface ApiGatewayClientCert {
  readonly clientCertPem: string;
  readonly subjectDN: string;
  readonly issuerDN: string;
  readonly serialNumber: string;
  readonly validity: { readonly notBefore: string; readonly notAfter: string };
}

/** What a connection presented: an accepted certificate, a refusal (mutual TLS), or nothing asked. */
export type TlsPeer =
  | { readonly kind: "certificate"; readonly cert: ApiGatewayClientCert; readonly x5tS256: string }
  | { readonly kind: "refused"; readonly reason: string }
  | { readonly kind: "none" };

/** Largest PEM file read for `--tls-cert`, `--tls-key` and `--client-ca`, bytes. */
export const MAX_TLS_FILE_BYTES = 1024 * 1024;
/** Most CA certificates a truststore may hold. */
const MAX_TRUSTSTORE_CERTIFICATES = 1000;
/** Development certificates in the keys directory. */
export const DEV_TLS_FILES = {
  ca: "tls-ca.pem",
  caKey: "tls-ca.key.pem",
  server: "tls-server.pem",
  serverKey: "tls-server.key.pem",
} as const;
const DEV_CA_DAYS = 3650;
const DEV_SERVER_DAYS = 397;
const DEV_SERVER_NAMES = { dnsNames: ["localhost"], ipAddresses: ["127.0.0.1", "::1"] } as const;
const DAY_MS = 86_400_000;

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** A PEM file's text, or an `Error` naming the option and the file (never its content). */
function readPemFile(option: string, file: string): string {
  let stat: ReturnType<typeof statSync>;
  try {
    stat = statSync(file);
  } catch (error) {
    throw new Error(
      `${option} ${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? "error"})`,
    );
  }
  if (!stat.isFile()) throw new Error(`${option} ${file}: not a file`);
  if (stat.size > MAX_TLS_FILE_BYTES)
    throw new Error(
      `${option} ${file}: larger than ${MAX_TLS_FILE_BYTES} bytes, not a PEM file gatepass reads`,
    );
  try {
    return readFileSync(file, "latin1");
  } catch (error) {
    throw new Error(
      `${option} ${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? "error"})`,
    );
  }
}

/** The certificates of a PEM text, each parsed; throws naming the option and the block, never its content. */
function certificatesOf(option: string, file: string, text: string): X509Certificate[] {
  const blocks = text.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) throw new Error(`${option} ${file}: no PEM certificate block in it`);
  if (blocks.length > MAX_TRUSTSTORE_CERTIFICATES)
    throw new Error(`${option} ${file}: more than ${MAX_TRUSTSTORE_CERTIFICATES} certificates`);
  return blocks.map((block, i) => {
    try {
      return new X509Certificate(block);
    } catch {
      throw new Error(`${option} ${file}: certificate ${i + 1} is not a readable X.509 certificate`);
    }
  });
}

/** Writes `content` to `path` with `mode` (replacing any file). */
function writeKeyFile(path: string, content: string, mode: number): void {
  rmSync(path, { force: true });
  writeFileSync(path, content, { mode, flag: "wx" });
  chmodSync(path, mode);
}

/**
 * The development CA and server certificate in `keysDir`: read when usable (the server
 * certificate issued by the CA, for the loopback names, valid at least one more day), else made
 * and written (keys mode 0600).
 */
function developmentCertificate(
  keysDir: string,
  now: number,
): { ca: IssuedCertificate; server: IssuedCertificate; caFile: string } {
  mkdirSync(keysDir, { recursive: true, mode: 0o700 });
  const path = (name: string) => join(keysDir, name);
  const read = (name: string) => {
    try {
      return readFileSync(path(name), "utf8");
    } catch {
      return null;
    }
  };
  const lasts = (certificate: X509Certificate) => Date.parse(certificate.validTo) > now + DAY_MS;
  const caPem = read(DEV_TLS_FILES.ca);
  const caKeyPem = read(DEV_TLS_FILES.caKey);
  let ca = caPem !== null && caKeyPem !== null ? readTestCa(caPem, caKeyPem) : null;
  let server: IssuedCertificate | null = null;
  if (ca !== null && lasts(ca.certificate)) {
    const serverPem = read(DEV_TLS_FILES.server);
    const serverKeyPem = read(DEV_TLS_FILES.serverKey);
    if (serverPem !== null && serverKeyPem !== null) {
      try {
        const certificate = new X509Certificate(serverPem);
        const privateKey = createPrivateKey(serverKeyPem);
        if (
          certificate.checkIssued(ca.certificate) &&
          certificate.verify(ca.certificate.publicKey) &&
          certificate.checkPrivateKey(privateKey) &&
          certificate.checkHost("localhost") !== undefined &&
          certificate.checkIP("127.0.0.1") !== undefined &&
          lasts(certificate)
        )
          server = { commonName: "localhost", pem: serverPem, keyPem: serverKeyPem, certificate, privateKey };
      } catch {
        server = null;
      }
    }
  } else {
    ca = createTestCa("gatepass dev CA", DEV_CA_DAYS);
    writeKeyFile(path(DEV_TLS_FILES.caKey), ca.keyPem, 0o600);
    writeKeyFile(path(DEV_TLS_FILES.ca), ca.pem, 0o644);
  }
  if (server === null) {
    server = createServerCertificate(ca, DEV_SERVER_NAMES, DEV_SERVER_DAYS);
    writeKeyFile(path(DEV_TLS_FILES.serverKey), server.keyPem, 0o600);
    writeKeyFile(path(DEV_TLS_FILES.server), server.pem, 0o644);
  }
  return { ca, server, caFile: path(DEV_TLS_FILES.ca) };
}

/**
 * Reads and checks the TLS files (or makes the development certificate in `keysDir`). Throws an
 * `Error` of one sentence naming the option and file for anything unusable: unreadable, too large,
 * not PEM, a key that is not the certificate's, a truststore entry that is not a CA.
 */
export function loadDevTls(options: DevTlsOptions, keysDir: string, cwd: string, now: number): DevTls {
  if ((options.certFile === undefined) !== (options.keyFile === undefined))
    throw new Error("--tls-cert and --tls-key go together");
  let cert: string;
  let key: string;
  let serverCertificate: X509Certificate;
  let serverCaFile: string | null = null;
  if (options.certFile !== undefined && options.keyFile !== undefined) {
    const certFile = resolve(cwd, options.certFile);
    const keyFile = resolve(cwd, options.keyFile);
    cert = readPemFile("--tls-cert", certFile);
    serverCertificate = certificatesOf("--tls-cert", certFile, cert)[0]!;
    key = readPemFile("--tls-key", keyFile);
    let keyObject: KeyObject;
    try {
      keyObject = createPrivateKey(key);
    } catch {
      throw new Error(`--tls-key ${keyFile}: not an unencrypted PEM private key`);
    }
    if (!serverCertificate.checkPrivateKey(keyObject))
      throw new Error(`--tls-key ${keyFile}: not the private key of the --tls-cert certificate`);
  } else {
    const made = developmentCertificate(keysDir, now);
    cert = made.server.pem;
    key = made.server.keyPem;
    serverCertificate = made.server.certificate;
    serverCaFile = made.caFile;
  }
  let ca: string[] | undefined;
  let truststoreFile: string | null = null;
  if (options.clientCaFile !== undefined) {
    truststoreFile = resolve(cwd, options.clientCaFile);
    const trusted = certificatesOf("--client-ca", truststoreFile, readPemFile("--client-ca", truststoreFile));
    trusted.forEach((certificate, i) => {
      if (!certificate.ca)
        throw new Error(
          `--client-ca ${truststoreFile}: certificate ${i + 1} is not a CA certificate (basicConstraints cA); the truststore holds the CAs that issue client certificates`,
        );
    });
    ca = trusted.map((certificate) => certificate.toString());
  }
  return {
    mutual: ca !== undefined,
    truststoreFile,
    trustedCount: ca?.length ?? 0,
    serverCaFile,
    serverCertificate,
    serverOptions: {
      cert,
      key,
      ...(ca !== undefined ? { ca } : {}),
      requestCert: ca !== undefined,
      // Refusals are answered in HTTP (403), as API Gateway does, not by breaking the handshake.
      rejectUnauthorized: false,
    },
  };
}

/** What each TLS connection presented, decided once per connection. */
const peers = new WeakMap<object, TlsPeer>();
const NONE: TlsPeer = { kind: "none" };

/** The `node:https` server of `tls`, recording each connection's client certificate for {@link peerOf}. */
export function createTlsServer(tls: DevTls, listener: RequestListener): HttpsServer {
  const server = createServer({ ...tls.serverOptions, minVersion: "TLSv1.2" }, listener);
  server.on("secureConnection", (socket: TLSSocket) => {
    peers.set(socket, tls.mutual ? presented(socket) : NONE);
  });
  // A failed handshake (a client that does not trust the server certificate) is the client's business.
  server.on("tlsClientError", (_error, socket) => socket.destroy());
  return server;
}

function presented(socket: TLSSocket): TlsPeer {
  const certificate = socket.getPeerX509Certificate();
  if (certificate === undefined) return { kind: "refused", reason: "no client certificate" };
  if (!socket.authorized)
    return {
      kind: "refused",
      reason: `the truststore does not accept the client certificate (${String(socket.authorizationError ?? "unverified").slice(0, 80)})`,
    };
  return {
    kind: "certificate",
    cert: clientCertOf(certificate),
    x5tS256: createHash("sha256").update(certificate.raw).digest("base64url"),
  };
}

const UNRECORDED: TlsPeer = {
  kind: "refused",
  reason: "a TLS connection whose certificate was not recorded",
};

/**
 * What the connection of `socket` presented; `undefined` for a plain-HTTP connection. A TLS
 * connection this module did not record is refused (never taken for one without mutual TLS).
 */
export function peerOf(socket: object | null | undefined): TlsPeer | undefined {
  if (!socket) return undefined;
  const peer = peers.get(socket);
  if (peer !== undefined) return peer;
  return (socket as { encrypted?: unknown }).encrypted === true ? UNRECORDED : undefined;
}

/** `0A1B2C` → `0a:1b:2c`, the serial number form of AWS's examples (`a1:a1:…`). */
function colonHex(hex: string): string {
  const even = hex.length % 2 === 0 ? hex : `0${hex}`;
  return (even.toLowerCase().match(/../g) ?? []).join(":");
}

/** A certificate in the shape API Gateway passes it ({@link ApiGatewayClientCert}). */
export function clientCertOf(certificate: X509Certificate): ApiGatewayClientCert {
  return {
    clientCertPem: certificate.toString(),
    subjectDN: certificate.subject.split("\n").join(","),
    issuerDN: certificate.issuer.split("\n").join(","),
    serialNumber: colonHex(certificate.serialNumber),
    validity: { notBefore: certificate.validFrom, notAfter: certificate.validTo },
  };
}

/**
 * A `fetch` that reaches `origin` (this server) over HTTPS trusting exactly `pinned`, the server's
 * own certificate, and sends everything else to `fallback`: the authorizer's discovery and key
 * fetches to the development issuer on this very server, whatever CA signed its certificate.
 */
export function pinnedFetch(origin: string, pinned: X509Certificate, fallback: typeof fetch): typeof fetch {
  return (input, init) => {
    const href = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    const url = new URL(href);
    if (url.origin !== origin) return fallback(input, init);
    const body = init?.body;
    if (body !== undefined && body !== null && typeof body !== "string")
      return Promise.reject(new TypeError("only string bodies are sent to this server"));
    const headers: Record<string, string> = {};
    new Headers(init?.headers).forEach((value, name) => {
      headers[name] = value;
    });
    return new Promise<Response>((done, fail) => {
      const request = httpsRequest(
        url,
        {
          method: init?.method ?? "GET",
          headers,
          agent: false,
          // The chain is not checked: the certificate itself is compared, before anything is read.
          rejectUnauthorized: false,
          ...(init?.signal ? { signal: init.signal } : {}),
        },
        (response) => {
          const peer = (response.socket as TLSSocket).getPeerX509Certificate?.();
          if (peer === undefined || !peer.raw.equals(pinned.raw)) {
            response.destroy();
            fail(new TypeError("fetch failed: the server did not present its own certificate"));
            return;
          }
          const out = new Headers();
          for (const [name, value] of Object.entries(response.headers))
            if (value !== undefined) out.set(name, Array.isArray(value) ? value.join(", ") : value);
          const status = response.statusCode ?? 502;
          const nullBody = status === 204 || status === 205 || status === 304;
          if (nullBody) response.resume();
          done(
            new Response(nullBody ? null : (Readable.toWeb(response) as ReadableStream<Uint8Array>), {
              status,
              headers: out,
            }),
          );
        },
      );
      request.on("error", fail);
      request.end(typeof body === "string" ? body : undefined);
    });
  };
}

/**
 * API Gateway's answer to a request whose connection mutual TLS refuses: 403
 * `{"message":"Forbidden"}` (AWS: knowledge-center/api-gateway-mutual-tls-403-errors). It comes
 * from the custom domain, before the API: no Gateway Response applies.
 */
export function mutualTlsRefusal(
  api: DevApiType,
  requestId: string,
): { status: number; headers: Record<string, string>; body: string } {
  const body = '{"message":"Forbidden"}';
  return {
    status: 403,
    headers: {
      ...plainLimitHeaders(
        api,
        {
          status: 403,
          body,
          contentType: "application/json",
          errorType: "ForbiddenException",
          type: "DEFAULT_4XX",
          message: "Forbidden",
        },
        requestId,
      ),
      "content-length": String(body.length),
    },
    body,
  };
}
