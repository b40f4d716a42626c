# SPDX-License-Identifier: MIT
# Runner self-test: a case that passes.
. /vm/lib.sh
expect "a true command" true
pass
