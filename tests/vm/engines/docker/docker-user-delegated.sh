# SPDX-License-Identifier: MIT
# `docker run --init --user 1000:1000` with a cgroup delegated to uid 1000 by ownership: Docker 20.10
# cannot do that itself, so the runtime is cg-delegate (runc-delegate.sh: runc that mounts cgroup2
# read-write in the container's cgroup namespace and chowns the container's cgroup and its
# cgroup.procs, cgroup.threads and cgroup.subtree_control to the container's user before it starts).
# cginit, uid 1000 without capabilities, manages the cgroup ("enforced": false): init/ + workload/,
# CGINIT_PIDS_MAX=24 holds a fork bomb, `docker stop` drains everything and the program's status
# comes back.
. /vm/lib.sh
. /vm/engines.sh
docker_setup
out_clear
chown 1000:1000 "$CASE_DIR" || fail "cannot give $CASE_DIR to uid 1000"
printf '[report]\npath = "/out/report.json"\n' >"$CASE_DIR/cginit.toml"
docker_detach user-delegated --init --user 1000:1000 --runtime cg-delegate -e CGINIT_PIDS_MAX=24 \
  -e CGINIT_GRACE=2s -e CGINIT_CONFIG=/out/cginit.toml -- /workload.sh serve 5 daemons bomb
expect_eq "the host uid of the container's init" \
  "$(sed -n 's/^Uid:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$DOCKER_PID/status")" 1000
expect_eq "the owner of the container's cgroup" "$(stat -c %u "$DOCKER_CG")" 1000
expect_eq "cginit's cgroup" "$(cgroup_dir "$DOCKER_PID")" "$DOCKER_CG/init"
expect_eq "the program's cgroup (inside; no namespace without CAP_SYS_ADMIN)" "$(out_line cgroup)" \
  "0::/workload"
expect_eq "workload/pids.max" "$(cat "$DOCKER_CG/workload/pids.max")" 24

refused() { sed -n 's/^max //p' "$DOCKER_CG/workload/pids.events"; }
some_refused() { test "$(refused)" -ge 1; }
wait_until 30 some_refused || fail "the fork bomb never hit pids.max"
peak=$(sample_peak 2 "$DOCKER_CG/workload/pids.current")
expect_le "peak pids.current of workload/ while the bomb runs" "$peak" 24
expect_eq "the container's child cgroups" "$(cg_subdirs "$DOCKER_CG")" "init workload "
expect_eq "processes in the container's cgroup itself" "$(cat "$DOCKER_CG/cgroup.procs")" ""

docker_stop user-delegated
docker_logs user-delegated | sed 's/^/  | /'
expect_eq "the container's exit status (the program's, on SIGTERM)" "$DOCKER_RC" 5
expect "the TERM-handling setsid daemon got SIGTERM" grep -qx TERM "$CASE_DIR/handler.term"
expect "the container's cgroup is empty (or gone)" cg_empty "$DOCKER_CG"
log "report: $(cat "$CASE_DIR/report.json" 2>/dev/null)"
case $(report_field cgroup) in
  "" | null) fail "report cgroup: expected the managed root, got '$(report_field cgroup)'" ;;
  *) echo "ok: report cgroup = $(report_field cgroup)" ;;
esac
expect_eq "report enforced (no cgroup namespace for the program)" "$(report_field enforced)" false
expect_eq "report pids_max" "$(report_field pids_max)" 24
expect_ge "report fork_rejections" "$(report_field fork_rejections)" 1
expect_eq "report drain (the TERM-ignoring daemon needed cgroup.kill)" "$(report_field drain)" killed
expect_eq "'not managing a cgroup' warnings" \
  "$(grep -c 'not managing a cgroup' "$CASE_DIR/user-delegated.log")" 0
expect_eq "cginit's errors" "$(grep -c '^\[cginit\] \[error\]' "$CASE_DIR/user-delegated.log")" 0
pass
