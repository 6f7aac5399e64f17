#!/usr/bin/env bash
# Quick start (2): every check and every test, from a fresh machine.
#   install (Node 22 and pnpm from the npm registry when the machine's Node is older than 22.19) -> lint (Biome)
#   -> boundaries (no import cycles: madge; no unused files, exports or dependencies: knip) -> typecheck (turbo)
#   -> API docs (every JSDoc example type-checked, TypeDoc with warnings as errors) -> tests of every package on
#   Node 22 (turbo; Chromium installed if missing, Deno from the npm registry) -> the consumer fixtures
#   (tooling/consumers: built packages used as each kind of user would) -> every package's tests again on
#   Node 24 -> core and node on Node 26.
# Ends with one line "N passed, N failed" summed over every runner.
set -uo pipefail
cd "$(dirname "$0")/../.."
source tooling/scripts/env.sh
export TURBO_TELEMETRY_DISABLED=1 CI="${CI:-true}" FORCE_COLOR=0 NO_COLOR=1
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
# Run the package tests with the Node of major $1 first on PATH (turbo keys its cache on the version).
test_on() {
  local major="$1"; shift
  (
    if [[ "$major" != 22 ]] || ! capauth_node_ok; then capauth_tool_node "$major"; fi
    export CAPAUTH_NODE_VERSION="$(node --version)"
    step "test on Node $CAPAUTH_NODE_VERSION"
    node_modules/.bin/turbo run test --concurrency=2 --output-logs=full "$@" 2>&1 | tee -a "$log"
    exit "${PIPESTATUS[0]}"
  )
}
command -v bc >/dev/null 2>&1 || { apt-get update -qq >/dev/null && apt-get install -y -qq bc >/dev/null; }

step "install"
bash tooling/scripts/bootstrap.sh || fail "install"
bash packages/browser/scripts/ensure-chromium.sh || fail "chromium"

step "lint (biome ci)"
node_modules/.bin/biome ci . || fail "lint"

step "boundaries (madge, knip)"
node_modules/.bin/madge --circular --extensions ts --ts-config tsconfig.base.json packages apps tooling ||
  fail "import cycles"
node_modules/.bin/knip --no-progress --no-config-hints || fail "knip"
# Packages never import apps (an app may import packages, never the reverse).
if grep -rnE "from ['\"][./]*apps/|/apps/sample" packages/*/src packages/*/test packages/*/scripts packages/*/bench 2>/dev/null; then
  fail "a package imports an app"
fi

step "typecheck"
CAPAUTH_NODE_VERSION="$(node --version)" node_modules/.bin/turbo run typecheck --concurrency=2 --output-logs=errors-only ||
  fail "typecheck"

step "API docs"
bash tooling/scripts/docs.sh || fail "docs"

test_on 22 || fail "tests on Node 22"

step "bench smoke (tooling/bench --smoke: every benchmark runs, counts checked, ratios only printed)"
(cd tooling/bench && node_modules/.bin/tsx --conditions=@capauth/source src/main.ts --smoke) || fail "bench smoke"

step "consumer fixtures"
bash tooling/scripts/consumers.sh 2>&1 | tee -a "$log"
[[ "${PIPESTATUS[0]}" == 0 ]] || fail "consumer fixtures"
test_on 24 || fail "tests on Node 24"
test_on 26 --filter=@capauth/core --filter=@capauth/node || fail "tests on Node 26"

summary
