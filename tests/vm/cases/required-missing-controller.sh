# SPDX-License-Identifier: MIT
# --cgroup required when a controller that the options need is not delegated: exit 2, and the
# program never starts. Once for memory (needed by --limit memory.max), once for pids (--pids-max).
. /vm/lib.sh
ctr_start -c "+pids" -- "$CGINIT" --cgroup required --limit memory.max=64M -- /bin/touch "$CASE_DIR/started"
ctr_wait 20
expect_eq "exit status without memory delegated" "$CTR_RC" 2
expect "the program did not start" test ! -e "$CASE_DIR/started"
expect "the error names the memory controller" grep -qi memory "$CASE_DIR/stderr"
ctr_reset

ctr_start -c "+memory" -- "$CGINIT" --cgroup required --pids-max 10 -- /bin/touch "$CASE_DIR/started"
ctr_wait 20
expect_eq "exit status without pids delegated" "$CTR_RC" 2
expect "the program did not start" test ! -e "$CASE_DIR/started"
expect "the error names the pids controller" grep -qi pids "$CASE_DIR/stderr"
pass
