# SPDX-License-Identifier: MIT
# `ctr task kill` (SIGTERM, what the kubelet's container stop sends first) of a containerd + runc
# container whose PID 1 is cginit and whose program left two setsid daemons: the program gets the
# SIGTERM, the TERM-handling daemon gets it at drain, the TERM-ignoring one is killed at the end
# of the grace (2 s), and the task exits with the program's status.
. /vm/lib.sh
. /vm/engines.sh
ctrd_setup
out_clear
ctrd_run cginit-kill --env CGINIT_GRACE=2s -- /cginit -- /workload.sh serve 5 daemons
out_ready 60 || fail "the program in the container did not get ready"
t0=$(now_cs)
ctr task kill cginit-kill || fail "ctr task kill exited with status $?"
ctrd_wait cginit-kill 30
stop_ms=$(elapsed_ms "$t0")
expect_eq "the task's exit status (the program's, on SIGTERM)" "$CTRD_RC" 5
expect_eq "the signals the program got" "$(tr '\n' ' ' <"$CASE_DIR/signals")" "TERM "
expect "the TERM-handling setsid daemon got SIGTERM" grep -qx TERM "$CASE_DIR/handler.term"
expect_le "from ctr task kill to the task's end, in ms (grace 2 s)" "$stop_ms" 8000
expect_eq "cginit's errors" "$(grep -c '^\[cginit\] \[error\]' "$CASE_DIR/cginit-kill.err")" 0
pass
