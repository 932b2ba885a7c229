import { Duration } from "aws-cdk-lib";
import * as apigateway from "aws-cdk-lib/aws-apigateway";
import { HttpLambdaAuthorizer, HttpLambdaResponseType } from "aws-cdk-lib/aws-apigatewayv2-authorizers";
import * as lambda from "aws-cdk-lib/aws-lambda";
import { Construct } from "constructs";

/** Props of {@link GatepassAuthorizer}. Give `bundleDir` or `code`. */
export interface GatepassAuthorizerProps {
  /**
   * The gatepass configuration, set as `GATEPASS_CONFIG` (JSON). Omit it when the configuration
   * is embedded in the bundle (`gatepass bundle --config FILE`) or given through `environment`.
   * Lambda limits all environment variables together to 4 KB.
   */
  readonly config?: Record<string, unknown>;
  /** A directory written by `gatepass bundle --out DIR` (its `index.mjs` is deployed). */
  readonly bundleDir?: string;
  /** Any other Lambda code whose `index.handler` is the gatepass handler. */
  readonly code?: lambda.Code;
  /**
   * How long API Gateway caches a decision [5 minutes; 0 disables; at most 1 hour]. Keep it well
   * under the tokens' lifetime: a cached Allow outlives the token's `exp`.
   */
  readonly resultsCacheTtl?: Duration;
  /** Extra environment variables (e.g. `GATEPASS_LOG_LEVEL`). */
  readonly environment?: Record<string, string>;
  /** Memory in MB [256]: more memory is more CPU, which is what RSA verification wants. */
  readonly memorySize?: number;
  /** [10 seconds]; keep `jwksCache.timeoutMs` under it. */
  readonly timeout?: Duration;
  /** [ARM_64] */
  readonly architecture?: lambda.Architecture;
  /** [NODEJS_22_X]; `NODEJS_24_X` works too. */
  readonly runtime?: lambda.Runtime;
}

/** Options of {@link GatepassAuthorizer.httpAuthorizer}. */
export interface GatepassHttpAuthorizerOptions {
  /** [`gatepass`] */
  readonly authorizerName?: string;
  /**
   * [`$request.header.Authorization`, `$context.routeKey`]: with the route key among the identity
   * sources, a cached simple response is reused for the same route only.
   */
  readonly identitySource?: string[];
}

/**
 * The gatepass Lambda authorizer: one function serving a REST API (`tokenAuthorizer`, a TOKEN
 * authorizer on the `Authorization` header) and any number of HTTP APIs (`httpAuthorizer()`, a
 * payload 2.0 authorizer with simple responses, cached per token and route).
 *
 * @example
 * const auth = new GatepassAuthorizer(this, "Auth", {
 *   bundleDir: "dist-lambda",
 *   config: { issuers: [{ issuer: "https://id.example.com/", audience: ["orders-api"], discovery: true }] },
 * });
 * restApi.root.addResource("orders").addMethod("GET", integration, { authorizer: auth.tokenAuthorizer });
 * httpApi.addRoutes({ path: "/orders", integration, authorizer: auth.httpAuthorizer() });
 */
export class GatepassAuthorizer extends Construct {
  /** The authorizer function. */
  readonly function: lambda.Function;
  /** The decision cache TTL used by both authorizer kinds. */
  readonly resultsCacheTtl: Duration;
  private restAuthorizer?: apigateway.TokenAuthorizer;

  constructor(scope: Construct, id: string, props: GatepassAuthorizerProps) {
    super(scope, id);
    if ((props.bundleDir === undefined) === (props.code === undefined)) {
      throw new Error("GatepassAuthorizer: give exactly one of bundleDir or code");
    }
    this.resultsCacheTtl = props.resultsCacheTtl ?? Duration.minutes(5);
    if (this.resultsCacheTtl.toSeconds() > 3600)
      throw new Error("GatepassAuthorizer: resultsCacheTtl is at most 1 hour");
    const environment: Record<string, string> = { ...props.environment };
    if (props.config !== undefined) environment.GATEPASS_CONFIG = JSON.stringify(props.config);
    this.function = new lambda.Function(this, "Function", {
      description: "gatepass JWT authorizer",
      runtime: props.runtime ?? lambda.Runtime.NODEJS_22_X,
      architecture: props.architecture ?? lambda.Architecture.ARM_64,
      handler: "index.handler",
      // The zip next to index.mjs would only be dead weight in the asset.
      code: props.code ?? lambda.Code.fromAsset(props.bundleDir!, { exclude: ["function.zip"] }),
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.seconds(10),
      environment,
    });
  }

  /**
   * The REST API TOKEN authorizer (identity source `method.request.header.Authorization`). Created
   * on first use, because an authorizer must be attached to a RestApi; use it on as many methods
   * of one RestApi as needed.
   */
  get tokenAuthorizer(): apigateway.TokenAuthorizer {
    this.restAuthorizer ??= new apigateway.TokenAuthorizer(this, "TokenAuthorizer", {
      handler: this.function,
      authorizerName: "gatepass",
      identitySource: apigateway.IdentitySource.header("Authorization"),
      resultsCacheTtl: this.resultsCacheTtl,
    });
    return this.restAuthorizer;
  }

  /** A new HTTP API authorizer (payload 2.0, simple responses) over the same function; one per HTTP API. */
  httpAuthorizer(
    id = "GatepassHttpAuthorizer",
    options: GatepassHttpAuthorizerOptions = {},
  ): HttpLambdaAuthorizer {
    return new HttpLambdaAuthorizer(id, this.function, {
      authorizerName: options.authorizerName ?? "gatepass",
      responseTypes: [HttpLambdaResponseType.SIMPLE],
      identitySource: options.identitySource ?? ["$request.header.Authorization", "$context.routeKey"],
      resultsCacheTtl: this.resultsCacheTtl,
    });
  }
}
