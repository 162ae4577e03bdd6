// Browser test of the web dashboard: generates the demo company, serves it with the real
// binary on a free loopback port, and drives Debian's chromium (headless, --no-sandbox, fresh
// profile) with playwright-core. Checks totals against the API, a group-by and a filter
// change, a shared link, a CSV download; screenshots every page into tests/e2e/screenshots/.
// Usage: node tests/e2e/dashboard.mjs BILLINGFOOT_BINARY
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import assert from "node:assert/strict";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, "../../web/package.json"));
const { chromium } = require("playwright-core");
const binary = process.argv[2];
const shots = join(here, "screenshots");
mkdirSync(shots, { recursive: true });
const work = mkdtempSync(join(tmpdir(), "billingfoot-e2e-"));
let server, browser, passed = 0, failed = 0;

function cents(v) { return Math.round(Number(v) * 100) / 100; }
function parseMoney(text) { return Number(text.replace(/[^0-9.-]/g, "")); }

async function check(name, fn) {
  try { await fn(); passed++; console.log(`ok ${name}`); }
  catch (e) { failed++; console.log(`FAILED ${name}: ${e.stack ?? e}`); }
}

try {
  const demo = spawnSync(binary, ["demo", "--dir", join(work, "company"), "--as-of", "2025-06-15", "--no-serve"], { encoding: "utf8" });
  assert.equal(demo.status, 0, demo.stderr);
  server = spawn(binary, ["--config", join(work, "company/billingfoot.yaml"), "serve", "--listen", "127.0.0.1:0"], { stdio: ["ignore", "pipe", "inherit"] });
  const base = await new Promise((resolve, reject) => {
    let out = "";
    server.stdout.on("data", (d) => { out += d; const m = out.match(/listening on (http:\/\/127\.0\.0\.1:\d+)\//); if (m) resolve(m[1]); });
    server.on("exit", (code) => reject(new Error(`serve exited ${code}: ${out}`)));
    setTimeout(() => reject(new Error("serve did not start")), 30000);
  });
  const api = async (path) => (await fetch(`${base}/api/v1/${path}`)).json();
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", headless: true, args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  const open = async (path) => {
    await page.goto(`${base}${path}`);
    await page.waitForFunction((p) => document.body.dataset.ready === p, new URL(path, base).pathname);
  };

  await check("overview shows month to date and forecast equal to the API", async () => {
    await open("/");
    const o = await api("overview");
    assert.equal(parseMoney(await page.textContent("[data-testid=mtd]")), cents(o.month_to_date));
    assert.equal(parseMoney(await page.textContent("[data-testid=forecast]")), cents(o.forecast));
    const chartTotal = Number(await page.getAttribute("[data-testid=providers-chart]", "data-total"));
    assert.ok(Math.abs(chartTotal - o.month_to_date) < 0.01, `${chartTotal} vs ${o.month_to_date}`);
    assert.ok(await page.locator("canvas").count() >= 2, "charts rendered");
    await page.screenshot({ path: join(shots, "overview.png"), fullPage: true });
  });

  await check("explorer total and chart equal the API; group-by and filter change the view", async () => {
    await open("/explorer?group_by=ProviderName&from=2025-04-01&to=2025-06-15&granularity=day&cost=billed");
    const c = await api("costs?group_by=ProviderName&from=2025-04-01&to=2025-06-15");
    assert.equal(parseMoney(await page.textContent("[data-testid=explorer-total]")), cents(c.total.cost));
    const chartTotal = Number(await page.getAttribute("[data-testid=explorer-chart]", "data-total"));
    assert.ok(Math.abs(chartTotal - c.total.cost) < 0.01);
    await page.screenshot({ path: join(shots, "explorer.png"), fullPage: true });

    await page.selectOption("[data-testid=group-by]", "ServiceName");
    await page.selectOption("select[name=filter_dim]", "ProviderName");
    await page.fill("[data-testid=filter-value]", "AWS");
    await page.click("[data-testid=apply]");
    await page.waitForFunction(() => location.search.includes("group_by=ServiceName") && document.querySelector("[data-testid=explorer-total]"));
    const url = new URL(page.url());
    assert.deepEqual(url.searchParams.getAll("filter"), ["ProviderName=AWS"]);
    const aws = await api("costs?group_by=ServiceName&from=2025-04-01&to=2025-06-15&filter=ProviderName%3DAWS");
    assert.equal(parseMoney(await page.textContent("[data-testid=explorer-total]")), cents(aws.total.cost));
    assert.ok(aws.total.cost < c.total.cost);
    const header = await page.textContent("[data-testid=breakdown] thead");
    assert.ok(header.includes("ServiceName"), header);

    // The URL is the view: a fresh page on the same link shows the same total.
    const shared = await context.newPage();
    await shared.goto(page.url());
    await shared.waitForFunction(() => document.body.dataset.ready === "/explorer");
    assert.equal(parseMoney(await shared.textContent("[data-testid=explorer-total]")), cents(aws.total.cost));
    assert.equal(await shared.textContent("[data-testid=filter-chip]").then((t) => t.replace("×", "")), "ProviderName=AWS");
    await shared.close();

    const [download] = await Promise.all([page.waitForEvent("download"), page.click("[data-testid=csv]")]);
    const csv = readFileSync(await download.path(), "utf8").trim().split("\n");
    assert.equal(csv[0], "period,ServiceName,cost,rows");
    const sum = csv.slice(1).reduce((s, line) => s + Number(line.split(",").at(-2)), 0);
    assert.ok(Math.abs(sum - aws.total.cost) < 0.01, `${sum} vs ${aws.total.cost}`);
  });

  await check("sources page shows every source as ok", async () => {
    await open("/sources");
    const states = await page.locator("[data-testid=source-state]").allTextContents();
    assert.deepEqual(states, ["ok", "ok", "ok", "ok"]);
    await page.screenshot({ path: join(shots, "sources.png"), fullPage: true });
  });

  await check("dashboards render every panel of the demo's three dashboards", async () => {
    const list = await api("dashboards");
    assert.equal(list.dashboards.length, 3);
    for (const d of list.dashboards) {
      await open(`/dashboards/${d.id}`);
      await page.waitForTimeout(300);
      assert.equal(await page.locator("[data-testid=panel] .error").count(), 0, `errors on ${d.id}`);
      assert.equal(await page.locator("[data-testid=panel]").count(), d.panel_count);
      await page.screenshot({ path: join(shots, `dashboard-${d.id}.png`), fullPage: true });
    }
  });

  await check("unit economics shows every configured unit cost with its latest value from the API", async () => {
    await open("/unit-economics");
    const u = await api("unit-costs");
    assert.equal(u.available, true);
    const names = [...new Set(u.rows.map((r) => r.name))];
    assert.ok(names.length >= 2, `demo unit costs: ${names}`);
    assert.equal(await page.locator("[data-testid=unit-card]").count(), names.length);
    for (const name of names) {
      const rows = u.rows.filter((r) => r.name === name).sort((a, b) => String(a.period_start).localeCompare(String(b.period_start)));
      // The demo's unit costs are monthly and the data ends 2025-06-15: June is month to date, so
      // the headline is May, the latest complete month.
      const may = rows.find((r) => String(r.period_start).startsWith("2025-05"));
      assert.equal(await page.getAttribute(`[data-testid=unit-card][data-name="${name}"] [data-testid=unit-cost]`, "data-period"), "2025-05-01");
      assert.equal(await page.locator(`[data-testid=unit-card][data-name="${name}"] [data-testid=partial]`).count(), 1);
      const latest = Number(may.unit_cost);
      const shown = parseMoney(await page.textContent(`[data-testid=unit-card][data-name="${name}"] [data-testid=unit-cost]`));
      assert.ok(Math.abs(shown - latest) <= 0.00005 + Math.abs(latest) * 1e-9 || Math.abs(shown - latest) < 0.005 && Math.abs(latest) >= 10, `${name}: shown ${shown}, API ${latest}`);
      assert.equal(await page.locator(`[data-testid=unit-card][data-name="${name}"] [data-testid=unit-table] tbody tr`).count(), rows.length);
    }
    await page.screenshot({ path: join(shots, "unit-economics.png"), fullPage: true });
  });

  await check("narrow screen keeps the page usable", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await open("/");
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `page is ${overflow}px wider than the screen`);
    await page.screenshot({ path: join(shots, "overview-narrow.png"), fullPage: true });
  });

  await check("no script errors in the page", async () => assert.deepEqual(errors, []));
} catch (e) {
  failed++;
  console.log(`FAILED setup: ${e.stack ?? e}`);
} finally {
  if (browser) await browser.close();
  if (server) server.kill("SIGTERM");
  rmSync(work, { recursive: true, force: true });
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
