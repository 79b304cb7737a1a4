#!/usr/bin/env bash
# Debian's chromium for the panel's browser tests (driven by playwright-core; never `playwright
# install`). Does nothing when a chromium is already there.
set -euo pipefail
if [ -n "${MOONSCOPE_CHROMIUM:-}" ] && [ -x "$MOONSCOPE_CHROMIUM" ]; then exit 0; fi
if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then exit 0; fi
echo "installing Debian's chromium for the browser tests (apt-get)…"
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq chromium >/dev/null
command -v chromium
