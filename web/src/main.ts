// billingfoot's web dashboard: a small single-page app over /api/v1. Pages are paths
// (/explorer?group_by=…), so any view can be shared as a link.
import "./style.css";
import { downloadCsv, get, type Row } from "./api";
import { disposeAll, render, type ChartType } from "./charts";
import { escapeHtml as esc, format, money, percent, setCurrency, unitMoney } from "./format";

interface Meta { currency: string; as_of: string | null; first_day: string | null; dimensions: string[]; rollup_dimensions: string[]; tag_keys: string[];
  features: { unit_costs: boolean; anomalies: boolean; budgets: boolean; allocation: boolean } }

const app = document.getElementById("app")!;
let meta: Meta;

const PAGES: [string, string, () => boolean][] = [
  ["/", "Overview", () => true], ["/explorer", "Explorer", () => true], ["/unit-economics", "Unit economics", () => true],
  ["/sources", "Sources", () => true], ["/dashboards", "Dashboards", () => true],
  ["/anomalies", "Anomalies", () => meta?.features.anomalies], ["/budgets", "Budgets", () => meta?.features.budgets],
];

function shell(path: string): HTMLElement {
  const nav = PAGES.filter(([, , show]) => show())
    .map(([href, label]) => `<a href="${href}" data-link class="${(href === "/" ? path === "/" : path.startsWith(href)) ? "active" : ""}">${label}</a>`).join("");
  app.innerHTML = `<header><span class="brand">billingfoot</span><nav>${nav}</nav><span class="sub" style="margin-left:auto;color:#9fb0c8">${meta?.as_of ? `data to ${meta.as_of}` : ""}</span></header><main id="page"><div class="loading">Loading…</div></main>`;
  return document.getElementById("page")!;
}

function card(title: string, body: string, width = "half", attrs = ""): string {
  return `<section class="card w-${width}" ${attrs}><h2>${esc(title)}</h2>${body}</section>`;
}

function table(t: { columns: { name: string; type: string }[]; rows: Row[] }, total?: string, testid = "table"): string {
  if (!t.rows.length) return `<div class="empty">No rows.</div>`;
  const num = (c: { type: string }) => ["decimal", "integer", "float"].includes(c.type);
  const moneyCol = (c: { name: string; type: string }) => c.type === "decimal" || /cost|change$/i.test(c.name);
  const cell = (c: { name: string; type: string }, v: unknown) =>
    v === null || v === undefined ? "" : c.name === "change_pct" ? percent(v) : num(c) ? (moneyCol(c) ? money(v) : format(v, "number")) : esc(v);
  return `<div class="table-wrap"><table data-testid="${testid}"><thead><tr>${t.columns.map((c) => `<th class="${num(c) ? "num" : ""}">${esc(c.name)}</th>`).join("")}</tr></thead>
    <tbody>${t.rows.map((r) => `<tr>${t.columns.map((c) => `<td class="${num(c) ? "num" : ""}">${cell(c, r[c.name])}</td>`).join("")}</tr>`).join("")}</tbody>
    ${total ?? ""}</table></div>`;
}

function errorBox(e: unknown): string {
  return `<div class="error">${esc(e instanceof Error ? e.message : String(e))}</div>`;
}

// --- Overview ---------------------------------------------------------------------------------
async function overview(page: HTMLElement) {
  const o = await get<Record<string, any>>("overview");
  if (o.empty) { page.innerHTML = `<div class="empty">No cost data yet: run <code>billingfoot sync</code>.</div>`; return; }
  const change = (cur: number, prev: number) => {
    const pct = prev ? ((cur - prev) / prev) * 100 : null;
    return `<span class="${cur > prev ? "up" : "down"}">${percent(pct)}</span>`;
  };
  page.innerHTML = `<h1>Overview <span class="sub">${o.month_start} – ${o.as_of}</span></h1><div class="grid">
    ${card("Month to date", `<div class="big" data-testid="mtd">${money(o.month_to_date)}</div><div class="sub">${change(o.month_to_date, o.previous_month_same_period)} vs ${money(o.previous_month_same_period)} same days last month</div>`, "third")}
    ${card("Forecast to month end", `<div class="big" data-testid="forecast">${money(o.forecast)}</div><div class="sub">run rate ${money(o.daily_run_rate)}/day (last 7 days)</div>`, "third")}
    ${card("Last month", `<div class="big">${money(o.previous_month_total)}</div><div class="sub">${o.days_elapsed} of ${o.days_in_month} days elapsed this month</div>`, "third")}
    ${card("Daily cost by provider", `<div class="chart" id="daily"></div>`, "full")}
    ${card("Month to date by provider", `<div class="chart" id="providers" data-testid="providers-chart"></div>`)}
    ${card("Top services, month to date", table({ columns: [{ name: "ServiceName", type: "text" }, { name: "current_cost", type: "decimal" }, { name: "previous_cost", type: "decimal" }, { name: "change_pct", type: "float" }], rows: o.top_services }))}
    ${card("Biggest movers vs the same days last month", table({ columns: [{ name: "ServiceName", type: "text" }, { name: "current_cost", type: "decimal" }, { name: "previous_cost", type: "decimal" }, { name: "change", type: "decimal" }, { name: "change_pct", type: "float" }], rows: o.movers }, undefined, "movers"), "full")}
  </div>`;
  render(document.getElementById("daily")!, "stacked_bar", o.daily, "period", "cost", "ProviderName");
  render(document.getElementById("providers")!, "pie", o.by_provider, "ProviderName", "current_cost", "");
}

