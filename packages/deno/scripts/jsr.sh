#!/usr/bin/env bash
# The JSR form of @capauth/deno: stages what JSR gets in a folder outside git and runs `deno publish` there.
#   bash scripts/jsr.sh                      # deno publish --dry-run (the default)
#   JSR_STAGE=/tmp/jsr bash scripts/jsr.sh   # the same, keeping the stage (an empty or new folder outside git)
#   bash scripts/jsr.sh --token "$JSR_TOKEN" # a real publish: only from a clean tree, after @capauth/core is on npm
#
# The stage holds mod.ts, src/, README.md and a deno.json written by jsr-config.mjs: each @capauth/core import maps
# to npm:@capauth/core@^<core version>[/<public export>] instead of the repo's ../core/src, and the version is
# package.json's (what changesets bumps). `deno publish` type-checks the package and checks it for slow types; for
# that the stage also gets a node_modules (npm install of core's packed tarball, effect and ky; excluded from the
# upload) that Deno uses as is (--node-modules-dir=manual). The stage is outside git, so Deno's check for
# uncommitted changes finds no repository there: this script checks packages/deno and packages/core itself and
# refuses a real publish from a dirty tree (a dry run only reports it). A dry run reaches no registry: Deno's JSR
# and npm registries point at a closed loopback port.
# Core's tarball: $CAPAUTH_PACKS/capauth-core-<version>.tgz when set (consumers.sh), else built and packed here.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(cd ../.. && pwd)"
source "$root/tooling/scripts/env.sh"
[[ $# -gt 0 ]] || set -- --dry-run
dry_run=0
for arg in "$@"; do [[ "$arg" == --dry-run ]] && dry_run=1; done

work="${JSR_STAGE:-}"
if [[ -z "$work" ]]; then
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
fi
mkdir -p "$work"
work="$(cd "$work" && pwd)"
[[ -z "$(ls -A "$work")" ]] || { echo "jsr: $work is not empty" >&2; exit 1; }
if git -C "$work" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  echo "jsr: the stage must be outside any git work tree ($work)" >&2
  exit 1
fi

# What a real publish ships must be committed; Deno cannot see this tree from the stage, so look here.
dirty="$(git -C "$root" status --porcelain -- packages/deno packages/core)"
if [[ -n "$dirty" ]]; then
  if [[ $dry_run -eq 0 ]]; then
    echo "jsr: uncommitted changes in packages/deno or packages/core; commit them first:" >&2
    echo "$dirty" >&2
    exit 1
  fi
  echo "jsr: note: $(wc -l <<<"$dirty") uncommitted paths in packages/deno, packages/core (a real publish refuses)"
fi

core_version="$(node -p 'require("../core/package.json").version')"
core_tgz="${CAPAUTH_PACKS:+$CAPAUTH_PACKS/capauth-core-$core_version.tgz}"
if [[ -z "$core_tgz" || ! -f "$core_tgz" ]]; then
  mkdir -p "$work/packs"
  CAPAUTH_NODE_VERSION="$(node --version)" "$root/node_modules/.bin/turbo" run build --filter=@capauth/core \
    --output-logs=errors-only >/dev/null
  (cd ../core && pnpm pack --pack-destination "$work/packs" >/dev/null)
  core_tgz="$work/packs/capauth-core-$core_version.tgz"
fi
if [[ $dry_run -eq 0 ]] && ! npm view "@capauth/core@$core_version" version >/dev/null 2>&1; then
  echo "jsr: @capauth/core@$core_version is not on npm yet: publish it first (the JSR package depends on it)" >&2
  exit 1
fi

stage="$work/package"
mkdir -p "$stage"
cp mod.ts README.md "$stage/"
cp -r src "$stage/"
echo "jsr: imports $(node scripts/jsr-config.mjs "$stage" "$core_tgz")"
(cd "$stage" && npm install --no-audit --no-fund --prefer-offline --loglevel=error >/dev/null)

deno="$(bash scripts/deno.sh eval --quiet 'console.log(Deno.execPath())')"
export DENO_DIR="${DENO_DIR:-$root/.deno}" DENO_NO_UPDATE_CHECK=1 DENO_NO_PROMPT=1
export DENO_TLS_CA_STORE="${DENO_TLS_CA_STORE:-system,mozilla}"
cd "$stage"
if [[ $dry_run -eq 1 ]]; then
  JSR_URL=http://127.0.0.1:9/ NPM_CONFIG_REGISTRY=http://127.0.0.1:9/ \
    "$deno" publish --node-modules-dir=manual "$@"
else
  "$deno" publish --node-modules-dir=manual "$@"
fi
