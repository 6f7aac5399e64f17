#!/usr/bin/env bash
# workerd (the open-source Cloudflare Workers runtime, npm `workerd`; its binary is the optional dependency
# @cloudflare/workerd-<platform>) running a Worker that uses @capauth/core's Promise facade over fetch, bundled by
# esbuild from the packed core tarball. The Worker reaches the testkit simulator (plain node) on 127.0.0.1 and
# nothing else. Checks: 2 calls through the Worker answer 200 on 1 token request; an expired token is renewed and
# the call replayed once, in a later request.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$CAPAUTH_ROOT/tooling/scripts/env.sh"
workerd_version=1.20261117.1 # 1.YYYYMMDD.N: the newest compatibility date it accepts is that date
esbuild_version=0.28.2
ky_version=1.14.3 # the Promise facade needs ky, an optional peer of @capauth/core
compat_date="$(sed -E 's/^1\.([0-9]{4})([0-9]{2})([0-9]{2})\..*/\1-\2-\3/' <<<"$workerd_version")"

cd "$CAPAUTH_WORK"
cp "$here/worker.ts" "$here/check.mjs" "$here/../shared/simulator.mjs" .
echo '{ "private": true, "type": "module" }' >package.json
timeout 300 npm install --no-audit --no-fund --loglevel=error --save-exact \
  "$CAPAUTH_PACKS"/capauth-core-*.tgz "$CAPAUTH_PACKS"/capauth-testkit-*.tgz \
  "workerd@$workerd_version" "esbuild@$esbuild_version" "ky@$ky_version" >/dev/null
timeout 60 node_modules/.bin/esbuild worker.ts --bundle --format=esm --platform=neutral --target=es2022 \
  --conditions=workerd,worker,browser --main-fields=module,main --outfile=worker.js --log-level=warning

pids=()
trap 'for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done' EXIT
node simulator.mjs >sim.json 2>sim.log &
pids+=($!)
for _ in $(seq 100); do [[ -s sim.json ]] && break; kill -0 "${pids[0]}" 2>/dev/null || break; sleep 0.1; done
[[ -s sim.json ]] || { echo "simulator did not start"; cat sim.log; exit 1; }
sim() { node -p "JSON.parse(require('node:fs').readFileSync('sim.json', 'utf8')).$1"; }
sim_url="$(sim url)"
echo "simulator: $sim_url"

port="$(node -e 'const s = require("node:net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close() })')"
cat >config.capnp <<CAPNP
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    # The Worker's only way out: loopback (the simulator), nothing public or private.
    (name = "loopback", network = (allow = ["local"])),
  ],
  sockets = [(name = "http", address = "127.0.0.1:$port", http = (), service = "main")],
);

const worker :Workerd.Worker = (
  modules = [(name = "worker.js", esModule = embed "worker.js")],
  compatibilityDate = "$compat_date",
  globalOutbound = "loopback",
  bindings = [
    (name = "CAPILLARY_BASE_URL", text = "$sim_url"),
    (name = "CAPILLARY_CLIENT_KEY", text = "$(sim key)"),
    (name = "CAPILLARY_CLIENT_SECRET", text = "$(sim secret)"),
  ],
);
CAPNP
node_modules/.bin/workerd serve config.capnp >workerd.log 2>&1 &
pids+=($!)
up=0
for _ in $(seq 100); do
  up="$(node -e "fetch('http://127.0.0.1:$port/').then(() => console.log(1), () => console.log(0))")"
  [[ $up == 1 ]] && break
  kill -0 "${pids[1]}" 2>/dev/null || break
  sleep 0.2
done
[[ $up == 1 ]] || { echo "workerd did not start on 127.0.0.1:$port"; cat workerd.log; exit 1; }
echo "workerd $workerd_version (compatibility date $compat_date): http://127.0.0.1:$port"

result="$(timeout 60 node check.mjs "http://127.0.0.1:$port" "$(head -n 1 sim.json)")" ||
  { echo "$result"; echo "workerd log:"; cat workerd.log; exit 1; }
echo "consumer workerd: ok ($result; workerd $workerd_version, esbuild bundle $(($(wc -c <worker.js) / 1024)) KiB)"
