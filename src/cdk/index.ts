/**
 * `gatepass/cdk`: the gatepass Lambda authorizer as an AWS CDK v2 construct. `aws-cdk-lib` and
 * `constructs` are optional peer dependencies: this module is the only one that imports them, and
 * nothing else in the package imports this module.
 */
import { Duration, RemovalPolicy } from "aws-cdk-lib";
import * as apigateway from "aws-cdk-lib/aws-apigateway";
import type * as apigwv2 from "aws-cdk-lib/aws-apigatewayv2";
import { HttpLambdaAuthorizer, HttpLambdaResponseType } from "aws-cdk-lib/aws-apigatewayv2-authorizers";
import * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as lambda from "aws-cdk-lib/aws-lambda";
import { Construct } from "constructs";
import type { GatepassConfigInput } from "../config/input.js";
import { protectedResourceMetadata, resourceGatewayResponses } from "../config/resource.js";
import type { ResourceConfig } from "../config/types.js";
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
   * under the tokens' lifetime: a cached Allow outlives the token's `exp`. With an issuer using
   * `dpop` or `certificateBound` in `config`: [0], and more is refused at synth (a cached Allow
   * would skip the per-request proof or certificate check).
   */
  readonly resultsCacheTtl?: Duration;
  /**
   * The DPoP replay store's DynamoDB table (partition key `pk`, String; TTL on `expiresAt`; see
   * {@link GatepassAuthorizer.dpopReplayTable}): the function gets `dynamodb:PutItem` on it and
   * nothing else (plus its customer-managed key's use, if any), and `GATEPASS_DPOP_REPLAY_TABLE` =
   * its name. Needs an issuer using `dpop` (refused at synth when `config` has none).
   */
  readonly dpopReplayTable?: dynamodb.ITable;
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

