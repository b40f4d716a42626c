# SPDX-License-Identifier: MIT
# `docker run --init --privileged` (cgroup2 mounted read-write in the container's cgroup namespace),
# configured through the environment only: cginit manages the container's cgroup (itself in
# init/, the program in workload/ with pids.max from CGINIT_PIDS_MAX), and `docker stop` drains
# workload/: the TERM-handling setsid daemon gets SIGTERM, the ignoring one cgroup.kill at the end
# of the grace, and the container exits with the program's status.
. /vm/lib.sh
. /vm/engines.sh
docker_setup
printf '[report]\npath = "/out/report.json"\n' >"$CASE_DIR/cginit.toml"
docker_detach privileged --init --privileged -e CGINIT_PIDS_MAX=24 -e CGINIT_GRACE=2s \
  -e CGINIT_CONFIG=/out/cginit.toml -- /workload.sh serve 5 daemons
expect_eq "cginit's cgroup" "$(cgroup_dir "$DOCKER_PID")" "$DOCKER_CG/init"
program=$(children "$DOCKER_PID" | cut -d' ' -f1)
expect_eq "the program's cgroup" "$(cgroup_dir "$program")" "$DOCKER_CG/workload"
expect_eq "workload/pids.max" "$(cat "$DOCKER_CG/workload/pids.max")" 24
expect "pids is enabled below the container's cgroup" cg_has "$DOCKER_CG/cgroup.subtree_control" pids
docker_stop privileged
docker_logs privileged | sed 's/^/  | /'
expect_eq "the container's exit status (the program's, on SIGTERM)" "$DOCKER_RC" 5
expect "the TERM-handling setsid daemon got SIGTERM" grep -qx TERM "$CASE_DIR/handler.term"
expect "cginit ended the grace itself (docker's SIGKILL after 10 s would make status 137)" \
  grep -q '^\[cginit\] \[warning\] drain: grace period 2s is over' "$CASE_DIR/privileged.log"
log "report: $(cat "$CASE_DIR/report.json" 2>/dev/null)"
expect_eq "report drain (the TERM-ignoring daemon needed cgroup.kill)" "$(report_field drain)" killed
expect_eq "report pids_max" "$(report_field pids_max)" 24
expect_eq "'not managing a cgroup' warnings" \
  "$(grep -c 'not managing a cgroup' "$CASE_DIR/privileged.log")" 0
pass
