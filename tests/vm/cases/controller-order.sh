# SPDX-License-Identifier: MIT
# The order rule: cginit must move itself out of <root> before it enables controllers there. Enabling
# the threaded pids controller first would succeed but make <root> a thread root, so its children
# would be "domain invalid"/"domain threaded" and memory could not be enabled at all.
. /vm/lib.sh
ctr_start -- "$CGINIT" --pids-max 100 --limit memory.max=256M -- /bin/sleep 1000
wait_until 20 workload_running || fail "no process ever ran in workload/"
ctr_dump
expect_eq "<root>/cgroup.type" "$(cat "$CTR/cgroup.type")" domain
expect_eq "init/cgroup.type" "$(cat "$CTR/init/cgroup.type")" domain
expect_eq "workload/cgroup.type" "$(cat "$CTR/workload/cgroup.type")" domain
expect "<root>/cgroup.subtree_control has pids" cg_has "$CTR/cgroup.subtree_control" pids
expect "<root>/cgroup.subtree_control has memory" cg_has "$CTR/cgroup.subtree_control" memory
expect "cginit itself is in init/" grep -qx "$CTR_PID1" "$CTR/init/cgroup.procs"
expect_eq "<root>/cgroup.procs" "$(cat "$CTR/cgroup.procs")" ""
expect_eq "workload/pids.max" "$(cat "$CTR/workload/pids.max")" 100
expect_eq "workload/memory.max" "$(cat "$CTR/workload/memory.max")" 268435456
kill -TERM "$CTR_PID1"
ctr_wait 20
expect_eq "exit status (the program's SIGTERM)" "$CTR_RC" 143
expect "container cgroup empty" cg_empty "$CTR"
pass
