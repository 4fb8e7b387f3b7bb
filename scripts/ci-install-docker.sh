#!/usr/bin/env bash
# Installs what the Docker action tests need on Debian bookworm (run as root):
# dockerd (docker.io), a static busybox for the test image's rootfs,
# Debian's distribution registry for the pull-policy tests, and tini (the
# image test copies its static build into the Hooker image). Idempotent; the
# tests start their own dockerd and registry under a temp dir.
set -euo pipefail
exec bash "$(dirname "$0")/ci-install.sh" docker docker.io busybox-static docker-registry tini
