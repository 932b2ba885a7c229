/**
 * A small native JWT authorizer for tests, on `jose` (not the product's verifier): a token signed by
 * one RSA key, `iss` and `aud` checked, `scope` read as space-separated scopes; 401 for no or a bad
 * token, 403 when the route requires scopes the token has none of. Its integration context is the
 * shape AWS documents for HTTP APIs: 2.0 `{ jwt: { claims, scopes } }`, 1.0 `{ claims, scopes }`.
 */
import { type CryptoKey, generateKeyPair, type JWTPayload, jwtVerify, SignJWT } from "jose";
import type {
  JwtAuthorizerDefinition,
  NativeJwtAuthorizer,
  NativeJwtVerdict,
} from "../../src/dev/definition/model.js";

export interface TestJwtIssuer {
  sign(claims: JWTPayload): Promise<string>;
  factory(definition: JwtAuthorizerDefinition): NativeJwtAuthorizer;
  /** Every identity value the authorizers were asked about. */
  readonly seen: Array<string | undefined>;
}

export async function testJwtIssuer(issuer: string, audience: string): Promise<TestJwtIssuer> {
  const { privateKey, publicKey } = (await generateKeyPair("RS256")) as {
    privateKey: CryptoKey;
    publicKey: CryptoKey;
  };
  const seen: Array<string | undefined> = [];
  return {
    seen,
    sign: (claims) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: "RS256" })
        .setIssuer(issuer)
        .setAudience(audience)
        .setIssuedAt()
        .setExpirationTime("5m")
        .sign(privateKey),
    factory: (definition) => ({
      definition,
      async authorize(identity, requiredScopes): Promise<NativeJwtVerdict> {
        seen.push(identity);
        if (identity === undefined) return { ok: false, status: 401, reason: "no token" };
        const token = identity.replace(/^Bearer /i, "");
        let payload: JWTPayload;
        try {
          payload = (
            await jwtVerify(token, publicKey, {
              issuer: definition.issuer,
              audience: [...definition.audience],
            })
          ).payload;
        } catch {
          return { ok: false, status: 401, reason: "invalid token" };
        }
        const scopes = typeof payload.scope === "string" ? payload.scope.split(" ") : null;
        if (requiredScopes.length > 0 && !requiredScopes.some((s) => scopes?.includes(s)))
          return { ok: false, status: 403, reason: "missing scope" };
        return { ok: true, claims: payload as Record<string, unknown>, scopes };
      },
      integrationContext(verdict, payloadFormatVersion) {
        return payloadFormatVersion === "2.0"
          ? { jwt: { claims: verdict.claims, scopes: verdict.scopes } }
          : { claims: verdict.claims, scopes: verdict.scopes };
      },
    }),
  };
}
