/**
 * A minimal REST TOKEN authorizer on fast-jwt: fast-jwt fetches no keys itself, so the JWK set is
 * read from the `JWKS` variable or fetched from `JWKS_URI` during init (a few lines on
 * `node:http`), one verifier per key (`createVerifier` with the issuer, audience and algorithm,
 * no cache), chosen by the token's `kid`; an Allow policy for the method ARN.
 */
import { createPublicKey, type JsonWebKey } from "node:crypto";
import { createDecoder, createVerifier } from "fast-jwt";
import { getJson } from "./get-json.js";

type Jwks = { keys: Array<JsonWebKey & { kid?: string }> };
const jwks = (
  process.env.JWKS !== undefined ? JSON.parse(process.env.JWKS) : await getJson(process.env.JWKS_URI!)
) as Jwks;
const verifiers = new Map(
  jwks.keys.map((jwk) => [
    jwk.kid,
    createVerifier({
      key: createPublicKey({ key: jwk, format: "jwk" }).export({ format: "pem", type: "spki" }).toString(),
      algorithms: ["RS256"],
      allowedIss: process.env.ISSUER!,
      allowedAud: process.env.AUDIENCE!,
    }),
  ]),
);
const decode = createDecoder({ complete: true });

export async function handler(event: { authorizationToken: string; methodArn: string }) {
  const token = event.authorizationToken.replace(/^Bearer /i, "");
  let sub: string;
  try {
    const { header } = decode(token) as { header: { kid?: string } };
    const verify = verifiers.get(header.kid);
    if (verify === undefined) throw new Error("unknown kid");
    sub = String((verify(token) as { sub?: unknown }).sub);
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
