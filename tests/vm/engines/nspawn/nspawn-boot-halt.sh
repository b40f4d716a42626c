# SPDX-License-Identifier: MIT
# cginit as the /sbin/init of a systemd-nspawn guest (-b; its options and the program after --):
# the delegated controllers are used (--pids-max lands in payload/workload/pids.max), the program
# sees container=systemd-nspawn, and stopping nspawn (SIGTERM to it, which sends SIGRTMIN+3 to the
# guest's PID 1) is a halt request: the program gets SIGTERM, the workload is drained (setsid
# daemons included) and nspawn exits with the program's status.
. /vm/lib.sh
. /vm/engines.sh
nspawn_setup
nspawn_start -b -- -vv --pids-max 40 --grace 1s --report /out/report.json -- \
  "$WORKLOAD" serve 4 daemons
nspawn_ready 30
case $(out_line pid1) in
  "/sbin/init -vv --pids-max 40 "*) echo "ok: PID 1 is /sbin/init (cginit), given nspawn's arguments" ;;
  *) fail "PID 1 is not cginit as /sbin/init: '$(out_line pid1)'" ;;
esac
expect_eq "the program's container variable" "$(out_line env)" container=systemd-nspawn
expect_eq "cginit's cgroup" "$(cgroup_dir "$NSP_PID1")" "$NSP_PAYLOAD/init"
expect_eq "the program's cgroup (inside, its own cgroup namespace at workload/)" "$(out_line cgroup)" "0::/"
expect "nspawn delegated pids to the container" cg_has "$NSP_PAYLOAD/cgroup.controllers" pids
expect "cginit enabled pids below the container's root" \
  cg_has "$NSP_PAYLOAD/cgroup.subtree_control" pids
expect_eq "payload/workload/pids.max" "$(cat "$NSP_PAYLOAD/workload/pids.max")" 40

nspawn_kill TERM "$NSP_PID"
nspawn_wait 30
expect_eq "systemd-nspawn's exit status (the program's)" "$NSP_RC" 4
expect "cginit got SIGRTMIN+3 (halt) and gave the program SIGTERM" \
  grep -q 'received SIGRTMIN+3, forwarding SIGTERM' "$CASE_DIR/nspawn.out"
expect_eq "the signals the program got" "$(tr '\n' ' ' <"$CASE_DIR/signals")" "TERM "
expect "the TERM-handling setsid daemon got the stop signal" grep -qx TERM "$CASE_DIR/handler.term"
log "report: $(cat "$CASE_DIR/report.json" 2>/dev/null)"
expect_eq "report drain (the TERM-ignoring daemon needed cgroup.kill)" "$(report_field drain)" killed
expect_le "SIGTERM to nspawn's exit, in ms (grace 1 s)" "$NSP_MS" 10000
expect "the container's cgroup is empty" cg_empty "$NSP_PAYLOAD"
pass
