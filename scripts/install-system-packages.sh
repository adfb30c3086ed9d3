#!/usr/bin/env bash
# The real components the tests run, from Debian's packages, installed when missing: promtool (lints /metrics and
# tests the alert rules), etcd (the gateway's etcd store tests start their own three-member cluster), Chromium (the
# status page's browser tests). Nothing is downloaded from anywhere else.
set -euo pipefail
missing=()
command -v promtool >/dev/null || missing+=(prometheus)
command -v etcd >/dev/null || missing+=(etcd-server)
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "The tests need Debian's ${missing[*]}: run as root, or install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "installing Debian's ${missing[*]} for the tests"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
