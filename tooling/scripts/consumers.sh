#!/usr/bin/env bash
# The consumer fixtures (tooling/consumers/*): capauth used the way each kind of user would, against the testkit
# simulator. Builds the packages (turbo, cached), packs each published package as npm would publish it (pnpm pack
# rewrites workspace:* to versions), then runs every fixture's run.sh, or only those named:
#   bash tooling/scripts/consumers.sh [name ...]
# Each run.sh gets CAPAUTH_ROOT (this repo), CAPAUTH_PACKS (the tarballs: capauth-core-<v>.tgz, ...) and
# CAPAUTH_WORK (an empty folder outside the repo, removed afterwards), and ends with "consumer <name>: ok ...".
# Ends with one line "consumers | N passed | N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
source tooling/scripts/env.sh
export CAPAUTH_ROOT="$PWD"
CAPAUTH_NODE_VERSION="$(node --version)" node_modules/.bin/turbo run build --output-logs=errors-only >/dev/null ||
  { echo "consumers: build failed"; exit 1; }

export CAPAUTH_PACKS="$(mktemp -d)"
trap 'rm -rf "$CAPAUTH_PACKS"' EXIT
for pkg in core node deno browser testkit redis; do
  (cd "packages/$pkg" && pnpm pack --pack-destination "$CAPAUTH_PACKS" >/dev/null) || { echo "consumers: pnpm pack $pkg failed"; exit 1; }
done

names=("$@")
if [[ ${#names[@]} -eq 0 ]]; then
  for dir in tooling/consumers/*/; do [[ -f "$dir/run.sh" ]] && names+=("$(basename "$dir")"); done
fi
passed=0 failed=0
for name in "${names[@]}"; do
  echo "==> consumer $name"
  work="$(mktemp -d)"
  start=$SECONDS
  if CAPAUTH_WORK="$work" bash "tooling/consumers/$name/run.sh"; then
    passed=$((passed + 1)); echo "    ($((SECONDS - start)) s)"
  else
    failed=$((failed + 1)); echo "consumer $name: FAILED ($((SECONDS - start)) s)"
  fi
  rm -rf "$work"
done
echo "consumers | $passed passed | $failed failed"
[[ $failed -eq 0 ]]
