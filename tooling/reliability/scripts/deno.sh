#!/usr/bin/env bash
# The Deno part of the suite on the real Deno binary (packages/deno/scripts/deno.sh), with the permissions it
# needs: loopback, the environment (the facade reads proxy variables), one temp dir for the KV store.
#   RELIABILITY_SCALE=ci|full RELIABILITY_OUT=<json> bash scripts/deno.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(cd ../.. && pwd)"
KV_DIR="$(mktemp -d)"
trap 'rm -rf "$KV_DIR"' EXIT
export RELIABILITY_KV_DIR="$KV_DIR"
bash "$ROOT/packages/deno/scripts/deno.sh" run --config "$PWD/deno/deno.json" \
  --allow-net=127.0.0.1 --allow-env --unstable-kv --allow-read --allow-write="$KV_DIR${RELIABILITY_OUT:+,$RELIABILITY_OUT}" \
  "$PWD/deno/reliability.ts"
