#!/usr/bin/env bash
# System packages the test suite needs and npm cannot provide: redis-server, which the Redis
# store's tests start on a free port (test/helpers/redis-server.ts). Idempotent: does nothing
# when everything is already installed, so .ci/run can call it on every run.
set -euo pipefail

SUDO=()
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then SUDO=(sudo); fi

if ! command -v redis-server >/dev/null 2>&1; then
  "${SUDO[@]}" apt-get update
  DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y --no-install-recommends redis-server
fi
redis-server --version
