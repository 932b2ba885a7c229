/**
 * e2e: mutual TLS with an API definition (`--template`): a SAM REST API and a SAM HTTP API whose
 * Lambda authorizer is not in the template, so gatepass's own authorizer runs with a configuration
 * using `certificateBound: "required"`, served over real TLS with `openssl`-made certificates. The
 * definition's own backend function (it echoes its event) receives `clientCert` in AWS's shape.
 */
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request as httpsRequest } from "node:https";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { loadApiDefinitions } from "../../src/dev/definition/load.js";
import { fixture, startTestServer, type TestServer } from "../fixtures/dev/harness.js";
import { makeTestPki, type TestCertificate, type TestPki } from "../helpers/certs.js";

const OPTS = { timeout: 30_000 };

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

function tlsCall(
  url: string,
  ca: string,
  client: TestCertificate | undefined,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; text: string }> {
  return new Promise((done, fail) => {
    const req = httpsRequest(
      url,
      {
        method: options.method ?? "GET",
        headers: options.headers ?? {},
        ca,
        agent: false,
        ...(client ? { cert: client.pem, key: client.keyPem } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          done({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }),
        );
      },
    );
    req.on("error", fail);
    req.setTimeout(10_000, () => req.destroy(new Error("timeout")));
    req.end(options.body);
  });
}

const AUTHORIZER = {
  rest: `
      Auth:
        DefaultAuthorizer: Gate
        Authorizers:
          Gate:
            FunctionArn: arn:aws:lambda:us-east-1:123456789012:function:gatepass
            FunctionPayloadType: REQUEST
            Identity:
              Headers:
                - Authorization
              ReauthorizeEvery: 0`,
  http: `
      Auth:
        DefaultAuthorizer: Gate
        Authorizers:
          Gate:
            FunctionArn: arn:aws:lambda:us-east-1:123456789012:function:gatepass
            AuthorizerPayloadFormatVersion: "2.0"
            EnableSimpleResponses: true
            Identity:
              Headers:
                - Authorization`,
};

function template(kind: "rest" | "http"): string {
  return `AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: ${kind === "rest" ? "AWS::Serverless::Api" : "AWS::Serverless::HttpApi"}
    Properties:${kind === "rest" ? "\n      StageName: test" : ""}${AUTHORIZER[kind]}
  Echo:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs22.x
      CodeUri: src/
      Handler: echo.handler
      Events:
        Get:
          Type: ${kind === "rest" ? "Api" : "HttpApi"}
          Properties:
            ${kind === "rest" ? "RestApiId" : "ApiId"}: !Ref Api
            Path: /orders
            Method: GET
`;
}

let pki: TestPki;
let dir: string;
before(() => {
  pki = makeTestPki();
  dir = mkdtempSync(join(tmpdir(), "gatepass-mtls-def-"));
  mkdirSync(join(dir, "src"));
  copyFileSync(fixture("definition/echo-lambda.mjs"), join(dir, "src", "echo.mjs"));
  writeFileSync(join(dir, "truststore.pem"), pki.ca.pem);
});
after(() => rmSync(dir, { recursive: true, force: true }));

for (const kind of ["rest", "http"] as const) {
  describe(`gatepass dev --template (SAM ${kind} API) --tls --client-ca: certificate-bound tokens`, () => {
    let t: TestServer;
    let ca: string;
    before(async () => {
      const file = join(dir, `${kind}.yaml`);
      writeFileSync(file, template(kind));
      const [definition] = loadApiDefinitions({ template: file, cwd: dir });
      const port = await freePort();
      t = await startTestServer({
        port,
        cwd: dir,
        definition: definition!,
        config: {
          issuers: [
            {
              issuer: `https://127.0.0.1:${port}`,
              audience: ["gatepass-dev"],
              discovery: true,
              certificateBound: "required",
            },
          ],
        },
        tls: { clientCaFile: join(dir, "truststore.pem") },
      });
      ca = readFileSync(t.server.tls!.serverCaFile!, "utf8");
    });
    after(async () => {
      await t.close();
    });

    const bound = async () => {
      const res = await tlsCall(`${t.url}/token`, ca, pki.client, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: "sub=alice&bind_cert=1",
      });
      assert.equal(res.status, 200, res.text);
      return (JSON.parse(res.text) as { access_token: string }).access_token;
    };
    const path = "/orders";

    it(
      "its certificate: 200, and the definition's function gets clientCert in AWS's shape",
      OPTS,
      async () => {
        const res = await tlsCall(`${t.url}${path}`, ca, pki.client, {
          headers: { authorization: `Bearer ${await bound()}` },
        });
        assert.equal(res.status, 200, res.text);
        const event = JSON.parse(res.text) as {
          requestContext: Record<string, Record<string, Record<string, unknown>>>;
        };
        const holder = kind === "rest" ? event.requestContext.identity : event.requestContext.authentication;
        assert.equal(
          holder?.clientCert?.clientCertPem,
          new (await import("node:crypto")).X509Certificate(pki.client.pem).toString(),
        );
        assert.equal(holder?.clientCert?.subjectDN, "CN=client");
      },
    );

    it("another trusted certificate: 401; no certificate: 403", OPTS, async () => {
      const token = await bound();
      const other = await tlsCall(`${t.url}${path}`, ca, pki.other, {
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(other.status, 401, other.text);
      const none = await tlsCall(`${t.url}${path}`, ca, undefined, {
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(none.status, 403, none.text);
    });
  });
}

describe("gatepass dev --template (SAM HTTP API, JWT authorizer) --tls --client-ca: the native JWT authorizer trusts the development issuer over TLS", () => {
  it(
    "a development RS256 token passes (keys fetched from this server over TLS); the event carries the certificate",
    OPTS,
    async () => {
      const port = await freePort();
      const file = join(dir, "jwt.yaml");
      writeFileSync(
        file,
        template("http").replace(
          AUTHORIZER.http,
          `
      Auth:
        DefaultAuthorizer: Jwt
        Authorizers:
          Jwt:
            IdentitySource: $request.header.Authorization
            JwtConfiguration:
              issuer: https://127.0.0.1:${port}
              audience:
                - gatepass-dev`,
        ),
      );
      const [definition] = loadApiDefinitions({ template: file, cwd: dir });
      const t = await startTestServer({
        port,
        cwd: dir,
        definition: definition!,
        issuer: true,
        tls: { clientCaFile: join(dir, "truststore.pem") },
      });
      try {
        const ca = readFileSync(t.server.tls!.serverCaFile!, "utf8");
        const token = t.server.mintToken({ sub: "alice", alg: "RS256" }).access_token;
        const res = await tlsCall(`${t.url}/orders`, ca, pki.client, {
          headers: { authorization: `Bearer ${token}` },
        });
        assert.equal(res.status, 200, res.text);
        const event = JSON.parse(res.text) as {
          requestContext: Record<string, Record<string, Record<string, unknown>>>;
        };
        assert.equal(event.requestContext.authentication?.clientCert?.subjectDN, "CN=client");
        assert.equal(
          (event.requestContext.authorizer?.jwt?.claims as { sub?: string } | undefined)?.sub,
          "alice",
        );
      } finally {
        await t.close();
      }
    },
  );
});
