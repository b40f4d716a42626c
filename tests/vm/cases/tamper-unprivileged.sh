# SPDX-License-Identifier: MIT
# Issue 23 item 2: cginit as uid 0 without CAP_SYS_ADMIN (Docker's and podman's default set) in a
# writable cgroup cannot give the program a cgroup namespace, so the kernel lets the program (root)
# change its limits and leave workload/. cginit answers: the program moves itself into init/, into
# a cgroup it made beside workload/ and one below that (each moved back), writes memory.max
# (restored), disables pids in the root's cgroup.subtree_control (enabled again, limits written
# again), then writes "max" into workload/pids.max and forks 200 processes (pids.max restored:
# the cap holds within a few processes). A `docker exec`-style stranger (its parent outside the PID
# namespace) put into init/ stays there, can fork while the workload is at its cap, and is drained
# at stop. The report counts every change undone in "tampered"; "enforced" is false.
. /vm/lib.sh
need_cmd /usr/bin/setpriv
cat >"$CASE_DIR/prog.sh" <<'PROG'
R=$1
cg=/sys/fs/cgroup
grep '^0::' /proc/self/cgroup >"$R.cgroup"
# back NAME DIR: a child moves itself into DIR, then waits to find itself in workload/ again
# (builtins only: a process it forked outside workload/ would be moved back and counted too);
# records "NAME 0" when it was moved back.
back() {
  sh -c "echo \$\$ >$2/cgroup.procs || exit 1
    i=0
    while [ \$i -lt 200000 ]; do
      read -r l </proc/self/cgroup
      [ \"\$l\" = 0::/workload ] && exit 0
      i=\$((i + 1))
    done
    exit 2" 2>>"$R.err"
  echo "$1 $?" >>"$R"
}
back to_init $cg/init
mkdir $cg/free
back to_free $cg/free
mkdir $cg/free/deep
back to_deep $cg/free/deep
echo 1G >$cg/workload/memory.max
i=0
while [ $i -lt 100 ] && [ "$(cat $cg/workload/memory.max)" != 268435456 ]; do sleep 0.05; i=$((i + 1)); done
echo "memory_max $(cat $cg/workload/memory.max)" >>"$R"
# Disabling pids in the root removes workload/pids.max with it: enabled again, written again.
echo -pids >$cg/cgroup.subtree_control 2>>"$R.err"
i=0
while [ $i -lt 100 ] && [ "$(cat $cg/workload/pids.max 2>/dev/null)" != 32 ]; do sleep 0.05; i=$((i + 1)); done
echo "pids_enabled $(cat $cg/workload/pids.max 2>/dev/null)" >>"$R"
echo done >>"$R"
# Wait for the runtime side's stranger, then lift pids.max and fork 200 (ash gives up at the
# first fork refused).
while [ ! -e "$R.go" ]; do sleep 0.05; done
echo max >$cg/workload/pids.max
(exec 2>/dev/null; i=0; while [ $i -lt 200 ]; do sleep 1000 & i=$((i + 1)); done)
echo bombed >>"$R"
exec sleep 1000
PROG
ctr_start --drop-cap sys_admin -- "$CGINIT" --pids-max 32 --limit memory.max=256M --grace 2s \
  --report "$CASE_DIR/report.json" -- /bin/sh "$CASE_DIR/prog.sh" "$CASE_DIR/r"
wait_until 90 grep -q '^done$' "$CASE_DIR/r" 2>/dev/null || fail "the program did not finish: $(cat "$CASE_DIR/r" 2>/dev/null)"
log "program results: $(tr '\n' ';' <"$CASE_DIR/r") errors: $(cat "$CASE_DIR/r.err" 2>/dev/null)"
grep -q 'lacks CAP_SYS_ADMIN' "$CASE_DIR/stderr" || fail "cginit had CAP_SYS_ADMIN: $(cat "$CASE_DIR/stderr")"
expect_eq "the program's /proc/self/cgroup (no namespace of its own)" "$(cat "$CASE_DIR/r.cgroup")" "0::/workload"
result() { sed -n "s/^$1 //p" "$CASE_DIR/r"; }
for m in to_init to_free to_deep; do
  expect_eq "moved itself $m, moved back into workload/" "$(result $m)" 0
done
expect_eq "memory.max written back (what the program read)" "$(result memory_max)" 268435456
expect_eq "workload/memory.max" "$(cat "$CTR/workload/memory.max")" 268435456
expect_eq "pids disabled in the root: enabled again, workload/pids.max written again" "$(result pids_enabled)" 32
expect_eq "init/pids.max written again" "$(cat "$CTR/init/pids.max")" 64

# The stranger: nsenter's child is in the PID namespace, its parent (nsenter) outside. It forks a
# `sleep` every 0.1 s and counts them.
/usr/bin/nsenter -t "$CTR_PID1" -p -m -C -- /bin/sh -c \
  "trap 'echo TERM >$CASE_DIR/stranger.term; exit 0' TERM; while :; do sleep 0.1 && echo >>$CASE_DIR/stranger.ticks; done" \
  >"$CASE_DIR/stranger.out" 2>&1 &
enter_pid=$!
wait_until 10 has_children "$enter_pid" || fail "nsenter did not start the stranger"
stranger=$(children "$enter_pid" | cut -d' ' -f1)
echo "$stranger" >"$CTR/init/cgroup.procs" || fail "cannot put the stranger into init/"
nspid=$(sed -n 's/^NSpid:.*[[:space:]]\([0-9][0-9]*\)$/\1/p' "/proc/$stranger/status")
expect_eq "the stranger's PPid in the container (its parent is outside)" \
  "$(/usr/bin/nsenter -t "$CTR_PID1" -p -m -- sed -n 's/^PPid:[[:space:]]*//p' "/proc/$nspid/status")" 0

: >"$CASE_DIR/r.go"
wait_until 60 grep -q '^bombed$' "$CASE_DIR/r" || fail "the fork bomb did not end"
forks_refused() { [ "$(sed -n 's/^max //p' "$CTR/workload/pids.events")" -ge 1 ] 2>/dev/null; }
wait_until 20 forks_refused || fail "no fork was refused: pids.max $(cat "$CTR/workload/pids.max")"
expect_eq "workload/pids.max written back" "$(cat "$CTR/workload/pids.max")" 32
peak=$(cat "$CTR/workload/pids.peak" 2>/dev/null || cat "$CTR/workload/pids.current")
log "workload/ after the bomb: pids.current $(cat "$CTR/workload/pids.current"), peak $peak"
expect_le "pids.current in workload/ after the bomb (32 + a few)" "$(cat "$CTR/workload/pids.current")" 40
expect_le "pids.peak in workload/ (32 + a few)" "$peak" 40
expect "the stranger is still in init/" grep -q '/init$' "/proc/$stranger/cgroup"
ticks=$(wc -l <"$CASE_DIR/stranger.ticks")
wait_until 10 sh -c "[ \$(wc -l <'$CASE_DIR/stranger.ticks') -gt $ticks ]" ||
  fail "the stranger in init/ cannot fork while the workload is at its cap"
log "stderr: $(grep -c 'tampering undone' "$CASE_DIR/stderr") warning(s): $(grep 'tampering undone' "$CASE_DIR/stderr" | head -n 3)"
expect "a warning names what was undone" grep -q 'tampering undone: .*moved it back' "$CASE_DIR/stderr"

kill -TERM "$CTR_PID1"
ctr_wait 30
expect_eq "exit status (the program's SIGTERM)" "$CTR_RC" 143
expect "the stranger in init/ got the stop signal during drain" grep -qx TERM "$CASE_DIR/stranger.term"
expect "no error logged" test -z "$(grep -i '\[error\]' "$CASE_DIR/stderr")"
expect "container cgroup empty" cg_empty "$CTR"
expect_eq "cgroups left in the container (free/ and free/deep/ removed)" "$(find "$CTR" -mindepth 1 -type d | wc -l)" 0
log "report: $(cat "$CASE_DIR/report.json")"
expect_eq "report enforced" "$(report_field enforced)" false
# to_init, to_free, to_deep, memory.max; pids enabled again with workload/ and init/ pids.max;
# workload/pids.max before the bomb.
expect_eq "report tampered" "$(report_field tampered)" 8
wait "$enter_pid" 2>/dev/null
pass
