#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs what building and testing cginit needs on Debian 12 (run as root).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
packages=(
  meson ninja-build pkg-config g++ file util-linux procps python3
  libcgroup-dev libtomlplusplus-dev libspdlog-dev libfmt-dev libgtest-dev
  clang-format clang-tidy git
  # the manual page (scdoc renders it; man-db and groff check the rendering)
  scdoc man-db groff-base
  # the Debian package (tools/build-package.sh)
  debhelper dpkg-dev fakeroot lintian
  # libFuzzer targets (tools/fuzz.sh)
  clang libclang-rt-14-dev
  # the pure cgroup v2 test tier boots Debian's kernel under QEMU
  qemu-system-x86 busybox-static xz-utils
  # engine cases of that tier: copied into the guest and run there only (never on the host)
  podman crun conmon uidmap systemd-container docker.io containerd runc
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  # docker.io and containerd would start their daemons on install, on a host whose cgroups they
  # must not touch (the tests run them in the QEMU guest only): a policy-rc.d that refuses every
  # service start is in place BEFORE apt-get runs. Afterwards (also on failure) a policy-rc.d that
  # was there before is put back, and ours is removed.
  policy=/usr/sbin/policy-rc.d
  saved=""
  if [[ -e $policy || -L $policy ]]; then
    saved=$(mktemp /usr/sbin/policy-rc.d.cginit.XXXXXX)
    mv -f "$policy" "$saved"
  fi
  restore_policy() {
    rm -f "$policy"
    [[ -z $saved ]] || mv -f "$saved" "$policy"
  }
  trap restore_policy EXIT
  printf '#!/bin/sh\n# tools/install-deps.sh: no service starts while installing\nexit 101\n' >"$policy"
  chmod 755 "$policy"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
  restore_policy
  trap - EXIT
fi
