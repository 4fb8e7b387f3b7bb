#!/usr/bin/env bash
# Installs Debian packages the tests need (run as root), idempotently: does
# nothing when every named package is already installed. The packages'
# services are not started (the tests start their own servers under temp
# dirs on loopback). Usage: ci-install.sh <label> <package>...
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

label="${1:?usage: ci-install.sh <label> <package>...}"
shift

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
need=()
for pkg in "$@"; do
  installed "$pkg" || need+=("$pkg")
done

if [ "${#need[@]}" -eq 0 ]; then
  echo "ci-install ($label): $* already installed"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "ci-install ($label): must run as root to install ${need[*]}" >&2
  exit 1
fi

# policy-rc.d keeps the packages' postinst from starting system services
# (there may be no init system in CI containers; the tests run their own).
created_policy=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
  created_policy=1
fi
cleanup() { if [ "$created_policy" -eq 1 ]; then rm -f /usr/sbin/policy-rc.d; fi; }
trap cleanup EXIT

apt-get update
apt-get install -y --no-install-recommends "${need[@]}"
echo "ci-install ($label): installed ${need[*]}"
