#!/usr/bin/env bash
# System packages the test suite needs and npm cannot provide: redis-server, which the Redis
# store's tests start on a free port (test/helpers/redis-server.ts), and promtool (in Debian's
# prometheus package), which checks the admin port's Prometheus text. Idempotent: does nothing
# when everything is already installed, so .ci/run can call it on every run.
set -euo pipefail

SUDO=()
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then SUDO=(sudo); fi

if ! command -v redis-server >/dev/null 2>&1; then
  "${SUDO[@]}" apt-get update
  DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y --no-install-recommends redis-server
fi
redis-server --version

# Only promtool is used; the package's prometheus daemon is not started by the tests.
if ! command -v promtool >/dev/null 2>&1; then
  "${SUDO[@]}" apt-get update
  DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y --no-install-recommends prometheus
fi
promtool --version | sed -n 1p
