# SPDX-License-Identifier: MIT
# Helpers for the VM tier's cases (sourced by every tests/vm/cases/*.sh; busybox sh in the guest).
#
# Set by the driver (guest/init.sh): CASE (name), CASE_DIR (scratch directory, visible inside the
# container too), CASE_CG (the case's cgroup; the case itself runs in $CASE_CG/driver).
# A case ends with `pass`, `fail REASON` or `skip REASON` (exit 0, 1, 77).
#
# The container emulation (ctr_start) does what a runtime does with a delegated cgroup: the
# "runtime" parent $CASE_CG enables the controllers, the container cgroup is $CTR, and the command
# runs as PID 1 of new PID, mount and cgroup namespaces with cgroup2 mounted at /sys/fs/cgroup, so
# that $CTR is its "/" (with nsdelegate, a delegation boundary). The runtime side stays outside $CTR.
# shellcheck disable=SC2034 # the variables below are for the cases
set -u
# shellcheck disable=SC1091 # written by run.sh
. /vm/conf # VM_CGROUP_OPTS, VM_CASES, VM_CASE_TIMEOUT
CG=/sys/fs/cgroup
CTR=$CASE_CG/ctr
CGINIT=/usr/local/bin/cginit
MEMHOG=/usr/local/bin/memhog
PAYLOAD=/usr/local/bin/payload
NSDELEGATE=0
grep -q '^cgroup2 /sys/fs/cgroup cgroup2 .*nsdelegate' /proc/mounts && NSDELEGATE=1

log() { echo "[$CASE] $*"; }

# Ends the case as failed; REASON becomes the result line.
fail() {
  echo "FAIL: $*"
  echo "$*" >"$CASE_DIR/reason"
  ctr_dump
  exit 1
}

skip() {
  echo "SKIP: $*"
  echo "$*" >"$CASE_DIR/reason"
  exit 77
}

pass() {
  echo "PASS"
  exit 0
}

# need_cmd PATH...: skips the case unless each PATH is an executable in the guest.
need_cmd() {
  for c in "$@"; do
    [ -x "$c" ] || skip "$c is not in the guest"
  done
}

# Guest uptime in centiseconds (the clock every timing assertion uses).
now_cs() {
  read -r up _ </proc/uptime
  echo "${up%.*}${up#*.}"
}

# wait_until SECONDS CMD [ARG]...: polls CMD every 50 ms; status 1 when SECONDS pass first.
wait_until() {
  _end=$(($(now_cs) + $1 * 100))
  shift
  until "$@"; do
    [ "$(now_cs)" -ge "$_end" ] && return 1
    sleep 0.05
  done
  return 0
}

# expect DESCRIPTION CMD [ARG]...: fails the case unless CMD succeeds.
expect() {
  _desc=$1
  shift
  if "$@"; then
    echo "ok: $_desc"
  else
    fail "$_desc"
  fi
}

# expect_eq DESCRIPTION ACTUAL EXPECTED
expect_eq() {
  if [ "$2" = "$3" ]; then
    echo "ok: $1 = $3"
  else
    fail "$1: expected '$3', got '$2'"
  fi
}

# expect_le DESCRIPTION ACTUAL MAXIMUM (integers)
expect_le() {
  if [ "$2" -le "$3" ]; then
    echo "ok: $1 = $2 <= $3"
  else
    fail "$1: $2 > $3"
  fi
}

# expect_ge DESCRIPTION ACTUAL MINIMUM (integers)
expect_ge() {
  if [ "$2" -ge "$3" ]; then
    echo "ok: $1 = $2 >= $3"
  else
    fail "$1: $2 < $3"
  fi
}

# cg_has FILE WORD: FILE (a space-separated list such as cgroup.subtree_control) contains WORD.
cg_has() { grep -qw "$2" "$1" 2>/dev/null; }

# cg_empty DIR: DIR's cgroup.events says "populated 0" (also true when DIR is gone).
cg_empty() { [ ! -e "$1/cgroup.events" ] || grep -q '^populated 0' "$1/cgroup.events"; }

# children PID: the PIDs of PID's children (host view).
children() { cat "/proc/$1/task/$1/children" 2>/dev/null; }

# has_children PID: PID has at least one child.
has_children() { [ -n "$(children "$1")" ]; }

# alive PID: PID exists and is not a zombie.
alive() {
  [ -r "/proc/$1/stat" ] || return 1
  _st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
  [ -n "$_st" ] && [ "$_st" != Z ]
}

# report_field NAME: the value of "NAME": in the JSON report $CASE_DIR/report.json (first match).
report_field() {
  sed -n "s/.*\"$1\"[[:space:]]*:[[:space:]]*\"\{0,1\}\([^\",}]*\).*/\1/p" "$CASE_DIR/report.json" 2>/dev/null |
    head -n 1
}

