/**
 * Test-time X.509 material made with the `openssl` command line (an implementation independent of
 * gatepass and of `node:crypto`): a CA and client certificates it signs, each with its RFC 8705
 * `x5t#S256` thumbprint as `openssl` computes it (SHA-256 fingerprint of the DER, base64url).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TestCertificate {
  /** The certificate, PEM. */
  readonly pem: string;
  /** Its private key, PEM (PKCS#8). */
  readonly keyPem: string;
  /** `base64url(SHA-256(DER))`, from `openssl x509 -fingerprint -sha256`. */
  readonly x5tS256: string;
}

export interface TestPki {
  readonly ca: TestCertificate;
  readonly client: TestCertificate;
  /** A second client certificate from the same CA (a different thumbprint). */
  readonly other: TestCertificate;
}

function openssl(args: readonly string[], cwd: string): string {
  return execFileSync("openssl", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

function thumbprint(file: string, cwd: string): string {
  const out = openssl(["x509", "-in", file, "-noout", "-fingerprint", "-sha256"], cwd);
  const hex = out.trim().split("=")[1]!.replaceAll(":", "");
  return Buffer.from(hex, "hex").toString("base64url");
}

function read(dir: string, name: string, file: string): TestCertificate {
  return {
    pem: readFileSync(join(dir, `${name}.pem`), "utf8"),
    keyPem: readFileSync(join(dir, `${name}.key`), "utf8"),
    x5tS256: thumbprint(file, dir),
  };
}

/** A fresh CA (P-256) and two client certificates it issued (`extendedKeyUsage=clientAuth`), valid one day. */
export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), "gatepass-pki-"));
  try {
    const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
    openssl(
      [
        "req",
        "-x509",
        ...ec,
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-subj",
        "/CN=gatepass test CA",
        "-days",
        "1",
      ],
      dir,
    );
    writeFileSync(join(dir, "client.ext"), "extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n");
    for (const name of ["client", "other"]) {
      openssl(["req", ...ec, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${name}`], dir);
      openssl(
        [
          "x509",
          "-req",
          "-in",
          `${name}.csr`,
          "-CA",
          "ca.pem",
          "-CAkey",
          "ca.key",
          "-CAcreateserial",
          "-out",
          `${name}.pem`,
          "-days",
          "1",
          "-extfile",
          "client.ext",
        ],
        dir,
      );
    }
    return {
      ca: read(dir, "ca", "ca.pem"),
      client: read(dir, "client", "client.pem"),
      other: read(dir, "other", "other.pem"),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
