# SPDX-License-Identifier: MIT
# A reboot request to a systemd-nspawn guest booted with cginit as /sbin/init (SIGRTMIN+5 to the
# guest's PID 1, what `machinectl reboot` sends): cginit drains the workload like a halt, writes its
# report, then ends with reboot(RB_AUTOBOOT), which the kernel turns into "PID 1 killed by SIGHUP"
# for a PID namespace, and systemd-nspawn 252 takes that as a reboot. With --keep-unit (a unit with
# Delegate=yes) it does not restart the guest in place but exits with status 133, for the unit's
# RestartForceExitStatus=133 to start it again. Bounded: a guest that restarted itself would be
# seen as a second start of the program and nspawn still running.
. /vm/lib.sh
. /vm/engines.sh
nspawn_setup
nspawn_start -b -- -vv --grace 1s --report /out/report.json -- "$WORKLOAD" serve 8 daemons
nspawn_ready 30
nspawn_kill 39 "$NSP_PID1" # SIGRTMIN+5 (glibc's SIGRTMIN is 34)
nspawn_wait 30
expect_eq "systemd-nspawn's exit status (a reboot under --keep-unit)" "$NSP_RC" 133
expect "cginit got SIGRTMIN+5 (reboot) and gave the program SIGTERM" \
  grep -q 'received SIGRTMIN+5, forwarding SIGTERM' "$CASE_DIR/nspawn.out"
expect "cginit rebooted the container" grep -q 'reboot requested' "$CASE_DIR/nspawn.out"
expect_eq "the signals the program got" "$(tr '\n' ' ' <"$CASE_DIR/signals")" "TERM "
expect "the TERM-handling setsid daemon got the stop signal" grep -qx TERM "$CASE_DIR/handler.term"
log "report: $(cat "$CASE_DIR/report.json" 2>/dev/null)"
expect_eq "report exit_code (the program's, written before the reboot)" "$(report_field exit_code)" 8
expect_eq "report drain" "$(report_field drain)" killed
expect_eq "starts of the program (nspawn did not restart the guest in place)" \
  "$(wc -l <"$CASE_DIR/starts")" 1
expect "the container's cgroup is empty" cg_empty "$NSP_PAYLOAD"
pass