// --- Explorer ---------------------------------------------------------------------------------
async function explorer(page: HTMLElement) {
  const q = new URLSearchParams(location.search);
  const defaults: Record<string, string> = { group_by: "ProviderName", granularity: "day", cost: "billed", from: monthsBack(meta.as_of, 2), to: meta.as_of ?? "" };
  const state = (k: string) => q.get(k) ?? defaults[k] ?? "";
  const filters = q.getAll("filter");
  const dims = [...new Set([...meta.rollup_dimensions, ...meta.dimensions, ...meta.tag_keys])];
  const opt = (values: string[], current: string) => values.map((v) => `<option ${v === current ? "selected" : ""}>${esc(v)}</option>`).join("");
  page.innerHTML = `<h1>Cost explorer</h1>
    <form class="controls" id="controls">
      <label>Group by<select name="group_by" data-testid="group-by">${opt(dims, state("group_by"))}</select></label>
      <label>From<input type="date" name="from" value="${state("from")}"></label>
      <label>To<input type="date" name="to" value="${state("to")}"></label>
      <label>Granularity<select name="granularity">${opt(["day", "month"], state("granularity"))}</select></label>
      <label>Cost<select name="cost">${opt(["billed", "effective", "list"], state("cost"))}</select></label>
      <label>Filter dimension<select name="filter_dim">${opt(dims, "ServiceName")}</select></label>
      <label>Filter value<input name="filter_value" placeholder="e.g. Amazon S3" data-testid="filter-value" list="values"></label>
      <datalist id="values"></datalist>
      <button type="submit" data-testid="apply">Apply</button>
      <button type="button" class="secondary" id="csv" data-testid="csv">Download CSV</button>
    </form>
    <div class="chips">${filters.map((f, i) => `<span class="chip" data-testid="filter-chip">${esc(f)}<button data-remove="${i}" title="remove">×</button></span>`).join("")}</div>
    <div class="grid" style="margin-top:12px">${card("", `<div class="chart" id="chart" data-testid="explorer-chart"></div>`, "full")}${card("Breakdown", `<div id="breakdown" class="loading">Loading…</div>`, "full")}</div>`;
  const form = document.getElementById("controls") as HTMLFormElement;
  const go = (params: URLSearchParams) => navigate(`/explorer?${params.toString()}`);
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const f = new FormData(form);
    const p = new URLSearchParams();
    for (const k of ["group_by", "from", "to", "granularity", "cost"]) p.set(k, String(f.get(k) ?? ""));
    filters.forEach((x) => p.append("filter", x));
    const v = String(f.get("filter_value") ?? "").trim();
    if (v) p.append("filter", `${f.get("filter_dim")}=${v}`);
    go(p);
  });
  page.querySelectorAll<HTMLButtonElement>("[data-remove]").forEach((b) => b.addEventListener("click", () => {
    const p = new URLSearchParams(location.search);
    p.delete("filter");
    filters.filter((_, i) => i !== Number(b.dataset.remove)).forEach((x) => p.append("filter", x));
    go(p);
  }));
  const api = new URLSearchParams();
  for (const k of ["group_by", "from", "to", "granularity", "cost"]) if (state(k)) api.set(k, state(k));
  filters.forEach((x) => api.append("filter", x));
  document.getElementById("csv")!.addEventListener("click", () => downloadCsv(`costs?${api}`, `billingfoot-costs-${state("group_by")}.csv`));
  const fdim = form.elements.namedItem("filter_dim") as HTMLSelectElement;
  const loadValues = async () => {
    const vals = await get(`costs?group_by=${encodeURIComponent(fdim.value)}&top=200`).catch(() => null);
    document.getElementById("values")!.innerHTML = vals ? vals.rows.map((r) => `<option value="${esc(r[fdim.value])}">`).join("") : "";
  };
  fdim.addEventListener("change", loadValues);
  loadValues();
  const top = new URLSearchParams(api);
  top.set("top", "12");
  const [chartData, totals] = await Promise.all([get(`costs?${top}`), get(`costs?${new URLSearchParams([...api.entries()].filter(([k]) => k !== "granularity"))}`)]);
  const dim = chartData.group_by ? (chartData.group_by as string[])[0] : state("group_by");
  render(document.getElementById("chart")!, "stacked_bar", chartData.rows, "period", "cost", dim);
  const total = (totals.total as { cost: number; rows: number });
  document.getElementById("breakdown")!.outerHTML = table(totals, `<tfoot><tr><td>Total</td>${totals.columns.slice(1).map((c) => `<td class="num" ${c.name === "cost" ? 'data-testid="explorer-total"' : ""}>${c.name === "cost" ? money(total.cost) : c.name === "rows" ? format(total.rows, "number") : ""}</td>`).join("")}</tr></tfoot>`, "breakdown");
}

