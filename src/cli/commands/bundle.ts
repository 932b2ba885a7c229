import { chmodSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, extname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { Command } from "commander";
import type { Metafile, Plugin } from "esbuild";
import type { GatepassConfig } from "../../config/types.js";
import { ConfigError } from "../../errors.js";
import { createAuthorizer } from "../../lambda/authorizer.js";
import { parseConfig } from "../../lambda/config.js";
import { silentLogger } from "../../log.js";
import { isJsonObject, type JsonObject } from "../../util/json.js";
import { action, CliError, printError, printHuman, readJsonFile } from "../output.js";
import { zipOneFile } from "../zip.js";

interface BundleOptions {
  out: string;
  config?: string;
  json?: boolean;
}

/**
 * A module of `lambda/` in the package, found from this code's own location: `dist/cli/main.js`
 * (the built command, one file), or `src/cli/commands/bundle.ts` (the sources, run with tsx;
 * esbuild compiles TypeScript as well).
 */
function lambdaModule(name: string): string {
  for (const relative of [`../lambda/${name}.js`, `../../lambda/${name}.js`, `../../lambda/${name}.ts`]) {
    const path = fileURLToPath(new URL(relative, import.meta.url));
    if (existsSync(path)) return path;
  }
  throw new CliError(
    `cannot find the handler module lambda/${name}.js; is the package built (npm run build)?`,
  );
}

/** esbuild, an optional peer dependency: only this command needs it. */
async function loadEsbuild(): Promise<typeof import("esbuild")> {
  try {
    return await import("esbuild");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "ERR_MODULE_NOT_FOUND" && code !== "MODULE_NOT_FOUND") throw error;
    throw new CliError(
      "gatepass bundle needs esbuild, an optional peer dependency: npm install --save-dev esbuild (or run npx -p gatepass -p esbuild gatepass bundle ...)",
    );
  }
}

/** Whether an embedded configuration holds a shared secret, which makes the bundle itself a secret. */
const holdsSecret = (config: GatepassConfig | undefined) =>
  config?.issuers.some(
    (issuer) =>
      issuer.secret !== undefined ||
      (issuer.jwks?.keys ?? []).some((k) => isJsonObject(k) && k.kty === "oct"),
  ) === true;

/**
 * Reads and checks a configuration for embedding: the same validation as a cold start, done now,
 * so a bad configuration fails here and not at the first deployment. A standalone `jwksFile` is
 * inlined as `jwks`, because the zip holds nothing but `index.mjs`.
 */
function readConfig(path: string, warnings: string[]): GatepassConfig {
  const doc = readJsonFile(path, "configuration");
  if (!isJsonObject(doc))
    throw new CliError(`${path}: Invalid gatepass configuration: expected a JSON object`);
  const embedded: JsonObject = { ...doc };
  try {
    parseConfig(doc);
    if (Array.isArray(doc.issuers)) {
      embedded.issuers = doc.issuers.map((issuer: unknown, i: number) => {
        if (!isJsonObject(issuer)) return issuer;
        if (
          typeof issuer.jwksFile === "string" &&
          issuer.jwksUri === undefined &&
          issuer.discovery === undefined
        ) {
          const { jwksFile, ...rest } = issuer;
          return { ...rest, jwks: readJsonFile(jwksFile, "key set") };
        }
        if (issuer.jwksFile !== undefined) {
          warnings.push(
            `issuers[${i}].jwksFile is read at cold start from the Lambda's file system, and the zip does not contain it`,
          );
        }
        if (isJsonObject(issuer.revocation) && issuer.revocation.file !== undefined) {
          warnings.push(
            `issuers[${i}].revocation.file is read from the Lambda's file system, and the zip does not contain it: use revocation.url`,
          );
        }
        if (issuer.secret !== undefined) {
          warnings.push(
            `issuers[${i}].secret is embedded in index.mjs and function.zip: treat them as secrets, or bundle without --config and set GATEPASS_CONFIG`,
          );
        }
        return issuer;
      });
    }
    // Keys are imported and rules compiled as at a cold start, so they fail here; nothing is fetched.
    createAuthorizer(embedded, { logger: silentLogger, sharedKeyCache: false });
    return parseConfig(embedded);
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(`${path}: ${error.message}`);
    throw new CliError(`${path}: ${(error as Error).message}`);
  }
}

