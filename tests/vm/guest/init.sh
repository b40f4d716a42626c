#!/bin/sh
# SPDX-License-Identifier: MIT
# The test guest's /init (busybox sh as the real PID 1): mounts a pure cgroup v2 hierarchy, runs each
# case in a cgroup of its own, reports over the serial ports, then powers off.
#
# Serial ports (tests/vm/run.sh turns them into files on the host):
#   ttyS0  kernel console
#   ttyS1  transcript: "@@@ BEGIN <case>", everything the case printed, "@@@ END <case> rc=<n> cs=<n>"
#   ttyS2  results: "BOOTED ...", one "RESULT <case> PASS|FAIL|SKIP <reason>" per case, "DONE"
# /vm/conf (written by run.sh) sets VM_CGROUP_OPTS, VM_CASES and VM_CASE_TIMEOUT.
/bin/busybox --install -s /bin
export PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin HOME=/root TERM=dumb

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm /tmp/cases /run
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
chmod 1777 /tmp
ln -sf /proc/self/fd /dev/fd
hostname vmguest
# shellcheck disable=SC1091 # written by run.sh
. /vm/conf

# Raw mode: no CR/LF translation on the data channels.
stty -F /dev/ttyS1 raw -echo
stty -F /dev/ttyS2 raw -echo
exec 3>/dev/ttyS1 4>/dev/ttyS2

finish() {
  echo "DONE" >&4
  sync
  poweroff -f
  # Not reached unless poweroff failed: the kernel panics (panic=-1, qemu -no-reboot exits).
  exit 1
}

if ! mount -t cgroup2 ${VM_CGROUP_OPTS:+-o "$VM_CGROUP_OPTS"} cgroup2 /sys/fs/cgroup; then
  echo "BOOTFAIL cannot mount cgroup2 with options '$VM_CGROUP_OPTS'" >&4
  finish
fi
# The root cgroup is exempt from the no-internal-processes rule: offer every controller below it.
# shellcheck disable=SC2013 # a list of words
for c in $(cat /sys/fs/cgroup/cgroup.controllers); do
  echo "+$c" >/sys/fs/cgroup/cgroup.subtree_control
done

uptime_cs() {
  read -r up _ </proc/uptime
  echo "${up%.*}${up#*.}"
}

# Kills whatever a case left in its cgroup and removes the cgroup tree.
cleanup_case_cgroup() {
  cg=$1
  [ -d "$cg" ] || return 0
  if grep -q '^populated 1' "$cg/cgroup.events"; then
    echo 1 >"$cg/cgroup.kill"
    i=0
    while grep -q '^populated 1' "$cg/cgroup.events" && [ $i -lt 100 ]; do
      sleep 0.05
      i=$((i + 1))
    done
  fi
  i=0
  while [ -d "$cg" ] && [ $i -lt 20 ]; do
    find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null
    [ -d "$cg" ] && sleep 0.1
    i=$((i + 1))
  done
  [ -d "$cg" ] && echo "driver: could not remove $cg" >&3
}

run_case() {
  name=$1
  dir=/tmp/cases/$name
  cg=/sys/fs/cgroup/vm-$name
  mkdir -p "$dir"
  echo "@@@ BEGIN $name" >&3
  t0=$(uptime_cs)
  if [ ! -f "/vm/cases/$name.sh" ]; then
    echo "no such case: $name" >"$dir/reason"
    rc=1
  elif ! mkdir "$cg" "$cg/driver"; then
    echo "cannot create $cg" >"$dir/reason"
    rc=1
  else
    # The case runs in <case>/driver, so that its leftovers can be killed with one cgroup.kill.
    CASE=$name CASE_DIR=$dir CASE_CG=$cg /bin/sh -c \
      'echo $$ >"$CASE_CG/driver/cgroup.procs" && exec timeout -s KILL "$1" /bin/sh "/vm/cases/$CASE.sh"' \
      case-runner "$VM_CASE_TIMEOUT" </dev/null >&3 2>&3
    rc=$?
  fi
  t1=$(uptime_cs)
  if [ -s "$dir/stderr" ]; then
    echo "--- stderr of the container's PID 1 (last 40 lines):" >&3
    tail -n 40 "$dir/stderr" >&3
  fi
  cleanup_case_cgroup "$cg"
  echo "@@@ END $name rc=$rc cs=$((t1 - t0))" >&3
  reason=$(head -n 1 "$dir/reason" 2>/dev/null)
  case $rc in
    0) echo "RESULT $name PASS" >&4 ;;
    77) echo "RESULT $name SKIP ${reason:-skipped}" >&4 ;;
    137) echo "RESULT $name FAIL ${reason:-timed out in the guest after ${VM_CASE_TIMEOUT}s}" >&4 ;;
    *) echo "RESULT $name FAIL ${reason:-exit status $rc}" >&4 ;;
  esac
}

echo "BOOTED kernel=$(uname -r) uptime_cs=$(uptime_cs) cgroup2=[$(grep ' /sys/fs/cgroup cgroup2 ' /proc/mounts)]" >&4
for case in $VM_CASES; do
  run_case "$case"
done
finish
