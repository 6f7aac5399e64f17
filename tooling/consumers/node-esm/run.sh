#!/usr/bin/env bash
# A workspace ESM service compiled by tsc (module nodenext) and run by plain node, on the lowest supported Node
# (engines: >=22.19). Packages are already built (dist/) by consumers.sh.
set -euo pipefail
cd "$(dirname "$0")"
source "$CAPAUTH_ROOT/tooling/scripts/env.sh"
capauth_tool_node 22.19.0 # the floor in every package's engines
node_modules/.bin/tsc -p tsconfig.json
node dist/main.js
