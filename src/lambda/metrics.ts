/**
 * CloudWatch metrics in Embedded Metric Format (EMF): one JSON document per invocation, written as
 * one line to stdout, from which CloudWatch Logs extracts the metrics. Off unless the configuration
 * has `metrics` or the environment `POWERTOOLS_METRICS_NAMESPACE`; the authorizer then holds one
 * {@link AuthorizerMetrics} and reports each decision to it, and the remote key sets count their
 * events through the same object (`keys/` sees only its {@link KeyEventCounter} face).
 *
 * Dimensions are bounded by construction: `service` (one value), `outcome` (four), `reason` (the
 * reason codes), and, opted in, `route`: the deciding rule's route template from the configuration,
 * never the request's path, principal or issuer.
 */
import { METRICS_NAMESPACE_PATTERN, METRICS_SERVICE_PATTERN } from "../config/cloudwatch.js";
import type { GatepassConfig } from "../config/types.js";
import { ConfigError } from "../errors.js";
import type { KeyEvent, KeyEventCounter } from "../keys/types.js";

/** A decision as metrics see it: `error` is a 401 caused by gatepass's side (keys, hook, bug). */
export interface DecisionRecord {
  outcome: "allow" | "deny" | "unauthorized" | "error";
  /** The reason code (`ERR_*`); `null` for an allow. */
  reason: string | null;
  /** The deciding rule's route template, when a rule decided. */
  rule: string | null | undefined;
  durationMs: number;
}

/** What the authorizer reports to: decisions, and (as a {@link KeyEventCounter}) key-set events. */
export interface AuthorizerMetrics extends KeyEventCounter {
  /** Records the invocation's decision and writes its one document. */
  decision(record: DecisionRecord): void;
}

export interface MetricsSettings {
  namespace: string;
  service: string;
  routeDimension: boolean;
}

/** The metric of each key event, in document order. */
const KEY_METRICS: ReadonlyArray<readonly [KeyEvent, string]> = [
  ["fetch", "JwksFetches"],
  ["fetch_failed", "JwksFetchFailures"],
  ["stale_served", "JwksStaleKeysServed"],
  ["unknown_kid_refetch", "JwksUnknownKidRefetches"],
];

/** A reason code as a dimension value: gatepass's codes and a check hook's own `ERR_*` codes. */
const REASON = /^[A-Z][A-Z0-9_]{0,63}$/;

/**
 * The settings in effect: the configuration's `metrics`, else `POWERTOOLS_METRICS_NAMESPACE` (as
 * Powertools, an explicit namespace wins over the environment); the `service` dimension from
 * `metrics.service`, else `POWERTOOLS_SERVICE_NAME`, else `gatepass`. `undefined`: metrics are off.
 * A variable CloudWatch would refuse throws a `ConfigError` naming it (a cold-start error), rather
 * than losing every metric silently.
 */
export function metricsSettings(
  config: GatepassConfig,
  env: Record<string, string | undefined> = process.env,
): MetricsSettings | undefined {
  const namespace =
    config.metrics?.namespace ?? fromEnv(env, "POWERTOOLS_METRICS_NAMESPACE", METRICS_NAMESPACE_PATTERN);
  if (namespace === undefined) return undefined;
  return {
    namespace,
    service:
      config.metrics?.service ??
      fromEnv(env, "POWERTOOLS_SERVICE_NAME", METRICS_SERVICE_PATTERN) ??
      "gatepass",
    routeDimension: config.metrics?.routeDimension ?? false,
  };
}

function fromEnv(env: Record<string, string | undefined>, name: string, pattern: string): string | undefined {
  const value = env[name]?.trim();
  if (value === undefined || value === "") return undefined;
  if (!new RegExp(pattern).test(value))
    throw new ConfigError(
      name,
      `not accepted by CloudWatch as a ${name.includes("NAMESPACE") ? "namespace" : "dimension value"} (${pattern}).`,
    );
  return value;
}

/** The metrics of a configuration, or `undefined` when they are off. */
export function metricsFor(
  config: GatepassConfig,
  env: Record<string, string | undefined> = process.env,
): AuthorizerMetrics | undefined {
  const settings = metricsSettings(config, env);
  return settings === undefined ? undefined : createMetrics(settings);
}

/**
 * Written with `process.stdout.write`, not `console.log`: Lambda's Node.js runtime prefixes
 * `console` lines (text log format) or wraps them in a JSON `message` (JSON log format), and
 * CloudWatch extracts metrics only from a log event that is the EMF object itself.
 */
const writeStdout = (line: string) => {
  process.stdout.write(`${line}\n`);
};

/**
 * An {@link AuthorizerMetrics} writing through `write`. Key events are kept until the next
 * decision, so those of a cold start's key fetch, or of a background refresh, are reported in the
 * next document: every event is counted once.
 */
export function createMetrics(
  settings: MetricsSettings,
  write: (line: string) => void = writeStdout,
  now: () => number = Date.now,
): AuthorizerMetrics {
  const pending = new Map<KeyEvent, number>();
  const { namespace, service, routeDimension } = settings;
  return {
    count(event) {
      pending.set(event, (pending.get(event) ?? 0) + 1);
    },
    decision(record) {
      const doc: Record<string, unknown> = { service, outcome: record.outcome };
      const dimensions = [["service"], ["service", "outcome"]];
      if (record.reason !== null) {
        doc.reason = REASON.test(record.reason) ? record.reason : "OTHER";
        dimensions.push(["service", "outcome", "reason"]);
      }
      if (routeDimension && typeof record.rule === "string" && record.rule !== "") {
        doc.route = record.rule.slice(0, 1024);
        dimensions.push(["service", "outcome", "route"]);
      }
      doc.Decisions = 1;
      doc.Latency = record.durationMs;
      const directives: unknown[] = [
        {
          Namespace: namespace,
          Dimensions: dimensions,
          Metrics: [
            { Name: "Decisions", Unit: "Count" },
            { Name: "Latency", Unit: "Milliseconds" },
          ],
        },
      ];
      if (pending.size > 0) {
        const keyMetrics: unknown[] = [];
        for (const [event, name] of KEY_METRICS) {
          const n = pending.get(event);
          if (n === undefined) continue;
          doc[name] = n;
          keyMetrics.push({ Name: name, Unit: "Count" });
        }
        pending.clear();
        directives.push({ Namespace: namespace, Dimensions: [["service"]], Metrics: keyMetrics });
      }
      write(JSON.stringify({ _aws: { Timestamp: now(), CloudWatchMetrics: directives }, ...doc }));
    },
  };
}
