# SPDX-License-Identifier: MIT
# A read-only cgroupfs whose pids.events vanishes while cginit watches it (the runtime parent turns
# the pids controller off: the file is removed, reads of the open fd fail with ENODEV): one warning
# naming the file, the init goes on, answers SIGTERM, and the report leaves fork_rejections null
# while the other counters (memory.events) are still read.
. /vm/lib.sh
ctr_start --ro -- "$CGINIT" --grace 2s --report "$CASE_DIR/report.json" -- /bin/sleep 1000
expect "pids.events is there at the start" test -e "$CTR/pids.events"
sleep 0.3
echo -pids >"$CASE_CG/cgroup.subtree_control" || fail "runtime: cannot turn pids off"
wait_until 5 sh -c "! test -e $CTR/pids.events" || fail "pids.events did not vanish"
expect "cginit is still running" alive "$CTR_PID1"

kill -TERM "$CTR_PID1"
ctr_wait 20
expect_eq "exit status (the program's SIGTERM)" "$CTR_RC" 143
expect "report written" test -s "$CASE_DIR/report.json"
log "report: $(cat "$CASE_DIR/report.json")"
expect_eq "report fork_rejections" "$(report_field fork_rejections)" null
expect_eq "report oom_kills (memory.events still read)" "$(report_field oom_kills)" 0
expect_eq "report observed_cgroup" "$(report_field observed_cgroup)" /sys/fs/cgroup
warnings=$(grep -c 'pids.events.*no longer reading it' "$CASE_DIR/stderr")
expect_eq "warnings about pids.events" "$warnings" 1
pass