/** The remote key sources' modules, as the key-source factory (`keys/sources`) imports them. */
const REMOTE_KEY_MODULES = /^\.\/(discovery|jwks\/remote-jwks)\.js$/;
const KEY_SOURCE_FACTORY = /[\\/]keys[\\/]sources\.[jt]s$/;
/** The token-status layer as the verifier imports it, and its two checks as it imports them. */
const TOKEN_STATUS_MODULE = /^\.\/status\.js$/;
const VERIFIER = /[\\/]token[\\/]verifier\.[jt]s$/;
const STATUS_CHECK_MODULES = /^\.\/(revocation|introspection)\.js$/;
const TOKEN_STATUS = /[\\/]token[\\/]status\.[jt]s$/;
/** The certificate-binding check as the handler imports it. */
const CERT_BINDING_MODULE = /^\.\/cert-binding\.js$/;
const HANDLER = /[\\/]lambda[\\/]authorizer\.[jt]s$/;
/** The AWS SDK package of the DPoP replay store on DynamoDB: never in a bundle. */
const DYNAMODB_SDK = "@aws-sdk/client-dynamodb";
/** The DPoP check as the handler imports it. */
const DPOP_MODULE = /^\.\/dpop\.js$/;
/** The protected resource's audience check as the verifier and introspection import it, and its challenge as the handler does. */
const RESOURCE_AUDIENCE_MODULE = /^\.\/resource-audience\.js$/;
const RESOURCE_AUDIENCE_IMPORTERS = /[\\/]token[\\/](verifier|introspection)\.[jt]s$/;
const CHALLENGE_MODULE = /^\.\/challenge\.js$/;

/**
 * The bundler plugin of `--config`: the virtual modules `lambda/embedded-entry.ts` imports (typed in
 * `lambda/virtual-modules.d.ts`), so the bundle carries only what the configuration uses.
 * - `gatepass:config` is the configuration validated above (neither the schema nor the
 *   environment reader is in the bundle);
 * - `gatepass:rules` is a real module chosen by it: with no rules, the open rule set, so the rule
 *   compiler is not in the bundle either;
 * - with no `jwksUri` or `discovery` issuer, the remote key sources the key-source factory imports
 *   are `lambda/no-remote-keys.ts`: no JWKS fetching or discovery code;
 * - `gatepass:metrics` is `lambda/metrics-on.ts` with `metrics` configured, else
 *   `lambda/metrics-off.ts`: no metrics code;
 * - with no issuer using `revocation` or `introspection`, the token-status layer the verifier
 *   imports is `lambda/no-token-status.ts`; with only one of them, the other's module is;
 * - with no issuer using `certificateBound`, the handler's certificate-binding check is
 *   `lambda/no-cert-binding.ts`: no X.509 code.
 * - with no issuer using `dpop`, the handler's DPoP check is `lambda/no-dpop.ts`.
 * - without `resource`, the verifier's claims check is `token/claims.ts` itself (no resource audience
 *   check) and the handler's challenge is `lambda/no-challenge.ts`.
 */
