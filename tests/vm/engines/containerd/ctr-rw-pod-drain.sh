# SPDX-License-Identifier: MIT
# The pod shape (shareProcessNamespace: a busybox sleep as the pause container, cginit -s in a second
# container joining its PID namespace, both below a pod cgroup) with the app container's cgroup2
# mounted read-write in its own cgroup namespace and no extra capability (containerd's
# `cgroup_writable`), under a pod cgroup that limits cgroups as a node may for writable-cgroup pods:
# cgroup.max.depth 2 and cgroup.max.descendants 4 (pause/, app/, app/init/, app/workload/).
# cginit -s manages app/ within those limits (managed, "enforced": false), holds a fork bomb at
# CGINIT_PIDS_MAX in workload/, leaves only init/ + workload/ in app/, and `ctr task kill` drains it
# all and returns the program's status; the pause container runs on.
. /vm/lib.sh
. /vm/engines.sh
ctrd_setup
out_clear
pod=$CASE_CG/pod
echo "+pids +memory" >"$CASE_CG/cgroup.subtree_control" || fail "cannot enable pids below $CASE_CG"
mkdir "$pod" || fail "cannot create $pod"
echo 2 >"$pod/cgroup.max.depth" || fail "cannot write $pod/cgroup.max.depth"
echo 4 >"$pod/cgroup.max.descendants" || fail "cannot write $pod/cgroup.max.descendants"
ctrd_run rwpod-pause --cgroup "${pod#"$CG"}/pause" -- /bin/sleep 1000000
pause=$CTRD_PID
# shellcheck disable=SC2034 # read by ctrd_mounts (engines.sh)
CTRD_CGROUP_MODE=rw
ctrd_run rwpod-app --cgroup "${pod#"$CG"}/app" --with-ns "pid:/proc/$pause/ns/pid" \
  --env CGINIT_PIDS_MAX=40 -- \
  /cginit -s --grace 2s --report /out/report.json -- /workload.sh serve 5 daemons bomb
app=$CTRD_PID
out_ready 60 || fail "the program in the container did not get ready"
expect_eq "PID 1 of the shared namespace" "$(out_line pid1)" "/bin/sleep 1000000 "
if cap_sys_admin "$app"; then fail "cginit has CAP_SYS_ADMIN (expected ctr's default set)"; fi
echo "ok: cginit runs without CAP_SYS_ADMIN"
expect_eq "cginit's cgroup" "$(cgroup_dir "$app")" "$pod/app/init"
expect_eq "the program's cgroup (inside; no namespace without CAP_SYS_ADMIN)" "$(out_line cgroup)" \
  "0::/workload"
expect_eq "workload/pids.max" "$(cat "$pod/app/workload/pids.max")" 40
expect_eq "the pod's cgroups" "$(sed -n 's/^nr_descendants //p' "$pod/cgroup.stat")" 4

refused() { sed -n 's/^max //p' "$pod/app/workload/pids.events"; }
some_refused() { test "$(refused)" -ge 1; }
wait_until 30 some_refused || fail "the fork bomb never hit workload/pids.max"
peak=$(sample_peak 2 "$pod/app/workload/pids.current")
expect_le "peak pids.current of workload/ while the bomb runs" "$peak" 40
expect_eq "the app container's child cgroups" "$(cg_subdirs "$pod/app")" "init workload "
expect_eq "processes in the app container's cgroup itself" "$(cat "$pod/app/cgroup.procs")" ""
expect_eq "processes in init/ (cginit alone)" "$(cat "$pod/app/init/cgroup.procs")" "$app"

t0=$(now_cs)
ctr task kill rwpod-app || fail "ctr task kill exited with status $?"
# cginit's part of the stop ends with its report; containerd's part (under TCG, with the bomb
# still eating the guest's one CPU until the drain) takes seconds more.
wait_until 40 test -s "$CASE_DIR/report.json" || fail "cginit wrote no report within 40 s of ctr task kill"
stop_ms=$(elapsed_ms "$t0")
ctrd_wait rwpod-app 60
log "ctr task kill to the end of ctr run: $(elapsed_ms "$t0") ms"
expect_eq "the task's exit status (the program's, on SIGTERM)" "$CTRD_RC" 5
expect "the TERM-handling setsid daemon got SIGTERM" grep -qx TERM "$CASE_DIR/handler.term"
expect_le "from ctr task kill to cginit's report, in ms (grace 2 s)" "$stop_ms" 10000
expect "the app container's cgroup is empty (or gone)" cg_empty "$pod/app"
log "report: $(cat "$CASE_DIR/report.json" 2>/dev/null)"
case $(report_field cgroup) in
  "" | null) fail "report cgroup: expected the managed root, got '$(report_field cgroup)'" ;;
  *) echo "ok: report cgroup = $(report_field cgroup)" ;;
esac
expect_eq "report enforced (no cgroup namespace for the program)" "$(report_field enforced)" false
expect_ge "report fork_rejections" "$(report_field fork_rejections)" 1
expect_eq "report drain (the TERM-ignoring daemon needed cgroup.kill)" "$(report_field drain)" killed
expect_eq "'not managing a cgroup' warnings" \
  "$(grep -c 'not managing a cgroup' "$CASE_DIR/rwpod-app.err")" 0
expect_eq "cginit's errors" "$(grep -c '^\[cginit\] \[error\]' "$CASE_DIR/rwpod-app.err")" 0
expect "the pause container still runs (only the app container was stopped)" alive "$pause"
pass
