import type { NativeComparison } from "../../dev/native-compare.js";
import type { DecodedView } from "../../inspect/inspect-token.js";
import type { PresetExpansion, UnmatchedMethods } from "../../inspect/presets.js";
import type { RouteResult } from "../../inspect/route.js";
import { humanSpan, type TimeInfo } from "../../inspect/times.js";
import { quoted, quotedList, type Verification } from "../../inspect/verification.js";
import type { ExitCodeValue } from "../output.js";
import { printHuman } from "../output.js";

export { type PresetExpansion, presetsOf } from "../../inspect/presets.js";

/** The report of `gatepass inspect` (computed in `src/inspect/`): one JSON object (`--json`), or the human text. */

export interface Report {
  token: DecodedView;
  times: Record<string, TimeInfo>;
  configuration: string;
  verification: Verification;
  route?: RouteResult;
  /** What each identity-provider preset of the configuration expanded to (one entry per exact issuer). */
  presets?: PresetExpansion[];
  /** Rule paths whose other methods any authenticated principal may call (unmatched routes allowed). */
  unmatchedMethods?: UnmatchedMethods[];
  /** `--native`: what AWS's own JWT authorizer would answer for this token. */
  native?: NativeComparison;
  /** What the authorizer warns about at every cold start with this configuration (never a secret). */
  warnings?: Array<{ field: string; detail: string }>;
  exitCode: ExitCodeValue;
}

const indent = (text: string, by = "  ") => text.replace(/^/gm, by);

export function printReport(report: Report): void {
  const lines: string[] = [];
  const { token, times, verification, route } = report;
  lines.push("Decoded WITHOUT verification (do not trust these values unless verification passes below)");
  if (token.error) {
    lines.push(`  cannot decode: ${token.error.code}: ${token.error.message}`);
  } else {
    lines.push(
      "Header",
      indent(JSON.stringify(token.header, null, 2)),
      "Payload",
      indent(JSON.stringify(token.payload, null, 2)),
    );
  }
  const claims = Object.keys(times);
  if (claims.length > 0) {
    lines.push("Times");
    for (const claim of claims)
      lines.push(`  ${claim.padEnd(9)} ${times[claim]!.iso}  ${times[claim]!.relative}`);
    const { exp, iat } = times;
    if (exp && iat) lines.push(`  ${"lifetime".padEnd(9)} ${humanSpan(exp.epoch - iat.epoch)}`);
  }
  lines.push("");
  if (verification.skipped) {
    lines.push(`Verification: SKIPPED  ${verification.explanation}`);
  } else if (verification.valid) {
    const who = [
      verification.issuer ? `issuer ${quoted(verification.issuer)}` : "issuer not checked",
      `principal ${quoted(verification.principal)}`,
      typeof token.header?.alg === "string" ? `alg ${token.header.alg}` : "",
      typeof token.header?.kid === "string" ? `kid ${quoted(token.header.kid)}` : "",
    ].filter(Boolean);
    lines.push(
      `Verification: VALID  (configuration: ${report.configuration})`,
      `  ${verification.explanation}: ${who.join(", ")}.`,
    );
  } else {
    lines.push(
      `Verification: INVALID  ${verification.code}  (configuration: ${report.configuration})`,
      `  ${verification.explanation}`,
    );
  }
  if (report.warnings && report.warnings.length > 0) {
    lines.push("", "Warnings (logged at every cold start)");
    for (const w of report.warnings) lines.push(`  ${w.field}: ${w.detail}.`);
  }
  if (report.presets && report.presets.length > 0) {
    lines.push("", "Identity-provider presets (what each expanded to)");
    for (const p of report.presets) {
      lines.push(`  ${p.entry} ${p.preset}: iss ${p.issuer === null ? "not checked" : quoted(p.issuer)}`);
      lines.push(`    keys ${p.keys}; algorithms ${p.algorithms?.join(", ") ?? "what the keys allow"}`);
      lines.push(
        `    aud ${p.audience === null ? "not checked" : quotedList(p.audience)}${p.typ ? `; typ ${quoted(p.typ)}` : ""}`,
      );
      if (p.clientId)
        lines.push(`    client (${p.clientIdClaim!.join(" or ")}) one of ${quotedList(p.clientId)}`);
      for (const [claim, values] of Object.entries(p.requiredClaimValues ?? {}))
        lines.push(`    ${claim} one of ${quotedList(values)}`);
      lines.push(`    scopes read from ${p.scopeClaims.join(", ")}`);
    }
  }
  if (report.unmatchedMethods && report.unmatchedMethods.length > 0) {
    const by =
      report.unmatchedMethods[0]!.decidedBy === "$default"
        ? "the open $default rule"
        : 'unmatchedRoutes ("allow")';
    lines.push("", `Open to any authenticated principal: no rule decides these methods, ${by} allows them`);
    for (const u of report.unmatchedMethods) lines.push(`  ${u.methods.join(", ")} ${u.path}`);
  }
  if (route) {
    const label = { allow: "ALLOW", deny: "DENY", unauthorized: "UNAUTHORIZED", error: "ERROR" }[
      route.decision
    ];
    lines.push("", `Route ${route.route}: ${label} (${route.status})`);
    if (route.reason || route.detail)
      lines.push(`  ${[route.reason, route.detail].filter(Boolean).join(": ")}`);
    lines.push(`  methodArn ${route.methodArn}`);
    if (route.thrown !== null) {
      lines.push(`  The authorizer throws Error(${JSON.stringify(route.thrown)}).`);
    } else {
      lines.push(
        "  The authorizer returns:",
        indent(JSON.stringify(route.authorizerResponse, null, 2), "    "),
      );
    }
    if (route.gatewayResponse) {
      const g = route.gatewayResponse;
      const headers = Object.entries(g.headers).map(([k, v]) => `${k}: ${v}`);
      lines.push(`  API Gateway answers ${g.statusCode} (${headers.join(", ")}) ${g.body}`);
    } else {
      lines.push(
        "  API Gateway passes the request to the integration, with the principalId and context above.",
      );
    }
  }
  if (report.native) {
    const n = report.native;
    const gatepass = route
      ? `gatepass answers ${route.status} on ${route.route}`
      : verification.skipped
        ? "gatepass: not verified (no configuration)"
        : verification.valid
          ? "gatepass: VALID"
          : `gatepass: INVALID (${verification.code})`;
    lines.push(
      "",
      `Native ${n.authorizer} (issuer ${quoted(n.issuer)}, audience ${n.audience.length > 0 ? quotedList([...n.audience]) : "none"}${n.scopes.length > 0 ? `, scopes ${n.scopes.join(" ")}` : ""})`,
      `  ${n.sentence}`,
      ...(n.wwwAuthenticate ? [`  www-authenticate: ${n.wwwAuthenticate}`] : []),
      `  ${gatepass}`,
    );
  }
  printHuman(`${lines.join("\n")}\n`);
}
