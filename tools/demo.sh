#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs cginit on examples/demo-workload.sh the way a container engine would: as PID 1 of new PID,
# mount and cgroup namespaces, in a cgroup2 directory this script creates (and removes afterwards).
#   tools/demo.sh [BUILD_DIR] [-- CGINIT_OPTIONS...]      (as root)
set -euo pipefail
cd "$(dirname "$0")/.."
build=build
if [[ ${1:-} != "" && ${1:-} != "--" ]]; then build=$1; shift; fi
[[ ${1:-} == "--" ]] && shift
cginit=$PWD/$build/src/cginit
[[ -x $cginit ]] || { echo "demo: $cginit not built (ninja -C $build)" >&2; exit 1; }
[[ $(id -u) == 0 ]] || { echo "demo: needs root (namespaces and cgroups)" >&2; exit 1; }

# cgroup2: /sys/fs/cgroup on a pure v2 machine, /sys/fs/cgroup/unified on a hybrid one.
if [[ $(stat -f -c %T /sys/fs/cgroup) == cgroup2fs ]]; then v2=/sys/fs/cgroup; else v2=/sys/fs/cgroup/unified; fi
export CG=$v2/cginit-demo-$$
mkdir "$CG"
cleanup() {
  [[ -e $CG/cgroup.kill ]] && echo 1 >"$CG/cgroup.kill" 2>/dev/null || true
  for _ in $(seq 50); do grep -q '^populated 0' "$CG/cgroup.events" 2>/dev/null && break; sleep 0.1; done
  find "$CG" -depth -type d -exec rmdir {} \; 2>/dev/null || true
}
trap cleanup EXIT
export CGINIT=$cginit WORKLOAD=$PWD/examples/demo-workload.sh
echo "demo: cginit as PID 1 of a container whose cgroup is $CG"
set +e
# Like a runtime: only the container's PID 1 enters the container cgroup; then a cgroup namespace
# and a cgroup2 mount of its own, so that cginit sees "0::/" as it would in Docker or Podman.
timeout -s KILL 60 unshare --pid --fork --mount --mount-proc --propagation private -- sh -c '
  echo 0 > "$CG/cgroup.procs" &&
  exec unshare --cgroup -- sh -c "umount -l /sys/fs/cgroup 2>/dev/null; mount -t cgroup2 none /sys/fs/cgroup && exec \"\$@\"" sh "$@"
' sh "$cginit" -v --grace 2s --report - "$@" -- "$WORKLOAD"
rc=$?
set -e
echo "demo: cginit exited with $rc; left in $CG: $(find "$CG" -mindepth 1 -type d | wc -l) cgroup(s), $(cat "$CG/cgroup.procs" | wc -l) process(es)"
