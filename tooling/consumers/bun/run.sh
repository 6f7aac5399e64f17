#!/usr/bin/env bash
# Bun running @capauth/node (createCapillaryClient) from the packed tarballs, against the testkit simulator run by
# plain node. Bun comes from the npm registry (the `bun` package; its binary is the optional dependency
# @oven/bun-<platform>). Checks: 2 calls answer 200 on 1 token request, an expired token is renewed and the call
# replayed once, a client with `proxy` sends both through a forward proxy, and the script exits on its own after
# cap.close().
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$CAPAUTH_ROOT/tooling/scripts/env.sh"
bun_version=1.4.5

cd "$CAPAUTH_WORK"
cp "$here/main.ts" "$here/../shared/simulator.mjs" .
echo '{ "private": true, "type": "module" }' >package.json
timeout 300 npm install --no-audit --no-fund --loglevel=error --save-exact \
  "$CAPAUTH_PACKS"/capauth-core-*.tgz "$CAPAUTH_PACKS"/capauth-node-*.tgz "$CAPAUTH_PACKS"/capauth-testkit-*.tgz \
  "bun@$bun_version" >/dev/null
[[ "$(node_modules/.bin/bun --version)" == "$bun_version" ]] || { echo "bun: expected $bun_version"; exit 1; }

node simulator.mjs >sim.json 2>sim.log &
sim_pid=$!
trap 'kill "$sim_pid" 2>/dev/null || true' EXIT
for _ in $(seq 100); do [[ -s sim.json ]] && break; kill -0 "$sim_pid" 2>/dev/null || break; sleep 0.1; done
[[ -s sim.json ]] || { echo "simulator did not start"; cat sim.log; exit 1; }
echo "simulator: $(node -p 'JSON.parse(require("node:fs").readFileSync("sim.json", "utf8")).url')"

start=$(date +%s%N)
rc=0
result="$(DO_NOT_TRACK=1 timeout 60 node_modules/.bin/bun main.ts "$(head -n 1 sim.json)")" || rc=$?
took=$((($(date +%s%N) - start) / 1000000))
[[ $rc -eq 124 ]] && { echo "bun main.ts did not exit on its own within 60 s"; exit 1; }
[[ $rc -eq 0 ]] || { echo "$result"; echo "bun main.ts failed (exit $rc)"; exit 1; }
echo "consumer bun: ok ($result; exited on its own, $took ms)"
