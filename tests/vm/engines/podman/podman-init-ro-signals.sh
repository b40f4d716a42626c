# SPDX-License-Identifier: MIT
# Signals reach the program through podman's --init with the default read-only cgroupfs:
# `podman kill -s USR1` is forwarded, `podman stop` (SIGTERM) is forwarded and the program's exit
# status is the container's; cginit logged one warning (the cgroup) and nothing else.
. /vm/lib.sh
. /vm/engines.sh
podman_setup
podman_detach ro-signals --init --init-path "$CGINIT" -- "$WORKLOAD" serve 3
podman kill -s USR1 "$PODMAN_NAME" >/dev/null || fail "podman kill -s USR1 exited with status $?"
wait_until 20 grep -qx USR1 "$CASE_DIR/signals" || fail "the program never got SIGUSR1"
echo "ok: podman kill -s USR1 reached the program"
expect_eq "the container is still running" \
  "$(podman inspect --format '{{.State.Running}}' "$PODMAN_NAME")" true
podman_stop
expect_eq "the container's exit status (the program's, on SIGTERM)" "$PODMAN_RC" 3
expect_eq "the signals the program got" "$(tr '\n' ' ' <"$CASE_DIR/signals")" "USR1 TERM "
expect_le "podman stop, in ms (before podman's SIGKILL at -t 20)" "$STOP_MS" 19000
podman_logs >"$CASE_DIR/podman.log"
expect_eq "cginit's log lines (the one warning)" "$(grep -c '^\[cginit\]' "$CASE_DIR/podman.log")" 1
expect "the warning is about the cgroup" grep -q 'not managing a cgroup' "$CASE_DIR/podman.log"
pass
