#!/usr/bin/env bash
# From nothing to installed: the workspace's npm packages (Deno's binary comes from the npm registry too).
set -euo pipefail
cd "$(dirname "$0")/../.."
source tooling/scripts/env.sh
bash tooling/scripts/pnpm.sh install
