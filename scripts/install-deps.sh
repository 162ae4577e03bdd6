#!/usr/bin/env bash
# Installs what billingfoot needs to build and test on Debian 12, and only what is missing.
# Safe to run again: every step checks before it acts.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake pkg-config git ca-certificates openssl
  libcurl4-openssl-dev libssl-dev libyaml-cpp-dev libcli11-dev nlohmann-json3-dev
  libspdlog-dev libfmt-dev libgtest-dev libgmock-dev
  libpugixml-dev libzip-dev     # S3 listings (XML), ZIP-compressed AWS CUR files
  python3 gzip                  # fake API servers in tests; gzip fixtures
  libpq-dev postgresql          # business metrics from PostgreSQL; a real server in tests
  python3-cryptography          # signs test service-account keys for the fake BigQuery
  libcpp-httplib-dev zlib1g-dev libbrotli-dev   # the HTTP server of `serve`
  chromium                      # browser tests (driven by playwright-core)
  clickhouse-server             # the ClickHouse warehouse: a real server (18.16) in tests
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
command -v npm >/dev/null 2>&1 || missing+=(npm)

if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

scripts/fetch-duckdb.sh

# The web dashboard's npm packages (Vite, TypeScript, ECharts, playwright-core), exactly as
# locked; reinstalled only when package-lock.json changed since the last install.
if [ ! -f web/node_modules/.package-lock.json ] || [ web/package-lock.json -nt web/node_modules/.package-lock.json ]; then
  echo "install-deps: installing the web dashboard's npm packages"
  (cd web && npm ci --no-audit --no-fund --loglevel=error)
fi
