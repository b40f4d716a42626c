# SPDX-License-Identifier: MIT
# Daemons that left the program's session and process group (setsid) are drained from workload/:
# the one that handles SIGTERM exits cleanly on the stop signal, the one that ignores it is killed
# with cgroup.kill once --grace is over; cginit passes on the program's status and reports the kill.
. /vm/lib.sh
ctr_start -- "$CGINIT" --grace 2s --report "$CASE_DIR/report.json" -- /bin/sh -c \
  "/vm/daemon.sh handle $CASE_DIR/handler && /vm/daemon.sh ignore $CASE_DIR/ignorer &&
   cat /proc/uptime >$CASE_DIR/program.exit && exit 7"
ctr_wait 30
log "report: $(cat "$CASE_DIR/report.json" 2>/dev/null)"
expect_eq "exit status (the program's)" "$CTR_RC" 7
expect "the TERM-handling daemon started" test -s "$CASE_DIR/handler.pid"
expect "the TERM-ignoring daemon started" test -s "$CASE_DIR/ignorer.pid"
expect "the TERM-handling daemon got the stop signal" grep -qx TERM "$CASE_DIR/handler.term"
read -r up _ <"$CASE_DIR/program.exit"
drain=$((CTR_T1 - ${up%.*}${up#*.}))0
expect_ge "program exit to cginit exit, in ms (the ignoring daemon outlived grace 2 s)" "$drain" 2000
expect_le "program exit to cginit exit, in ms (grace 2 s + 1 s)" "$drain" 3000
expect_eq "report drain" "$(report_field drain)" killed
expect_ge "report killed" "$(report_field killed)" 1
expect "container cgroup empty" cg_empty "$CTR"
pass
