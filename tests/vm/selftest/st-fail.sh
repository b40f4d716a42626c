# SPDX-License-Identifier: MIT
# Runner self-test: a case that fails; its reason must reach the result line.
. /vm/lib.sh
expect_eq "one and two" 1 2
pass
