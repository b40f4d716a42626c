# SPDX-License-Identifier: MIT
# `docker run --init --pids-limit 20` with a fork bomb in the program, Docker's default read-only
# cgroupfs: cginit manages nothing but watches its cgroup's pids.events (observer mode) and logs
# that the engine's limit (pids.max 20) refused forks; the report counts them. `docker stop` is
# answered at once: the drain's SIGTERM ends the bomb, nothing waits for the grace (30 s) or for
# docker's SIGKILL (-t 60), and the report's drain is "clean".
. /vm/lib.sh
. /vm/engines.sh
docker_setup
printf '[report]\npath = "/out/report.json"\n' >"$CASE_DIR/cginit.toml"
docker_detach pids-limit --init --pids-limit 20 -e CGINIT_GRACE=30s \
  -e CGINIT_CONFIG=/out/cginit.toml -- /workload.sh serve 5 bomb
expect_eq "pids.max of the container's cgroup" "$(cat "$DOCKER_CG/pids.max")" 20
refused() { sed -n 's/^max //p' "$DOCKER_CG/pids.events"; }
wait_until 30 test "$(refused)" -ge 1 || fail "the fork bomb never hit pids.max"
warned() { docker logs pids-limit 2>&1 | grep -q '^\[cginit\] \[warning\].*fork refused'; }
wait_until 20 warned || {
  docker_logs pids-limit | sed 's/^/  | /'
  fail "cginit logged no 'fork refused' warning within 20 s of the first refused fork"
}
docker_stop pids-limit 60
docker_logs pids-limit | grep '^\[cginit\]' | sed 's/^/  | /'
expect "the warning names the limit (pids.max=20)" \
  grep -q '^\[cginit\] \[warning\].*fork refused.*20' "$CASE_DIR/pids-limit.log"
expect_le "fork-refused warnings (at most one a second)" \
  "$(grep -c '^\[cginit\] \[warning\].*fork refused' "$CASE_DIR/pids-limit.log")" 30
expect_eq "the container's exit status (the program's, on SIGTERM)" "$DOCKER_RC" 5
expect_le "docker stop, in ms (at once: well within cginit's grace of 30 s)" "$STOP_MS" 20000
log "report: $(cat "$CASE_DIR/report.json" 2>/dev/null)"
expect_eq "report drain (SIGTERM was enough)" "$(report_field drain)" clean
expect_ge "report fork_rejections" "$(report_field fork_rejections)" 1
expect_eq "report cgroup (nothing managed)" "$(report_field cgroup)" null
pass
