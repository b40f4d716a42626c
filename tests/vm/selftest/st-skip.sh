# SPDX-License-Identifier: MIT
# Runner self-test: a case that skips.
. /vm/lib.sh
need_cmd /usr/bin/no-such-tool
pass