function embeddedConfigPlugin(config: GatepassConfig): Plugin {
  const open = config.routes.length === 0 && config.unmatchedRoutes === "allow";
  const rulesModule = lambdaModule(open ? "rules-open" : "rules-compiled");
  const remote = config.issuers.some((issuer) => issuer.jwksUri !== undefined || issuer.discovery === true);
  const noRemoteKeys = remote ? undefined : lambdaModule("no-remote-keys");
  const metricsModule = lambdaModule(config.metrics === undefined ? "metrics-off" : "metrics-on");
  const revocation = config.issuers.some((issuer) => issuer.revocation !== undefined);
  const introspection = config.issuers.some((issuer) => issuer.introspection !== undefined);
  const noTokenStatus = revocation && introspection ? undefined : lambdaModule("no-token-status");
  const noCertBinding = config.issuers.some((issuer) => issuer.certificateBound !== undefined)
    ? undefined
    : lambdaModule("no-cert-binding");
  const noDpop = config.issuers.some((issuer) => issuer.dpop !== undefined)
    ? undefined
    : lambdaModule("no-dpop");
  const noResource = config.resource === undefined;
  const noChallenge = noResource ? lambdaModule("no-challenge") : undefined;
  return {
    name: "gatepass-config",
    setup(build) {
      build.onResolve({ filter: /^gatepass:config$/ }, () => ({ path: "config", namespace: "gatepass" }));
      build.onLoad({ filter: /^config$/, namespace: "gatepass" }, () => ({
        contents: `export const config = ${JSON.stringify(config)};`,
        loader: "js",
      }));
      build.onResolve({ filter: /^gatepass:rules$/ }, () => ({ path: rulesModule }));
      build.onResolve({ filter: /^gatepass:metrics$/ }, () => ({ path: metricsModule }));
      if (noTokenStatus !== undefined) {
        build.onResolve({ filter: TOKEN_STATUS_MODULE }, (args) =>
          !revocation && !introspection && VERIFIER.test(args.importer) ? { path: noTokenStatus } : undefined,
        );
        build.onResolve({ filter: STATUS_CHECK_MODULES }, (args) =>
          TOKEN_STATUS.test(args.importer) &&
          (args.path.includes("revocation") ? !revocation : !introspection)
            ? { path: noTokenStatus }
            : undefined,
        );
      }
      if (noCertBinding !== undefined) {
        build.onResolve({ filter: CERT_BINDING_MODULE }, (args) =>
          HANDLER.test(args.importer) ? { path: noCertBinding } : undefined,
        );
      }
      if (noDpop !== undefined) {
        build.onResolve({ filter: DPOP_MODULE }, (args) =>
          HANDLER.test(args.importer) ? { path: noDpop } : undefined,
        );
      }
      if (noResource) {
        build.onResolve({ filter: RESOURCE_AUDIENCE_MODULE }, (args) =>
          RESOURCE_AUDIENCE_IMPORTERS.test(args.importer)
            ? { path: join(dirname(args.importer), `claims${extname(args.importer)}`) }
            : undefined,
        );
        build.onResolve({ filter: CHALLENGE_MODULE }, (args) =>
          HANDLER.test(args.importer) ? { path: noChallenge! } : undefined,
        );
      }
      if (noRemoteKeys !== undefined) {
        build.onResolve({ filter: REMOTE_KEY_MODULES }, (args) =>
          KEY_SOURCE_FACTORY.test(args.importer) ? { path: noRemoteKeys } : undefined,
        );
      }
    },
  };
}

