#!/usr/bin/env bash
# Run @capauth/node's tests on Node 24, the second leg of the test matrix (Node 22 is the floor).
# tooling/scripts/env.sh with CAPAUTH_NODE=24 installs node@24 from the npm registry once into
# <repo>/.tools/node24 (gitignored) and puts it first on PATH, so vitest and the child processes the tests
# spawn (process.execPath) all run on Node 24.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
pkg="$(cd "$here/.." && pwd)"
root="$(cd "$pkg/../.." && pwd)"
CAPAUTH_NODE=24 source "$root/tooling/scripts/env.sh"
if ! node --version | grep -q '^v24\.'; then
  echo "expected Node 24 on PATH, got $(node --version) ($(command -v node))" >&2
  exit 1
fi
echo "node $(node --version) ($(command -v node))" >&2
cd "$pkg"
exec node "$root/node_modules/vitest/vitest.mjs" run "$@"
