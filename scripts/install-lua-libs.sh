#!/usr/bin/env bash
# Real pure-Lua libraries from Debian for the tests in test/lua-libs (Penlight is what
# examples/modules uses). Does nothing when they are already there.
set -euo pipefail
PACKAGES="lua-penlight lua-dkjson lua-inspect lua-basexx lua-messagepack lua-moses lua-lpeg lua-filesystem"
missing=""
for p in $PACKAGES; do
  dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ -z "$missing" ]; then exit 0; fi
echo "installing Debian's$missing for the Lua library tests (apt-get)…"
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq $missing >/dev/null
