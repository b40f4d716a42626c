# SPDX-License-Identifier: MIT
# A read-only cgroupfs (the Docker and Kubernetes default) whose pids.max the engine set (here the
# test, from outside, like `docker run --pids-limit 32`), and a fork bomb: cginit manages nothing
# but watches its cgroup's pids.events (the observer), warns naming the limit, still answers
# SIGTERM, and its report counts the refused forks ("cgroup": null, "observed_cgroup" set).
. /vm/lib.sh
ctr_start --ro -- "$CGINIT" --grace 2s --report "$CASE_DIR/report.json" -- \
  /bin/sh -c 'exec 2>/dev/null; sleep 1; bomb() { bomb | bomb & }; bomb; exec sleep 1000'
echo 32 >"$CTR/pids.max" || fail "engine: cannot write $CTR/pids.max"
wait_until 20 sh -c "[ \"\$(sed -n 's/^max //p' $CTR/pids.events)\" -ge 1 ]" ||
  fail "the bomb never hit the engine's pids.max"
expect "cginit is still running" alive "$CTR_PID1"
wait_until 10 grep -q 'pids.max=32' "$CASE_DIR/stderr" ||
  fail "no warning naming the engine's limit: $(cat "$CASE_DIR/stderr")"

t_term=$(now_cs)
kill -TERM "$CTR_PID1"
ctr_wait 20
expect_le "SIGTERM to exit of cginit, in ms (grace 2 s + 1 s)" "$((CTR_T1 - t_term))0" 3000
expect "container cgroup empty" cg_empty "$CTR"
expect "report written" test -s "$CASE_DIR/report.json"
log "report: $(cat "$CASE_DIR/report.json")"
expect_ge "report fork_rejections" "$(report_field fork_rejections)" 1
expect_eq "report cgroup" "$(report_field cgroup)" null
expect_eq "report observed_cgroup" "$(report_field observed_cgroup)" /sys/fs/cgroup

warnings=$(grep -c 'fork refused' "$CASE_DIR/stderr")
seconds=$(((CTR_T1 - CTR_T0 + 99) / 100))
log "$warnings 'fork refused' warning(s) in $seconds s"
expect_le "'fork refused' warnings (at most one a second)" "$warnings" "$((seconds + 1))"
pass
