# SPDX-License-Identifier: MIT
# cginit not as PID 1, in Docker's shape of a pod with a shared PID namespace: a pause container
# (busybox sleep) owns the PID namespace, and `docker run --pid container:PAUSE` runs cginit in it
# as the command (bind-mounted; Docker adds no --init init to a container that shares a PID
# namespace), a subreaper through tini's TINI_SUBREAPER=1. The cgroupfs is read-only;
# `docker exec` puts two strangers into the container's cgroup (no descendants of cginit, and
# kill(-1) is not cginit's to use). At `docker stop` cginit reads its cgroup's cgroup.procs
# (observer mode): the exec'd TERM handler gets SIGTERM from cginit (runc's shim only SIGKILLs what
# is left after the init exited), the ignorer is killed at the end of the grace, before docker's
# SIGKILL. The report names the observed cgroup and no managed one.
. /vm/lib.sh
. /vm/engines.sh
docker_setup
printf '[report]\npath = "/out/report.json"\n' >"$CASE_DIR/cginit.toml"
DOCKER_NAMES=sub-pause
trap docker_cleanup EXIT
docker run -d --name sub-pause --network none "$DOCKER_IMAGE" sleep 1000000 >/dev/null ||
  fail "docker run of the pause container failed"
docker_detach sub-app --pid container:sub-pause -v "$CGINIT:/cginit:ro" -e TINI_SUBREAPER=1 \
  -e CGINIT_GRACE=2s -e CGINIT_CONFIG=/out/cginit.toml -- /cginit -- /workload.sh serve 5 daemons
DOCKER_NAMES="sub-pause sub-app"
expect_eq "PID 1 of the shared namespace" "$(out_line pid1)" "sleep 1000000 "
docker exec -d sub-app /workload.sh daemon handler stranger-h || fail "docker exec (handler) failed"
docker exec -d sub-app /workload.sh daemon ignorer stranger-i || fail "docker exec (ignorer) failed"
wait_until 30 test -s "$CASE_DIR/stranger-h.pid" -a -s "$CASE_DIR/stranger-i.pid" ||
  fail "the exec'd processes did not start"
docker_stop sub-app
docker_logs sub-app | sed 's/^/  | /'
expect_eq "the container's exit status (the program's, on SIGTERM)" "$DOCKER_RC" 5
expect "the setsid daemon (an escapee, re-parented to cginit) got SIGTERM" \
  grep -qx TERM "$CASE_DIR/handler.term"
expect "the exec'd TERM handler got SIGTERM from cginit" grep -qx TERM "$CASE_DIR/stranger-h.term"
expect "cginit ended the grace itself (docker's SIGKILL after 10 s would make status 137)" \
  grep -q '^\[cginit\] \[warning\] drain: grace period 2s is over' "$CASE_DIR/sub-app.log"
log "report: $(cat "$CASE_DIR/report.json" 2>/dev/null)"
expect_eq "report drain (the TERM ignorers needed SIGKILL)" "$(report_field drain)" killed
expect_eq "report cgroup (nothing managed)" "$(report_field cgroup)" null
case $(report_field observed_cgroup) in
  "" | null) fail "report observed_cgroup: expected the container's cgroup, got '$(report_field observed_cgroup)'" ;;
  *) echo "ok: report observed_cgroup = $(report_field observed_cgroup)" ;;
esac
pass
