// ECharts, bundled (no CDN): only the chart types and components the dashboard uses.
import * as echarts from "echarts/core";
import { BarChart, LineChart, PieChart } from "echarts/charts";
import { GridComponent, LegendComponent, TooltipComponent } from "echarts/components";
import { CanvasRenderer } from "echarts/renderers";
import { colour, compactMoney, format } from "./format";
import type { Row } from "./api";

echarts.use([BarChart, LineChart, PieChart, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer]);

export type ChartType = "line" | "bar" | "stacked_bar" | "area" | "pie";

const live = new Set<echarts.ECharts>();
window.addEventListener("resize", () => live.forEach((c) => c.resize()));

// Rows → one series per value of `series` (or one series), x values in order of appearance.
export function render(el: HTMLElement, type: ChartType, rows: Row[], x: string, y: string, series: string, kind = "money") {
  const chart = echarts.init(el);
  live.add(chart);
  el.dataset.total = String(rows.reduce((s, r) => s + Number(r[y] ?? 0), 0));
  const fmt = (v: unknown) => (kind === "money" ? compactMoney(v) : format(v, kind));
  if (type === "pie") {
    chart.setOption({
      tooltip: { trigger: "item", valueFormatter: (v: unknown) => format(v, kind) },
      legend: { type: "scroll", bottom: 0 },
      series: [{ type: "pie", radius: ["35%", "65%"], data: rows.map((r) => ({ name: String(r[x]), value: Number(r[y]), itemStyle: { color: colour(String(r[x])) } })) }],
    });
    return chart;
  }
  const xs: string[] = [];
  const groups = new Map<string, Map<string, number>>();
  for (const r of rows) {
    const xv = String(r[x]);
    if (!xs.includes(xv)) xs.push(xv);
    const g = series ? String(r[series]) : y;
    if (!groups.has(g)) groups.set(g, new Map());
    const m = groups.get(g)!;
    m.set(xv, (m.get(xv) ?? 0) + Number(r[y] ?? 0));
  }
  const stacked = type === "stacked_bar" || type === "area";
  chart.setOption({
    tooltip: { trigger: "axis", valueFormatter: (v: unknown) => format(v, kind) },
    legend: { type: "scroll", bottom: 0 },
    grid: { left: 8, right: 16, top: 16, bottom: 40, containLabel: true },
    xAxis: { type: "category", data: xs },
    yAxis: { type: "value", axisLabel: { formatter: fmt } },
    series: [...groups.entries()].map(([name, m]) => ({
      name, type: type === "line" || type === "area" ? "line" : "bar", stack: stacked ? "total" : undefined,
      areaStyle: type === "area" ? {} : undefined, showSymbol: false,
      itemStyle: { color: colour(name) }, data: xs.map((xv) => m.get(xv) ?? 0),
    })),
  });
  return chart;
}

export function disposeAll() {
  live.forEach((c) => c.dispose());
  live.clear();
}
