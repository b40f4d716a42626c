# SPDX-License-Identifier: MIT
# `ctr task exec` strangers (what `kubectl exec` makes: no descendants of cginit, in its cgroup)
# are drained when the task gets SIGTERM: the TERM handler gets it, the ignorer is killed at the
# end of the grace (cginit waits for them: the report's drain is "killed"). The cgroupfs is
# read-only in a private cgroup namespace (as the CRI plugin sets it up): cginit manages nothing
# but observes its cgroup (/default/cginit-exec outside); the report says so ("cgroup": null,
# "observed_cgroup" set).
. /vm/lib.sh
. /vm/engines.sh
ctrd_setup
out_clear
ctrd_run cginit-exec -- /cginit --grace 2s --report /out/report.json -- /workload.sh serve 5
out_ready 60 || fail "the program in the container did not get ready"
log "cginit's cgroup: $(cgroup_dir "$CTRD_PID" | sed "s|^$CG||")"
ctr task exec --exec-id stranger-h cginit-exec /workload.sh daemon handler stranger-h \
  </dev/null >/dev/null 2>&1 &
ctr task exec --exec-id stranger-i cginit-exec /workload.sh daemon ignorer stranger-i \
  </dev/null >/dev/null 2>&1 &
wait_until 30 test -s "$CASE_DIR/stranger-h.pid" -a -s "$CASE_DIR/stranger-i.pid" ||
  fail "the exec'd processes did not start"
t0=$(now_cs)
ctr task kill cginit-exec || fail "ctr task kill exited with status $?"
ctrd_wait cginit-exec 30
stop_ms=$(elapsed_ms "$t0")
expect_eq "the task's exit status (the program's, on SIGTERM)" "$CTRD_RC" 5
expect "the exec'd TERM handler got SIGTERM" grep -qx TERM "$CASE_DIR/stranger-h.term"
expect_le "from ctr task kill to the task's end, in ms (grace 2 s)" "$stop_ms" 8000
log "report: $(cat "$CASE_DIR/report.json" 2>/dev/null)"
expect_eq "report drain (the exec'd TERM ignorer needed SIGKILL)" "$(report_field drain)" killed
expect_eq "report cgroup (nothing managed)" "$(report_field cgroup)" null
case $(report_field observed_cgroup) in
  "" | null) fail "report observed_cgroup: expected the task's cgroup, got '$(report_field observed_cgroup)'" ;;
  *) echo "ok: report observed_cgroup = $(report_field observed_cgroup)" ;;
esac
pass
