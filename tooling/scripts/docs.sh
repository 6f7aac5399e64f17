#!/usr/bin/env bash
# The API docs check for CI: type-checks every ```ts example in the JSDoc of packages/*/src
# (tooling/scripts/doc-examples.ts), then builds the TypeDoc site into docs/api (typedoc.json: one program over
# every package, warnings are errors, so a broken link or an undocumented type a public signature needs fails).
# Exits non-zero on the first failing step. About 15 s.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tooling/scripts/env.sh
started=$SECONDS
echo "==> examples"
node_modules/.bin/tsx tooling/scripts/doc-examples.ts
echo "==> typedoc"
node_modules/.bin/typedoc
echo "docs: examples type-check, docs/api/index.html built in $((SECONDS - started)) s"
