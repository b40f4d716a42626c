# SPDX-License-Identifier: MIT
# Rootless podman (uid 1000 with subordinate ids, its cgroup delegated by ownership as systemd's
# user@.service does, cgroupfs manager) with `--init --init-path <static cginit>` and podman's
# default read-only cgroupfs: cginit warns once that it cannot manage the cgroup and runs like
# tini: an orphan is reaped, and `podman run` exits with the program's status.
. /vm/lib.sh
. /vm/engines.sh
rootless_setup
out_clear
t0=$(now_cs)
rc=0
# shellcheck disable=SC2086 # one option
podman run --rm --network none --init --init-path "$CGINIT" $PODMAN_RL_OPTS -v "$CASE_DIR:/out" \
  --rootfs "$ROOTFS" "$WORKLOAD" orphan 7 >"$CASE_DIR/podman.out" 2>"$CASE_DIR/podman.err" || rc=$?
log "podman run (as uid $RL_UID) took $(elapsed_ms "$t0") ms, exit status $rc; its stderr:"
sed 's/^/  | /' "$CASE_DIR/podman.err"
expect_eq "podman run's exit status (the program's)" "$rc" 7
case $(out_line pid1) in
  "/run/podman-init -- $WORKLOAD orphan 7"*) echo "ok: PID 1 is /run/podman-init -- $WORKLOAD ..." ;;
  *) fail "PID 1 is not podman's init: '$(out_line pid1)'" ;;
esac
expect_eq "the owner of the program's /out files (root inside is uid $RL_UID outside)" \
  "$(stat -c %u "$CASE_DIR/pid1")" "$RL_UID"
expect_eq "the orphan" "$(out_line orphan)" reaped
expect_eq "cginit's warnings" "$(grep -c '^\[cginit\] \[warning\]' "$CASE_DIR/podman.err")" 1
expect "the warning says why it runs without a cgroup" \
  grep -q '^\[cginit\] \[warning\] not managing a cgroup.*read-only' "$CASE_DIR/podman.err"
expect_eq "cginit's errors" "$(grep -c '^\[cginit\] \[error\]' "$CASE_DIR/podman.err")" 0
pass
