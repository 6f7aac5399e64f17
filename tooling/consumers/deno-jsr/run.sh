#!/usr/bin/env bash
# @capauth/deno in its JSR form.
# 1. packages/deno/scripts/jsr.sh stages the package outside git (mod.ts, src/, README.md and a deno.json that maps
#    @capauth/core to npm:@capauth/core@^<version> instead of ../core/src) and runs `deno publish --dry-run` there:
#    type check and slow-type check, no --allow-dirty or --allow-slow-types, and no registry reached (Deno's JSR
#    and npm registries point at a closed port; the type check reads the stage's node_modules). Then what would
#    ship is checked: exactly deno.json, mod.ts, README.md and src/*.ts, with only npm: targets in the import map.
# 2. harness.mjs runs that staged package under real Deno, resolved as JSR resolves a package (its own import map;
#    npm packages through Deno's global cache, core served from its tarball by a registry on 127.0.0.1).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$CAPAUTH_ROOT/tooling/scripts/env.sh"
deno="$(bash "$CAPAUTH_ROOT/packages/deno/scripts/deno.sh" eval --quiet 'console.log(Deno.execPath())')"
# A Deno cache of its own, empty at the start: the dry run must need nothing from it.
export DENO_DIR="$CAPAUTH_WORK/.deno-dir" DENO_NO_UPDATE_CHECK=1 DENO_NO_PROMPT=1 NO_COLOR=1
cd "$CAPAUTH_WORK"

log="$CAPAUTH_WORK/dry-run.log"
JSR_STAGE="$CAPAUTH_WORK/jsr" timeout 600 bash "$CAPAUTH_ROOT/packages/deno/scripts/jsr.sh" --dry-run 2>&1 | tee "$log"
grep -q "Dry run complete" "$log" || { echo "deno-jsr: no 'Dry run complete'"; exit 1; }
stage="$CAPAUTH_WORK/jsr/package"
shipped="$(grep -oE "file://$stage/[^ ]+" "$log" | sed "s|file://$stage/||" | sort)"
expected="$(cd "$stage" && { printf '%s\n' deno.json mod.ts README.md; find src -name '*.ts'; } | sort)"
if [[ "$shipped" != "$expected" ]]; then
  echo "deno-jsr: the dry run would ship"; echo "$shipped"; echo "expected"; echo "$expected"; exit 1
fi
node -e '
  const imports = require(process.argv[1]).imports
  const bad = Object.entries(imports).filter(([, target]) => !target.startsWith("npm:"))
  if (bad.length > 0) throw new Error(`import map entries JSR cannot resolve: ${JSON.stringify(bad)}`)
' "$stage/deno.json"

# The app: the staged package (less what is there for the type check only) as a workspace member.
mkdir -p app/capauth-deno sim
cp -r "$stage/deno.json" "$stage/mod.ts" "$stage/README.md" "$stage/src" app/capauth-deno/
cp "$here/main.ts" app/
echo '{ "workspace": ["./capauth-deno"], "nodeModulesDir": "none" }' > app/deno.json
cp "$here/harness.mjs" sim/
echo '{ "name": "deno-jsr-harness", "private": true, "type": "module" }' > sim/package.json
(cd sim && timeout 300 npm install --no-audit --no-fund --prefer-offline --loglevel=error "$CAPAUTH_PACKS"/capauth-testkit-*.tgz)
CAPAUTH_UPSTREAM_REGISTRY="$(npm config get registry)" timeout 300 \
  node sim/harness.mjs "$deno" "$CAPAUTH_WORK/app" "$(ls "$CAPAUTH_PACKS"/capauth-core-*.tgz)"
echo "consumer deno-jsr: ok (deno publish --dry-run: $(wc -l <<<"$shipped") files, no escapes, no registry reached; JSR form under Deno: 3 calls, 1 token request, typed error)"
