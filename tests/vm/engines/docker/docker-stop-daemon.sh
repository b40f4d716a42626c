# SPDX-License-Identifier: MIT
# `docker stop` of a `docker run --init` container whose program left two setsid daemons, one that
# handles SIGTERM and one that ignores it, in Docker's default setting (read-only cgroupfs): cginit
# forwards docker's SIGTERM to the program, then drains the PID namespace: the handling daemon gets
# SIGTERM (it writes a file from its trap), the ignoring one is killed at the end of cginit's grace
# (CGINIT_GRACE=2s), and the container stops before docker's own SIGKILL after 10 s (which
# would make the status 137).
. /vm/lib.sh
. /vm/engines.sh
docker_setup
docker_detach stop-daemon --init -e CGINIT_GRACE=2s -- /workload.sh serve 5 daemons
handler=$(out_line handler.pid)
ignorer=$(out_line ignorer.pid)
log "daemons (container PIDs): handler $handler, ignorer $ignorer"
docker_stop stop-daemon
docker_logs stop-daemon | sed 's/^/  | /'
expect_eq "the container's exit status (the program's, on SIGTERM)" "$DOCKER_RC" 5
expect_eq "the signals the program got" "$(tr '\n' ' ' <"$CASE_DIR/signals")" "TERM "
expect "the TERM-handling setsid daemon got SIGTERM" grep -qx TERM "$CASE_DIR/handler.term"
expect "cginit ended the grace itself (docker's SIGKILL after 10 s would make status 137)" \
  grep -q '^\[cginit\] \[warning\] drain: grace period 2s is over' "$CASE_DIR/stop-daemon.log"
expect_eq "cginit's errors" "$(grep -c '^\[cginit\] \[error\]' "$CASE_DIR/stop-daemon.log")" 0
pass
