# SPDX-License-Identifier: MIT
# --limit memory.max=32M with a program that allocates 128 MiB: the kernel's OOM killer ends it
# inside workload/, cginit passes on the SIGKILL status and counts the kill in its --report.
. /vm/lib.sh
need_cmd "$MEMHOG"
ctr_start -- "$CGINIT" --limit memory.max=32M --report "$CASE_DIR/report.json" -- "$MEMHOG" 128
ctr_wait 60
expect_eq "exit status (memhog killed by SIGKILL)" "$CTR_RC" 137
expect "report written" test -s "$CASE_DIR/report.json"
log "report: $(cat "$CASE_DIR/report.json")"
oom=$(report_field oom_kills)
expect_ge "report oom_kills" "${oom:-0}" 1
expect "container cgroup empty" cg_empty "$CTR"
pass
