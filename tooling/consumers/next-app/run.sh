#!/usr/bin/env bash
# A Next.js App Router app whose route handlers use @capauth/node's facade (app/api/customer/route.ts; and
# app/api/customer-over-fetch/route.ts, the same over Next's own fetch where Next caches every fetch): installed
# with npm (next, react, react-dom pinned in package.json; @capauth/* from the packed tarballs), built with
# `next build` without any CAPILLARY_* variable (as a CI build would be), started with `next start` and called
# by drive.mjs against the testkit simulator. Bounded: npm install 600 s, next build 600 s, drive 180 s (measured on
# a shared 2-core VM: 32-54 s, 47-72 s, 3-4 s; the whole fixture 90-110 s).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$CAPAUTH_ROOT/tooling/scripts/env.sh"
export NEXT_TELEMETRY_DISABLED=1
unset "${!CAPILLARY_@}"
cd "$CAPAUTH_WORK"
cp -R "$here/app" "$here/package.json" "$here/tsconfig.json" "$here/drive.mjs" .
packs=()
for name in core node testkit; do
  tgz=("$CAPAUTH_PACKS"/capauth-"$name"-*.tgz)
  packs+=("dependencies.@capauth/$name=file:${tgz[0]}")
done
npm pkg set "${packs[@]}"

step() { # $1 = label, $2 = bound in seconds, rest = command; output shown only on failure
  local label="$1" bound="$2" start=$SECONDS
  shift 2
  if ! timeout --kill-after=10 "$bound" "$@" >"$label.log" 2>&1; then
    cat "$label.log"
    echo "consumer next-app: $label failed or exceeded $bound s"
    exit 1
  fi
  echo "$label: $((SECONDS - start)) s"
  eval "${label//[^a-z]/_}_s=$((SECONDS - start))"
}
step "npm install" 600 npm install --no-audit --no-fund --loglevel=error
step "next build" 600 node_modules/.bin/next build
# drive.mjs prints its own lines; it stops next start and the simulator itself.
start=$SECONDS
timeout --kill-after=10 180 node drive.mjs
run_s=$((SECONDS - start))

next_v="$(node -p 'require("next/package.json").version')"
react_v="$(node -p 'require("react/package.json").version')"
echo "consumer next-app: ok (next $next_v, react $react_v, node $(node --version); install ${npm_install_s} s, build ${next_build_s} s, run ${run_s} s; 4 route calls, 1 token request for 3 then a new one after expiry; 3 over Next's fetch with fetchCache default-cache, no token from its cache)"
