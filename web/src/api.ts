// The API client: bearer token from the login prompt (kept in this browser's localStorage),
// JSON errors turned into messages, CSV downloads through fetch so the token is sent too.
export type Row = Record<string, unknown>;
export interface Table { columns: { name: string; type: string }[]; rows: Row[]; [key: string]: unknown }

const TOKEN_KEY = "billingfoot.token";

export class ApiError extends Error {
  constructor(message: string, public status: number) { super(message); }
}

function headers(): HeadersInit {
  const token = localStorage.getItem(TOKEN_KEY);
  return token ? { Authorization: `Bearer ${token}` } : {};
}

async function request(path: string, init: RequestInit = {}): Promise<Response> {
  const res = await fetch(`/api/v1/${path}`, { ...init, headers: { ...headers(), ...(init.headers ?? {}) } });
  if (res.status === 401) {
    const token = window.prompt("This billingfoot server needs its access token (server.token):");
    if (token) {
      localStorage.setItem(TOKEN_KEY, token);
      return request(path, init);
    }
  }
  if (!res.ok) {
    let message = `${res.status} ${res.statusText}`;
    try { message = (await res.json()).error ?? message; } catch { /* not JSON */ }
    throw new ApiError(message, res.status);
  }
  return res;
}

export async function get<T = Table>(path: string): Promise<T> {
  return (await request(path)).json() as Promise<T>;
}

export async function sql(text: string): Promise<Table> {
  return (await request("query", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ sql: text }) })).json();
}

export async function downloadCsv(path: string, filename: string): Promise<void> {
  const sep = path.includes("?") ? "&" : "?";
  const blob = await (await request(`${path}${sep}format=csv`)).blob();
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}
