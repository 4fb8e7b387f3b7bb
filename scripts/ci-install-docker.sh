#!/usr/bin/env bash
# Installs what the Docker action tests need on Debian bookworm (run as root):
# dockerd (docker.io), a static busybox for the test image's rootfs,
# Debian's distribution registry for the pull-policy tests, and tini (the
# image test copies its static build into the Hooker image). Idempotent: does
# nothing when everything is already present. The packages' services are not
# started here; the tests start their own dockerd and registry under a temp dir.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
need=()
for pkg in docker.io busybox-static docker-registry tini; do
  installed "$pkg" || need+=("$pkg")
done

if [ "${#need[@]}" -eq 0 ]; then
  echo "ci-install-docker: docker.io, busybox-static, docker-registry and tini already installed"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "ci-install-docker: must run as root to install ${need[*]}" >&2
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
echo "ci-install-docker: installed ${need[*]}"
