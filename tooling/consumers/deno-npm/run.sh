#!/usr/bin/env bash
# @capauth/deno from npm under real Deno: npm installs the packed tarballs (deno, core, testkit) into an empty
# folder; Deno uses that node_modules as is (deno.json: nodeModulesDir "manual") and main.ts imports
# `npm:@capauth/deno`, i.e. the built dist/ through the package's exports. `deno check` type-checks main.ts
# against the packed .d.ts; then node runs the testkit simulator (sim.mjs) and main.ts under `deno run` with
# --allow-net=127.0.0.1 and --unstable-kv (its token store is Deno KV in memory) and nothing else, and checks the
# simulator's counters. Deno's registries point at a closed port: every package comes from node_modules.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$CAPAUTH_ROOT/tooling/scripts/env.sh"
deno="$(bash "$CAPAUTH_ROOT/packages/deno/scripts/deno.sh" eval --quiet 'console.log(Deno.execPath())')"
# A Deno cache of its own: nothing may come from the repo's cache or a registry.
export DENO_DIR="$CAPAUTH_WORK/.deno-dir" DENO_NO_UPDATE_CHECK=1 DENO_NO_PROMPT=1

cd "$CAPAUTH_WORK"
cp "$here/main.ts" "$here/sim.mjs" "$here/deno.json" .
echo '{ "name": "deno-npm-consumer", "private": true, "type": "module" }' > package.json
timeout 300 npm install --no-audit --no-fund --prefer-offline --loglevel=error \
  "$CAPAUTH_PACKS"/capauth-deno-*.tgz "$CAPAUTH_PACKS"/capauth-core-*.tgz "$CAPAUTH_PACKS"/capauth-testkit-*.tgz
export NPM_CONFIG_REGISTRY=http://127.0.0.1:9/ JSR_URL=http://127.0.0.1:9/
timeout 120 "$deno" check main.ts
timeout 120 node sim.mjs "$deno" run --allow-net=127.0.0.1 --unstable-kv main.ts
echo "consumer deno-npm: ok (deno $("$deno" --version | head -1 | cut -d' ' -f2); npm: from node_modules, dist + .d.ts; 2 calls, 1 token request, Deno KV store, typed error)"
