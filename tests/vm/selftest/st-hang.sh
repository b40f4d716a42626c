# SPDX-License-Identifier: MIT
# Runner self-test: a guest that never reports (run with a per-case timeout above the VM's).
. /vm/lib.sh
sleep 600
pass
