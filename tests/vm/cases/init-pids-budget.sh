# SPDX-License-Identifier: MIT
# Issue 17 items 6 and 10. The report's pids_max is what the kernel holds in workload/pids.max (read
# back), as a JSON number. A process that a container engine adds later (`docker exec`: runc puts it
# into init/ when <root> has controllers enabled) is capped by init/'s pids.max budget (64): a fork
# bomb started there never has more than 64 tasks in init/, cginit included, and is drained at stop.
. /vm/lib.sh
ctr_start -- "$CGINIT" --pids-max 16 --grace 2s --report "$CASE_DIR/report.json" -- /bin/sleep 1000
wait_until 20 workload_running || fail "no process ever ran in workload/"
expect_eq "workload/pids.max" "$(cat "$CTR/workload/pids.max")" 16
expect_eq "init/pids.max (the budget for processes that join init/)" "$(cat "$CTR/init/pids.max")" 64

# A "docker exec" stranger in init/ that forks 100 sleepers, as many as the kernel lets it.
/usr/bin/nsenter -t "$CTR_PID1" -p -m -C -- /bin/sh -c \
  'exec 2>/dev/null; i=0; while [ $i -lt 100 ]; do sleep 1000 & i=$((i + 1)); done; exec sleep 1000' \
  >"$CASE_DIR/stranger.out" 2>&1 &
enter_pid=$!
wait_until 10 has_children "$enter_pid" || fail "nsenter did not start the stranger"
stranger=$(children "$enter_pid" | cut -d' ' -f1)
echo "$stranger" >"$CTR/init/cgroup.procs" || fail "cannot put the stranger into init/"
stranger_busy() { [ "$(sed -n 's/^max //p' "$CTR/init/pids.events")" -ge 1 ] 2>/dev/null; }
wait_until 20 stranger_busy || fail "the stranger's forks never hit init/pids.max: $(cat "$CTR/init/pids.current")"
expect_le "init/pids.current (cginit + the stranger's tasks)" "$(cat "$CTR/init/pids.current")" 64
expect "cginit is still running" alive "$CTR_PID1"

kill -TERM "$CTR_PID1"
ctr_wait 20
expect_eq "exit status (the program's SIGTERM)" "$CTR_RC" 143
expect "container cgroup empty" cg_empty "$CTR"
log "report: $(cat "$CASE_DIR/report.json")"
expect "report's pids_max is a JSON number" grep -q '"pids_max": 16,' "$CASE_DIR/report.json"
wait "$enter_pid" 2>/dev/null
pass
