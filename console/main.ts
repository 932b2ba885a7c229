/**
 * The gatepass dev console page: plain DOM, no framework. Four tabs — live requests (server-sent
 * events), the token explainer, minting, routes. Everything shown is built with text nodes (never
 * HTML from the server), and every request goes to this same origin.
 */
import {
  announcement,
  clockTime,
  type OutcomeGroup,
  type RecordFilter,
  type RecordView,
  reasonText,
  routeLine,
  visibleRecords,
} from "./view.js";

type Child = Node | string | null | undefined | false;

/** Creates an element with attributes (`on…` functions become listeners) and children. */
function h(tag: string, attrs: Record<string, unknown> = {}, ...children: Child[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function")
      el.addEventListener(name.slice(2), value as EventListener);
    else if (name === "class") el.className = String(value);
    else el.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children) if (child) el.append(child);
  return el;
}

/** Replaces the children of `el`, skipping empty ones. */
function fill(el: HTMLElement, ...children: Child[]): void {
  el.replaceChildren(...children.filter((c): c is Node | string => Boolean(c)));
}

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const json = (value: unknown) => JSON.stringify(value, null, 2);
const pre = (value: unknown, label: string) => h("pre", { tabindex: 0, "aria-label": label }, json(value));

async function api<T>(path: string, body?: unknown): Promise<T> {
  const response = await fetch(`api/${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: body === undefined ? {} : { "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const answer = (await response.json()) as T & { message?: string };
  if (!response.ok) throw new Error(answer.message ?? `HTTP ${response.status}`);
  return answer;
}

const errorBox = (error: unknown) =>
  h("p", { class: "notice", role: "alert" }, error instanceof Error ? error.message : String(error));

/* ---------- tabs ---------- */

const TABS = ["requests", "explain", "mint", "routes"] as const;
type Tab = (typeof TABS)[number];

function selectTab(tab: Tab, focus = false): void {
  for (const name of TABS) {
    const button = $(`tab-${name}`);
    const selected = name === tab;
    button.setAttribute("aria-selected", String(selected));
    button.tabIndex = selected ? 0 : -1;
    $(`panel-${name}`).hidden = !selected;
    if (selected && focus) button.focus();
  }
  if (tab === "routes") void loadRoutes();
}

for (const [i, name] of TABS.entries()) {
  const button = $(`tab-${name}`);
  button.addEventListener("click", () => selectTab(name));
  button.addEventListener("keydown", (event) => {
    const keys: Record<string, number> = { ArrowRight: 1, ArrowLeft: -1 };
    if (event.key in keys) {
      selectTab(TABS[(i + keys[event.key]! + TABS.length) % TABS.length]!, true);
      event.preventDefault();
    } else if (event.key === "Home" || event.key === "End") {
      selectTab(event.key === "Home" ? TABS[0] : TABS[TABS.length - 1]!, true);
      event.preventDefault();
    }
  });
}

/* ---------- requests ---------- */

const records: RecordView[] = [];
let selectedId: number | null = null;

const filter = (): RecordFilter => ({
  group: ($<HTMLSelectElement>("filter-outcome").value || "") as OutcomeGroup | "",
  path: $<HTMLInputElement>("filter-path").value,
});

function row(record: RecordView): HTMLElement {
  const open = () => showDetails(record.id);
  return h(
    "tr",
    {
      "data-id": record.id,
      "data-group": record.group,
      class: record.id === selectedId ? "selected" : undefined,
      onclick: (event: Event) => {
        if (!(event.target instanceof HTMLButtonElement)) open();
      },
    },
    h("td", { class: "mono" }, clockTime(record.time)),
    h(
      "td",
      {},
      h(
        "button",
        {
          type: "button",
          class: "link",
          "aria-label": `Details of ${record.method} ${record.path}`,
          onclick: open,
        },
        `${record.method} ${record.path}`,
      ),
    ),
    h("td", { class: "mono" }, String(record.status)),
    h("td", {}, h("span", { class: `badge g-${record.group}` }, record.outcome)),
    h("td", { class: "reason" }, reasonText(record)),
    h("td", { class: "mono" }, record.principal ?? ""),
    h("td", {}, record.cache ?? ""),
    h("td", { class: "num mono" }, String(record.durationMs)),
  );
}

function renderRows(): void {
  const rows = visibleRecords(records, filter()).map(row);
  $("request-rows").replaceChildren(...rows);
  $("no-requests").hidden = records.length > 0;
}

function section(title: string, ...children: Child[]): HTMLElement {
  return h("section", {}, h("h3", {}, title), ...children);
}

function showDetails(id: number): void {
  const record = records.find((r) => r.id === id);
  if (!record) return;
  selectedId = id;
  renderRows();
  const details = $("details");
  const { decision, authorizer, backend } = record;
  fill(
    details,
    h("h2", {}, `${record.method} ${record.path} → ${record.status}`),
    h(
      "dl",
      { class: "kv" },
      h("dt", {}, "outcome"),
      h("dd", {}, h("span", { class: `badge g-${record.group}` }, record.outcome)),
      h("dt", {}, "gateway"),
      h("dd", {}, record.reason),
      record.authorizerReason !== null && h("dt", {}, "authorizer"),
      record.authorizerReason !== null && h("dd", { class: "mono" }, record.authorizerReason),
      h("dt", {}, "principal"),
      h("dd", { class: "mono" }, record.principal ?? "none"),
      h("dt", {}, "cache"),
      h("dd", {}, record.cache ?? "not consulted"),
      h("dt", {}, "request id"),
      h("dd", { class: "mono" }, record.requestId),
    ),
    decision &&
      section(
        "Decision",
        h("p", { class: "why", id: "decision-why" }, decision.why),
        decision.statement !== null && pre(decision.statement, "The deciding statement"),
      ),
    ...record.tokens.map((token, i) =>
      section(
        record.tokens.length > 1 ? `Token ${i + 1} (signature elided)` : "Token (signature elided)",
        token.error ? h("p", {}, `cannot decode: ${token.error.message}`) : null,
        token.header !== null && pre(token.header, "Token header"),
        token.payload !== null && pre(token.payload, "Token claims"),
        i === 0 &&
          h("button", { type: "button", onclick: () => explainRecord(record.id) }, "Explain this token"),
      ),
    ),
    authorizer &&
      section(
        authorizer.cached ? "Authorizer (cache hit: not invoked)" : "Authorizer event",
        authorizer.event !== null && pre(authorizer.event, "Authorizer event"),
      ),
    authorizer &&
      section(
        authorizer.cached ? "Cached answer" : "Authorizer answer",
        authorizer.error !== null
          ? h("p", {}, `failed: ${authorizer.error}`)
          : pre(authorizer.answer, "Authorizer answer"),
      ),
    backend &&
      section(
        `Backend (${backend.description})`,
        backend.event !== null && h("h3", {}, "Event"),
        backend.event !== null && pre(backend.event, "Backend event"),
        backend.answer !== null && h("h3", {}, "Answer"),
        backend.answer !== null && pre(backend.answer, "Backend answer"),
      ),
    h("button", { type: "button", onclick: closeDetails }, "Close details"),
  );
  details.hidden = false;
  details.focus();
}

function closeDetails(): void {
  selectedId = null;
  $("details").hidden = true;
  renderRows();
}

function connect(): void {
  const state = $("stream-state");
  const source = new EventSource("api/events");
  source.addEventListener("open", () => {
    state.textContent = "live";
  });
  source.addEventListener("error", () => {
    state.textContent = "disconnected, retrying…";
  });
  source.addEventListener("record", (event) => {
    const record = JSON.parse((event as MessageEvent<string>).data) as RecordView;
    if (records.some((r) => r.id === record.id)) return;
    records.push(record);
    if (records.length > 500) records.shift();
    renderRows();
    $("announcer").textContent = announcement(record);
  });
}

$("filter-outcome").addEventListener("change", renderRows);
$("filter-path").addEventListener("input", renderRows);
$("filters").addEventListener("submit", (event) => event.preventDefault());
$("clear-requests").addEventListener("click", () => {
  records.length = 0;
  closeDetails();
});
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && !$("details").hidden) closeDetails();
});

/* ---------- explain ---------- */

interface Inspection {
  token: { header: unknown; payload: unknown; error?: { code: string; message: string } };
  times: Record<string, { iso: string; relative: string }>;
  verification: { valid: boolean; skipped?: boolean; code?: string; explanation: string; principal?: string };
  checks: { name: string; label: string; status: string; detail: string }[];
  route?: { route: string; decision: string; status: number; reason?: string; detail?: string };
}

const MARKS: Record<string, string> = {
  passed: "✓ passed",
  failed: "✗ failed",
  "not reached": "– not reached",
  skipped: "– skipped",
};

function renderInspection(result: Inspection): HTMLElement {
  const { token, times, verification, checks, route } = result;
  const verdict = verification.skipped
    ? `Not verified: ${verification.explanation}`
    : verification.valid
      ? `Valid: principal ${verification.principal ?? ""}`
      : `Invalid (${verification.code ?? ""}): ${verification.explanation}`;
  return h(
    "div",
    {},
    h("h2", { id: "explain-verdict" }, verdict),
    route &&
      h(
        "p",
        { class: "why", id: "explain-route-answer" },
        routeLine({
          request: route.route,
          status: route.status,
          why: [route.reason, route.detail].filter(Boolean).join(": "),
        }),
      ),
    h("h3", {}, "Checks"),
    h(
      "ul",
      { class: "checks", id: "explain-checks" },
      ...checks.map((c) =>
        h(
          "li",
          { "data-check": c.name, "data-status": c.status },
          h(
            "span",
            {
              class: `mark ${c.status === "passed" ? "g-allow" : c.status === "failed" ? "g-deny" : "g-other"}`,
            },
            MARKS[c.status] ?? c.status,
          ),
          `${c.label}${c.detail ? ` — ${c.detail}` : ""}`,
        ),
      ),
    ),
    Object.keys(times).length > 0 && h("h3", {}, "Times"),
    Object.keys(times).length > 0 &&
      h(
        "dl",
        { class: "kv" },
        ...Object.entries(times).flatMap(([claim, t]) => [
          h("dt", { class: "mono" }, claim),
          h("dd", {}, `${t.relative} (${t.iso})`),
        ]),
      ),
    token.error && h("p", { class: "notice" }, `cannot decode: ${token.error.message}`),
    token.header !== null && h("h3", {}, "Header (decoded without verification)"),
    token.header !== null && pre(token.header, "Token header"),
    token.payload !== null && h("h3", {}, "Claims (decoded without verification)"),
    token.payload !== null && pre(token.payload, "Token claims"),
  );
}

async function explain(body: Record<string, unknown>): Promise<void> {
  const out = $("explain-result");
  out.replaceChildren(h("p", { class: "muted" }, "explaining…"));
  try {
    out.replaceChildren(renderInspection(await api<Inspection>("explain", body)));
  } catch (error) {
    out.replaceChildren(errorBox(error));
  }
}

function explainRecord(recordId: number): void {
  selectTab("explain", true);
  const route = $<HTMLInputElement>("explain-route").value.trim();
  $<HTMLTextAreaElement>("explain-token").value = "";
  void explain({ recordId, ...(route ? { route } : {}) });
}

$("explain-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const route = $<HTMLInputElement>("explain-route").value.trim();
  void explain({ token: $<HTMLTextAreaElement>("explain-token").value, ...(route ? { route } : {}) });
});

/* ---------- mint ---------- */

function parseJsonField(id: string, label: string): Record<string, unknown> | undefined {
  const text = $<HTMLTextAreaElement>(id).value.trim();
  if (text === "") return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`${label} is not JSON`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new Error(`${label} must be a JSON object`);
  return value as Record<string, unknown>;
}

$("mint-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const out = $("mint-result");
  void (async () => {
    try {
      const value = (id: string) => $<HTMLInputElement>(id).value.trim();
      const claims = parseJsonField("mint-claims", "Other claims");
      const presetParams = parseJsonField("mint-params", "Preset parameters");
      const minted = await api<{ access_token: string; curl: string; works: boolean; expires_in: number }>(
        "mint",
        {
          sub: value("mint-sub"),
          scope: value("mint-scope"),
          groups: value("mint-groups"),
          ttl: value("mint-ttl"),
          preset: value("mint-preset"),
          alg: value("mint-alg"),
          aud: value("mint-aud"),
          path: value("mint-path") || "/",
          ...(claims ? { claims } : {}),
          ...(presetParams ? { presetParams } : {}),
        },
      );
      fill(
        out,
        h("h2", {}, `Token minted, valid for ${minted.expires_in} s`),
        !minted.works &&
          h(
            "p",
            { class: "notice" },
            "The authorizer in use does not trust the development issuer: this token is refused here.",
          ),
        h("label", { for: "mint-token" }, "Token"),
        h(
          "textarea",
          { id: "mint-token", rows: 4, readonly: true, spellcheck: "false" },
          minted.access_token,
        ),
        h("label", { for: "mint-curl" }, "curl"),
        h("textarea", { id: "mint-curl", rows: 3, readonly: true, spellcheck: "false" }, minted.curl),
        h(
          "div",
          {},
          h(
            "button",
            {
              type: "button",
              onclick: () => {
                $<HTMLTextAreaElement>("explain-token").value = minted.access_token;
                selectTab("explain", true);
                void explain({ token: minted.access_token });
              },
            },
            "Explain it",
          ),
          " ",
          h(
            "button",
            {
              type: "button",
              onclick: () => {
                $<HTMLTextAreaElement>("routes-token").value = minted.access_token;
                selectTab("routes", true);
                void routesFor(minted.access_token);
              },
            },
            "Which routes may it call?",
          ),
        ),
      );
    } catch (error) {
      out.replaceChildren(errorBox(error));
    }
  })();
});

/* ---------- routes ---------- */

interface RouteRow {
  key: string;
  rule: string;
  authorizer: string;
}
interface RouteAnswer {
  key: string;
  request: string;
  decision: string;
  status: number | null;
  why: string;
}
let routeRows: RouteRow[] = [];
let answers = new Map<string, RouteAnswer>();

function renderRoutes(): void {
  $("route-rows").replaceChildren(
    ...routeRows.map((r) => {
      const answer = answers.get(r.key);
      const group = answer
        ? answer.decision === "allow"
          ? "allow"
          : answer.decision === "deny"
            ? "deny"
            : answer.decision === "unauthorized"
              ? "unauthorized"
              : "error"
        : "other";
      return h(
        "tr",
        { "data-route": r.key },
        h("td", { class: "mono" }, r.key),
        h("td", {}, r.rule),
        h("td", {}, r.authorizer),
        h("td", {}, answer ? h("span", { class: `badge g-${group}` }, routeLine(answer)) : ""),
      );
    }),
  );
}

let routesLoaded = false;
async function loadRoutes(): Promise<void> {
  if (routesLoaded) return;
  try {
    const { routes, unmatched, resource } = await api<{
      routes: RouteRow[];
      unmatched: string | null;
      resource: { metadataUrl: string; path: string; document: Record<string, unknown> } | null;
    }>("routes");
    routeRows = routes;
    routesLoaded = true;
    $("routes-unmatched").textContent = unmatched ?? "";
    $("routes-resource").replaceChildren(
      ...(resource === null
        ? []
        : [
            h(
              "p",
              { class: "muted" },
              `Protected resource (RFC 9728) ${String(resource.document.resource)}: metadata served without a token at ${resource.path}, named in every 401 as ${resource.metadataUrl}`,
            ),
            h("pre", { class: "mono" }, JSON.stringify(resource.document, null, 2)),
          ]),
    );
    renderRoutes();
  } catch (error) {
    $("routes-result").replaceChildren(errorBox(error));
  }
}

async function routesFor(token: string): Promise<void> {
  const out = $("routes-result");
  await loadRoutes();
  try {
    const result = await api<{
      principal: string | null;
      valid: boolean;
      explanation: string;
      answers: RouteAnswer[];
    }>("routes", { token });
    answers = new Map(result.answers.map((a) => [a.key, a]));
    renderRoutes();
    out.replaceChildren(
      h(
        "p",
        {},
        result.valid
          ? `Principal ${result.principal ?? ""}: answers above.`
          : `The token is refused: ${result.explanation}`,
      ),
    );
  } catch (error) {
    out.replaceChildren(errorBox(error));
  }
}

$("routes-form").addEventListener("submit", (event) => {
  event.preventDefault();
  void routesFor($<HTMLTextAreaElement>("routes-token").value);
});

/* ---------- start ---------- */

void (async () => {
  try {
    const info = await api<{
      url: string;
      api: string;
      stage: string;
      authorizer: string;
      mint: boolean;
      presets: { name: string }[];
    }>("info");
    $("server-info").textContent =
      `${info.url} · ${info.api}, stage ${info.stage} · authorizer ${info.authorizer}`;
    $("mint-off").hidden = info.mint;
    $<HTMLFormElement>("mint-form").hidden = !info.mint;
    $("mint-preset").append(...info.presets.map((p) => h("option", { value: p.name }, p.name)));
  } catch (error) {
    $("server-info").replaceChildren(errorBox(error));
  }
})();
renderRows();
connect();
