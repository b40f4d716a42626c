#!/bin/sh
# SPDX-License-Identifier: MIT
# runc as a runtime that delegates the container's cgroup to the container's user, for the docker
# cases (/vm/runc-delegate in the guest; dockerd --add-runtime cg-delegate=/vm/runc-delegate, then
# `docker run --runtime cg-delegate`). Docker 20.10 cannot do that itself: its runc mounts cgroup2
# read-only and leaves the cgroup owned by root. At `create` this wrapper makes the spec's cgroup2
# mount read-write and, once runc has created the container (its process waits for `start`, so
# nothing of the container has run yet), chowns the container's cgroup directory and its
# cgroup.procs, cgroup.threads and cgroup.subtree_control to the uid and gid of the spec's process,
# as systemd does for a Delegate=yes unit with User= (delegation by ownership). Every other runc
# command is passed on unchanged.
bundle="" create=0 prev=""
for a in "$@"; do
  case $prev in --bundle | -b) bundle=$a ;; esac
  [ "$a" = create ] && create=1
  prev=$a
done
if [ "$create" != 1 ] || [ -z "$bundle" ]; then
  exec /usr/sbin/runc "$@"
fi
cfg=$bundle/config.json
sed -i 's|\("destination":"/sys/fs/cgroup","type":"cgroup","source":"cgroup","options":\["\)ro"|\1rw"|' \
  "$cfg" || exit 125
/usr/sbin/runc "$@" || exit $?
ids=$(sed -n 's/.*"user":{"uid":\([0-9]*\),"gid":\([0-9]*\).*/\1:\2/p' "$cfg")
path=$(sed -n 's/.*"cgroupsPath":"\([^"]*\)".*/\1/p' "$cfg")
dir=/sys/fs/cgroup$path
if [ -z "$ids" ] || [ -z "$path" ] || [ ! -d "$dir" ]; then
  echo "runc-delegate: no user ($ids) or no cgroup ($dir) in $cfg" >&2
  exit 125
fi
chown "$ids" "$dir" "$dir/cgroup.procs" "$dir/cgroup.threads" "$dir/cgroup.subtree_control" ||
  exit 125
