import { defineConfig } from "vite";

// The dashboard is served by `billingfoot serve` from <build>/web: plain static files, hashed
// asset names (cached forever), no CDN, everything bundled so it works offline.
export default defineConfig({
  base: "/",
  build: {
    target: "es2020",
    chunkSizeWarningLimit: 1500,
    sourcemap: false,
  },
  server: {
    // `npm run dev` proxies the API to a running `billingfoot serve`.
    proxy: { "/api": "http://127.0.0.1:8080", "/healthz": "http://127.0.0.1:8080" },
  },
});
