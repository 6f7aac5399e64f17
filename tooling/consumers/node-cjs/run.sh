#!/usr/bin/env bash
# A CommonJS service that require()s @capauth/node, on the lowest supported Node (engines: >=22.19).
set -euo pipefail
cd "$(dirname "$0")"
source "$CAPAUTH_ROOT/tooling/scripts/env.sh"
capauth_tool_node 22.19.0
node main.cjs
