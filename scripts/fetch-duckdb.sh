#!/usr/bin/env bash
# Fetches DuckDB 1.4.4 (library and matching C header) from DuckDB's own npm packages into
# third_party/duckdb/, verified against the registry's sha512 integrity values pinned below.
# Skipped when the verified files are already there.
set -euo pipefail
cd "$(dirname "$0")/.."

LIB_PKG="@duckdb/node-bindings-linux-x64@1.4.4-r.4"
LIB_SHA512="sha512-jBTL/WvfwxLToFa/pVHfT6elMtltJGnc3wSuxZD9OfMltit9YUdVFS37vBFQzXMT1Z8OWjtSjMh+zPKxOwHLHA=="
HDR_PKG="duckdb@1.4.4"
HDR_SHA512="sha512-hEJJ5hyVF0VLj3dmOLpsWrQR0b3d4Ykqtygm6iUXjHJDDnSqg/USKxcb5qvNrOhFYPgktayU6dXCtgPqcmmpog=="

dest=third_party/duckdb
stamp="$dest/.verified"
want_stamp="$LIB_SHA512 $HDR_SHA512"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want_stamp" ] &&
   [ -f "$dest/lib/libduckdb.so" ] && [ -f "$dest/include/duckdb.h" ]; then
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fetch() { # fetch PACKAGE EXPECTED_INTEGRITY -> prints tarball path
  local pkg=$1 expected=$2 file actual
  file=$(cd "$work" && npm pack --silent "$pkg" 2>/dev/null | tail -n 1)
  if [ -z "$file" ] || [ ! -f "$work/$file" ]; then
    echo "fetch-duckdb: npm pack $pkg failed (is the npm registry reachable?)" >&2
    exit 1
  fi
  actual="sha512-$(openssl dgst -sha512 -binary "$work/$file" | base64 -w0)"
  if [ "$actual" != "$expected" ]; then
    echo "fetch-duckdb: integrity mismatch for $pkg: expected $expected, got $actual" >&2
    exit 1
  fi
  echo "$work/$file"
}

echo "fetch-duckdb: fetching $LIB_PKG and $HDR_PKG"
lib_tgz=$(fetch "$LIB_PKG" "$LIB_SHA512")
hdr_tgz=$(fetch "$HDR_PKG" "$HDR_SHA512")

rm -rf "$dest"
mkdir -p "$dest/lib" "$dest/include"
tar -xzf "$lib_tgz" -C "$work" package/libduckdb.so package/LICENSE
mv "$work/package/libduckdb.so" "$dest/lib/libduckdb.so"
mv "$work/package/LICENSE" "$dest/LICENSE"
tar -xzf "$hdr_tgz" -C "$work" package/src/duckdb/src/include/duckdb.h
mv "$work/package/src/duckdb/src/include/duckdb.h" "$dest/include/duckdb.h"
echo "$want_stamp" > "$stamp"
echo "fetch-duckdb: DuckDB 1.4.4 ready in $dest"
