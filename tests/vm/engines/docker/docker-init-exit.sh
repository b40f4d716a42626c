# SPDX-License-Identifier: MIT
# `docker run --init` with dockerd's `--init-path` set to the static cginit, Docker's default
# (read-only cgroupfs, private cgroup namespace): the init is /sbin/docker-init (cginit) -- CMD, and
# `docker run` exits with the program's status.
. /vm/lib.sh
. /vm/engines.sh
docker_setup
out_clear
t0=$(now_cs)
rc=0
docker run --rm --init --network none $(docker_mounts) "$DOCKER_IMAGE" \
  sh -c 'tr "\0" " " </proc/1/cmdline >/out/pid1; exit 7' >"$CASE_DIR/docker.out" \
  2>"$CASE_DIR/docker.err" || rc=$?
log "docker run took $(elapsed_ms "$t0") ms, exit status $rc; its stderr:"
sed 's/^/  | /' "$CASE_DIR/docker.err"
expect_eq "docker run's exit status (the program's)" "$rc" 7
case $(out_line pid1) in
  "/sbin/docker-init -- sh -c "*) echo "ok: PID 1 is /sbin/docker-init -- sh -c ..." ;;
  *) fail "PID 1 is not docker's init: '$(out_line pid1)'" ;;
esac
expect_eq "cginit's errors" "$(grep -c '^\[cginit\] \[error\]' "$CASE_DIR/docker.err")" 0
pass
