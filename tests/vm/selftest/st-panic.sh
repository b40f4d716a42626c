# SPDX-License-Identifier: MIT
# Runner self-test: the guest kernel crashes in the middle of a case.
. /vm/lib.sh
echo c >/proc/sysrq-trigger
sleep 600
pass
