#!/usr/bin/env bash
# The @capauth/deno suite: the real Deno binary against the testkit simulator on 127.0.0.1, with the
# narrowest permissions the suite needs. Prints Deno's summary; exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

ENV_VARS="CAPILLARY_BASE_URL,CAPILLARY_CLUSTER,CAPILLARY_CLIENT_KEY,CAPILLARY_CLIENT_SECRET,CAPILLARY_TILL_ID"
ENV_VARS="$ENV_VARS,CAPILLARY_TILL_PASSWORD,CAPILLARY_TILL_PASSWORD_MD5,CAPILLARY_ATTRIBUTION_TYPE,CAPILLARY_ATTRIBUTION_CODE"
ENV_VARS="$ENV_VARS,CAPILLARY_TOKEN_TIMEOUT_MS,CAPILLARY_TOKEN_MAX_ATTEMPTS,CAPILLARY_TOKEN_COOLDOWN_MS"
ENV_VARS="$ENV_VARS,CAPTURE_BASE_URL,CAPTURE_CLIENT_ID,CAPTURE_CLIENT_SECRET,CAPTURE_CLIENT_AUTH"
# The proxy variables: transport.contract.test.ts clears them around each test (the adapter never reads them: Deno's
# fetch does, without a permission).
ENV_VARS="$ENV_VARS,HTTPS_PROXY,https_proxy,HTTP_PROXY,http_proxy,NO_PROXY,no_proxy"
ENV_VARS="$ENV_VARS,CAPILLARY_CLIENT_KEY_2,CAPILLARY_CLIENT_SECRET_2"
DENO_BIN="$(bash scripts/deno.sh eval --quiet 'console.log(Deno.execPath())')"
KV_DIR="$(mktemp -d)"
trap 'rm -rf "$KV_DIR"' EXIT

# --allow-net=127.0.0.1    the simulator listens there (any port) and the clients call it
# --allow-env=...           exactly the variables the adapter reads, CAPILLARY_* and CAPTURE_* (the config tests
#                           and the contracts also set them; permissions.test.ts checks the errors without them),
#                           and the proxy variables the transport contract clears
# --unstable-kv, --allow-read/--allow-write=<one temp dir>   the Deno KV token store tests
# --allow-run=<deno>        permissions.test.ts runs tiny scripts without flags to check the errors users see
# `deno test` type-checks the tests and everything they import (mod.ts, core) first.
bash scripts/deno.sh test --config deno.json \
  --allow-net=127.0.0.1 \
  --allow-env="$ENV_VARS" \
  --unstable-kv --allow-read="$KV_DIR" --allow-write="$KV_DIR" \
  --allow-run="$DENO_BIN" \
  test/ -- "$KV_DIR"
