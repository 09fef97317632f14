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

# kubectl, the independent client that cross-checks the fake Kubernetes API server's wire format
# (test/integration/k8s-fake-kubectl.test.ts, skipped without it). Debian has no package named
# kubectl; it ships kubectl (1.20) in kubernetes-client. Any kubectl already on the PATH is used.
if ! command -v kubectl >/dev/null 2>&1; then
  "${SUDO[@]}" apt-get update
  DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y --no-install-recommends kubernetes-client
fi
kubectl version --client 2>&1 | sed -n 1p

# wrk (load generator) and nginx (static upstream and reference reverse proxy) for
# `npm run bench:router`; the tests do not need them. The benchmark starts its own nginx processes
# on 127.0.0.1 with configs in a temp dir, so the package's own service must not start on port 80:
# a policy-rc.d that forbids service starts is put in place for the install if there is none.
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
if ! command -v wrk >/dev/null 2>&1 || [ ! -x "$nginx_bin" ]; then
  policy=/usr/sbin/policy-rc.d
  added_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee "$policy" >/dev/null
    "${SUDO[@]}" chmod 755 "$policy"
    added_policy=1
  fi
  "${SUDO[@]}" apt-get update
  DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y --no-install-recommends wrk nginx
  if [ "$added_policy" = 1 ]; then "${SUDO[@]}" rm -f "$policy"; fi
fi
wrk --version 2>&1 | sed -n 1p || true
"$nginx_bin" -v 2>&1
