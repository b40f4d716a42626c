# SPDX-License-Identifier: MIT
# The pod shape of Kubernetes' shareProcessNamespace: true, with containerd + runc: a pause-like
# container (busybox sleep) is PID 1 of the pod's PID namespace, and cginit -s runs in a second
# container that joins it (ctr run --with-ns pid:/proc/PID/ns/pid), both below a pod cgroup (ctr
# --cgroup, as the kubelet's pod cgroups). cginit is not PID 1 (no kill(-1)); the cgroupfs is
# read-only. At `ctr task kill` the drain still reaches the program's setsid escapees (re-parented
# to the subreaper) and two `ctr task exec` strangers (no descendants of cginit; found in its
# cgroup's cgroup.procs): the TERM handlers get SIGTERM from cginit (runc's shim only SIGKILLs what
# is left after the init exited), the ignorers are killed at the end of the grace.
. /vm/lib.sh
. /vm/engines.sh
ctrd_setup
out_clear
pod=${CASE_CG#"$CG"}/pod
ctrd_run pod-pause --cgroup "$pod/pause" -- /bin/sleep 1000000
pause=$CTRD_PID
ctrd_run pod-app --cgroup "$pod/app" --with-ns "pid:/proc/$pause/ns/pid" -- \
  /cginit -s --grace 2s --report /out/report.json -- /workload.sh serve 5 daemons
out_ready 60 || fail "the program in the container did not get ready"
expect_eq "PID 1 of the shared namespace" "$(out_line pid1)" "/bin/sleep 1000000 "
ctr task exec --exec-id stranger-h pod-app /workload.sh daemon handler stranger-h \
  </dev/null >/dev/null 2>&1 &
ctr task exec --exec-id stranger-i pod-app /workload.sh daemon ignorer stranger-i \
  </dev/null >/dev/null 2>&1 &
wait_until 30 test -s "$CASE_DIR/stranger-h.pid" -a -s "$CASE_DIR/stranger-i.pid" ||
  fail "the exec'd processes did not start"
t0=$(now_cs)
ctr task kill pod-app || fail "ctr task kill exited with status $?"
ctrd_wait pod-app 30
stop_ms=$(elapsed_ms "$t0")
expect_eq "the task's exit status (the program's, on SIGTERM)" "$CTRD_RC" 5
expect "the setsid daemon (an escapee) got SIGTERM" grep -qx TERM "$CASE_DIR/handler.term"
expect "the exec'd TERM handler got SIGTERM from cginit" grep -qx TERM "$CASE_DIR/stranger-h.term"
expect_le "from ctr task kill to the task's end, in ms (grace 2 s)" "$stop_ms" 8000
log "report: $(cat "$CASE_DIR/report.json" 2>/dev/null)"
expect_eq "report drain (the TERM ignorers needed SIGKILL)" "$(report_field drain)" killed
expect_eq "report cgroup (nothing managed)" "$(report_field cgroup)" null
expect "the pause container still runs (only the app container was stopped)" alive "$pause"
pass
