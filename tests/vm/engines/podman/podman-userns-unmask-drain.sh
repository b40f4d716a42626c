# SPDX-License-Identifier: MIT
# A user-namespaced container: rootful podman with `--uidmap 0:100000:65536` (root inside is uid
# 100000 outside, unprivileged on the host), `--init --init-path <static cginit>` and `--security-opt
# unmask=/sys/fs/cgroup`: crun hands the container's cgroup to the mapped root (it chowns the
# directory to uid 100000). cginit manages it without CAP_SYS_ADMIN ("enforced": false),
# CGINIT_PIDS_MAX=32 holds a fork bomb in workload/, and `podman stop` drains everything and returns
# the program's exit status.
. /vm/lib.sh
. /vm/engines.sh
podman_setup
mapped=100000
chown "$mapped:$mapped" "$CASE_DIR" || fail "cannot give $CASE_DIR to uid $mapped"
printf '[report]\npath = "/out/report.json"\n' >"$CASE_DIR/cginit.toml"
# crun makes the mount points (/run/podman-init, /run/.containerenv) as the mapped root: a tree
# that it owns, as podman's storage would give it for an image
rootfs_owned "$mapped"
podman_detach userns-unmask --uidmap 0:$mapped:65536 --gidmap 0:$mapped:65536 --init \
  --init-path "$CGINIT" --security-opt unmask=/sys/fs/cgroup -e CGINIT_PIDS_MAX=32 \
  -e CGINIT_GRACE=1s -e CGINIT_CONFIG=/out/cginit.toml -- "$WORKLOAD" serve 5 daemons bomb
expect_eq "the host uid of the container's PID 1 (root inside)" \
  "$(sed -n 's/^Uid:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$PODMAN_PID/status")" "$mapped"
expect_eq "the container's uid map" "$(tr -s ' ' <"/proc/$PODMAN_PID/uid_map" | sed 's/^ //')" \
  "0 $mapped 65536"
if cap_sys_admin "$PODMAN_PID"; then fail "cginit has CAP_SYS_ADMIN (expected podman's default set)"; fi
echo "ok: cginit runs without CAP_SYS_ADMIN"
expect_eq "the owner of the container's cgroup (crun gave it to the mapped root)" \
  "$(stat -c %u "$PODMAN_CG")" "$mapped"
expect_eq "cginit's cgroup" "$(cgroup_dir "$PODMAN_PID")" "$PODMAN_CG/init"
expect_eq "the program's cgroup (inside; no namespace without CAP_SYS_ADMIN)" "$(out_line cgroup)" "0::/workload"
expect_eq "workload/pids.max" "$(cat "$PODMAN_CG/workload/pids.max")" 32

refused() { sed -n 's/^max //p' "$PODMAN_CG/workload/pids.events"; }
some_refused() { test "$(refused)" -ge 1; }
wait_until 30 some_refused || fail "the fork bomb never hit pids.max"
peak=$(sample_peak 2 "$PODMAN_CG/workload/pids.current")
expect_le "peak pids.current of workload/ while the bomb runs" "$peak" 32
expect_eq "the container's child cgroups" "$(cg_subdirs "$PODMAN_CG")" "init workload "
expect_eq "processes in the container's cgroup itself" "$(cat "$PODMAN_CG/cgroup.procs")" ""

podman_stop
expect_eq "the container's exit status (the program's, on SIGTERM)" "$PODMAN_RC" 5
expect_eq "the signals the program got" "$(tr '\n' ' ' <"$CASE_DIR/signals")" "TERM "
expect_le "podman stop, in ms (before podman's SIGKILL at -t 20)" "$STOP_MS" 19000
expect "the TERM-handling setsid daemon got the stop signal" grep -qx TERM "$CASE_DIR/handler.term"
expect "the container's cgroup is empty (or gone)" cg_empty "$PODMAN_CG"
log "report: $(cat "$CASE_DIR/report.json" 2>/dev/null)"
case $(report_field cgroup) in
  "" | null) fail "report cgroup: expected the managed root, got '$(report_field cgroup)'" ;;
  *) echo "ok: report cgroup = $(report_field cgroup)" ;;
esac
expect_eq "report drain (the TERM-ignoring daemon needed cgroup.kill)" "$(report_field drain)" killed
expect_eq "report enforced (no cgroup namespace)" "$(report_field enforced)" false
expect_ge "report fork_rejections" "$(report_field fork_rejections)" 1
podman_logs >"$CASE_DIR/podman.log"
expect_eq "'not managing a cgroup' warnings" \
  "$(grep -c 'not managing a cgroup' "$CASE_DIR/podman.log")" 0
expect_eq "cginit's errors" "$(grep -c '^\[cginit\] \[error\]' "$CASE_DIR/podman.log")" 0
pass
