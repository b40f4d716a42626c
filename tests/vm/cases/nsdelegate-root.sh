# SPDX-License-Identifier: MIT
# Under nsdelegate the container cannot write its own root's pids.max or cgroup.kill (EPERM): cginit
# puts its limits and its kill on workload/ and works. Without nsdelegate the same must hold (the
# root's limit is the runtime's, not cginit's). The drain must kill a TERM-ignoring process.
. /vm/lib.sh
ctr_start -- "$CGINIT" --pids-max 50 --grace 1s --report "$CASE_DIR/report.json" -- \
  /bin/sh -c '(trap "" TERM; exec sleep 1000) & grep "^0::" /proc/self/cgroup; exec sleep 1000'
wait_until 20 workload_running || fail "no process ever ran in workload/"
expect_eq "workload/pids.max" "$(cat "$CTR/workload/pids.max")" 50
expect_eq "<root>/pids.max (the runtime's, untouched)" "$(cat "$CTR/pids.max")" max
wait_until 5 test -s "$CASE_DIR/stdout" || fail "the program printed nothing"
expect_eq "the program's cgroup" "$(cat "$CASE_DIR/stdout")" "0::/"
kill -TERM "$CTR_PID1"
ctr_wait 20
expect_eq "exit status (the program's SIGTERM)" "$CTR_RC" 143
expect "no error logged" test -z "$(grep -i '\[error\]' "$CASE_DIR/stderr")"
expect_eq "report drain" "$(report_field drain)" killed
expect_ge "report killed" "$(report_field killed)" 1
expect "container cgroup empty" cg_empty "$CTR"
pass
