# SPDX-License-Identifier: MIT
# Issue 12: the program (root, writable cgroupfs) runs in a cgroup namespace rooted at workload/.
# With nsdelegate it tries to raise workload/pids.max and memory.max, to write workload/cgroup.kill
# and cgroup.freeze, to move into init/, the root and a cgroup it made beside workload/: the kernel
# refuses each (EPERM for the files, ENOENT for the moves), and a fork bomb after that stays at
# pids.max; "enforced": true, "tampered": 0. Without nsdelegate: the warning, "enforced": false,
# the writes and moves work (what the kernel allows), but cginit undoes them (issue 23): the limits
# are written back, the movers moved back into workload/, so the bomb still stops at pids.max (a
# few more at most), "tampered" counts it; the drain still leaves nothing.
. /vm/lib.sh
cat >"$CASE_DIR/prog.sh" <<'PROG'
R=$1
cg=/sys/fs/cgroup
grep '^0::' /proc/self/cgroup >"$R.cgroup"
# try NAME FILE VALUE: writes VALUE into FILE from a child shell; records "NAME ok" or the error.
try() {
  if out=$(sh -c "echo $3 >$2" 2>&1); then echo "$1 ok"; else echo "$1 refused: $out"; fi >>"$R"
}
try pids_max $cg/workload/pids.max max
try memory_max $cg/workload/memory.max max
if [ "$2" = 1 ]; then # without nsdelegate these would kill or freeze the program itself
  try kill $cg/workload/cgroup.kill 1
  try freeze $cg/workload/cgroup.freeze 1
fi
mkdir $cg/free 2>>"$R.mkdir"
# move NAME DIR: a sleeper that moves itself into DIR, then stays (an escapee when it worked).
move() {
  sh -c "echo \$\$ >$2/cgroup.procs || exit 1; exec sleep 1000" 2>"$R.$1" &
  mpid=$!
  i=0
  while [ $i -lt 100 ] && [ ! -s "$R.$1" ] && [ "$(cat /proc/$mpid/cgroup 2>/dev/null)" = "0::/" ]; do
    sleep 0.05
    i=$((i + 1))
  done
  if [ -s "$R.$1" ]; then echo "$1 refused: $(cat "$R.$1")"; else echo "$1 ok"; fi >>"$R"
}
move to_init $cg/init
move to_root $cg
move to_free $cg/free
# A sub-cgroup of its own under workload/ works.
mkdir $cg/workload/own && sh -c "echo \$\$ >$cg/workload/own/cgroup.procs && grep '^0::' /proc/self/cgroup" >"$R.own" 2>&1
echo "own $?" >>"$R"
echo done >>"$R"
# The fork bomb, after all of the above (ash gives up at the first fork refused).
(exec 2>/dev/null; i=0; while [ $i -lt 200 ]; do sleep 1000 & i=$((i + 1)); done)
exec sleep 1000
PROG
ctr_start -- "$CGINIT" --pids-max 32 --limit memory.max=256M --grace 1s \
  --report "$CASE_DIR/report.json" -- /bin/sh "$CASE_DIR/prog.sh" "$CASE_DIR/r" "$NSDELEGATE"
wait_until 60 grep -q '^done$' "$CASE_DIR/r" 2>/dev/null || fail "the program did not finish: $(cat "$CASE_DIR/r" 2>/dev/null)"
# The bomb ran into pids.max (forks refused): the kernel kept it, or without nsdelegate cginit
# wrote it back.
bomb_ran() { [ "$(sed -n 's/^max //p' "$CTR/workload/pids.events")" -ge 1 ] 2>/dev/null; }
wait_until 60 bomb_ran || fail "the fork bomb did not run: pids.current $(cat "$CTR/workload/pids.current")"
log "program results: $(tr '\n' ';' <"$CASE_DIR/r")"
expect_eq "the program's /proc/self/cgroup" "$(cat "$CASE_DIR/r.cgroup")" "0::/"
result() { sed -n "s/^$1 //p" "$CASE_DIR/r"; }
if [ "$NSDELEGATE" = 1 ]; then
  for f in pids_max memory_max kill freeze; do
    expect "$f refused with EPERM" sh -c "sed -n 's/^$f //p' '$CASE_DIR/r' | grep -q 'refused: .*Operation not permitted'"
  done
  for m in to_init to_root to_free; do
    expect "move $m refused with ENOENT" sh -c "sed -n 's/^$m //p' '$CASE_DIR/r' | grep -q 'refused: .*No such file or directory'"
  done
  expect_eq "workload/pids.max (unchanged)" "$(cat "$CTR/workload/pids.max")" 32
  expect_eq "workload/memory.max (unchanged)" "$(cat "$CTR/workload/memory.max")" 268435456
  expect_le "pids.current in workload/ after the bomb" "$(cat "$CTR/workload/pids.current")" 32
  expect_ge "forks refused at pids.max" "$(sed -n 's/^max //p' "$CTR/workload/pids.events")" 1
  expect_eq "processes outside workload/ (init/ holds only cginit)" "$(cat "$CTR/init/cgroup.procs" "$CTR/cgroup.procs" "$CTR/free/cgroup.procs" 2>/dev/null | wc -l)" 1
else
  expect "the nsdelegate warning" grep -q 'without nsdelegate' "$CASE_DIR/stderr"
  expect_eq "warned once" "$(grep -c 'without nsdelegate' "$CASE_DIR/stderr")" 1
  expect_eq "pids_max (no nsdelegate: the kernel allows it)" "$(result pids_max)" ok
  expect_eq "move to_free (no nsdelegate: the kernel allows it)" "$(result to_free)" ok
  expect_eq "workload/pids.max (written back)" "$(cat "$CTR/workload/pids.max")" 32
  expect_eq "workload/memory.max (written back)" "$(cat "$CTR/workload/memory.max")" 268435456
  expect_le "pids.current in workload/ after the bomb (32 + a few)" "$(cat "$CTR/workload/pids.current")" 40
  expect_eq "processes outside workload/ (moved back)" "$(cat "$CTR/init/cgroup.procs" "$CTR/cgroup.procs" "$CTR/free/cgroup.procs" 2>/dev/null | wc -l)" 1
fi
expect_eq "a sub-cgroup of its own under workload/" "$(result own)" 0
expect_eq "the program's view of it" "$(cat "$CASE_DIR/r.own")" "0::/own"
kill -TERM "$CTR_PID1"
ctr_wait 30
expect "no error logged" test -z "$(grep -i '\[error\]' "$CASE_DIR/stderr")"
expect "container cgroup empty" cg_empty "$CTR"
expect_eq "cgroups left in the container (free/, own/ removed)" "$(find "$CTR" -mindepth 1 -type d | wc -l)" 0
if [ "$NSDELEGATE" = 1 ]; then
  expect_eq "report enforced" "$(report_field enforced)" true
  expect_eq "report escaped" "$(report_field escaped)" 0
  expect_eq "report tampered (the kernel refused everything)" "$(report_field tampered)" 0
else
  expect_eq "report enforced" "$(report_field enforced)" false
  # pids.max, memory.max, the movers into init/ and free/.
  expect_ge "report tampered" "$(report_field tampered)" 4
fi
pass
