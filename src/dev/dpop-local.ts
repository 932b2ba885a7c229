import { ownRecord, ownString } from "../adapters/event-lookup.js";
import type { EventKind } from "../adapters/types.js";
import type { GatepassConfig } from "../config/types.js";
import { dpopWarnings, usesDpop } from "../lambda/dpop.js";

/**
 * The URL a local client called, for the DPoP proofs' `htu` in `gatepass dev`: the gateway's own
 * scheme (`http:` on 127.0.0.1), the `Host` the client sent, and the path it sent (the event's
 * `path`, or `rawPath` for HTTP payload 2.0: the local gateway serves the API at its root, without
 * the stage or a custom domain's base path). Deployed, the authorizer rebuilds `https://` + `Host`
 * + the path API Gateway received (or `dpopUrlBase`), which local clients do not call; only the
 * in-process authorizer of `gatepass dev` gets this function.
 */
export function devDpopRequestUrl(
  serverUrl: string,
): (event: Readonly<Record<string, unknown>>, kind: EventKind) => string | null {
  const scheme = new URL(serverUrl).protocol;
  return (event, kind) => {
    const path = ownString(event as Record<string, unknown>, kind === "http-v2" ? "rawPath" : "path");
    const headers = ownRecord(event as Record<string, unknown>, "headers");
    let host: string | null = null;
    if (headers !== null)
      for (const name of Object.keys(headers))
        if (name.toLowerCase() === "host" && typeof headers[name] === "string") host = headers[name];
    if (path === null || !path.startsWith("/") || host === null || host === "" || /[/?#@\s\\]/.test(host))
      return null;
    return `${scheme}//${host}${path}`;
  };
}

/**
 * The banner's DPoP lines when an issuer of `config` uses `dpop`: where proofs are checked, and each
 * warning of {@link dpopWarnings} (a result cache on, an authorizer type that sees no proof).
 */
export function dpopBannerLines(
  config: GatepassConfig | null,
  dev: { readonly api: string; readonly resultTtlSeconds: number },
  serverUrl: string,
  issuerUrl: string | null,
): string[] {
  if (config === null || !usesDpop(config)) return [];
  const replay = config.dpopReplay;
  const memory =
    replay?.store === "dynamodb"
      ? `in the DynamoDB table of dpopReplay (the AWS SDK and credentials of this environment, AWS_ENDPOINT_URL_DYNAMODB for a local one)`
      : "in this process";
  const lines = [
    `  dpop        proofs checked against the URL called here (${serverUrl}/…), their jti remembered ${memory}`,
  ];
  if (issuerUrl !== null)
    lines.push(`              POST ${issuerUrl}/token with a DPoP proof header mints a DPoP-bound token`);
  for (const warning of dpopWarnings(config, dev)) lines.push(`              warning: ${warning}`);
  return lines;
}

/**
 * Whether the development issuer's tokens need DPoP here (its issuer entry says `dpop: "required"`):
 * the banner's ready Bearer token and curl line would get 401, so it prints neither.
 */
export function devIssuerNeedsDpop(config: GatepassConfig | null, issuerUrl: string | null): boolean {
  return config?.issuers.some((i) => i.issuer === issuerUrl && i.dpop === "required") === true;
}
