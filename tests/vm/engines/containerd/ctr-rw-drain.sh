# SPDX-License-Identifier: MIT
# containerd + runc through ctr in the writable-cgroup shape (what containerd's `cgroup_writable`
# runtime option and Kubernetes' writable cgroups give a container): cgroup2 mounted read-write in
# the container's own cgroup namespace, no --privileged, ctr's default capabilities (no
# CAP_SYS_ADMIN). cginit as the command manages the container's cgroup: the report's cgroup is set
# and says "enforced": false (without CAP_SYS_ADMIN the program gets no cgroup namespace of its
# own); a fork bomb is held at CGINIT_PIDS_MAX in workload/; the container's cgroup holds only
# init/ + workload/ and no process of its own; `ctr task kill` drains everything (the setsid
# daemons, the bomb) and ctr run returns the program's status.
. /vm/lib.sh
. /vm/engines.sh
ctrd_setup
out_clear
# shellcheck disable=SC2034 # read by ctrd_mounts (engines.sh)
CTRD_CGROUP_MODE=rw
ctrd_run cginit-rw --env CGINIT_PIDS_MAX=40 -- \
  /cginit --grace 2s --report /out/report.json -- /workload.sh serve 5 daemons bomb
out_ready 60 || fail "the program in the container did not get ready"
if cap_sys_admin "$CTRD_PID"; then fail "cginit has CAP_SYS_ADMIN (expected ctr's default set)"; fi
echo "ok: cginit runs without CAP_SYS_ADMIN"
cg=$(cgroup_dir "$CTRD_PID")
case $cg in */init) cg=${cg%/init} ;; *) fail "cginit is not in init/ of its container's cgroup: $cg" ;; esac
log "the container's cgroup: ${cg#"$CG"}"
expect "the container's cgroup2 is mounted read-write" \
  grep -q '^[^ ]* /sys/fs/cgroup cgroup2 rw,' "/proc/$CTRD_PID/mounts"
expect_eq "the program's cgroup (inside; no namespace without CAP_SYS_ADMIN)" "$(out_line cgroup)" \
  "0::/workload"
expect_eq "workload/pids.max" "$(cat "$cg/workload/pids.max")" 40

refused() { sed -n 's/^max //p' "$cg/workload/pids.events"; }
some_refused() { test "$(refused)" -ge 1; }
wait_until 30 some_refused || fail "the fork bomb never hit workload/pids.max"
peak=$(sample_peak 2 "$cg/workload/pids.current")
expect_le "peak pids.current of workload/ while the bomb runs" "$peak" 40
expect_eq "the container's child cgroups" "$(cg_subdirs "$cg")" "init workload "
expect_eq "processes in the container's cgroup itself" "$(cat "$cg/cgroup.procs")" ""
expect_eq "processes in init/ (cginit alone)" "$(cat "$cg/init/cgroup.procs")" "$CTRD_PID"

t0=$(now_cs)
ctr task kill cginit-rw || fail "ctr task kill exited with status $?"
# cginit's part of the stop ends with its report; containerd's part (under TCG, with the bomb
# still eating the guest's one CPU until the drain) takes seconds more.
wait_until 40 test -s "$CASE_DIR/report.json" || fail "cginit wrote no report within 40 s of ctr task kill"
stop_ms=$(elapsed_ms "$t0")
ctrd_wait cginit-rw 60
log "ctr task kill to the end of ctr run: $(elapsed_ms "$t0") ms"
expect_eq "the task's exit status (the program's, on SIGTERM)" "$CTRD_RC" 5
expect_eq "the signals the program got" "$(tr '\n' ' ' <"$CASE_DIR/signals")" "TERM "
expect "the TERM-handling setsid daemon got SIGTERM" grep -qx TERM "$CASE_DIR/handler.term"
expect_le "from ctr task kill to cginit's report, in ms (grace 2 s)" "$stop_ms" 10000
expect "the container's cgroup is empty (or gone)" cg_empty "$cg"
log "report: $(cat "$CASE_DIR/report.json" 2>/dev/null)"
case $(report_field cgroup) in
  "" | null) fail "report cgroup: expected the managed root, got '$(report_field cgroup)'" ;;
  *) echo "ok: report cgroup = $(report_field cgroup)" ;;
esac
expect_eq "report enforced (no cgroup namespace for the program)" "$(report_field enforced)" false
expect_eq "report pids_max" "$(report_field pids_max)" 40
expect_ge "report fork_rejections" "$(report_field fork_rejections)" 1
expect_eq "report drain (the TERM-ignoring daemon needed cgroup.kill)" "$(report_field drain)" killed
expect_eq "'not managing a cgroup' warnings" \
  "$(grep -c 'not managing a cgroup' "$CASE_DIR/cginit-rw.err")" 0
expect_eq "cginit's errors" "$(grep -c '^\[cginit\] \[error\]' "$CASE_DIR/cginit-rw.err")" 0
pass
