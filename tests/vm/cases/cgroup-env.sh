# SPDX-License-Identifier: MIT
# The environment the other cases rely on, checked with busybox alone: a pure cgroup v2 hierarchy
# with every controller, mounted with nsdelegate as asked, and the container emulation (PID 1 of its
# own namespaces, "0::/", delegated pids and memory; the root's pids.max read-only under nsdelegate).
. /vm/lib.sh
mount_line=$(grep '^cgroup2 /sys/fs/cgroup ' /proc/mounts)
log "mount: $mount_line"
expect "no cgroup v1 hierarchy is mounted" test -z "$(grep ' cgroup ' /proc/mounts)"
for c in pids memory cpu; do
  expect "root cgroup.controllers offers $c" cg_has "$CG/cgroup.controllers" "$c"
done
case ",$VM_CGROUP_OPTS," in
  *,nsdelegate,*) expect_eq "nsdelegate in the mount options" "$NSDELEGATE" 1 ;;
  *) expect_eq "nsdelegate in the mount options" "$NSDELEGATE" 0 ;;
esac

# shellcheck disable=SC2016 # expanded by the container's shell
ctr_start -- /bin/sh -c '
  echo "pid=$$"
  echo "cgroup=$(grep "^0::" /proc/self/cgroup)"
  echo "controllers=$(cat /sys/fs/cgroup/cgroup.controllers)"
  if echo 10 >/sys/fs/cgroup/pids.max 2>/dev/null; then echo "root_pids_max=writable"; echo max >/sys/fs/cgroup/pids.max
  else echo "root_pids_max=denied"; fi'
ctr_wait 20
cat "$CASE_DIR/stdout"
expect_eq "container shell exit status" "$CTR_RC" 0
field() { sed -n "s/^$1=//p" "$CASE_DIR/stdout"; }
expect_eq "container PID 1 sees itself as" "$(field pid)" 1
expect_eq "container /proc/self/cgroup" "$(field cgroup)" "0::/"
expect "container sees pids and memory delegated" \
  test "$(field controllers)" = "memory pids" -o "$(field controllers)" = "pids memory"
if [ "$NSDELEGATE" = 1 ]; then
  expect_eq "writing the container root's pids.max from inside (nsdelegate)" "$(field root_pids_max)" denied
else
  expect_eq "writing the container root's pids.max from inside (no nsdelegate)" "$(field root_pids_max)" writable
fi
expect "container cgroup empty after PID 1 exited" cg_empty "$CTR"
pass
