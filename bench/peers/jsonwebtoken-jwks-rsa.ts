/**
 * A minimal REST TOKEN authorizer on jsonwebtoken + jwks-rsa, the classic combination: a JWKS
 * client at module scope (cache and rate limit on), the signing key looked up by `kid` on the
 * first request, `jwt.verify` with the issuer, audience and algorithm, an Allow policy for the
 * method ARN. Configured from the environment (`JWKS_URI`, `ISSUER`, `AUDIENCE`). With inline keys
 * (the `JWKS` variable), no JWKS client: the keys are imported during init, found by `kid`.
 */
import { createPublicKey, type JsonWebKey, type KeyObject } from "node:crypto";
import jwt from "jsonwebtoken";
import jwksClient from "jwks-rsa";

const inline =
  process.env.JWKS === undefined
    ? undefined
    : new Map<string | undefined, KeyObject>(
        (JSON.parse(process.env.JWKS) as { keys: Array<JsonWebKey & { kid?: string }> }).keys.map((k) => [
          k.kid,
          createPublicKey({ key: k, format: "jwk" }),
        ]),
      );
const client =
  inline === undefined
    ? jwksClient({ jwksUri: process.env.JWKS_URI!, cache: true, rateLimit: true })
    : undefined;

export async function handler(event: { authorizationToken: string; methodArn: string }) {
  const token = event.authorizationToken.replace(/^Bearer /i, "");
  let sub: string;
  try {
    const decoded = jwt.decode(token, { complete: true });
    const kid = decoded?.header.kid;
    const key = inline !== undefined ? inline.get(kid) : (await client!.getSigningKey(kid)).getPublicKey();
    if (key === undefined) throw new Error("unknown kid");
    const payload = jwt.verify(token, key, {
      algorithms: ["RS256"],
      issuer: process.env.ISSUER!,
      audience: process.env.AUDIENCE!,
    }) as jwt.JwtPayload;
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
