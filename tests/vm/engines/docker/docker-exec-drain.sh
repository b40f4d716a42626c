# SPDX-License-Identifier: MIT
# A `docker exec`'d process that ignores SIGTERM (and one that handles it) is drained at
# `docker stop` of a `docker run --init` container (cginit is PID 1, read-only cgroupfs): the exec'd
# processes are no descendants of cginit, but they are in its PID namespace and its cgroup; the
# handler gets SIGTERM, the ignorer is killed at the end of cginit's grace (the report says
# "drain": "killed"), well before docker's SIGKILL after 10 s.
. /vm/lib.sh
. /vm/engines.sh
docker_setup
printf '[report]\npath = "/out/report.json"\n' >"$CASE_DIR/cginit.toml"
docker_detach exec-drain --init -e CGINIT_GRACE=2s -e CGINIT_CONFIG=/out/cginit.toml \
  -- /workload.sh serve 5
docker exec -d exec-drain /workload.sh daemon handler stranger-h || fail "docker exec (handler) failed"
docker exec -d exec-drain /workload.sh daemon ignorer stranger-i || fail "docker exec (ignorer) failed"
wait_until 30 test -s "$CASE_DIR/stranger-h.pid" -a -s "$CASE_DIR/stranger-i.pid" ||
  fail "the exec'd processes did not start"
log "exec'd strangers (container PIDs): handler $(out_line stranger-h.pid), ignorer $(out_line stranger-i.pid)"
docker_stop exec-drain
docker_logs exec-drain | sed 's/^/  | /'
expect_eq "the container's exit status (the program's, on SIGTERM)" "$DOCKER_RC" 5
expect "the exec'd TERM handler got SIGTERM" grep -qx TERM "$CASE_DIR/stranger-h.term"
expect "cginit ended the grace itself (docker's SIGKILL after 10 s would make status 137)" \
  grep -q '^\[cginit\] \[warning\] drain: grace period 2s is over' "$CASE_DIR/exec-drain.log"
log "report: $(cat "$CASE_DIR/report.json" 2>/dev/null)"
expect_eq "report drain (the exec'd TERM ignorer needed SIGKILL)" "$(report_field drain)" killed
pass