/** Options of {@link GatepassAuthorizer.addProtectedResource}. */
export interface GatepassProtectedResourceOptions {
  /**
   * The path the API is served under at the metadata URL's host, taken off that URL's path to find
   * the API resource [`""`: a custom domain with this API mapped at the root, where RFC 9728's
   * well-known URL lives]. For the `execute-api` URL of stage `prod`, `"/prod"` (and `resource.metadataUrl`
   * set to that URL).
   */
  readonly basePath?: string;
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
 * payload 2.0 authorizer with simple responses, cached per token and route). With an issuer using
 * `dpop` or `certificateBound` in `config`, the REST API takes `requestAuthorizer` (a REQUEST
 * authorizer: a TOKEN one receives neither the proof nor the certificate) and the result cache is off.
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
  private restRequestAuthorizer?: apigateway.RequestAuthorizer;
  /**
   * The issuer options of `config` that bind a token to something of each request (`dpop`,
   * `certificateBound`): what a TOKEN authorizer never receives, and a cached decision skips.
   */
  private readonly boundBy: readonly string[] = [];
  /** Per HTTP API, per authorizer id: the authorizer bound to it (an HttpLambdaAuthorizer binds to one API). */
  private readonly httpAuthorizers = new Map<
    apigwv2.IHttpApi,
    Map<string, { key: string; authorizer: HttpLambdaAuthorizer }>
  >();
  private readonly responsesAdded = new WeakSet<apigateway.IRestApi>();
  /** The configuration's `resource` (RFC 9728), when `config` sets one. */
  readonly resource?: ResourceConfig;
  /** Its RFC 9728 metadata document. */
  private readonly resourceMetadata?: Record<string, unknown>;

  constructor(scope: Construct, id: string, props: GatepassAuthorizerProps) {
    super(scope, id);
    if ((props.bundleDir === undefined) === (props.code === undefined)) {
      throw new Error("GatepassAuthorizer: give exactly one of bundleDir or code");
    }
    const environment: Record<string, string> = { ...props.environment };
    if (props.config !== undefined) {
      // What the cold start would do with GATEPASS_CONFIG, now: a typo fails synth, not every request.
      const parsed = parseConfig(JSON.parse(JSON.stringify(props.config)) as unknown);
      if (parsed.resource !== undefined) {
        this.resource = parsed.resource;
        this.resourceMetadata = protectedResourceMetadata(parsed) ?? undefined;
      }
      this.boundBy = (["dpop", "certificateBound"] as const).filter((option) =>
        parsed.issuers.some((issuer) => issuer[option] !== undefined),
      );
      if (props.dpopReplayTable !== undefined && !this.boundBy.includes("dpop"))
        throw new Error(
          "GatepassAuthorizer: dpopReplayTable applies only with an issuer using dpop (the function would refuse GATEPASS_DPOP_REPLAY_TABLE at cold start)",
        );
      environment.GATEPASS_CONFIG = JSON.stringify(props.config);
    }
    const bound = this.boundBy.join(" and ");
    if (bound !== "" && props.resultsCacheTtl !== undefined && props.resultsCacheTtl.toSeconds() > 0)
      throw new Error(
        `GatepassAuthorizer: the configuration uses ${bound}, checked on every request: resultsCacheTtl must be 0 (a cached Allow would skip that check)`,
      );
    this.resultsCacheTtl =
      props.resultsCacheTtl ?? (bound === "" ? Duration.minutes(5) : Duration.seconds(0));
    if (this.resultsCacheTtl.toSeconds() > 3600)
      throw new Error("GatepassAuthorizer: resultsCacheTtl is at most 1 hour");
    if (props.dpopReplayTable !== undefined) {
      if (environment.GATEPASS_DPOP_REPLAY_TABLE !== undefined)
        throw new Error(
          "GatepassAuthorizer: give the DPoP replay table as dpopReplayTable or in environment, not both",
        );
      environment.GATEPASS_DPOP_REPLAY_TABLE = props.dpopReplayTable.tableName;
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
    const table = props.dpopReplayTable;
    if (table !== undefined) {
      // One conditional PutItem per accepted proof: no read, update, delete or describe.
      table.grant(this.function, "dynamodb:PutItem");
      // A customer-managed key: what DynamoDB needs of it to write (aws-cdk-lib's own write grant's key part).
      table.encryptionKey?.grant(
        this.function,
        "kms:Decrypt",
        "kms:DescribeKey",
        "kms:Encrypt",
        "kms:ReEncrypt*",
        "kms:GenerateDataKey*",
      );
    }
  }

  /**
   * A DynamoDB table shaped for the DPoP replay store, for `dpopReplayTable`: on-demand billing,
   * partition key `pk` (String), TTL on `expiresAt`, removed with the stack (it holds only proofs'
   * hashes for a minute or so).
   */
  static dpopReplayTable(scope: Construct, id: string): dynamodb.Table {
    return new dynamodb.Table(scope, id, {
      partitionKey: { name: "pk", type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: "expiresAt",
      removalPolicy: RemovalPolicy.DESTROY,
    });
  }

  /**
   * The REST API TOKEN authorizer (identity source `method.request.header.Authorization`). Created
   * on first use, because an authorizer must be attached to a RestApi; use it on as many methods
   * of one RestApi as needed.
   */
  get tokenAuthorizer(): apigateway.TokenAuthorizer {
    if (this.boundBy.length > 0)
      throw new Error(
        `GatepassAuthorizer: the configuration uses ${this.boundBy.join(" and ")}, and a TOKEN authorizer receives neither the DPoP proof nor the client certificate, so bound tokens would always get 401: use requestAuthorizer (a REQUEST authorizer)`,
      );
    this.restAuthorizer ??= new apigateway.TokenAuthorizer(this, "TokenAuthorizer", {
      handler: this.function,
      authorizerName: "gatepass",
      identitySource: apigateway.IdentitySource.header("Authorization"),
      resultsCacheTtl: this.resultsCacheTtl,
    });
    return this.restAuthorizer;
  }

  /**
   * The REST API REQUEST authorizer (identity source `method.request.header.Authorization`, TTL
   * `resultsCacheTtl`): it receives the headers (the `DPoP` proof) and the mutual TLS client
   * certificate, which `dpop` and `certificateBound` need. Created on first use, like
   * {@link tokenAuthorizer}; use it on as many methods of one RestApi as needed.
   */
  get requestAuthorizer(): apigateway.RequestAuthorizer {
    this.restRequestAuthorizer ??= new apigateway.RequestAuthorizer(this, "RequestAuthorizer", {
      handler: this.function,
      authorizerName: "gatepass-request",
      identitySources: [apigateway.IdentitySource.header("Authorization")],
      resultsCacheTtl: this.resultsCacheTtl,
    });
    return this.restRequestAuthorizer;
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
    if (this.resource !== undefined)
      throw new Error(
        "GatepassAuthorizer: the configuration sets resource, which needs a REST API: HTTP APIs (and WebSocket APIs) have no Gateway Responses to carry its WWW-Authenticate challenges",
      );
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
   * further calls for the same API do nothing. With `resource` configured, the 401 names the
   * metadata URL (`Bearer resource_metadata="…"`, RFC 9728 §5.1) and the 403 carries the Deny's
   * `insufficient_scope` challenge (`context.authorizer.wwwAuthenticate`, RFC 6750 §3.1).
   */
  addGatewayResponses(api: apigateway.IRestApi, options: GatepassGatewayResponseOptions = {}): void {
    if (this.responsesAdded.has(api)) return;
    this.responsesAdded.add(api);
    const cors = {
      "Access-Control-Allow-Origin": `'${options.allowOrigin ?? "*"}'`,
      "Access-Control-Allow-Headers": `'${options.allowHeaders ?? "Authorization,Content-Type"}'`,
    };
    const challenges = this.resource === undefined ? undefined : resourceGatewayResponses(this.resource);
    new apigateway.GatewayResponse(api, "GatepassUnauthorized", {
      restApi: api,
      type: apigateway.ResponseType.UNAUTHORIZED,
      statusCode: "401",
      responseHeaders: { ...cors, "WWW-Authenticate": challenges?.UNAUTHORIZED ?? "'Bearer'" },
      templates: { "application/json": '{"message":"Unauthorized"}' },
    });
    new apigateway.GatewayResponse(api, "GatepassAccessDenied", {
      restApi: api,
      type: apigateway.ResponseType.ACCESS_DENIED,
      statusCode: "403",
      responseHeaders: challenges ? { ...cors, "WWW-Authenticate": challenges.ACCESS_DENIED } : cors,
      templates: { "application/json": '{"message":"Forbidden"}' },
    });
  }

  /**
   * The protected resource of the configuration (`resource`) on a REST API: its RFC 9728 metadata
   * document served without authorization on `GET` of the metadata URL's path (a MOCK integration
   * answering the document of `protectedResourceMetadata`, `application/json`), and the Gateway
   * Responses of {@link addGatewayResponses} with their `WWW-Authenticate` challenges. Needs
   * `config` with `resource`. RFC 9728's well-known URL sits at the host root: serve the API on a
   * custom domain mapped at the root, or set `resource.metadataUrl` to a URL under the stage and
   * `basePath` to the stage's path.
   */
  addProtectedResource(
    api: apigateway.IRestApi,
    options: GatepassProtectedResourceOptions = {},
  ): apigateway.Method {
    const resource = this.resource;
    if (resource === undefined)
      throw new Error("GatepassAuthorizer: addProtectedResource needs config with resource");
    const basePath = (options.basePath ?? "").replace(/\/+$/, "");
    const path = new URL(resource.metadataUrl).pathname;
    if (!path.startsWith(`${basePath}/`))
      throw new Error(
        `GatepassAuthorizer: the metadata URL's path ${path} is not under basePath ${JSON.stringify(basePath)}`,
      );
    const document = this.resourceMetadata;
    // An integration response template is read by Velocity: `$` and `#` written as JSON escapes.
    const body = JSON.stringify(document).replace(/[$#]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);
    const method = api.root.resourceForPath(path.slice(basePath.length)).addMethod(
      "GET",
      new apigateway.MockIntegration({
        passthroughBehavior: apigateway.PassthroughBehavior.WHEN_NO_TEMPLATES,
        requestTemplates: { "application/json": '{"statusCode": 200}' },
        integrationResponses: [
          {
            statusCode: "200",
            responseTemplates: { "application/json": body },
            responseParameters: {
              "method.response.header.Content-Type": "'application/json'",
              "method.response.header.Cache-Control": "'max-age=300'",
            },
          },
        ],
      }),
      {
        authorizationType: apigateway.AuthorizationType.NONE,
        methodResponses: [
          {
            statusCode: "200",
            responseParameters: {
              "method.response.header.Content-Type": true,
              "method.response.header.Cache-Control": true,
            },
          },
        ],
      },
    );
    this.addGatewayResponses(api);
    return method;
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
