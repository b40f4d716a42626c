# SPDX-License-Identifier: MIT
# --cgroup auto (the default) when memory is not delegated but --limit memory.max asks for it: a
# warning that names the controller, and the program still runs and passes on its exit status.
. /vm/lib.sh
ctr_start -c "+pids" -- "$CGINIT" --limit memory.max=64M -- /bin/sh -c "touch '$CASE_DIR/started'; exit 3"
ctr_wait 20
expect_eq "exit status (the program's)" "$CTR_RC" 3
expect "the program ran" test -e "$CASE_DIR/started"
expect "a warning names the memory controller" grep -qi 'warn.*memory' "$CASE_DIR/stderr"
expect "container cgroup empty" cg_empty "$CTR"
pass
