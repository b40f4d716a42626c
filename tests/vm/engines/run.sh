#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs the engine cases of tests/vm/engines/ENGINE (podman + crun, or systemd-nspawn, with cginit as
# the container's init) in one boot of the QEMU guest of tests/vm/run.sh. The host's engine binaries
# are copied into the guest with their shared libraries; without them the cases skip.
#
# usage: tests/vm/engines/run.sh podman|nspawn [tests/vm/run.sh OPTION]... [CASE]...
#   e.g. tests/vm/engines/run.sh podman --build build -v
#        tests/vm/engines/run.sh nspawn --build build nspawn-boot-reboot
# Host packages: podman crun conmon (podman), systemd-container (nspawn); tools/install-deps.sh.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
engine=${1:-}
case $engine in
  podman)
    # containers.conf and storage.conf are written in the guest (podman_setup in lib.sh).
    files=(/usr/bin/podman /usr/bin/crun /usr/bin/conmon /usr/share/containers /etc/containers)
    ;;
  nspawn)
    files=(/usr/bin/systemd-nspawn)
    ;;
  -h | --help)
    sed -n '3,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
    exit 0
    ;;
  *)
    echo "usage: tests/vm/engines/run.sh podman|nspawn [tests/vm/run.sh OPTION]... [CASE]..." >&2
    exit 2
    ;;
esac
shift
args=(--case-dir "$here/$engine" --group "engines-$engine" -m 1024
  --file "$here/lib.sh:/vm/engines.sh" --file "$here/workload.sh:/vm/workload.sh")
for f in "${files[@]}"; do
  args+=(--optional-file "$f")
done
exec "$here/../run.sh" "${args[@]}" "$@"
