/**
 * `gatepass/cdk`: the gatepass Lambda authorizer as an AWS CDK v2 construct. `aws-cdk-lib` and
 * `constructs` are optional peer dependencies: this module is the only one that imports them, and
 * nothing else in the package imports this module.
 */
import { Duration } from "aws-cdk-lib";
import * as apigateway from "aws-cdk-lib/aws-apigateway";
import type * as apigwv2 from "aws-cdk-lib/aws-apigatewayv2";
import { HttpLambdaAuthorizer, HttpLambdaResponseType } from "aws-cdk-lib/aws-apigatewayv2-authorizers";
import * as lambda from "aws-cdk-lib/aws-lambda";
import { Construct } from "constructs";
import type { GatepassConfigInput } from "../config/input.js";
import { parseConfig } from "../lambda/config.js";

/** Props of {@link GatepassAuthorizer}. Give `bundleDir` or `code`. */
export interface GatepassAuthorizerProps {
  /**
   * The gatepass configuration, set as `GATEPASS_CONFIG` (JSON). Omit it when the configuration
   * is embedded in the bundle (`gatepass bundle --config FILE`) or given through `environment`.
   * Lambda limits all environment variables together to 4 KB. Validated at synth: a configuration
   * the cold start would refuse fails `cdk synth` with the same `ConfigError`.
   */
  readonly config?: GatepassConfigInput;
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

/** Options of {@link GatepassAuthorizer.addGatewayResponses}. */
export interface GatepassGatewayResponseOptions {
  /** `Access-Control-Allow-Origin` of the gateway's own 401/403 answers [`*`]. */
  readonly allowOrigin?: string;
  /** `Access-Control-Allow-Headers` [`Authorization,Content-Type`]. */
  readonly allowHeaders?: string;
}

/**
 * Options of {@link GatepassAuthorizer.addUsagePlan}: per-caller throttling of a REST API from the
 * token. With `usageIdentifierClaim` in the configuration, gatepass returns that claim's value as
 * `usageIdentifierKey`; API Gateway (API key source `AUTHORIZER`) throttles each caller by the API
 * key whose value it is, and refuses (403) a caller whose value is no key of the plan.
 */
export interface GatepassUsagePlanOptions {
  /**
   * The claim values to throttle, one API key each (e.g. each client's `client_id`). API Gateway
   * requires an API key value to be 20 to 128 characters: shorter or longer values fail synth.
   */
  readonly keys: readonly string[];
  /** Requests per second and burst, per key. */
  readonly throttle?: apigateway.ThrottleSettings;
  /** Requests per day, week or month, per key. */
  readonly quota?: apigateway.QuotaSettings;
  /** [`gatepass`] */
  readonly name?: string;
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
  /** Per HTTP API, per authorizer id: the authorizer bound to it (an HttpLambdaAuthorizer binds to one API). */
  private readonly httpAuthorizers = new Map<
    apigwv2.IHttpApi,
    Map<string, { key: string; authorizer: HttpLambdaAuthorizer }>
  >();
  private readonly responsesAdded = new WeakSet<apigateway.IRestApi>();

