# SPDX-License-Identifier: MIT
# containerd + runc (the io.containerd.runc.v2 shim, what Kubernetes nodes run), through ctr: cginit
# bind-mounted at /cginit is the container's command and so its PID 1; the cgroupfs is read-only
# (containerd's default). cginit warns once that it manages nothing, and `ctr run` exits with the
# program's status.
. /vm/lib.sh
. /vm/engines.sh
ctrd_setup
out_clear
t0=$(now_cs)
rc=0
# shellcheck disable=SC2046 # options without spaces, split on purpose
ctr run --rm --no-pivot $(ctrd_mounts) "$CTRD_IMAGE" cginit-exit /cginit -- \
  sh -c 'tr "\0" " " </proc/1/cmdline >/out/pid1; exit 7' </dev/null >"$CASE_DIR/ctr.out" \
  2>"$CASE_DIR/ctr.err" || rc=$?
log "ctr run took $(elapsed_ms "$t0") ms, exit status $rc; its stderr:"
sed 's/^/  | /' "$CASE_DIR/ctr.err"
expect_eq "ctr run's exit status (the program's)" "$rc" 7
case $(out_line pid1) in
  "/cginit -- sh -c "*) echo "ok: PID 1 is /cginit -- sh -c ..." ;;
  *) fail "PID 1 is not cginit: '$(out_line pid1)'" ;;
esac
expect "cginit says why it manages no cgroup (read-only)" \
  grep -q '^\[cginit\] \[warning\] not managing a cgroup.*read-only' "$CASE_DIR/ctr.err"
expect_eq "cginit's errors" "$(grep -c '^\[cginit\] \[error\]' "$CASE_DIR/ctr.err")" 0
pass
