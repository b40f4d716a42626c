#!/bin/sh
# SPDX-License-Identifier: MIT
# daemon.sh handle|ignore PREFIX: starts a daemon in a session of its own (setsid, orphaned once this
# script returns) and returns when it runs; its PID is in PREFIX.pid.
#   handle  on SIGTERM it writes "TERM" to PREFIX.term and exits 0
#   ignore  it ignores SIGTERM (as do its children), so only SIGKILL ends it
set -u
mode=$1 prefix=$2
case $mode in
  run-handle)
    trap 'echo TERM >"$prefix.term"; exit 0' TERM
    echo $$ >"$prefix.pid"
    while :; do sleep 0.1; done
    ;;
  run-ignore)
    trap '' TERM
    echo $$ >"$prefix.pid"
    while :; do sleep 0.1; done
    ;;
  handle | ignore)
    rm -f "$prefix.pid" "$prefix.term"
    setsid /bin/sh "$0" "run-$mode" "$prefix" </dev/null >/dev/null 2>&1 &
    i=0
    while [ ! -s "$prefix.pid" ]; do
      i=$((i + 1))
      [ $i -le 200 ] || { echo "daemon.sh: $mode daemon did not start" >&2; exit 1; }
      sleep 0.05
    done
    exit 0
    ;;
esac
echo "usage: daemon.sh handle|ignore PREFIX" >&2
exit 2
