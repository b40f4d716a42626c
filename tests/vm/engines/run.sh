#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs the engine cases of tests/vm/engines/ENGINE (podman + crun, systemd-nspawn, Docker, or
# containerd + runc with ctr, with cginit as the container's init) in one boot of the QEMU guest of
# tests/vm/run.sh. The host's engine binaries are copied into the guest with their shared libraries
# (they never run on the host); without them the cases skip.
#
# usage: tests/vm/engines/run.sh podman|nspawn|docker|containerd [tests/vm/run.sh OPTION]... [CASE]...
#   e.g. tests/vm/engines/run.sh podman --build build -v
#        tests/vm/engines/run.sh nspawn --build build nspawn-boot-reboot
#        tests/vm/engines/run.sh docker --build build docker-init-exit
# Host packages: podman crun conmon uidmap (podman), systemd-container (nspawn), docker.io
# containerd runc (docker, containerd); tools/install-deps.sh. Docker and containerd import the
# busybox image that engines/image.sh builds once and caches beside the kernel.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
engine=${1:-}
case $engine in
  podman)
    # containers.conf and storage.conf are written in the guest (podman_setup in lib.sh).
    files=(/usr/bin/podman /usr/bin/crun /usr/bin/conmon /usr/share/containers /etc/containers
      # rootless podman: the uidmap package's helpers (made setuid in the guest) and util-linux's
      # setpriv (busybox's cannot change the uid)
      /usr/bin/newuidmap /usr/bin/newgidmap /usr/bin/setpriv)
    ;;
  nspawn)
    files=(/usr/bin/systemd-nspawn)
    ;;
  docker | containerd)
    # Debian's docker.io: /usr/bin/docker is its CLI (a /usr/local/bin/docker may shadow it in PATH).
    files=(/usr/bin/containerd /usr/bin/containerd-shim-runc-v2 /usr/sbin/runc)
    if [[ $engine == docker ]]; then
      # the daemon's init-path comes from the example that README.md documents
      files+=(/usr/sbin/dockerd /usr/bin/docker "$here/../../../examples/daemon.json:/etc/docker/daemon.json"
        "$here/runc-delegate.sh:/vm/runc-delegate")
    else
      files+=(/usr/bin/ctr)
    fi
    if images=$("$here/image.sh"); then
      files+=("$images/rootfs.tar:/vm/images/busybox-rootfs.tar"
        "$images/image.tar:/vm/images/busybox-image.tar")
    else
      echo "engines/run.sh: no busybox image (engines/image.sh failed); the $engine cases skip" >&2
    fi
    ;;
  -h | --help)
    sed -n '3,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
    exit 0
    ;;
  *)
    echo "usage: tests/vm/engines/run.sh podman|nspawn|docker|containerd [tests/vm/run.sh OPTION]... [CASE]..." >&2
    exit 2
    ;;
esac
shift
# The docker and containerd binaries alone are 100-200 MB of initramfs (unpacked in guest memory),
# and their first commands are slow under TCG: every docker or ctr command takes seconds, and their
# boots of 7-10 cases took 5-7 minutes on the 2-core machine at load 7 (hence 720 s for the boot
# instead of run.sh's 420 s; meson's limit for the test that boots is 900 s).
mem=1024 case_timeout=120 boot_timeout=420
case $engine in docker | containerd) mem=2048 case_timeout=240 boot_timeout=720 ;; esac
args=(--case-dir "$here/$engine" --group "engines-$engine" -m "$mem" --case-timeout "$case_timeout"
  --timeout "${CGINIT_VM_TIMEOUT:-$boot_timeout}"
  --file "$here/lib.sh:/vm/engines.sh" --file "$here/workload.sh:/vm/workload.sh")
for f in "${files[@]}"; do
  args+=(--optional-file "$f")
done
exec "$here/../run.sh" "${args[@]}" "$@"
