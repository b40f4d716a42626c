# SPDX-License-Identifier: MIT
# Rootless podman (uid 1000, its cgroup delegated by ownership, cgroupfs manager) with
# `--systemd=always` and cginit as the command: the cgroup is writable for the container's root (uid
# 1000 outside, no CAP_SYS_ADMIN), cginit builds init/ + workload/ with CGINIT_PIDS_MAX, and `podman
# stop` (SIGRTMIN+3) drains the workload and returns the program's exit status.
. /vm/lib.sh
. /vm/engines.sh
rootless_setup
printf '[report]\npath = "/out/report.json"\n' >"$CASE_DIR/cginit.toml"
podman_detach rl-systemd --systemd=always "$PODMAN_RL_OPTS" -e CGINIT_PIDS_MAX=48 -e CGINIT_VERBOSITY=debug \
  -e CGINIT_GRACE=1s -e CGINIT_CONFIG=/out/cginit.toml -- /sbin/cginit -- "$WORKLOAD" serve 6 daemons
expect_eq "the host uid of the container's PID 1" \
  "$(sed -n 's/^Uid:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$PODMAN_PID/status")" "$RL_UID"
case $PODMAN_CG in
  "$RL_CG/containers/"*) echo "ok: the container's cgroup is below the user's: ${PODMAN_CG#"$CG"}" ;;
  *) fail "the container's cgroup ${PODMAN_CG#"$CG"} is not below ${RL_CG#"$CG"}/containers" ;;
esac
expect_eq "cginit's cgroup" "$(cgroup_dir "$PODMAN_PID")" "$PODMAN_CG/init"
expect_eq "workload/pids.max" "$(cat "$PODMAN_CG/workload/pids.max")" 48
expect_eq "the container's child cgroups" "$(cg_subdirs "$PODMAN_CG")" "init workload "

podman_stop
podman_logs >"$CASE_DIR/podman.log"
expect "cginit got SIGRTMIN+3 and forwarded SIGTERM" \
  grep -q 'received SIGRTMIN+3, forwarding SIGTERM' "$CASE_DIR/podman.log"
expect_eq "the container's exit status (the program's, on SIGTERM)" "$PODMAN_RC" 6
expect_eq "the signals the program got" "$(tr '\n' ' ' <"$CASE_DIR/signals")" "TERM "
expect "the TERM-handling setsid daemon got the stop signal" grep -qx TERM "$CASE_DIR/handler.term"
log "report: $(cat "$CASE_DIR/report.json" 2>/dev/null)"
expect_eq "report drain (the TERM-ignoring daemon needed cgroup.kill)" "$(report_field drain)" killed
expect_eq "report enforced (no cgroup namespace)" "$(report_field enforced)" false
pass