async function bundle(options: BundleOptions): Promise<undefined> {
  const warnings: string[] = [];
  const config = options.config === undefined ? undefined : readConfig(options.config, warnings);
  const outDir = resolve(options.out);
  const outfile = join(outDir, "index.mjs");
  const entry = lambdaModule(config === undefined ? "index" : "embedded-entry");
  const lambdaDir = dirname(entry);
  // Loaded here, not at startup: only this command needs it.
  const { build } = await loadEsbuild();
  let result: { outputFiles?: Array<{ path: string; contents: Uint8Array }>; metafile?: Metafile };
  try {
    result = await build({
      entryPoints: [entry],
      plugins: config === undefined ? [] : [embeddedConfigPlugin(config)],
      bundle: true,
      minify: true,
      format: "esm",
      platform: "node",
      target: "node22",
      // The DPoP replay store's SDK: Lambda's Node.js runtime provides it, loaded only when configured.
      external: [DYNAMODB_SDK],
      outfile,
      write: false,
      metafile: true,
      legalComments: "none",
      logLevel: "silent",
    });
  } catch (error) {
    const first = (error as { errors?: Array<{ text: string }> }).errors?.[0]?.text;
    throw new CliError(`esbuild failed: ${first ?? (error as Error).message}`);
  }
  const code = (result.outputFiles ?? []).find((f) => f.path.endsWith(".mjs"))?.contents;
  if (!code) throw new CliError("esbuild produced no output");
  const zip = zipOneFile("index.mjs", code);
  // A bundle that embeds a shared secret is itself a secret: owner-only on disk, even when it
  // replaces files that were readable before. (Inside the zip the file stays rw-r--r--: Lambda's
  // runtime user must be able to read it.)
  const secret = holdsSecret(config);
  const fileMode = secret ? 0o600 : 0o644;
  try {
    mkdirSync(outDir, { recursive: true });
    for (const [path, contents] of [
      [outfile, code],
      [join(outDir, "function.zip"), zip],
    ] as const) {
      writeFileSync(path, contents, { mode: fileMode });
      chmodSync(path, fileMode);
    }
  } catch (error) {
    throw new CliError(
      `cannot write to ${options.out} (${(error as NodeJS.ErrnoException).code ?? "error"})`,
    );
  }
  const gzipBytes = gzipSync(code, { level: 9 }).length;
  const packageRoot = resolve(lambdaDir, "../..");
  // The modules that contributed code (tree shaking leaves some in the graph with nothing in it).
  const output = Object.values(result.metafile?.outputs ?? {})[0];
  const modules = Object.entries(output?.inputs ?? {})
    .filter(([, contribution]) => contribution.bytesInOutput > 0)
    .map(([input]) => (input.startsWith("gatepass:") ? input : relative(packageRoot, resolve(input))));
  for (const warning of warnings) printError(`warning: ${warning}`);
  const report = {
    indexMjs: outfile,
    functionZip: join(outDir, "function.zip"),
    bytes: code.length,
    gzipBytes,
    zipBytes: zip.length,
    configEmbedded: config !== undefined,
    fileMode: secret ? "0600" : "0644",
    modules,
  };
  if (options.json) {
    process.stdout.write(`${JSON.stringify(report)}\n`);
    return;
  }
  const n = (value: number) => value.toLocaleString("en-US");
  printHuman(
    [
      `Bundled the gatepass handler (${modules.length} modules, ${config ? "configuration embedded" : "configured from GATEPASS_CONFIG / GATEPASS_* at cold start"}).`,
      `  ${join(options.out, "index.mjs")}     ${n(report.bytes)} bytes minified, ${n(gzipBytes)} bytes gzipped`,
      `  ${join(options.out, "function.zip")}  ${n(report.zipBytes)} bytes: runtime nodejs22.x or nodejs24.x, handler index.handler`,
      ...(secret
        ? [
            "  Both files embed a shared secret: written with mode 0600 (owner only); keep them out of version control.",
          ]
        : []),
      "",
    ].join("\n"),
  );
  return;
}

/** `gatepass bundle`: the handler alone, as one ESM file and a Lambda zip. */
export function bundleCommand(): Command {
  return new Command("bundle")
    .description(
      "bundle the Lambda handler alone (minified ESM, no node_modules needed) into DIR/index.mjs and DIR/function.zip",
    )
    .requiredOption("--out <dir>", "output directory (created if missing)")
    .option(
      "--config <file>",
      "embed this configuration (validated now) instead of reading GATEPASS_CONFIG at cold start",
    )
    .option("--json", "print the report as JSON")
    .addHelpText("after", "\nDeploy with runtime nodejs22.x (or nodejs24.x) and handler index.handler.")
    .action(action(bundle));
}
