/**
 * A minimal REST TOKEN authorizer on aws-jwt-verify, written the way its README recommends: the
 * verifier at module scope, keys fetched during init (`hydrate`) or given inline (`cacheJwks`, from
 * the `JWKS` variable), an Allow policy for the method ARN. Configured from the environment (`JWKS`
 * or `JWKS_URI`, `ISSUER`, `AUDIENCE`).
 *
 * The one deviation: aws-jwt-verify fetches over `https` only, and the benchmark's JWKS endpoint is
 * plain HTTP on loopback, so its fetcher is replaced by the same few lines on `node:http`. Its own
 * HTTPS fetcher is still bundled and loaded (its Node compatibility layer imports it).
 */
import { get } from "node:http";
import { JwtVerifier } from "aws-jwt-verify";
import { SimpleJwksCache } from "aws-jwt-verify/jwk";

const fetcher = {
  fetch: (uri: string): Promise<ArrayBuffer> =>
    new Promise((resolve, reject) => {
      get(uri, (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => {
          const body = Buffer.concat(chunks);
          resolve(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer);
        });
        response.on("error", reject);
      }).on("error", reject);
    }),
};

const verifier = JwtVerifier.create(
  {
    issuer: process.env.ISSUER!,
    audience: process.env.AUDIENCE!,
    // With inline keys, the URI is never fetched.
    jwksUri: process.env.JWKS_URI ?? "https://id.example.com/.well-known/jwks.json",
  },
  { jwksCache: new SimpleJwksCache({ fetcher }) },
);
if (process.env.JWKS !== undefined) verifier.cacheJwks(JSON.parse(process.env.JWKS));
else await verifier.hydrate();

export async function handler(event: { authorizationToken: string; methodArn: string }) {
  const token = event.authorizationToken.replace(/^Bearer /i, "");
  let sub: string;
  try {
    sub = String((await verifier.verify(token)).sub);
  } catch {
    throw new Error("Unauthorized");
  }
  return {
    principalId: sub,
    policyDocument: {
      Version: "2012-10-17",
      Statement: [{ Action: "execute-api:Invoke", Effect: "Allow", Resource: event.methodArn }],
    },
  };
}
