#!/usr/bin/env bash
# The Redis tests start their own redis-server (a free loopback port, a temp dir, no persistence).
# Use $REDIS_SERVER, else Debian's redis-server; install it with apt when missing (needs root).
set -euo pipefail
if [[ -n "${REDIS_SERVER:-}" ]]; then
  [[ -x "$REDIS_SERVER" ]] && exit 0
  echo "REDIS_SERVER=$REDIS_SERVER is not an executable" >&2
  exit 1
fi
command -v redis-server >/dev/null 2>&1 && exit 0
echo "redis-server not found: installing it with apt-get" >&2
SUDO=""
[[ "$(id -u)" -ne 0 ]] && SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq redis-server >/dev/null
command -v redis-server >/dev/null
