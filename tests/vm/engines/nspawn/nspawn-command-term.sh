# SPDX-License-Identifier: MIT
# cginit as a plain command of systemd-nspawn (no -b): with --kill-signal=SIGTERM, stopping nspawn
# sends SIGTERM to cginit (without it, nspawn SIGKILLs PID 1), which forwards it, drains the
# workload (setsid daemons included) and passes on the program's status; --pids-max lands in the
# delegated payload/workload/, and the program sees container=systemd-nspawn.
. /vm/lib.sh
. /vm/engines.sh
nspawn_setup
nspawn_start --kill-signal=SIGTERM -- /sbin/cginit -vv --pids-max 24 --grace 1s \
  --report /out/report.json -- "$WORKLOAD" serve 6 daemons
nspawn_ready 30
case $(out_line pid1) in
  "/sbin/cginit -vv --pids-max 24 "*) echo "ok: PID 1 is /sbin/cginit" ;;
  *) fail "PID 1 is not cginit: '$(out_line pid1)'" ;;
esac
expect_eq "the program's container variable" "$(out_line env)" container=systemd-nspawn
expect_eq "cginit's cgroup" "$(cgroup_dir "$NSP_PID1")" "$NSP_PAYLOAD/init"
expect_eq "the program's cgroup (inside, its own cgroup namespace at workload/)" "$(out_line cgroup)" "0::/"
expect_eq "payload/workload/pids.max" "$(cat "$NSP_PAYLOAD/workload/pids.max")" 24

nspawn_kill TERM "$NSP_PID"
nspawn_wait 30
expect_eq "systemd-nspawn's exit status (the program's)" "$NSP_RC" 6
expect "cginit got SIGTERM and forwarded it" \
  grep -q 'received SIGTERM, forwarding SIGTERM' "$CASE_DIR/nspawn.out"
expect_eq "the signals the program got" "$(tr '\n' ' ' <"$CASE_DIR/signals")" "TERM "
expect "the TERM-handling setsid daemon got the stop signal" grep -qx TERM "$CASE_DIR/handler.term"
log "report: $(cat "$CASE_DIR/report.json" 2>/dev/null)"
expect_eq "report drain (the TERM-ignoring daemon needed cgroup.kill)" "$(report_field drain)" killed
expect_le "SIGTERM to nspawn's exit, in ms (grace 1 s)" "$NSP_MS" 10000
expect "the container's cgroup is empty" cg_empty "$NSP_PAYLOAD"
pass
