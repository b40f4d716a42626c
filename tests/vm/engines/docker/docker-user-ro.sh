# SPDX-License-Identifier: MIT
# `docker run --init --user 1000:1000` (a non-root init) with Docker's default read-only cgroupfs:
# cginit runs as uid 1000 and, like tini, says in one warning that it manages no cgroup; an orphan
# is reaped and `docker run` exits with the program's status.
. /vm/lib.sh
. /vm/engines.sh
docker_setup
out_clear
chown 1000:1000 "$CASE_DIR" || fail "cannot give $CASE_DIR to uid 1000"
t0=$(now_cs)
rc=0
# shellcheck disable=SC2046 # options without spaces, split on purpose
docker run --rm --init --user 1000:1000 --network none $(docker_mounts) "$DOCKER_IMAGE" \
  /workload.sh orphan 7 >"$CASE_DIR/docker.out" 2>"$CASE_DIR/docker.err" || rc=$?
log "docker run took $(elapsed_ms "$t0") ms, exit status $rc; its stderr:"
sed 's/^/  | /' "$CASE_DIR/docker.err"
expect_eq "docker run's exit status (the program's)" "$rc" 7
case $(out_line pid1) in
  "/sbin/docker-init -- /workload.sh orphan 7"*) echo "ok: PID 1 is /sbin/docker-init -- /workload.sh ..." ;;
  *) fail "PID 1 is not docker's init: '$(out_line pid1)'" ;;
esac
expect_eq "the owner of the program's /out files" "$(stat -c %u "$CASE_DIR/pid1")" 1000
expect_eq "the orphan" "$(out_line orphan)" reaped
expect_eq "cginit's warnings" "$(grep -c '^\[cginit\] \[warning\]' "$CASE_DIR/docker.err")" 1
expect "the warning says why it runs without a cgroup" \
  grep -q '^\[cginit\] \[warning\] not managing a cgroup' "$CASE_DIR/docker.err"
expect_eq "cginit's errors" "$(grep -c '^\[cginit\] \[error\]' "$CASE_DIR/docker.err")" 0
pass
