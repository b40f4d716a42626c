# SPDX-License-Identifier: MIT
# A pod-level pids limit (what the kubelet's podPidsLimit writes: pids.max of the pod's cgroup, the
# parent of its containers' cgroups) in the shareProcessNamespace shape (pause container, cginit -s
# in a second container joining its PID namespace), read-only cgroupfs: a fork bomb in the program
# hits the pod's pids.max; the refused forks are counted in pids.events of the forking task's own
# cgroup, which cginit watches (observer mode): it warns, counts them in its report, and the drain
# ends the bomb at `ctr task kill`.
. /vm/lib.sh
. /vm/engines.sh
ctrd_setup
out_clear
pod=$CASE_CG/pod
echo "+pids +memory" >"$CASE_CG/cgroup.subtree_control" || fail "cannot enable pids below $CASE_CG"
mkdir "$pod" || fail "cannot create $pod"
echo 40 >"$pod/pids.max" || fail "cannot write $pod/pids.max"
ctrd_run podpids-pause --cgroup "${pod#"$CG"}/pause" -- /bin/sleep 1000000
pause=$CTRD_PID
ctrd_run podpids-app --cgroup "${pod#"$CG"}/app" --with-ns "pid:/proc/$pause/ns/pid" -- \
  /cginit -s --grace 8s --report /out/report.json -- /workload.sh serve 5 bomb
out_ready 60 || fail "the program in the container did not get ready"
expect_eq "the app container's pids.max (no limit of its own)" "$(cat "$pod/app/pids.max")" max
refused() { sed -n 's/^max //p' "$pod/app/pids.events"; }
# A function: "$(refused)" in wait_until's arguments would be read once, before the bomb.
some_refused() { test "$(refused)" -ge 1; }
if ! wait_until 30 some_refused; then
  log "pod: pids.current $(cat "$pod/pids.current"), pids.events $(cat "$pod/pids.events");" \
    "app: pids.current $(cat "$pod/app/pids.current"), pids.events $(cat "$pod/app/pids.events")"
  dmesg | grep 'fork rejected' | tail -n 3
  sed 's/^/  | /' "$CASE_DIR/podpids-app.err"
  fail "the fork bomb never hit the pod's pids.max"
fi
expect_le "pids.current of the pod" "$(cat "$pod/pids.current")" 40
warned() { grep -q '^\[cginit\] \[warning\].*fork refused' "$CASE_DIR/podpids-app.err"; }
wait_until 20 warned || {
  sed 's/^/  | /' "$CASE_DIR/podpids-app.err"
  fail "cginit logged no 'fork refused' warning within 20 s of the first refused fork"
}
t0=$(now_cs)
ctr task kill podpids-app || fail "ctr task kill exited with status $?"
ctrd_wait podpids-app 30
stop_ms=$(elapsed_ms "$t0")
expect_eq "the task's exit status (the program's, on SIGTERM)" "$CTRD_RC" 5
expect_le "from ctr task kill to the task's end, in ms (at once: within the grace of 8 s)" \
  "$stop_ms" 6000
log "report: $(cat "$CASE_DIR/report.json" 2>/dev/null)"
expect_ge "report fork_rejections" "$(report_field fork_rejections)" 1
pass
