#!/usr/bin/env bash
# System packages that npm cannot provide, installed with Debian's apt-get when missing:
#   redis-server  the Redis store's tests start a real one on a free port (test/helpers/redis-server.ts)
#   promtool      (Debian's prometheus package) checks the admin port's Prometheus text
#   kubectl       (Debian's kubernetes-client) cross-checks the fake Kubernetes API server
#   chromium      the dashboards' browser tests drive it with playwright-core (/usr/bin/chromium)
# With --bench also wrk (load generator) and nginx (upstream and reference proxy) for
# `npm run bench:router`, and h2load (Debian's nghttp2-client, the HTTP/2 and gRPC load generator)
# for `npm run bench:h2`.
#
# `npm test` runs this first (the `pretest` script), so it must stay quiet: when everything is
# there it prints nothing; when it installs it prints one line and keeps apt's output in a log
# file, shown only if the install fails. It works as root, or through sudo otherwise.
set -euo pipefail

# command:package pairs; nginx lives in /usr/sbin, which a normal user's PATH may lack.
wanted=(redis-server:redis-server promtool:prometheus kubectl:kubernetes-client chromium:chromium)
if [ "${1:-}" = --bench ]; then wanted+=(wrk:wrk nginx:nginx h2load:nghttp2-client); fi

missing_cmds=()
missing_pkgs=()
for pair in "${wanted[@]}"; do
  cmd=${pair%%:*}
  if command -v "$cmd" >/dev/null 2>&1 || [ -x "/usr/sbin/$cmd" ]; then continue; fi
  missing_cmds+=("$cmd")
  missing_pkgs+=("${pair#*:}")
done
[ ${#missing_pkgs[@]} -eq 0 ] && exit 0

fail() {
  echo "switchyard: ${missing_cmds[*]} missing (needed by the tests): $1" >&2
  echo "  install Debian's packages: apt-get install ${missing_pkgs[*]}" >&2
  exit 1
}

command -v apt-get >/dev/null 2>&1 || fail "there is no apt-get here to install it with"
as_root=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || fail "not running as root, and there is no sudo"
  as_root=(sudo)
fi

log=$(mktemp "${TMPDIR:-/tmp}/switchyard-system-deps.XXXXXX")
echo "switchyard: installing ${missing_pkgs[*]} with apt-get (log: $log)" >&2

# The packages' own services (redis on 6379, prometheus on 9090, nginx on 80) must not start:
# the tests and benchmarks start their own on free ports. A policy-rc.d that forbids service
# starts is put in place for the install when there is none.
policy=/usr/sbin/policy-rc.d
added_policy=0
remove_policy() {
  if [ "$added_policy" = 1 ]; then "${as_root[@]}" rm -f "$policy"; fi
}
trap remove_policy EXIT
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | "${as_root[@]}" tee "$policy" >/dev/null
  "${as_root[@]}" chmod 755 "$policy"
  added_policy=1
fi

if ! {
  "${as_root[@]}" apt-get update &&
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
      apt-get install -y --no-install-recommends "${missing_pkgs[@]}"
} >"$log" 2>&1; then
  # kubectl only adds a cross-check that is skipped without it: its absence is no failure.
  still_missing=()
  for cmd in "${missing_cmds[@]}"; do
    if [ "$cmd" != kubectl ] && ! command -v "$cmd" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$cmd" ]; then
      still_missing+=("$cmd")
    fi
  done
  if [ ${#still_missing[@]} -gt 0 ]; then
    tail -n 20 "$log" >&2
    fail "apt-get failed (whole log: $log)"
  fi
  echo "switchyard: kubectl could not be installed; its cross-check is skipped (log: $log)" >&2
  exit 0
fi
rm -f "$log"
