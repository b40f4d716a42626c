# SPDX-License-Identifier: MIT
# Runner self-test: a case that never ends; the guest's per-case timeout must fail it.
. /vm/lib.sh
sleep 600
pass
