/**
 * An independent checker of CloudWatch Embedded Metric Format documents, written from AWS's
 * specification (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html),
 * not from gatepass's code: the log event is exactly one JSON object; `_aws` holds `Timestamp`
 * (milliseconds since the epoch) and `CloudWatchMetrics` (MetricDirectives); a directive has
 * `Namespace`, `Dimensions` (DimensionSets of at most 30 keys) and `Metrics` (at most 100
 * MetricDefinitions: `Name`, optional `Unit` of CloudWatch's units, optional `StorageResolution`
 * 1 or 60); every referenced member (target member) is present on the root: a dimension's value a
 * string, a metric's a number or an array of at most 100 numbers. Objects the specification
 * defines carry no other members.
 */

const UNITS = new Set([
  "Seconds",
  "Microseconds",
  "Milliseconds",
  "Bytes",
  "Kilobytes",
  "Megabytes",
  "Gigabytes",
  "Terabytes",
  "Bits",
  "Kilobits",
  "Megabits",
  "Gigabits",
  "Terabits",
  "Percent",
  "Count",
  "Bytes/Second",
  "Kilobytes/Second",
  "Megabytes/Second",
  "Gigabytes/Second",
  "Terabytes/Second",
  "Bits/Second",
  "Kilobits/Second",
  "Megabits/Second",
  "Gigabits/Second",
  "Terabits/Second",
  "Count/Second",
  "None",
]);

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

function onlyMembers(o: Record<string, unknown>, allowed: string[], where: string, problems: string[]) {
  for (const key of Object.keys(o))
    if (!allowed.includes(key)) problems.push(`${where}: unexpected member ${key}`);
}

/** The problems of one log event as an EMF document; empty when it is valid. */
export function emfProblems(line: string): string[] {
  const problems: string[] = [];
  if (line !== line.trim()) problems.push("data before or after the JSON object");
  if (Buffer.byteLength(line) > 256 * 1024) problems.push("larger than a log event (256 KB)");
  let root: unknown;
  try {
    root = JSON.parse(line);
  } catch {
    return ["not JSON"];
  }
  if (!isObject(root)) return ["the root is not an object"];
  const aws = root._aws;
  if (!isObject(aws)) return ["no _aws object"];
  onlyMembers(aws, ["Timestamp", "CloudWatchMetrics", "LogGroupName"], "_aws", problems);
  if (typeof aws.Timestamp !== "number" || !Number.isInteger(aws.Timestamp) || aws.Timestamp < 1e12)
    problems.push("_aws.Timestamp is not milliseconds since the epoch");
  const directives = aws.CloudWatchMetrics;
  if (!Array.isArray(directives)) return [...problems, "_aws.CloudWatchMetrics is not an array"];
  for (const [i, d] of directives.entries()) {
    const where = `CloudWatchMetrics[${i}]`;
    if (!isObject(d)) {
      problems.push(`${where} is not an object`);
      continue;
    }
    onlyMembers(d, ["Namespace", "Dimensions", "Metrics"], where, problems);
    if (typeof d.Namespace !== "string" || d.Namespace.length < 1 || d.Namespace.length > 255)
      problems.push(`${where}.Namespace is not a string of 1-255 characters`);
    if (!Array.isArray(d.Dimensions)) problems.push(`${where}.Dimensions is not an array`);
    else
      for (const [j, set] of (d.Dimensions as unknown[]).entries()) {
        if (!Array.isArray(set)) {
          problems.push(`${where}.Dimensions[${j}] is not an array`);
          continue;
        }
        if (set.length > 30) problems.push(`${where}.Dimensions[${j}] has more than 30 dimensions`);
        for (const key of set) {
          if (typeof key !== "string") problems.push(`${where}.Dimensions[${j}] holds a non-string`);
          else if (typeof root[key] !== "string")
            problems.push(`dimension ${key}: target member missing or not a string`);
          else if ((root[key] as string).length < 1 || (root[key] as string).length > 1024)
            problems.push(`dimension ${key}: value of 1-1024 characters expected`);
        }
      }
    if (!Array.isArray(d.Metrics)) {
      problems.push(`${where}.Metrics is not an array`);
      continue;
    }
    if (d.Metrics.length > 100) problems.push(`${where}.Metrics has more than 100 metrics`);
    for (const [j, m] of (d.Metrics as unknown[]).entries()) {
      const at = `${where}.Metrics[${j}]`;
      if (!isObject(m)) {
        problems.push(`${at} is not an object`);
        continue;
      }
      onlyMembers(m, ["Name", "Unit", "StorageResolution"], at, problems);
      if (typeof m.Name !== "string" || m.Name.length < 1 || m.Name.length > 255) {
        problems.push(`${at}.Name is not a string of 1-255 characters`);
        continue;
      }
      if (m.Unit !== undefined && !UNITS.has(m.Unit as string)) problems.push(`${at}.Unit ${String(m.Unit)}`);
      if (m.StorageResolution !== undefined && m.StorageResolution !== 1 && m.StorageResolution !== 60)
        problems.push(`${at}.StorageResolution is not 1 or 60`);
      const value = root[m.Name];
      const numbers = Array.isArray(value) ? value : [value];
      if (numbers.length > 100) problems.push(`metric ${m.Name}: more than 100 values`);
      if (numbers.length === 0 || numbers.some((n) => typeof n !== "number" || !Number.isFinite(n)))
        problems.push(`metric ${m.Name}: target member missing or not a number`);
    }
  }
  return problems;
}

/** A valid document's metric values per directive dimension set, for assertions. */
export interface EmfDocument {
  _aws: {
    Timestamp: number;
    CloudWatchMetrics: Array<{
      Namespace: string;
      Dimensions: string[][];
      Metrics: Array<{ Name: string; Unit?: string }>;
    }>;
  };
  [member: string]: unknown;
}
