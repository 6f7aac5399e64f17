#!/usr/bin/env bash
# Quick start (1): install what is needed, then run the sample app's demo on the embedded simulator.
# Extra arguments go to the sample CLI: `bash tooling/scripts/sample.sh token --reveal`.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tooling/scripts/env.sh
bash tooling/scripts/bootstrap.sh >/dev/null
if [[ $# -eq 0 ]]; then set -- demo; fi
exec node_modules/.bin/tsx --conditions=@capauth/source apps/sample/src/main.ts "$@"
