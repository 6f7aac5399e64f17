#!/usr/bin/env bash
# Runs the Deno binary that `pnpm install` put in node_modules (npm package `deno`, aliased `npm:deno@2.9.6`),
# with Deno's cache inside the repo (gitignored .deno/) unless DENO_DIR is set.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(cd ../.. && pwd)"
# The native binary the npm package ships; the .bin shim (node + bin.cjs) as a fallback.
DENO="node_modules/deno/deno"
[ -x "$DENO" ] || DENO="node_modules/.bin/deno"
export DENO_DIR="${DENO_DIR:-$ROOT/.deno}"
export DENO_NO_UPDATE_CHECK=1 DENO_NO_PROMPT=1
# Trust the machine's CA store too (as npm and Node do): a TLS-inspecting proxy's CA lives there.
export DENO_TLS_CA_STORE="${DENO_TLS_CA_STORE:-system,mozilla}"
exec "$(realpath "$DENO")" "$@"
