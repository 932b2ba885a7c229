import {
  createPrivateKey,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  sign,
  X509Certificate,
} from "node:crypto";
import { isIPv4, isIPv6 } from "node:net";

/**
 * A minimal X.509 v3 builder for test PKI (`gatepass keys generate --client-cert`, `gatepass dev
 * --tls`): a self-signed CA, and client and TLS server certificates it issues, ECDSA P-256 with SHA-256, DER by hand (RFC 5280 §4.1). It makes
 * development certificates for mutual TLS, nothing a production PKI should rely on.
 */

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  if (n < 0x100) return Buffer.from([0x81, n]);
  return Buffer.from([0x82, n >> 8, n & 0xff]);
}
function tlv(tag: number, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), length(content.length), content]);
}
const seq = (...parts: Buffer[]) => tlv(0x30, Buffer.concat(parts));
const explicit = (n: number, inner: Buffer) => tlv(0xa0 + n, inner);
const bitString = (bytes: Buffer, unused = 0) => tlv(0x03, Buffer.concat([Buffer.from([unused]), bytes]));
const octetString = (bytes: Buffer) => tlv(0x04, bytes);
const TRUE = tlv(0x01, Buffer.from([0xff]));

function integer(bytes: Buffer): Buffer {
  let b = bytes;
  while (b.length > 1 && b[0] === 0 && (b[1]! & 0x80) === 0) b = b.subarray(1);
  return tlv(0x02, (b[0]! & 0x80) === 0 ? b : Buffer.concat([Buffer.from([0]), b]));
}

