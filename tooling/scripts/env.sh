# Sourced by the other scripts. Puts on PATH:
# - Node >= 22.19 (capauth's floor, set by Effect 4's @effect/platform-node and undici 8): when the machine's
#   own Node is older (Debian machines ship 20), Node 22 comes from the npm registry's `node` package into
#   .tools/node22. `CAPAUTH_NODE=24` picks .tools/node24 instead, for the second leg of the test matrix.
# - pnpm 12 (turbo needs the binary itself), installed from the npm registry into .tools/ when missing
#   (corepack fails on this registry).
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export TURBO_TELEMETRY_DISABLED=1
capauth_tool_node() { # $1 = major: install node@$1 into .tools/node$1 once, and put it first on PATH
  local dir="$root/.tools/node$1"
  if [[ ! -x "$dir/node_modules/.bin/node" ]]; then
    npm install --prefix "$dir" --no-audit --no-fund --loglevel=error "node@$1" >/dev/null
  fi
  export PATH="$dir/node_modules/.bin:$PATH"
}
capauth_node_ok() {
  node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 22 || (a === 22 && b >= 19) ? 0 : 1)' 2>/dev/null
}
if [[ -n "${CAPAUTH_NODE:-}" ]]; then
  capauth_tool_node "$CAPAUTH_NODE"
elif ! capauth_node_ok; then
  capauth_tool_node 22
fi
if ! { command -v pnpm >/dev/null 2>&1 && [[ "$(pnpm --version 2>/dev/null)" == 12.* ]]; }; then
  if [[ ! -x "$root/.tools/pnpm/node_modules/.bin/pnpm" ]]; then
    npm install --prefix "$root/.tools/pnpm" --no-audit --no-fund --loglevel=error pnpm@12.21.0 >/dev/null
  fi
  export PATH="$root/.tools/pnpm/node_modules/.bin:$PATH"
fi
