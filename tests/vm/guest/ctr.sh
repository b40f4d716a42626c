#!/bin/sh
# SPDX-License-Identifier: MIT
# The last steps of a container runtime, in two stages (started by ctr_start in lib.sh):
#   unshare --pid --fork --mount --mount-proc -- ctr.sh stage1 MARKER CTR_CGROUP RO DROP CMD...
# stage1 runs as PID 1 of the new PID namespace: it moves itself into the container cgroup (the
# runtime process, unshare, stays outside) and enters a new cgroup namespace rooted there; stage2
# mounts cgroup2 at /sys/fs/cgroup (RO is "" or ",ro"), touches MARKER and execs CMD, without the
# capability DROP (e.g. "sys_admin", as Docker's and podman's default set; "" keeps them all).
set -eu
stage=$1
shift
case $stage in
  stage1)
    marker=$1 ctr=$2 ro=$3 drop=$4
    shift 4
    echo 0 >"$ctr/cgroup.procs"
    exec /usr/bin/unshare --cgroup -- /bin/sh "$0" stage2 "$marker" "$ro" "$drop" "$@"
    ;;
  stage2)
    marker=$1 ro=$2 drop=$3
    shift 3
    # The inherited mount shows the whole hierarchy, and the same superblock cannot be mounted on
    # top of its own root (EBUSY): detach it first. The new mount inherits nsdelegate.
    umount -l /sys/fs/cgroup
    mount -t cgroup2 -o "nosuid,nodev,noexec$ro" cgroup2 /sys/fs/cgroup
    : >"$marker"
    if [ -n "$drop" ]; then
      exec /usr/bin/setpriv --bounding-set "-$drop" --inh-caps "-$drop" -- "$@"
    fi
    exec "$@"
    ;;
esac
echo "ctr.sh: unknown stage $stage" >&2
exit 125
