#!/usr/bin/env bash
# Debian's Go toolchain, for `go tool pprof` in test/pprof (the pprof export read by the real
# reader). Does nothing when it is already there.
set -euo pipefail
if command -v go >/dev/null 2>&1 && go tool pprof -h >/dev/null 2>&1; then exit 0; fi
echo "installing Debian's golang-go for the pprof test (apt-get)…"
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq golang-go >/dev/null
