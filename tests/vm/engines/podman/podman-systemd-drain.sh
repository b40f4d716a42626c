# SPDX-License-Identifier: MIT
# `podman run --systemd=always` with cginit as the container's command (podman refuses --init with
# it): the cgroup is writable, cginit builds init/ + workload/ with CGINIT_PIDS_MAX, and `podman
# stop` sends SIGRTMIN+3, which cginit turns into SIGTERM for the program and a drain of the
# workload, setsid daemons included; podman reports the program's exit status.
. /vm/lib.sh
. /vm/engines.sh
podman_setup
printf '[report]\npath = "/out/report.json"\n' >"$CASE_DIR/cginit.toml"
podman_detach systemd-drain --systemd=always -e CGINIT_PIDS_MAX=48 -e CGINIT_GRACE=1s \
  -e CGINIT_CONFIG=/out/cginit.toml -e CGINIT_VERBOSITY=debug \
  -- /sbin/cginit -- "$WORKLOAD" serve 6 daemons
expect_eq "podman's stop signal for --systemd=always (SIGRTMIN+3)" \
  "$(podman inspect --format '{{.Config.StopSignal}}' "$PODMAN_NAME")" 37
case $(out_line pid1) in
  "/sbin/cginit -- $WORKLOAD serve 6 daemons"*) echo "ok: PID 1 is /sbin/cginit" ;;
  *) fail "PID 1 is not cginit: '$(out_line pid1)'" ;;
esac
expect_eq "cginit's cgroup" "$(cgroup_dir "$PODMAN_PID")" "$PODMAN_CG/init"
# podman's default capabilities lack CAP_SYS_ADMIN, which CLONE_NEWCGROUP needs: the program runs
# without a cgroup namespace of its own (cginit warns), so it sees its real path.
expect_eq "the program's cgroup (inside; no namespace without CAP_SYS_ADMIN)" "$(out_line cgroup)" "0::/workload"
expect_eq "workload/pids.max" "$(cat "$PODMAN_CG/workload/pids.max")" 48

podman_stop
podman_logs >"$CASE_DIR/podman.log"
expect "cginit warned that the program has no cgroup namespace" \
  grep -q 'clone3(CLONE_NEWCGROUP).*lacks CAP_SYS_ADMIN' "$CASE_DIR/podman.log"
expect "cginit got SIGRTMIN+3 and forwarded SIGTERM" \
  grep -q 'received SIGRTMIN+3, forwarding SIGTERM' "$CASE_DIR/podman.log"
expect_eq "the container's exit status (the program's, on SIGTERM)" "$PODMAN_RC" 6
expect_eq "the signals the program got" "$(tr '\n' ' ' <"$CASE_DIR/signals")" "TERM "
expect_le "podman stop, in ms (before podman's SIGKILL at -t 20)" "$STOP_MS" 19000
expect "the TERM-handling setsid daemon got the stop signal" grep -qx TERM "$CASE_DIR/handler.term"
log "report: $(cat "$CASE_DIR/report.json" 2>/dev/null)"
expect_eq "report drain (the TERM-ignoring daemon needed cgroup.kill)" "$(report_field drain)" killed
expect_ge "report killed" "$(report_field killed)" 1
expect_eq "report enforced (no cgroup namespace)" "$(report_field enforced)" false
pass
