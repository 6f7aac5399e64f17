#!/usr/bin/env bash
# The packed tarballs (pnpm pack) installed with npm into an empty folder outside the workspace, checked with
# publint and arethetypeswrong, type-checked by tsc (nodenext), and run on every supported Node: the floor of
# `engines` (22.19.0), 24 and 26.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$CAPAUTH_ROOT/tooling/scripts/env.sh"
bin="$CAPAUTH_ROOT/node_modules/.bin"
for tarball in "$CAPAUTH_PACKS"/*.tgz; do
  "$bin/publint" run --strict "$tarball" >/dev/null || { "$bin/publint" run --strict "$tarball"; exit 1; }
  # ESM-only packages: CommonJS callers require() them on Node >= 22.12 (the node-cjs fixture shows it).
  "$bin/attw" "$tarball" --profile esm-only --quiet || { "$bin/attw" "$tarball" --profile esm-only; exit 1; }
done
echo "publint and attw: $(ls "$CAPAUTH_PACKS"/*.tgz | wc -l) tarballs clean"

cd "$CAPAUTH_WORK"
cp "$here/main.mjs" "$here/check-types.ts" .
echo '{ "name": "packed-consumer", "private": true, "type": "module" }' > package.json
npm install --no-audit --no-fund --loglevel=error \
  "$CAPAUTH_PACKS"/capauth-core-*.tgz "$CAPAUTH_PACKS"/capauth-node-*.tgz "$CAPAUTH_PACKS"/capauth-testkit-*.tgz \
  typescript@5.9.3 @types/node@22
npx tsc --noEmit --strict --module nodenext --moduleResolution nodenext --target es2022 --skipLibCheck \
  --types node check-types.ts
echo "tsc (nodenext) against the packed types: ok"
for version in 22.19.0 24 26; do
  (capauth_tool_node "$version" && node main.mjs)
done
echo "consumer packed: ok (publint, attw, tsc nodenext; Node 22.19.0, 24, 26)"
