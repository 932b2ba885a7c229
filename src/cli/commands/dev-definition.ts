import { relative } from "node:path";
import type { DevServer } from "../../dev/server.js";

/**
 * The banner lines of `gatepass dev` serving an API definition: where it came from, each route
 * with its authorizer (or `none`) and integration, and the definition's notes (what was read with
 * a fallback), once.
 */
export function definitionBanner(server: DevServer, cwd: string = process.cwd()): string[] {
  const definition = server.definition;
  if (definition === null) return [];
  const file = relative(cwd, definition.file) || definition.file;
  const lines = [`  definition  ${file} (${definition.format}, ${definition.kind} API ${definition.name})`];
  if (server.routes.length === 0) lines.push("  routes      none (every request gets the no-route answer)");
  else {
    const width = Math.min(40, Math.max(...server.routes.map((r) => r.routeKey.length)));
    lines.push("  routes");
    for (const route of server.routes)
      lines.push(
        `    ${route.routeKey.padEnd(width)}  authorizer ${route.authorizer}  ->  ${route.integration}`,
      );
  }
  if (definition.notes.length > 0) {
    lines.push("  notes");
    for (const note of definition.notes) lines.push(`    ${note.at}: ${note.message}`);
  }
  return lines;
}
