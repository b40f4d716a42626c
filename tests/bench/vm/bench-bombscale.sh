# SPDX-License-Identifier: MIT
# shellcheck shell=sh source=/dev/null
# The fork bomb of the "At scale" figures (tests/bench/run.sh --scale; a measurement, not a test): for
# cginit (--pids-max 64 --grace 1s) and the floor (the runtime writes the container's pids.max = 64),
# a fork bomb runs for 2 s as the program's child, then the container's PID 1 gets SIGTERM. Prints per
# repetition "BOMB init=NAME vol=N invol=N cpu_ms=MS refused=N warnings=N term_ms=MS": PID 1's
# voluntary and involuntary context switches and its CPU time (/proc/PID/schedstat) during the 2 s of
# the bomb, the forks refused at pids.max, cginit's "fork refused" warnings, and the time from SIGTERM
# until the container cgroup is empty.
. /vm/lib.sh
BENCHKIT=/usr/local/bin/benchkit
FLOOR=/usr/local/bin/floor
BOMB_REPS=3
[ -e /vm/bomb.conf ] && . /vm/bomb.conf # written by tests/bench/scale.py
REPS=$BOMB_REPS
need_cmd "$BENCHKIT" "$FLOOR"
# shellcheck disable=SC2016 # expanded by the program's shell
program='while [ ! -e "$0" ]; do sleep 0.05; done; exec 2>/dev/null; bomb() { bomb | bomb & }; bomb; exec sleep 1000'

field() { sed -n "s/^$1:[[:space:]]*//p" "/proc/$2/status"; }
cpu_ns() { cut -d' ' -f1 "/proc/$1/schedstat"; }

for name in cginit floor; do
  rep=0
  while [ $rep -lt "$REPS" ]; do
    rep=$((rep + 1))
    rm -f "$CASE_DIR/go"
    if [ $name = cginit ]; then
      ctr_start -c "+pids" -- "$CGINIT" --cgroup required --pids-max 64 --grace 1s -- /bin/sh -c "$program" "$CASE_DIR/go"
      wait_until 10 test -e "$CTR/workload/pids.max" || fail "cginit created no workload/"
      events=$CTR/workload/pids.events
    else
      ctr_start -c "+pids" -- "$FLOOR" -- /bin/sh -c "$program" "$CASE_DIR/go"
      echo 64 >"$CTR/pids.max" || fail "runtime: cannot write pids.max"
      events=$CTR/pids.events
    fi
    v0=$(field voluntary_ctxt_switches "$CTR_PID1") i0=$(field nonvoluntary_ctxt_switches "$CTR_PID1")
    c0=$(cpu_ns "$CTR_PID1")
    : >"$CASE_DIR/go"
    sleep 2
    v1=$(field voluntary_ctxt_switches "$CTR_PID1") i1=$(field nonvoluntary_ctxt_switches "$CTR_PID1")
    c1=$(cpu_ns "$CTR_PID1")
    refused=$(sed -n 's/^max //p' "$events")
    us=$("$BENCHKIT" term-to-empty "$CTR_PID1" "$CTR" 60000) || fail "$name: container not empty 60 s after SIGTERM"
    ctr_wait 30
    warnings=$(grep -c "fork refused" "$CASE_DIR/stderr")
    ctr_reset
    echo "BOMB init=$name vol=$((v1 - v0)) invol=$((i1 - i0)) cpu_ms=$(((c1 - c0) / 1000000)) refused=${refused:-0} warnings=$warnings term_ms=$((us / 1000))"
  done
done
pass
