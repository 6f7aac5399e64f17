#!/usr/bin/env bash
# Run @capauth/node's tests on Node 24 (from the npm registry), next to the machine's Node.
# Installs node@24 once into <repo>/.tools/node24 (gitignored) and puts it first on PATH for vitest,
# so vitest and the child processes the tests spawn (process.execPath) all run on Node 24.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
pkg="$(cd "$here/.." && pwd)"
root="$(cd "$pkg/../.." && pwd)"
dir="$root/.tools/node24"
bin="$dir/node_modules/.bin"
if [ ! -x "$bin/node" ] || ! "$bin/node" --version | grep -q '^v24\.'; then
  echo "installing node@24 into $dir" >&2
  mkdir -p "$dir"
  npm i --prefix "$dir" --no-save --no-audit --no-fund --loglevel=error node@24 >&2
fi
export PATH="$bin:$PATH"
echo "node $(node --version) ($(command -v node))" >&2
cd "$pkg"
exec node "$root/node_modules/vitest/vitest.mjs" run "$@"