function monthsBack(day: string | null, n: number): string {
  if (!day) return "";
  const d = new Date(`${day.slice(0, 7)}-01T00:00:00Z`);
  d.setUTCMonth(d.getUTCMonth() - n);
  return d.toISOString().slice(0, 10);
}

// --- Unit economics, anomalies, budgets: tables computed by other parts of billingfoot ------------
async function derived(page: HTMLElement, path: string, title: string, hint: string) {
  const t = await get(path);
  if (!t.available) { page.innerHTML = `<h1>${title}</h1><div class="card empty">${hint}</div>`; return; }
  const nameCol = t.columns.find((c) => c.type === "text")?.name ?? "";
  const dateCol = t.columns.find((c) => c.type === "date" || c.type === "timestamp")?.name ?? "";
  const valueCol = [...t.columns].reverse().find((c) => ["decimal", "float", "integer"].includes(c.type))?.name ?? "";
  page.innerHTML = `<h1>${title}</h1><div class="grid">${dateCol && valueCol ? card(title, `<div class="chart" id="dchart"></div>`, "full") : ""}${card("Table", table(t), "full")}</div>`;
  if (dateCol && valueCol) render(document.getElementById("dchart")!, "line", t.rows, dateCol, valueCol, nameCol, "number");
}

// --- Unit economics -----------------------------------------------------------------------------
// One card per configured unit cost (unit_costs in billingfoot.yaml): the latest period's cost per
// unit, its change, the trend, and the series with the marginal view (Δcost / Δmetric).
async function unitEconomics(page: HTMLElement) {
  const t = await get("unit-costs");
  if (!t.available || !t.rows.length) {
    page.innerHTML = `<h1>Unit economics</h1><div class="card empty">No unit costs yet: configure <code>metrics</code> and <code>unit_costs</code> in billingfoot.yaml and sync.</div>`;
    return;
  }
  const names = [...new Set(t.rows.map((r) => String(r.name)))];
  const unit = unitMoney;
  const day = (v: unknown) => esc(String(v ?? "").slice(0, 10));
  // A period the data does not cover to its end yet (the month to date) is shown but marked, and
  // the headline is the latest complete period: half a month of cost over a whole month's users
  // is not a unit cost.
  const asOf = meta?.as_of ? new Date(`${String(meta.as_of).slice(0, 10)}T00:00:00Z`) : null;
  const partial = (rows: Row[], r: Row) => {
    if (!asOf) return false;
    const start = new Date(`${String(r.period_start).slice(0, 10)}T00:00:00Z`);
    const gapDays = rows.length > 1
      ? Math.abs(Date.parse(String(rows[1].period_start)) - Date.parse(String(rows[0].period_start))) / 86400000 : 31;
    const end = new Date(start);
    if (gapDays > 2) end.setUTCMonth(end.getUTCMonth() + 1); else end.setUTCDate(end.getUTCDate() + 1);
    return end.getTime() > asOf.getTime() + 86400000;  // as_of is the last day with data
  };
  const cards = names.map((name, i) => {
    const rows = t.rows.filter((r) => r.name === name).sort((a, b) => String(a.period_start).localeCompare(String(b.period_start)));
    const complete = rows.filter((r) => !partial(rows, r));
    const last = complete.length ? complete[complete.length - 1] : rows[rows.length - 1];
    const prev = complete.length > 1 ? complete[complete.length - 2] : undefined;
    const change = prev && prev.unit_cost !== null && last.unit_cost !== null && Number(prev.unit_cost) !== 0
      ? (100 * (Number(last.unit_cost) - Number(prev.unit_cost))) / Math.abs(Number(prev.unit_cost)) : null;
    const body = `<div class="big" data-testid="unit-cost" data-period="${day(last.period_start)}">${unit(last.unit_cost)}</div>
      <div class="sub">${day(last.period_start)}: ${money(last.cost)} over ${format(last.metric_value, "number")}${prev && change !== null ? ` · ${percent(change)} vs ${day(prev.period_start)}` : ""}</div>
      <div class="chart" id="unit-${i}"></div>
      <div class="table-wrap"><table data-testid="unit-table"><thead><tr><th>period</th><th class="num">cost</th><th class="num">metric</th><th class="num">unit cost</th><th class="num">marginal</th></tr></thead>
      <tbody>${rows.slice().reverse().map((r) => `<tr><td>${day(r.period_start)}${partial(rows, r) ? ` <span class="sub" data-testid="partial">to date</span>` : ""}</td><td class="num">${money(r.cost)}</td><td class="num">${r.metric_value === null ? "" : format(r.metric_value, "number")}</td><td class="num">${unit(r.unit_cost)}</td><td class="num">${r.marginal_unit_cost === null ? "" : unit(r.marginal_unit_cost)}</td></tr>`).join("")}</tbody></table></div>`;
    return card(name, body, "half", `data-testid="unit-card" data-name="${esc(name)}"`);
  });
  page.innerHTML = `<h1>Unit economics</h1><div class="grid">${cards.join("")}</div>`;
  names.forEach((name, i) => {
    const rows = t.rows.filter((r) => r.name === name && r.unit_cost !== null)
      .sort((a, b) => String(a.period_start).localeCompare(String(b.period_start)))
      .map((r) => ({ ...r, period: String(r.period_start).slice(0, 10) }));
    render(document.getElementById(`unit-${i}`)!, "line", rows, "period", "unit_cost", "", "unit_money");
  });
}

