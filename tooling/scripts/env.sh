# Sourced by the other scripts: pnpm 12 on PATH (turbo needs the binary itself), installed from the npm
# registry into .tools/ when missing (corepack fails on this registry; pnpm 11 needs Node >= 22.13).
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export TURBO_TELEMETRY_DISABLED=1
if ! { command -v pnpm >/dev/null 2>&1 && [[ "$(pnpm --version 2>/dev/null)" == 12.* ]]; }; then
  if [[ ! -x "$root/.tools/pnpm/node_modules/.bin/pnpm" ]]; then
    npm install --prefix "$root/.tools/pnpm" --no-audit --no-fund --loglevel=error pnpm@12.21.0 >/dev/null
  fi
  export PATH="$root/.tools/pnpm/node_modules/.bin:$PATH"
fi
