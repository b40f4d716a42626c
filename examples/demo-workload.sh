#!/bin/sh
# SPDX-License-Identifier: MIT
# The demo's program: shows where it runs, leaves behind a daemon that handles SIGTERM and one
# that ignores it (both escape the process group with setsid), and exits 0.
echo "workload: pid $$, cgroup $(grep '^0::' /proc/self/cgroup | cut -d: -f3)"
setsid sh -c 'trap "echo \"daemon $$: got SIGTERM, cleaning up\"; exit 0" TERM; while :; do sleep 1; done' &
setsid sh -c 'trap "" TERM; while :; do sleep 1; done' &
sleep 0.5
echo "workload: exiting, leaving two setsid daemons behind"
exit 0