// --- Sources ----------------------------------------------------------------------------------
async function sources(page: HTMLElement) {
  const s = await get("sources");
  const periods = s.periods as Row[];
  const runs = s.runs as Row[];
  const stateClass = (state: unknown) => (state === "ok" ? "ok" : state === "stale" ? "stale" : "failing");
  page.innerHTML = `<h1>Sources</h1><div class="grid">${s.rows.map((r) => card(String(r.source), `
      <div><span class="status-${stateClass(r.state)}" data-testid="source-state">${esc(r.state)}</span> <span class="sub">${esc(r.type)} · last sync ${esc(r.freshness ?? "never")} · schedule <code>${esc(r.schedule ?? "")}</code></span></div>
      <div class="big">${money(r.billed_cost)}</div><div class="sub">${format(r.rows, "number")} rows · ${r.periods} billing periods (${esc(r.period_range ?? "none")})</div>
      ${r.last_error ? `<div class="error">${esc(r.last_error)}</div>` : ""}
      ${table({ columns: [{ name: "billing_period", type: "text" }, { name: "rows", type: "integer" }, { name: "billed_cost", type: "decimal" }, { name: "last_status", type: "text" }, { name: "last_loaded", type: "text" }],
        rows: periods.filter((p) => p.source === r.source) })}`, "half")).join("")}
    ${card("Recent runs", table({ columns: [{ name: "source", type: "text" }, { name: "finished_at", type: "text" }, { name: "status", type: "text" },
      { name: "partitions_loaded", type: "integer" }, { name: "partitions_unchanged", type: "integer" }, { name: "partitions_failed", type: "integer" },
      { name: "rows", type: "integer" }, { name: "message", type: "text" }], rows: runs.slice(0, 20) }, undefined, "runs"), "full")}</div>`;
}

