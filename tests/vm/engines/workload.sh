#!/bin/sh
# SPDX-License-Identifier: MIT
# The program that cginit runs inside the engine cases' containers (/workload.sh in the rootfs;
# busybox sh). It writes what it sees to /out, which the case binds to its $CASE_DIR.
#
#   workload.sh orphan CODE
#       leaves an orphan (a child of a child that exits at once) that exits 0.3 s later, waits up to
#       10 s until it has been reaped (its /proc entry is gone; a zombie keeps it), writes
#       "reaped" or "not reaped: <state>" to /out/orphan, then exits with CODE.
#   workload.sh serve CODE [daemons] [bomb]
#       runs until SIGTERM, then writes "TERM" to /out/signals and exits with CODE; SIGUSR1 and
#       SIGHUP are written down there too. "daemons": first starts two daemons in sessions of
#       their own (setsid): one that writes "TERM" to /out/handler.term on SIGTERM and exits, and
#       one that ignores SIGTERM (only SIGKILL or cgroup.kill end it). "bomb": then starts a fork
#       bomb (each of its processes forks a copy of itself every 50 ms, for ever).
#       "hog": starts /usr/local/bin/memhog 64 as a child and writes its exit status to /out/hog.rc.
#   workload.sh daemon handler|ignorer [NAME]
#       the daemons of "serve daemons" (their PIDs in /out/handler.pid and /out/ignorer.pid), also
#       what the cases start with `docker exec` or `ctr task exec` as strangers: with NAME, the PID
#       goes to /out/NAME.pid and the handler writes "TERM" to /out/NAME.term.
# orphan and serve write /out/env (the `container` variable), /out/cgroup (/proc/self/cgroup),
# /out/pid1 (PID 1's command line) and a line to /out/starts, and then /out/ready.
set -u
out=/out

report_start() {
  echo "container=${container-<unset>}" >"$out/env"
  cat /proc/self/cgroup >"$out/cgroup"
  tr '\0' ' ' </proc/1/cmdline >"$out/pid1"
  echo "start $$" >>"$out/starts"
}

mode=${1:-}
case $mode in
  orphan)
    code=$2
    report_start
    /bin/sh -c 'sleep 0.3 & echo $! >/tmp/orphan.pid'
    orphan=$(cat /tmp/orphan.pid)
    : >"$out/ready"
    i=0
    while [ -e "/proc/$orphan" ] && [ $i -lt 200 ]; do
      sleep 0.05
      i=$((i + 1))
    done
    if [ -e "/proc/$orphan" ]; then
      echo "not reaped: $(sed -n 's/^State:[[:space:]]*//p' "/proc/$orphan/status")" >"$out/orphan"
    else
      echo reaped >"$out/orphan"
    fi
    exit "$code"
    ;;
  serve)
    code=$2
    shift 2
    report_start
    trap 'echo USR1 >>"$out/signals"' USR1
    trap 'echo HUP >>"$out/signals"' HUP
    # shellcheck disable=SC2064 # $code is meant to be expanded now
    trap "echo TERM >>\"$out/signals\"; exit $code" TERM
    # Every fork this program needs happens before the bomb fills pids.max.
    sleep 100000 &
    for what in "$@"; do
      case $what in
        daemons)
          setsid "$0" daemon handler </dev/null >/dev/null 2>&1 &
          setsid "$0" daemon ignorer </dev/null >/dev/null 2>&1 &
          i=0
          until [ -s "$out/handler.pid" ] && [ -s "$out/ignorer.pid" ]; do
            i=$((i + 1))
            [ $i -le 200 ] || { echo "workload.sh: the daemons did not start" >&2; exit 99; }
            sleep 0.05
          done
          ;;
        bomb)
          (
            exec 2>/dev/null
            bomb() {
              while :; do
                bomb &
                sleep 0.05
              done
            }
            bomb
          ) &
          ;;
        hog)
          (
            /usr/local/bin/memhog 64 >/dev/null 2>&1
            echo $? >"$out/hog.rc"
          ) &
          ;;
        *) echo "workload.sh: unknown serve option $what" >&2; exit 98 ;;
      esac
    done
    : >"$out/ready"
    while :; do wait; done
    ;;
  daemon)
    # The sleep child keeps the daemon alive without forking again (a full pids.max must not end
    # it); `wait` returns early for a signal that has a trap.
    name=${3:-$2}
    case $2 in
      # shellcheck disable=SC2064 # $name is meant to be expanded now
      handler) trap "echo TERM >\"$out/$name.term\"; exit 0" TERM ;;
      ignorer) trap '' TERM ;;
    esac
    sleep 100000 &
    echo $$ >"$out/$name.pid"
    while :; do wait; done
    ;;
esac
echo "usage: workload.sh orphan CODE | serve CODE [daemons] [bomb] [hog] | daemon handler|ignorer [NAME]" >&2
exit 2
