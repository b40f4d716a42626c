#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs what building and testing cginit needs on Debian 12 (run as root).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
packages=(
  meson ninja-build pkg-config g++ file util-linux procps python3
  libcgroup-dev libtomlplusplus-dev libspdlog-dev libfmt-dev libgtest-dev
  clang-format clang-tidy
  # libFuzzer targets (tools/fuzz.sh)
  clang libclang-rt-14-dev
  # the pure cgroup v2 test tier boots Debian's kernel under QEMU
  qemu-system-x86 busybox-static xz-utils
  # engine cases of that tier: copied into the guest and run there only (never on the host)
  podman crun conmon systemd-container
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
