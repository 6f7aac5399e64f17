#!/usr/bin/env bash
# pnpm pinned to the version known to work here (corepack fails on this registry; pnpm 11 needs Node >= 22.13).
set -euo pipefail
export TURBO_TELEMETRY_DISABLED=1
if command -v pnpm >/dev/null 2>&1 && [[ "$(pnpm --version 2>/dev/null)" == 12.* ]]; then
  exec pnpm "$@"
fi
exec npx -y pnpm@12.21.0 "$@"