function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split(".").map(Number);
  const out = [a! * 40 + b!];
  for (const n of rest) {
    const chunk = [n & 0x7f];
    for (let v = n >>> 7; v > 0; v >>>= 7) chunk.unshift((v & 0x7f) | 0x80);
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

/** UTCTime through 2049, GeneralizedTime after (RFC 5280 §4.1.2.5). */
function time(date: Date): Buffer {
  const iso = date.toISOString().replace(/[-:T]/g, "").slice(0, 14);
  return date.getUTCFullYear() < 2050
    ? tlv(0x17, Buffer.from(`${iso.slice(2)}Z`))
    : tlv(0x18, Buffer.from(`${iso}Z`));
}

const name = (cn: string) => seq(tlv(0x31, seq(oid("2.5.4.3"), tlv(0x0c, Buffer.from(cn, "utf8")))));
const extension = (id: string, critical: boolean, value: Buffer) =>
  critical ? seq(oid(id), TRUE, octetString(value)) : seq(oid(id), octetString(value));
const ECDSA_SHA256 = seq(oid("1.2.840.10045.4.3.2"));

export interface IssuedCertificate {
  readonly commonName: string;
  /** The certificate, PEM. */
  readonly pem: string;
  /** Its private key, PKCS#8 PEM. */
  readonly keyPem: string;
  readonly certificate: X509Certificate;
  readonly privateKey: KeyObject;
}

interface CertificateRequest {
  readonly commonName: string;
  readonly days: number;
  /** The issuing CA; absent: self-signed CA. */
  readonly issuer?: IssuedCertificate;
  /** A TLS server certificate for these DNS names and IP addresses (SAN, serverAuth); absent: a client certificate. */
  readonly server?: { readonly dnsNames: readonly string[]; readonly ipAddresses: readonly string[] };
}

/** An IPv4 or IPv6 address as the bytes of a SAN `iPAddress` (RFC 5280 §4.2.1.6). */
function ipBytes(address: string): Buffer {
  if (isIPv4(address)) return Buffer.from(address.split(".").map(Number));
  if (!isIPv6(address) || address.includes("."))
    throw new Error(`not an IP address: ${address.slice(0, 40)}`);
  const [head = "", tail = ""] = address.split("::");
  const words = (part: string) => (part === "" ? [] : part.split(":").map((w) => Number.parseInt(w, 16)));
  const left = words(head);
  const right = address.includes("::") ? words(tail) : [];
  const all = [...left, ...new Array(8 - left.length - right.length).fill(0), ...right];
  const out = Buffer.alloc(16);
  for (let i = 0; i < 8; i++) out.writeUInt16BE(all[i]!, i * 2);
  return out;
}

/** The subjectAltName value: `dNSName` [2] and `iPAddress` [7] entries. */
function subjectAltName(dnsNames: readonly string[], ipAddresses: readonly string[]): Buffer {
  return seq(
    ...dnsNames.map((n) => tlv(0x82, Buffer.from(n, "ascii"))),
    ...ipAddresses.map((a) => tlv(0x87, ipBytes(a))),
  );
}

function issue(request: CertificateRequest): IssuedCertificate {
  const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const ca = request.issuer === undefined;
  const notBefore = new Date(Date.now() - 60_000);
  const notAfter = new Date(notBefore.getTime() + request.days * 86_400_000);
  const serial = randomBytes(16);
  serial[0]! &= 0x7f;
  const extensions = ca
    ? [
        extension("2.5.29.19", true, seq(TRUE)),
        extension("2.5.29.15", true, bitString(Buffer.from([0x06]), 1)),
      ]
    : request.server
      ? [
          extension("2.5.29.19", true, seq()),
          extension("2.5.29.15", true, bitString(Buffer.from([0x80]), 7)),
          extension("2.5.29.37", false, seq(oid("1.3.6.1.5.5.7.3.1"))),
          extension("2.5.29.17", false, subjectAltName(request.server.dnsNames, request.server.ipAddresses)),
        ]
      : [
          extension("2.5.29.19", true, seq()),
          extension("2.5.29.15", true, bitString(Buffer.from([0x80]), 7)),
          extension("2.5.29.37", false, seq(oid("1.3.6.1.5.5.7.3.2"))),
        ];
  const tbs = seq(
    explicit(0, integer(Buffer.from([2]))),
    integer(serial),
    ECDSA_SHA256,
    name(request.issuer?.commonName ?? request.commonName),
    seq(time(notBefore), time(notAfter)),
    name(request.commonName),
    publicKey.export({ type: "spki", format: "der" }),
    explicit(3, seq(...extensions)),
  );
  const signature = sign("sha256", tbs, request.issuer?.privateKey ?? privateKey);
  const der = seq(tbs, ECDSA_SHA256, bitString(signature));
  const pem = `-----BEGIN CERTIFICATE-----\n${der.toString("base64").replace(/.{64}/g, "$&\n").replace(/\n?$/, "\n")}-----END CERTIFICATE-----\n`;
  return {
    commonName: request.commonName,
    pem,
    keyPem: privateKey.export({ type: "pkcs8", format: "pem" }) as string,
    certificate: new X509Certificate(pem),
    privateKey,
  };
}

/** A self-signed test CA (`CN=commonName`, `cA=TRUE`, keyCertSign) valid `days` days. */
export function createTestCa(commonName: string, days: number): IssuedCertificate {
  return issue({ commonName, days });
}

/** A client certificate (`extendedKeyUsage=clientAuth`) issued by `ca`, valid `days` days. */
export function createClientCertificate(
  ca: IssuedCertificate,
  commonName: string,
  days: number,
): IssuedCertificate {
  return issue({ commonName, days, issuer: ca });
}

/**
 * A TLS server certificate (`extendedKeyUsage=serverAuth`, subjectAltName with `dnsNames` and
 * `ipAddresses`) issued by `ca`, valid `days` days.
 */
export function createServerCertificate(
  ca: IssuedCertificate,
  names: { readonly dnsNames: readonly string[]; readonly ipAddresses: readonly string[] },
  days: number,
): IssuedCertificate {
  return issue({
    commonName: names.dnsNames[0] ?? names.ipAddresses[0] ?? "localhost",
    days,
    issuer: ca,
    server: names,
  });
}

/**
 * A CA made by {@link createTestCa}, read back from its PEM files; `null` when they are not one
 * (a subject other than a lone `CN`, a key that is not the certificate's, not a CA).
 */
export function readTestCa(pem: string, keyPem: string): IssuedCertificate | null {
  try {
    const certificate = new X509Certificate(pem);
    const privateKey = createPrivateKey(keyPem);
    const match = /^CN=([^\n=,+]+)$/.exec(certificate.subject);
    if (match === null || !certificate.ca || !certificate.checkPrivateKey(privateKey)) return null;
    if (certificate.issuer !== certificate.subject) return null;
    return { commonName: match[1]!, pem, keyPem, certificate, privateKey };
  } catch {
    return null;
  }
}
