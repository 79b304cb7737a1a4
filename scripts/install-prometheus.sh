#!/usr/bin/env bash
# Debian's Prometheus (prometheus and promtool) for the tests in test/prometheus. Only the binaries
# are used: the tests start their own Prometheus on loopback, so the package's service is not needed.
# Does nothing when it is already there.
set -euo pipefail
if dpkg -s prometheus >/dev/null 2>&1 && command -v prometheus >/dev/null && command -v promtool >/dev/null; then exit 0; fi
echo "installing Debian's prometheus for the Prometheus tests (apt-get)…"
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends prometheus >/dev/null