# ctr_start [-c CONTROLLERS] [--ro] [--drop-cap CAP] [--] CMD [ARG]...
#   Starts CMD (an absolute path) as PID 1 of an emulated container whose cgroup is $CTR, with
#   CONTROLLERS (default "+pids +memory") delegated by the runtime parent. CMD's stdout and stderr go
#   to $CASE_DIR/stdout and $CASE_DIR/stderr. Returns once CMD runs, with CTR_PID1 (its host PID) and
#   CTR_T0 (now_cs) set. --ro mounts the container's cgroup2 read-only. --drop-cap runs CMD (as
#   uid 0) without capability CAP ("sys_admin": what Docker and podman leave out by default).
ctr_start() {
  _ctrls="+pids +memory"
  _ro=""
  _drop=""
  while [ $# -gt 0 ]; do
    case $1 in
      -c) _ctrls=$2; shift 2 ;;
      --ro) _ro=",ro"; shift ;;
      --drop-cap) _drop=$2; shift 2 ;;
      --) shift; break ;;
      *) break ;;
    esac
  done
  # The runtime parent delegates exactly the requested controllers.
  # shellcheck disable=SC2013 # a list of words
  for _c in $(cat "$CASE_CG/cgroup.subtree_control"); do
    case " $_ctrls " in *" +$_c "*) ;; *) echo "-$_c" >"$CASE_CG/cgroup.subtree_control" ;; esac
  done
  for _c in $_ctrls; do
    echo "$_c" >"$CASE_CG/cgroup.subtree_control" || fail "runtime: cannot enable $_c"
  done
  mkdir "$CTR" || fail "runtime: mkdir $CTR"
  rm -f "$CASE_DIR/rc" "$CASE_DIR/runtime.pid" "$CASE_DIR/exec"
  log "container: controllers [$(cat "$CTR/cgroup.controllers")]: $*"
  (
    /usr/bin/unshare --pid --fork --mount --mount-proc --propagation private -- \
      /bin/sh /vm/ctr.sh stage1 "$CASE_DIR/exec" "$CTR" "$_ro" "$_drop" "$@" >"$CASE_DIR/stdout" 2>"$CASE_DIR/stderr" &
    echo $! >"$CASE_DIR/runtime.pid"
    wait $!
    echo $? >"$CASE_DIR/rc.tmp"
    mv "$CASE_DIR/rc.tmp" "$CASE_DIR/rc"
  ) &
  wait_until 10 test -s "$CASE_DIR/runtime.pid" || fail "runtime: unshare did not start"
  CTR_RUNTIME=$(cat "$CASE_DIR/runtime.pid")
  CTR_PID1=""
  _cmd=$(readlink -f "$1")
  wait_until 20 _ctr_started || fail "container: $_cmd did not start as PID 1"
  CTR_T0=$(now_cs)
  log "container: PID 1 is host pid ${CTR_PID1:-none} ($_cmd)"
}

_ctr_started() {
  [ -e "$CASE_DIR/rc" ] && return 0 # already over (e.g. a usage error)
  [ -n "$CTR_PID1" ] || CTR_PID1=$(children "$CTR_RUNTIME" | cut -d' ' -f1)
  # ctr.sh touches "exec" right before its final exec; then wait for the exec itself.
  [ -n "$CTR_PID1" ] && [ -e "$CASE_DIR/exec" ] &&
    [ "$(readlink "/proc/$CTR_PID1/exe" 2>/dev/null)" = "$_cmd" ]
}

# ctr_wait SECONDS: waits until PID 1 has exited; sets CTR_RC (its exit status, 128+N for signal N)
# and CTR_T1 (now_cs when PID 1 was first seen gone).
ctr_wait() {
  wait_until "$1" _ctr_pid1_gone || fail "container PID 1 still running after $1 s"
  CTR_T1=$(now_cs)
  wait_until 10 test -e "$CASE_DIR/rc" || fail "runtime: unshare did not finish"
  CTR_RC=$(cat "$CASE_DIR/rc")
  log "container: PID 1 exited with status $CTR_RC after $((CTR_T1 - CTR_T0))0 ms"
}

_ctr_pid1_gone() {
  [ -e "$CASE_DIR/rc" ] || { [ -n "$CTR_PID1" ] && ! alive "$CTR_PID1"; }
}

# ctr_reset: removes the container cgroup of a finished container, so that ctr_start can run another.
ctr_reset() {
  wait_until 5 cg_empty "$CTR" || fail "container cgroup still populated"
  find "$CTR" -depth -type d -exec rmdir {} + 2>/dev/null
  [ ! -d "$CTR" ] || fail "cannot remove $CTR"
}

# workload_running: $CTR/workload holds at least one process.
workload_running() { [ -n "$(cat "$CTR/workload/cgroup.procs" 2>/dev/null)" ]; }

# ctr_dump: the container's cgroup tree (for failure messages).
ctr_dump() {
  [ -d "$CTR" ] || return 0
  echo "--- container cgroup tree:"
  find "$CTR" -type d | while read -r d; do
    echo "${d#"$CASE_CG"/}: type=$(cat "$d/cgroup.type" 2>/dev/null)" \
      "subtree_control=[$(cat "$d/cgroup.subtree_control" 2>/dev/null)]" \
      "procs=[$(tr '\n' ' ' <"$d/cgroup.procs" 2>/dev/null)]"
  done
}
