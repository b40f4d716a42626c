# SPDX-License-Identifier: MIT
# A poweroff request to a systemd-nspawn guest booted with cginit as /sbin/init (SIGRTMIN+4 to the
# guest's PID 1, what `machinectl poweroff` sends): the program gets SIGTERM, the workload is
# drained, and nspawn exits with the program's status.
. /vm/lib.sh
. /vm/engines.sh
nspawn_setup
nspawn_start -b -- -vv --grace 1s --report /out/report.json -- "$WORKLOAD" serve 9 daemons
nspawn_ready 30
nspawn_kill 38 "$NSP_PID1" # SIGRTMIN+4 (glibc's SIGRTMIN is 34)
nspawn_wait 30
expect_eq "systemd-nspawn's exit status (the program's)" "$NSP_RC" 9
expect "cginit got SIGRTMIN+4 (poweroff) and gave the program SIGTERM" \
  grep -q 'received SIGRTMIN+4, forwarding SIGTERM' "$CASE_DIR/nspawn.out"
expect_eq "the signals the program got" "$(tr '\n' ' ' <"$CASE_DIR/signals")" "TERM "
expect "the TERM-handling setsid daemon got the stop signal" grep -qx TERM "$CASE_DIR/handler.term"
log "report: $(cat "$CASE_DIR/report.json" 2>/dev/null)"
expect_eq "report drain" "$(report_field drain)" killed
expect_eq "starts of the program (no reboot)" "$(wc -l <"$CASE_DIR/starts")" 1
expect "the container's cgroup is empty" cg_empty "$NSP_PAYLOAD"
pass
