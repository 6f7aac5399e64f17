#!/usr/bin/env bash
# Run the pinned pnpm (see env.sh).
set -euo pipefail
source "$(dirname "$0")/env.sh"
exec pnpm "$@"
