# SPDX-License-Identifier: MIT
# --pids-max 64 against a real fork bomb: pids.current in workload/ never above 64 (sampled for 3 s),
# cginit still answers SIGTERM, everything is gone within grace + 1 s, and the "fork refused" warning
# appears at most once a second.
. /vm/lib.sh
ctr_start -- "$CGINIT" --pids-max 64 --grace 2s -- \
  /bin/sh -c 'exec 2>/dev/null; bomb() { bomb | bomb & }; bomb; exec sleep 1000'
wait_until 20 workload_running || fail "no process ever ran in workload/"
expect_eq "workload/pids.max" "$(cat "$CTR/workload/pids.max")" 64

# The bomb keeps the one vCPU busy: sample at a higher priority to get more samples.
renice -n -10 -p $$ >/dev/null
samples=0 peak=0
end=$(($(now_cs) + 300))
while [ "$(now_cs)" -lt "$end" ]; do
  read -r cur <"$CTR/workload/pids.current" || fail "workload/pids.current vanished while the bomb ran"
  [ "$cur" -gt "$peak" ] && peak=$cur
  samples=$((samples + 1))
  sleep 0.05
done
refused=$(sed -n 's/^max //p' "$CTR/workload/pids.events")
log "$samples samples: peak pids.current=$peak, pids.events max=$refused"
expect_le "peak pids.current in workload/" "$peak" 64
expect_ge "forks refused at pids.max (the bomb really hit the limit)" "$refused" 1
expect "cginit is still running" alive "$CTR_PID1"

t_term=$(now_cs)
kill -TERM "$CTR_PID1"
ctr_wait 20
expect_le "SIGTERM to exit of cginit, in ms (grace 2 s + 1 s)" "$((CTR_T1 - t_term))0" 3000
expect_eq "exit status (the program's SIGTERM)" "$CTR_RC" 143
expect "container cgroup empty" cg_empty "$CTR"

warnings=$(grep -ciE 'fork.*refused|refused.*fork' "$CASE_DIR/stderr")
seconds=$(((CTR_T1 - CTR_T0 + 99) / 100))
log "$warnings 'fork refused' warning(s) in $seconds s"
expect_ge "'fork refused' warnings" "$warnings" 1
expect_le "'fork refused' warnings (at most one a second)" "$warnings" "$((seconds + 1))"
pass
