/**
 * e2e in headless Chromium (Debian's `chromium`, driven by playwright-core): the console of
 * `gatepass dev` shows allowed, denied and unauthenticated requests as they happen with their
 * outcome and reason; a row opens on the deciding statement; an expired token pasted into the
 * explainer shows the failed check; a token minted in the form works. The page makes no request
 * outside the server and the CSP blocks nothing it needs. A screenshot goes to test-artifacts/
 * (not committed). Skips, saying why, where /usr/bin/chromium is missing (CI installs it).
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { importJWK, SignJWT } from "jose";
import type { Browser, Page } from "playwright-core";
import { bearer, call, startTestServer, type TestServer } from "../fixtures/dev/harness.js";

const CHROMIUM = "/usr/bin/chromium";
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const ARTIFACTS = fileURLToPath(new URL("../../test-artifacts/", import.meta.url));
const skip = existsSync(CHROMIUM)
  ? false
  : `${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium) to run the console's browser test`;

describe("gatepass dev console in headless Chromium", { skip, timeout: 180_000 }, () => {
  let t: TestServer;
  let browser: Browser;
  let page: Page;
  let token: string;
  const foreign: string[] = [];
  const problems: string[] = [];
  const started = performance.now();

  before(async () => {
    const { chromium } = await import("playwright-core");
    t = await startTestServer();
    token = t.server.mintToken({ sub: "demo-user", scope: "orders:read" }).access_token;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ARGS,
      headless: true,
      timeout: 60_000,
    });
    page = await browser.newPage({ viewport: { width: 1240, height: 700 } });
    page.setDefaultTimeout(15_000);
    page.on("request", (request) => {
      if (!request.url().startsWith(t.url)) foreign.push(request.url());
    });
    page.on("console", (message) => {
      if (message.type() === "error") problems.push(message.text());
    });
    page.on("pageerror", (error) => problems.push(error.message));
    await page.goto(t.server.consoleUrl!);
    await page.locator("#stream-state", { hasText: "live" }).waitFor();
  });

  after(async () => {
    await browser?.close();
    await t?.close();
    process.stdout.write(`# console browser test: ${Math.round(performance.now() - started)} ms in all\n`);
  });

  it("shows allowed, denied and unauthenticated requests as they happen, with outcome and reason", async () => {
    assert.equal((await call(`${t.url}/orders/42`, { headers: bearer(token) })).status, 200);
    assert.equal((await call(`${t.url}/admin/users`, { headers: bearer(token) })).status, 403);
    assert.equal((await call(`${t.url}/orders/42`)).status, 401);
    const rows = page.locator("#request-rows tr");
    await rows.nth(2).waitFor();
    // Newest first.
    await assertRow(page, 0, {
      request: "GET /orders/42",
      status: "401",
      outcome: "unauthorized",
      reason: /identity source header:authorization is missing/,
    });
    await assertRow(page, 1, {
      request: "GET /admin/users",
      status: "403",
      outcome: "deny",
      reason: /an explicit Deny matches/,
    });
    await assertRow(page, 2, {
      request: "GET /orders/42",
      status: "200",
      outcome: "allow",
      reason: /an Allow matches/,
    });
    assert.equal(await rows.nth(2).locator("td").nth(5).textContent(), "demo-user");
    assert.match(
      String(await page.locator("#announcer").textContent()),
      /GET \/orders\/42: 401 unauthorized/,
    );
  });

  it("filters by outcome and by path", async () => {
    await page.selectOption("#filter-outcome", "deny");
    assert.equal(await page.locator("#request-rows tr").count(), 1);
    await page.selectOption("#filter-outcome", "");
    await page.fill("#filter-path", "orders");
    assert.equal(await page.locator("#request-rows tr").count(), 2);
    await page.fill("#filter-path", "");
  });

  it("opens a row on the deciding statement, the authorizer's event with the token elided, and the decoded claims", async () => {
    await page.getByRole("button", { name: "Details of GET /admin/users" }).click();
    const why = page.locator("#decision-why");
    await why.waitFor();
    assert.match(
      String(await why.textContent()),
      /^an explicit Deny matches arn:aws:execute-api:.*\/dev\/GET\/admin\/users: Statement\[\d+\], Resource ".*\/GET\/admin\/\*"; a Deny wins/,
    );
    const details = String(await page.locator("#details").textContent());
    assert.match(details, /"sub": "demo-user"/);
    assert.ok(!details.includes(token.split(".")[2]!), "no signature on the page");
    await page.screenshot({ path: artifact("console-requests.png") });
    await page.keyboard.press("Escape");
    assert.equal(await page.locator("#details").isHidden(), true);
  });

  it("explains an expired token pasted in: the time check fails, saying when it expired", async () => {
    const jwk = JSON.parse(readFileSync(join(t.keysDir, "private.jwk.json"), "utf8")) as Record<
      string,
      string
    >;
    const now = Math.floor(Date.now() / 1000);
    const expired = await new SignJWT({ scope: "orders:read" })
      .setProtectedHeader({ alg: "ES256", typ: "JWT", kid: jwk.kid! })
      .setIssuer(t.url)
      .setSubject("late-user")
      .setAudience("gatepass-dev")
      .setIssuedAt(now - 7200)
      .setExpirationTime(now - 25 * 60)
      .sign(await importJWK(jwk, "ES256"));
    await page.getByRole("tab", { name: "Explain a token" }).click();
    await page.getByLabel("Token (a JWT").fill(expired);
    await page.getByLabel("Route to decide").fill("GET /orders/42");
    await page.getByRole("button", { name: "Explain", exact: true }).click();
    const failed = page.locator('#explain-checks li[data-status="failed"]');
    await failed.waitFor();
    assert.equal(await failed.getAttribute("data-check"), "time");
    assert.match(String(await failed.textContent()), /expired 25 minutes ago/);
    assert.equal(
      await page.locator('#explain-checks li[data-check="signature"]').getAttribute("data-status"),
      "passed",
    );
    assert.match(
      String(await page.locator("#explain-route-answer").textContent()),
      /^GET \/orders\/42 → 401: ERR_JWT_EXPIRED/,
    );
    assert.match(
      String(await page.locator("#explain-verdict").textContent()),
      /^Invalid \(ERR_JWT_EXPIRED\)/,
    );
  });

  it("mints a token in the form; the request made with it shows as allowed", async () => {
    await page.getByRole("tab", { name: "Mint a token" }).click();
    await page.getByLabel("Subject (sub)").fill("carol");
    await page.getByLabel("Groups (space-separated)").fill("admin");
    await page.getByLabel("Path for the curl line").fill("/admin/users");
    await page.getByRole("button", { name: "Mint", exact: true }).click();
    const minted = await page.locator("#mint-token").inputValue();
    const curl = await page.locator("#mint-curl").inputValue();
    assert.equal(curl, `curl -i ${t.url}/admin/users -H 'Authorization: Bearer ${minted}'`);
    assert.equal((await call(`${t.url}/admin/users`, { headers: bearer(minted) })).status, 200);
    await page.getByRole("tab", { name: "Requests" }).click();
    await page.locator("#request-rows tr").nth(3).waitFor();
    await assertRow(page, 0, {
      request: "GET /admin/users",
      status: "200",
      outcome: "allow",
      reason: /an Allow matches/,
    });
    assert.equal(await page.locator("#request-rows tr").nth(0).locator("td").nth(5).textContent(), "carol");
  });

  it("lists the routes and what the minted principal may call; tabs work from the keyboard", async () => {
    await page.getByRole("tab", { name: "Requests" }).focus();
    await page.keyboard.press("ArrowLeft");
    assert.equal(await page.getByRole("tab", { name: "Routes" }).getAttribute("aria-selected"), "true");
    await page.locator('#route-rows tr[data-route="ANY /admin/{proxy+}"]').waitFor();
    await page.getByLabel("A principal's token").fill(token);
    await page.getByRole("button", { name: "Show", exact: true }).click();
    const admin = page.locator('#route-rows tr[data-route="ANY /admin/{proxy+}"] td').nth(3);
    await admin.locator("span").waitFor();
    assert.match(String(await admin.textContent()), /^GET \/admin\/example → 403: ERR_CLAIM_MISMATCH/);
    assert.match(
      String(await page.locator('#route-rows tr[data-route="GET /orders/{id}"] td').nth(3).textContent()),
      /→ 200/,
    );
  });

  it("mints an RS256 token for an audience with the form's Algorithm and Audience", async () => {
    await page.getByRole("tab", { name: "Mint a token" }).click();
    await page.getByLabel("Algorithm").selectOption("RS256");
    await page.getByLabel("Audience (aud, space-separated)").fill("orders-api");
    await page.getByRole("button", { name: "Mint", exact: true }).click();
    // The previous mint's token is still shown until this one arrives.
    const alg = async () => {
      const text = await page.locator("#mint-token").inputValue();
      try {
        return (JSON.parse(Buffer.from(text.split(".")[0]!, "base64url").toString()) as { alg: string }).alg;
      } catch {
        return "";
      }
    };
    for (let i = 0; i < 100 && (await alg()) !== "RS256"; i++)
      await new Promise((done) => setTimeout(done, 50));
    const minted = await page.locator("#mint-token").inputValue();
    const part = (i: number) => JSON.parse(Buffer.from(minted.split(".")[i]!, "base64url").toString());
    assert.equal(part(0).alg, "RS256");
    assert.equal(part(1).aud, "orders-api");
  });

  it("made no request outside the server, and nothing failed in the page (CSP included)", async () => {
    await page.getByRole("tab", { name: "Requests" }).click();
    await page.screenshot({ path: artifact("console.png") });
    assert.deepEqual(foreign, []);
    assert.deepEqual(problems, []);
  });
});

function artifact(name: string): string {
  mkdirSync(ARTIFACTS, { recursive: true });
  return join(ARTIFACTS, name);
}

async function assertRow(
  page: Page,
  index: number,
  expected: { request: string; status: string; outcome: string; reason: RegExp },
): Promise<void> {
  const cells = page.locator("#request-rows tr").nth(index).locator("td");
  assert.equal(await cells.nth(1).textContent(), expected.request);
  assert.equal(await cells.nth(2).textContent(), expected.status);
  assert.equal(await cells.nth(3).textContent(), expected.outcome);
  assert.match(String(await cells.nth(4).textContent()), expected.reason);
}
