# SPDX-License-Identifier: MIT
# A process that a container engine adds after start (like `docker exec`: it joins the container's
# namespaces and is put into <root>, or into init/ when <root> has controllers enabled) is drained
# with the workload: it gets the stop signal before cginit exits. Run once with controllers
# delegated (the stranger lands in init/) and once without any (it lands in <root> itself).
. /vm/lib.sh

stranger_case() {
  ctr_start -c "$1" -- "$CGINIT" --grace 3s -- /bin/sleep 1000
  wait_until 20 workload_running || fail "no process ever ran in workload/"
  rm -f "$CASE_DIR/stranger.term"
  # The stranger writes down SIGTERM; the kernel's SIGKILL at the end of the PID namespace cannot
  # be handled, so the file proves that the drain reached it.
  /usr/bin/nsenter -t "$CTR_PID1" -p -m -C -- /bin/sh -c \
    "trap 'echo TERM >$CASE_DIR/stranger.term; exit 0' TERM; while :; do sleep 0.1; done" \
    >"$CASE_DIR/stranger.out" 2>&1 &
  enter_pid=$!
  wait_until 10 has_children "$enter_pid" || fail "nsenter did not start the stranger"
  stranger=$(children "$enter_pid" | cut -d' ' -f1)
  if echo "$stranger" >"$CTR/cgroup.procs" 2>/dev/null; then
    where="<root>"
  elif echo "$stranger" >"$CTR/init/cgroup.procs"; then
    where="init/ (<root> has controllers enabled)"
  else
    fail "cannot put the stranger into the container cgroup"
  fi
  log "stranger host pid $stranger dropped into $where"
  sleep 0.3
  expect "the stranger is alive before the stop" alive "$stranger"

  t_term=$(now_cs)
  kill -TERM "$CTR_PID1"
  ctr_wait 20
  expect_eq "exit status (the program's SIGTERM)" "$CTR_RC" 143
  expect "the stranger in $where got the stop signal during drain" grep -qx TERM "$CASE_DIR/stranger.term"
  expect_le "SIGTERM to exit of cginit, in ms (grace 3 s + 1 s)" "$((CTR_T1 - t_term))0" 4000
  expect "container cgroup empty" cg_empty "$CTR"
  wait "$enter_pid"
}

stranger_case "+pids +memory"
ctr_reset
stranger_case ""
pass
