/**
 * A minimal REST TOKEN authorizer on jose, as its documentation shows: a JWK set at module scope
 * (`createLocalJWKSet` from the `JWKS` variable, or `createRemoteJWKSet` on `JWKS_URI`, loaded during
 * init with `reload()`), `jwtVerify` with the issuer, audience and algorithm, an Allow policy for
 * the method ARN. Configured from the environment (`JWKS` or `JWKS_URI`, `ISSUER`, `AUDIENCE`).
 */
import { createLocalJWKSet, createRemoteJWKSet, type JSONWebKeySet, jwtVerify } from "jose";

const inline = process.env.JWKS;
const remote = inline === undefined ? createRemoteJWKSet(new URL(process.env.JWKS_URI!)) : undefined;
const keys = remote ?? createLocalJWKSet(JSON.parse(inline!) as JSONWebKeySet);
if (remote !== undefined) await remote.reload();

export async function handler(event: { authorizationToken: string; methodArn: string }) {
  const token = event.authorizationToken.replace(/^Bearer /i, "");
  let sub: string;
  try {
    const { payload } = await jwtVerify(token, keys, {
      algorithms: ["RS256"],
      issuer: process.env.ISSUER!,
      audience: process.env.AUDIENCE!,
    });
    sub = String(payload.sub);
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
