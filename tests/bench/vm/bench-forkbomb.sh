# SPDX-License-Identifier: MIT
# shellcheck shell=sh source=/dev/null
# Figure 7 of tests/bench/run.sh (a measurement, not a test): for each init of $BENCH_INITS, a fork bomb
# runs for 2 s as the program's child under pids.max = 64, then the container's PID 1 gets SIGTERM.
# Prints "BENCH init=NAME ms=MS peak=N refused=N" per repetition: MS from SIGTERM until the container
# cgroup is empty, the peak of its pids.current and the forks refused at pids.max.
# cginit sets the limit itself (--pids-max 64, on workload/); for the others the runtime writes the
# container cgroup's pids.max, as `docker run --pids-limit` would.
. /vm/lib.sh
. /vm/bench.conf # BENCH_REPS, BENCH_INITS
BENCHKIT=/usr/local/bin/benchkit
need_cmd "$BENCHKIT"

init_argv() {
  case $1 in
    cginit) echo "$CGINIT --cgroup required --pids-max 64 --" ;;
    floor) echo "/usr/local/bin/floor --" ;;
    tini-static) echo "/usr/bin/tini-static --" ;;
    tini) echo "/usr/bin/tini --" ;;
    catatonit) echo "/usr/bin/catatonit --" ;;
    dumb-init) echo "/usr/bin/dumb-init --" ;;
  esac
}

# The program waits for $CASE_DIR/go (so that the limit is in place first), starts the bomb, then
# becomes a sleep that the init's forwarded SIGTERM ends.
# shellcheck disable=SC2016 # expanded by the program's shell
program='while [ ! -e "$0" ]; do sleep 0.05; done; exec 2>/dev/null; bomb() { bomb | bomb & }; bomb; exec sleep 1000'

for name in $BENCH_INITS; do
  argv=$(init_argv "$name")
  if [ -z "$argv" ] || [ ! -x "${argv%% *}" ]; then
    log "skipping $name (not in the guest)"
    continue
  fi
  rep=0
  while [ $rep -lt "$BENCH_REPS" ]; do
    rep=$((rep + 1))
    rm -f "$CASE_DIR/go"
    # shellcheck disable=SC2086 # argv is a word list
    ctr_start -c "+pids" -- $argv /bin/sh -c "$program" "$CASE_DIR/go"
    if [ "$name" = cginit ]; then
      wait_until 10 test -e "$CTR/workload/pids.max" || fail "cginit created no workload/"
      events=$CTR/workload/pids.events
    else
      echo 64 >"$CTR/pids.max" || fail "runtime: cannot write pids.max"
      events=$CTR/pids.events
    fi
    : >"$CASE_DIR/go"
    peak=0
    end=$(($(now_cs) + 200))
    while [ "$(now_cs)" -lt "$end" ]; do
      read -r cur <"$CTR/pids.current"
      [ "$cur" -gt "$peak" ] && peak=$cur
      sleep 0.05
    done
    refused=$(sed -n 's/^max //p' "$events")
    us=$("$BENCHKIT" term-to-empty "$CTR_PID1" "$CTR" 60000) || fail "$name: container not empty 60 s after SIGTERM"
    ctr_wait 30
    ctr_reset
    echo "BENCH init=$name ms=$((us / 1000)).$(printf %03d $((us % 1000))) peak=$peak refused=${refused:-0}"
  done
done
pass
