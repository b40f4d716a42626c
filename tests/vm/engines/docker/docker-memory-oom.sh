# SPDX-License-Identifier: MIT
# `docker run --init --memory 32m` with a child of the program that allocates 64 MiB, Docker's
# default read-only cgroupfs: the kernel's OOM killer ends the hog (status 137), cginit watches
# its cgroup's memory.events (observer mode), logs the OOM kill, and its report counts it.
. /vm/lib.sh
. /vm/engines.sh
need_cmd "$MEMHOG"
docker_setup
printf '[report]\npath = "/out/report.json"\n' >"$CASE_DIR/cginit.toml"
docker_detach memory-oom --init --memory 32m -e CGINIT_GRACE=2s -e CGINIT_CONFIG=/out/cginit.toml \
  -- /workload.sh serve 5 hog
expect_eq "memory.max of the container's cgroup" "$(cat "$DOCKER_CG/memory.max")" $((32 * 1024 * 1024))
wait_until 60 test -s "$CASE_DIR/hog.rc" || fail "the memory hog was not ended within 60 s"
expect_eq "the hog's exit status (SIGKILL by the OOM killer)" "$(out_line hog.rc)" 137
log "memory.events: $(tr '\n' ' ' <"$DOCKER_CG/memory.events")"
warned() { docker logs memory-oom 2>&1 | grep -qi '^\[cginit\] \[warning\].*oom'; }
wait_until 10 warned || {
  docker_logs memory-oom | sed 's/^/  | /'
  fail "cginit logged no OOM warning within 10 s of the OOM kill"
}
docker_stop memory-oom
docker_logs memory-oom | grep '^\[cginit\]' | sed 's/^/  | /'
expect_eq "the container's exit status (the program's, on SIGTERM)" "$DOCKER_RC" 5
log "report: $(cat "$CASE_DIR/report.json" 2>/dev/null)"
expect_ge "report oom_kills" "$(report_field oom_kills)" 1
expect_eq "report cgroup (nothing managed)" "$(report_field cgroup)" null
pass
