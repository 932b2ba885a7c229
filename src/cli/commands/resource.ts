import { Command } from "commander";
import { protectedResourceMetadata, resourceGatewayResponses } from "../../config/resource.js";
import { readConfig } from "../inspect/inputs.js";
import { action, CliError, ExitCode, type ExitCodeValue, printHuman } from "../output.js";

interface ResourceOptions {
  config?: string;
  json?: boolean;
}

/**
 * What a deployment of the configuration's `resource` (RFC 9728) needs, printed: the metadata
 * document and where to serve it, the REST API Gateway Response values, and the SAM template's
 * parameters. Reads the configuration like every command; prints no secret (only `resource` and
 * the issuers it names).
 */
function resource(options: ResourceOptions): ExitCodeValue {
  const { config } = readConfig(options.config);
  if (config === null)
    throw new CliError(
      "no configuration: pass --config FILE, or set GATEPASS_CONFIG (the shortcuts cannot set resource).",
    );
  const res = config.resource;
  if (res === undefined)
    throw new CliError('the configuration has no "resource" (see README, "Protected resource (MCP)").');
  const metadata = protectedResourceMetadata(config)!;
  const responses = resourceGatewayResponses(res);
  const samParameters = {
    ResourceUri: res.uri,
    ResourceAuthorizationServers: res.authorizationServers.join(","),
    ResourceScopesSupported: res.scopesSupported.join(","),
    ResourceMetadataUrl: res.metadataUrl,
  };
  if (options.json) {
    process.stdout.write(
      `${JSON.stringify({
        metadataUrl: res.metadataUrl,
        metadataPath: new URL(res.metadataUrl).pathname,
        metadata,
        gatewayResponses: {
          UNAUTHORIZED: { "gatewayresponse.header.WWW-Authenticate": responses.UNAUTHORIZED },
          ACCESS_DENIED: { "gatewayresponse.header.WWW-Authenticate": responses.ACCESS_DENIED },
        },
        samParameters,
      })}\n`,
    );
    return ExitCode.OK;
  }
  const overrides = Object.entries(samParameters)
    .map(([name, value]) => `${name}=${value === "" ? '""' : value}`)
    .join(" ");
  printHuman(
    [
      `Protected resource ${res.uri}`,
      "",
      `Metadata (RFC 9728), GET ${res.metadataUrl} without authorization, application/json:`,
      JSON.stringify(metadata, null, 2),
      "",
      "REST API Gateway Responses (HTTP APIs and WebSocket APIs have none):",
      `  UNAUTHORIZED  gatewayresponse.header.WWW-Authenticate: ${responses.UNAUTHORIZED}`,
      `  ACCESS_DENIED gatewayresponse.header.WWW-Authenticate: ${responses.ACCESS_DENIED}`,
      "",
      "SAM template (deploy/sam/template.yaml):",
      `  sam deploy --parameter-overrides ${overrides}`,
      "",
    ].join("\n"),
  );
  return ExitCode.OK;
}

/** `gatepass resource`: the RFC 9728 metadata and the Gateway Response values of `resource`. */
export function resourceCommand(): Command {
  return new Command("resource")
    .description(
      "print what deploying the configuration's protected resource (RFC 9728, MCP) needs: the metadata document and its URL, the REST API Gateway Response values, the SAM parameters",
    )
    .option("--config <file>", "configuration JSON file [GATEPASS_CONFIG]")
    .option("--json", "print one JSON object")
    .addHelpText(
      "after",
      "\nExit status: 0 printed, 1 no configuration or no resource in it, 2 usage errors.",
    )
    .action(action(resource));
}
