#!/usr/bin/env bash
# Installs the outside profilers the 0x and clinic modes drive (not needed by `npm test`).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -x node_modules/.bin/0x ] && [ -x node_modules/.bin/clinic ]; then exit 0; fi
npm install --no-save --no-audit --no-fund 0x@5 clinic@13