  constructor(scope: Construct, id: string, props: GatepassAuthorizerProps) {
    super(scope, id);
    if ((props.bundleDir === undefined) === (props.code === undefined)) {
      throw new Error("GatepassAuthorizer: give exactly one of bundleDir or code");
    }
    this.resultsCacheTtl = props.resultsCacheTtl ?? Duration.minutes(5);
    if (this.resultsCacheTtl.toSeconds() > 3600)
      throw new Error("GatepassAuthorizer: resultsCacheTtl is at most 1 hour");
    const environment: Record<string, string> = { ...props.environment };
    if (props.config !== undefined) {
      // What the cold start would do with GATEPASS_CONFIG, now: a typo fails synth, not every request.
      parseConfig(JSON.parse(JSON.stringify(props.config)) as unknown);
      environment.GATEPASS_CONFIG = JSON.stringify(props.config);
    }
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

  /**
   * The HTTP API authorizer (payload 2.0, simple responses) over the same function. Use the result
   * on any number of routes of any number of HTTP APIs, and call it as often as convenient: each
   * HTTP API gets one authorizer per `id` (a second one with the same id and different options is
   * refused).
   */
  httpAuthorizer(
    id = "GatepassHttpAuthorizer",
    options: GatepassHttpAuthorizerOptions = {},
  ): apigwv2.IHttpRouteAuthorizer {
    const props = {
      authorizerName: options.authorizerName ?? "gatepass",
      responseTypes: [HttpLambdaResponseType.SIMPLE],
      identitySource: options.identitySource ?? ["$request.header.Authorization", "$context.routeKey"],
      resultsCacheTtl: this.resultsCacheTtl,
    };
    const key = JSON.stringify([props.authorizerName, props.identitySource]);
    return {
      bind: (bind: apigwv2.HttpRouteAuthorizerBindOptions): apigwv2.HttpRouteAuthorizerConfig => {
        const api = bind.route.httpApi;
        let perApi = this.httpAuthorizers.get(api);
        if (perApi === undefined) {
          perApi = new Map();
          this.httpAuthorizers.set(api, perApi);
        }
        let entry = perApi.get(id);
        if (entry === undefined) {
          entry = { key, authorizer: new HttpLambdaAuthorizer(id, this.function, props) };
          perApi.set(id, entry);
        } else if (entry.key !== key) {
          throw new Error(
            `GatepassAuthorizer: httpAuthorizer "${id}" is already used on this HTTP API with other options`,
          );
        }
        return entry.authorizer.bind(bind);
      },
    };
  }

  /**
   * The REST API's own 401 (`UNAUTHORIZED`, with `WWW-Authenticate: Bearer`) and 403
   * (`ACCESS_DENIED`) answers with CORS headers, so that a browser can read them. Once per API;
   * further calls for the same API do nothing.
   */
  addGatewayResponses(api: apigateway.IRestApi, options: GatepassGatewayResponseOptions = {}): void {
    if (this.responsesAdded.has(api)) return;
    this.responsesAdded.add(api);
    const cors = {
      "Access-Control-Allow-Origin": `'${options.allowOrigin ?? "*"}'`,
      "Access-Control-Allow-Headers": `'${options.allowHeaders ?? "Authorization,Content-Type"}'`,
    };
    new apigateway.GatewayResponse(api, "GatepassUnauthorized", {
      restApi: api,
      type: apigateway.ResponseType.UNAUTHORIZED,
      statusCode: "401",
      responseHeaders: { ...cors, "WWW-Authenticate": "'Bearer'" },
      templates: { "application/json": '{"message":"Unauthorized"}' },
    });
    new apigateway.GatewayResponse(api, "GatepassAccessDenied", {
      restApi: api,
      type: apigateway.ResponseType.ACCESS_DENIED,
      statusCode: "403",
      responseHeaders: cors,
      templates: { "application/json": '{"message":"Forbidden"}' },
    });
  }

  /**
   * A usage plan on the API's deployment stage with one API key per claim value, and the API's
   * key source set to `AUTHORIZER`. Methods throttled by it need `apiKeyRequired: true`.
   */
  addUsagePlan(api: apigateway.RestApi, options: GatepassUsagePlanOptions): apigateway.UsagePlan {
    options.keys.forEach((key, index) => {
      if (key.length < 20 || key.length > 128)
        throw new Error(
          `GatepassAuthorizer: usage plan key ${index} has ${key.length} characters; API Gateway API keys have 20 to 128`,
        );
    });
    (api.node.defaultChild as apigateway.CfnRestApi).apiKeySourceType = "AUTHORIZER";
    const plan = api.addUsagePlan("GatepassUsagePlan", {
      name: options.name ?? "gatepass",
      ...(options.throttle ? { throttle: options.throttle } : {}),
      ...(options.quota ? { quota: options.quota } : {}),
      apiStages: [{ api, stage: api.deploymentStage }],
    });
    options.keys.forEach((value, index) => {
      plan.addApiKey(new apigateway.ApiKey(api, `GatepassUsageKey${index}`, { value }));
    });
    return plan;
  }
}
