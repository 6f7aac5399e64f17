#!/usr/bin/env bash
# Quick start (2): every check and every test, from a fresh machine.
#   lint (Biome) -> typecheck (turbo) -> tests of every package (turbo; Chromium installed if missing,
#   Deno from the npm registry) -> the Node adapter's tests again on Node 24 from the npm registry.
# Ends with one line "N passed, N failed" summed over every runner.
set -uo pipefail
cd "$(dirname "$0")/../.."
source tooling/scripts/env.sh
export TURBO_TELEMETRY_DISABLED=1 CI="${CI:-true}" FORCE_COLOR=0 NO_COLOR=1 CAPAUTH_NODE_VERSION="$(node --version)"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
step() { echo; echo "==> $*"; }
fail() { echo "FAILED: $*"; summary; exit 1; }
summary() {
  # vitest: "Tests  12 passed | 1 failed (13)"; deno: "ok | 22 passed | 0 failed".
  local passed failed
  passed=$(grep -aoE '(Tests +[0-9]+ passed|[|] [0-9]+ passed)' "$log" | grep -oE '[0-9]+' | paste -sd+ | bc)
  failed=$(grep -aoE '(Tests +.*[0-9]+ failed|[|] [0-9]+ failed)' "$log" | grep -oE '[0-9]+ failed' | grep -oE '[0-9]+' | paste -sd+ | bc)
  echo
  echo "${passed:-0} passed, ${failed:-0} failed"
}
command -v bc >/dev/null 2>&1 || { apt-get update -qq >/dev/null && apt-get install -y -qq bc >/dev/null; }

step "install"
bash tooling/scripts/bootstrap.sh || fail "install"
bash packages/browser/scripts/ensure-chromium.sh || fail "chromium"

step "lint (biome ci)"
node_modules/.bin/biome ci . || fail "lint"

step "typecheck"
node_modules/.bin/turbo run typecheck --concurrency=2 --output-logs=errors-only || fail "typecheck"

step "test (Node $(node --version))"
node_modules/.bin/turbo run test --concurrency=2 --output-logs=full 2>&1 | tee -a "$log"
[[ ${PIPESTATUS[0]} -eq 0 ]] || fail "tests"

step "test @capauth/node on Node 24"
bash tooling/scripts/pnpm.sh --filter @capauth/node run test:node24 2>&1 | tee -a "$log"
[[ ${PIPESTATUS[0]} -eq 0 ]] || fail "node 24 tests"

summary