// --- Dashboards as code -------------------------------------------------------------------------
async function dashboards(page: HTMLElement, id: string) {
  const list = await get<{ folder: string; dashboards: any[] }>("dashboards");
  if (!list.dashboards.length) { page.innerHTML = `<h1>Dashboards</h1><div class="card empty">No dashboards in ${esc(list.folder)}: add YAML files there.</div>`; return; }
  const current = list.dashboards.find((d) => d.id === id) ?? list.dashboards[0];
  const tabs = list.dashboards.map((d) => `<a href="/dashboards/${d.id}" data-link class="chip" style="${d.id === current.id ? "background:#2f6fed;color:#fff" : ""}">${esc(d.title)}${d.valid ? "" : " ⚠"}</a>`).join(" ");
  const d = await get<any>(`dashboards/${current.id}`);
  page.innerHTML = `<h1>${esc(d.title)}</h1><div class="chips" style="margin-bottom:10px">${tabs}</div><p class="sub">${esc(d.description)} <code>${esc(d.file)}</code></p>
    ${d.errors.length ? `<div class="error" data-testid="dashboard-errors">${d.errors.map(esc).join("\n")}</div>` : ""}
    <div class="grid" style="margin-top:12px">${d.panels.map((p: any) => card(p.title, `<div id="panel-${p.index}" class="${p.type === "table" || p.type === "number" ? "" : "chart"}" data-testid="panel"></div>`, p.width)).join("")}</div>`;
  await Promise.all(d.panels.map(async (p: any) => {
    const el = document.getElementById(`panel-${p.index}`)!;
    if (p.error) { el.className = ""; el.innerHTML = errorBox(p.error); return; }
    try {
      const data = await get(p.sql ? `dashboards/${d.id}/panels/${p.index}` : p.api);
      const cols = data.columns.map((c) => c.name);
      const numeric = data.columns.filter((c) => ["decimal", "float", "integer"].includes(c.type)).map((c) => c.name);
      const groupBy = (data.group_by as string[] | undefined) ?? [];
      const x = p.x || (cols.includes("period") ? "period" : cols[0]);
      const y = p.y || (cols.includes("cost") ? "cost" : numeric[numeric.length - 1]);
      const series = p.series || (groupBy.length && x === "period" ? groupBy[0] : "");
      if (!data.rows.length) { el.className = "empty"; el.textContent = "No data."; }
      else if (p.type === "number") el.innerHTML = `<div class="big">${format(data.rows[0][y], p.format)}</div>`;
      else if (p.type === "table") el.innerHTML = table(data);
      else render(el, p.type as ChartType, data.rows, x, y, series, p.format);
    } catch (e) { el.className = ""; el.innerHTML = errorBox(e); }
  }));
}

// --- routing ----------------------------------------------------------------------------------
function navigate(url: string) {
  history.pushState(null, "", url);
  route();
}

async function route() {
  disposeAll();
  const path = location.pathname;
  const page = shell(path);
  try {
    if (path === "/") await overview(page);
    else if (path.startsWith("/explorer")) await explorer(page);
    else if (path.startsWith("/unit-economics")) await unitEconomics(page);
    else if (path.startsWith("/anomalies")) await derived(page, "anomalies", "Anomalies", "No anomalies computed yet.");
    else if (path.startsWith("/budgets")) await derived(page, "budgets", "Budgets", "No budgets configured.");
    else if (path.startsWith("/sources")) await sources(page);
    else if (path.startsWith("/dashboards")) await dashboards(page, decodeURIComponent(path.split("/")[2] ?? ""));
    else page.innerHTML = `<div class="empty">No page here. <a href="/" data-link>Overview</a></div>`;
  } catch (e) {
    page.innerHTML = errorBox(e);
  }
  document.body.dataset.ready = path;  // browser tests wait for this
}

document.addEventListener("click", (ev) => {
  const a = (ev.target as HTMLElement).closest("a[data-link]") as HTMLAnchorElement | null;
  if (a && !ev.ctrlKey && !ev.metaKey) { ev.preventDefault(); navigate(a.getAttribute("href")!); }
});
window.addEventListener("popstate", route);

(async () => {
  try {
    meta = await get<Meta>("meta");
    setCurrency(meta.currency);
  } catch (e) {
    shell("/").innerHTML = errorBox(e);
    return;
  }
  route();
})();
