# SPDX-License-Identifier: MIT
# Issue 12: 5,000 mkdirs under workload/ stop at cgroup.max.descendants (1000 by default, EAGAIN);
# cginit stays responsive (SIGTERM ends it within the grace) and removes them all at exit.
. /vm/lib.sh
ctr_start -- "$CGINIT" --grace 1s --report "$CASE_DIR/report.json" -- /bin/sh -c \
  'cd /sys/fs/cgroup/workload && seq 1 5000 | sed "s/^/b/" | xargs mkdir 2>"$0.err"; echo $? >"$0"; exec sleep 1000' \
  "$CASE_DIR/mkdir"
wait_until 120 test -s "$CASE_DIR/mkdir" || fail "the mkdirs did not finish"
expect_eq "workload/cgroup.max.descendants" "$(cat "$CTR/workload/cgroup.max.descendants")" 1000
expect_eq "cgroups made under workload/" "$(find "$CTR/workload" -mindepth 1 -type d | wc -l)" 1000
expect "the rest refused with EAGAIN" grep -q 'Resource temporarily unavailable' "$CASE_DIR/mkdir.err"
t_term=$(now_cs)
kill -TERM "$CTR_PID1"
ctr_wait 30
expect_le "SIGTERM to exit of cginit, in ms (grace 1 s, 1000 cgroups to remove)" "$((CTR_T1 - t_term))0" 15000
expect_eq "exit status (the program's SIGTERM)" "$CTR_RC" 143
expect "no error logged" test -z "$(grep -i '\[error\]' "$CASE_DIR/stderr")"
expect_eq "cgroups left in the container" "$(find "$CTR" -mindepth 1 -type d | wc -l)" 0
pass
