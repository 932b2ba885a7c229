/**
 * Type-level tests, checked by `tsc` in `npm run typecheck` (never run): the public types against
 * `@types/aws-lambda`'s handler types and jose's typed payloads. A line that stops type-checking, or
 * a `@ts-expect-error` that stops being an error, fails the typecheck.
 */
import type {
  APIGatewayRequestAuthorizerHandler,
  APIGatewayRequestIAMAuthorizerHandlerV2,
  APIGatewayRequestSimpleAuthorizerHandlerV2,
  APIGatewayTokenAuthorizerHandler,
} from "aws-lambda";
import {
  type AuthorizerHandler,
  createAuthorizer,
  createVerifier,
  type GatepassConfigInput,
  type HttpApiResponseOf,
  type PolicyAuthorizerResponse,
  type SimpleAuthorizerResponse,
} from "../../src/index.js";
import { handler as lambdaHandler } from "../../src/lambda/index.js";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const expectType = <T extends true>(_ok: T) => {};

const issuers = [{ issuer: "https://id.example.com/", audience: ["orders-api"], discovery: true }];

// The default configuration answers HTTP API 2.0 events with simple responses.
const simple = createAuthorizer({ issuers });
export const token: APIGatewayTokenAuthorizerHandler = simple;
export const request: APIGatewayRequestAuthorizerHandler = simple;
export const httpSimple: APIGatewayRequestSimpleAuthorizerHandlerV2 = simple;
expectType<Equal<typeof simple, AuthorizerHandler<SimpleAuthorizerResponse>>>(true);

// `httpApi.response: "iam"`: policies for 2.0 events too, whose context may hold arrays and objects
// (payload 2.0 keeps them), which `APIGatewayIAMAuthorizerResult` does not declare.
const iam = createAuthorizer({ issuers, httpApi: { response: "iam" } });
expectType<Equal<typeof iam, AuthorizerHandler<PolicyAuthorizerResponse<Record<string, unknown>>>>>(true);
export const iamToken: APIGatewayTokenAuthorizerHandler = iam;
// @ts-expect-error a simple-response handler type for an IAM configuration
export const iamAsSimple: APIGatewayRequestSimpleAuthorizerHandlerV2 = iam;
// @ts-expect-error nested context values, which the type of @types/aws-lambda does not allow
export const iamV2: APIGatewayRequestIAMAuthorizerHandlerV2 = iam;

// A configuration of unknown type (the environment, a JSON file): either answer for 2.0 events.
declare const fromFile: unknown;
expectType<
  Equal<
    HttpApiResponseOf<unknown>,
    PolicyAuthorizerResponse<Record<string, unknown>> | SimpleAuthorizerResponse
  >
>(true);
export const unknownRest: APIGatewayTokenAuthorizerHandler = createAuthorizer(fromFile);
// @ts-expect-error the answer to a 2.0 event is not known to be a simple response
export const unknownSimple: APIGatewayRequestSimpleAuthorizerHandlerV2 = createAuthorizer(fromFile);
// `gatepass/lambda`'s handler: REST and WebSocket handler types.
export const lambdaRest: APIGatewayRequestAuthorizerHandler = lambdaHandler;

// verify<T>() types the payload as jose's jwtVerify<T> does.
export async function typedPayload(jwt: string) {
  const verifier = createVerifier({ issuers });
  const { payload } = await verifier.verify<{ scope: string; tenant: number }>(jwt);
  expectType<Equal<typeof payload.scope, string>>(true);
  expectType<Equal<typeof payload.tenant, number>>(true);
  const plain = await verifier.verify(jwt);
  expectType<Equal<typeof plain.payload.scope, unknown>>(true);
}

// Identity-provider presets are typed in the configuration input: a typo or a wrong tokenUse fails.
export const presets: GatepassConfigInput = {
  issuers: [
    { preset: "cognito", userPoolId: "eu-west-1_AbC123", tokenUse: null, clientId: ["c1"] },
    { preset: "entra", tenantId: "organizations", allowedTenants: ["t"], audience: ["a"], version: "2.0" },
    { preset: "auth0", domain: "acme.eu.auth0.com", audience: "a", scopeClaims: ["permissions"] },
  ],
};
// @ts-expect-error tokenUse is "access", "id" or null
export const badTokenUse: GatepassConfigInput = { issuers: [{ preset: "cognito", tokenUse: "refresh" }] };
// @ts-expect-error an unknown preset
export const badPreset: GatepassConfigInput = { issuers: [{ preset: "github" }] };
