#!/usr/bin/env bash
# The browser tests drive a real headless Chromium through playwright-core, which never downloads one.
# Use $CHROMIUM_PATH, else Debian's chromium; install it with apt when missing (needs root).
set -euo pipefail
if [[ -n "${CHROMIUM_PATH:-}" ]]; then
  [[ -x "$CHROMIUM_PATH" ]] && exit 0
  echo "CHROMIUM_PATH=$CHROMIUM_PATH is not an executable" >&2
  exit 1
fi
command -v chromium >/dev/null 2>&1 && exit 0
echo "chromium not found: installing it with apt-get" >&2
SUDO=""
[[ "$(id -u)" -ne 0 ]] && SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
command -v chromium >/dev/null
