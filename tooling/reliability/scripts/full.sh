#!/usr/bin/env bash
# The reliability suite at full counts (issue #17): the Deno part first, then Node; writes docs/RELIABILITY.md.
#   bash scripts/full.sh [--scale=ci] [--parts=chaos,fuzz,...] [--reuse=<results.json>]   (flags go to full.ts)
# Takes about 45 minutes on 2 cores (100k chaos writes per client, 1M leak requests per client). The figures
# also go to $RELIABILITY_JSON (default: a file in $TMPDIR, printed at the end), which --reuse can read back.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(cd ../.. && pwd)"
[ -f "$ROOT/tooling/scripts/env.sh" ] && source "$ROOT/tooling/scripts/env.sh"
DENO_JSON="$(mktemp)"
trap 'rm -f "$DENO_JSON"' EXIT
RESULTS="${RELIABILITY_JSON:-${TMPDIR:-/tmp}/capauth-reliability-results.json}"
DENO_VERSION="$(bash "$ROOT/packages/deno/scripts/deno.sh" --version | head -1 | cut -d' ' -f2)"
export DENO_VERSION
if [ "${RELIABILITY_SKIP_DENO:-}" != 1 ]; then
  RELIABILITY_SCALE=full RELIABILITY_OUT="$DENO_JSON" bash scripts/deno.sh ||
    echo '{"error": "the Deno part failed: see its output above"}' >"$DENO_JSON"
  export DENO_RESULTS="$DENO_JSON"
fi
node --conditions=@capauth/source --import tsx scripts/full.ts \
  --report=docs/RELIABILITY.md --baseline=baseline.json --json="$RESULTS" "$@"
echo "figures: $RESULTS; report: $(pwd)/docs/RELIABILITY.md"
