#!/usr/bin/env bash
# A Vite app (vite build) that uses @capauth/browser the way its README tells a Vite user to: a dedicated worker
# and a SharedWorker started with `new Worker(new URL("./capauth-worker.ts", import.meta.url), { type: "module" })`.
# Installs the packed tarballs with npm (as a user installs the published packages), type-checks and builds the
# app, checks the worker bundles' size (size.mjs: min + gzip, budget 60 KB), then serves dist/ with the Node
# TokenBroker over the testkit simulator and drives it in headless Chromium (test.mjs).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$CAPAUTH_ROOT/tooling/scripts/env.sh"
bash "$CAPAUTH_ROOT/packages/browser/scripts/ensure-chromium.sh"

(cd "$here" && tar --exclude=node_modules --exclude=dist --exclude=run.sh -cf - .) | (cd "$CAPAUTH_WORK" && tar -xf -)
cd "$CAPAUTH_WORK"
# "@capauth/x": "<version>" becomes that package's tarball; @capauth/core (a dependency of the others) by override.
node -e '
  const fs = require("node:fs")
  const dir = process.env.CAPAUTH_PACKS
  const tgz = (name) => {
    const prefix = `${name.slice(1).replace("/", "-")}-`
    const file = fs.readdirSync(dir).find((f) => f.startsWith(prefix) && /^\d/.test(f.slice(prefix.length)))
    if (file === undefined) throw new Error(`no ${prefix}*.tgz in ${dir}`)
    return `file:${dir}/${file}`
  }
  const pkg = JSON.parse(fs.readFileSync("package.json", "utf8"))
  for (const deps of [pkg.dependencies, pkg.devDependencies]) {
    for (const name of Object.keys(deps)) if (name.startsWith("@capauth/")) deps[name] = tgz(name)
  }
  pkg.overrides = { "@capauth/core": tgz("@capauth/core") }
  fs.writeFileSync("package.json", JSON.stringify(pkg, null, 2))
'
step() { echo "vite-app: $1 ($((SECONDS - t)) s)"; t=$SECONDS; }
t=$SECONDS
npm install --no-audit --no-fund --loglevel=error >/dev/null
step "npm install"
node_modules/.bin/tsc -p tsconfig.json
step "tsc"
node_modules/.bin/vite build --logLevel warn
step "vite build"
node size.mjs | tee size.txt
node test.mjs | tee test.txt
step "Chromium"
echo "consumer vite-app: ok ($(tail -n 1 test.txt); $(tail -n 1 size.txt))"
