# SPDX-License-Identifier: MIT
# `podman run --init --init-path <static cginit> --security-opt unmask=/sys/fs/cgroup` (a writable
# cgroup2 with --init), configured only through the environment: cginit builds init/ + workload/,
# CGINIT_PIDS_MAX=32 contains a fork bomb (pids.current of workload/ never above 32, the "fork
# refused" warning is logged), and `podman stop` (SIGTERM) drains the workload: the setsid daemon
# that handles SIGTERM gets it, the one that ignores it is killed after CGINIT_GRACE, the bomb is
# gone, and podman reports the program's exit status.
. /vm/lib.sh
. /vm/engines.sh
podman_setup
printf '[report]\npath = "/out/report.json"\n' >"$CASE_DIR/cginit.toml"
podman_detach unmask-drain --init --init-path "$CGINIT" --security-opt unmask=/sys/fs/cgroup \
  -e CGINIT_PIDS_MAX=32 -e CGINIT_GRACE=1s -e CGINIT_CONFIG=/out/cginit.toml \
  -- "$WORKLOAD" serve 5 daemons bomb
expect_eq "cginit's cgroup" "$(cgroup_dir "$PODMAN_PID")" "$PODMAN_CG/init"
# podman's default capabilities lack CAP_SYS_ADMIN, which CLONE_NEWCGROUP needs: the program runs
# without a cgroup namespace of its own (cginit warns), so it sees its real path.
expect_eq "the program's cgroup (inside; no namespace without CAP_SYS_ADMIN)" "$(out_line cgroup)" "0::/workload"
expect_eq "workload/pids.max" "$(cat "$PODMAN_CG/workload/pids.max")" 32
expect "pids is enabled below the container's cgroup" cg_has "$PODMAN_CG/cgroup.subtree_control" pids

refused() { sed -n 's/^max //p' "$PODMAN_CG/workload/pids.events"; }
wait_until 20 test "$(refused)" -ge 1 || fail "the fork bomb never hit pids.max"
peak=$(sample_peak 2 "$PODMAN_CG/workload/pids.current")
expect_le "peak pids.current of workload/ while the bomb runs" "$peak" 32
expect_ge "forks refused at pids.max (pids.events max)" "$(refused)" 1

podman_stop
expect_eq "the container's exit status (the program's, on SIGTERM)" "$PODMAN_RC" 5
expect_eq "the signals the program got" "$(tr '\n' ' ' <"$CASE_DIR/signals")" "TERM "
expect_le "podman stop, in ms (before podman's SIGKILL at -t 20)" "$STOP_MS" 19000
expect "the TERM-handling setsid daemon got the stop signal" grep -qx TERM "$CASE_DIR/handler.term"
log "report: $(cat "$CASE_DIR/report.json" 2>/dev/null)"
expect_eq "report drain (the TERM-ignoring daemon needed cgroup.kill)" "$(report_field drain)" killed
expect_ge "report killed" "$(report_field killed)" 1
expect_eq "report enforced (no cgroup namespace)" "$(report_field enforced)" false
expect_eq "report pids_max" "$(report_field pids_max)" 32
expect_ge "report fork_rejections" "$(report_field fork_rejections)" 1
podman_logs >"$CASE_DIR/podman.log"
expect "cginit warned that the program has no cgroup namespace" \
  grep -q 'clone3(CLONE_NEWCGROUP).*lacks CAP_SYS_ADMIN' "$CASE_DIR/podman.log"
expect "cginit logged the refused forks" \
  grep -q '^\[cginit\] \[warning\] fork refused' "$CASE_DIR/podman.log"
expect_eq "'not managing a cgroup' warnings" \
  "$(grep -c 'not managing a cgroup' "$CASE_DIR/podman.log")" 0
pass
