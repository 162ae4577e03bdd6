// Money, numbers and colours that stay the same for a provider or service on every page.
let currency = "USD";
export function setCurrency(c: string) { currency = c; }

export function money(v: unknown, digits = 2): string {
  const n = Number(v ?? 0);
  return new Intl.NumberFormat("en-US", { style: "currency", currency, minimumFractionDigits: digits, maximumFractionDigits: digits }).format(n);
}
export function compactMoney(v: unknown): string {
  return new Intl.NumberFormat("en-US", { style: "currency", currency, notation: "compact", maximumFractionDigits: 1 }).format(Number(v ?? 0));
}
export function number(v: unknown): string {
  return new Intl.NumberFormat("en-US", { maximumFractionDigits: 2 }).format(Number(v ?? 0));
}
export function percent(v: unknown): string {
  return v === null || v === undefined ? "new" : `${Number(v) > 0 ? "+" : ""}${Number(v).toFixed(1)}%`;
}
// A cost per unit: small amounts keep four decimals (cost per user is often cents).
export function unitMoney(v: unknown): string {
  return v === null || v === undefined ? "–" : money(v, Math.abs(Number(v)) < 10 ? 4 : 2);
}
export function format(v: unknown, kind: string): string {
  return kind === "money" ? money(v) : kind === "unit_money" ? unitMoney(v) : kind === "percent" ? `${Number(v ?? 0).toFixed(1)}%` : number(v);
}

const PALETTE = ["#2f6fed", "#f08c2e", "#25a36f", "#d6456a", "#7a5bd6", "#1fa3b8", "#c2a01a", "#8c564b", "#e377c2", "#5b6b82", "#9acd32", "#ff7f50"];
const FIXED: Record<string, string> = { AWS: "#f08c2e", "Amazon Web Services": "#f08c2e", "Google Cloud": "#2f6fed", Microsoft: "#1fa3b8", Azure: "#1fa3b8", Datadog: "#7a5bd6", "(other)": "#a9b3c1", "(untagged)": "#c9ced6" };
export function colour(name: string): string {
  if (FIXED[name]) return FIXED[name];
  let h = 0;
  for (const ch of name) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return PALETTE[h % PALETTE.length];
}
export function escapeHtml(s: unknown): string {
  return String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}
