#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Self-test of tests/vm/run.sh: passing, failing, skipping and timed-out cases are reported as such
# (in meson mode: exit 0, 1, 77, 1, and one boot serves them all), and a guest that hangs or crashes
# fails its cases with the console shown. Three boots, about 40 s. Needs CGINIT_BIN (any cginit).
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
run=("$here/run.sh" --case-dir "$here/selftest")
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cginit-vm-selftest.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
failures=0
check() {  # check DESCRIPTION CMD...
  if "${@:2}"; then echo "ok: $1"; else echo "NOT OK: $1"; failures=$((failures + 1)); fi
}

echo "== meson mode: pass, fail, skip, per-case timeout in one boot"
for c in st-pass:0 st-fail:1 st-skip:77 st-case-timeout:1; do
  "${run[@]}" --case-timeout 5 --out "$tmp/meson" --meson-case "${c%:*}" st-pass st-fail st-skip st-case-timeout \
    >"$tmp/${c%:*}.out" 2>"$tmp/${c%:*}.err"
  rc=$?
  sed 's/^/  | /' "$tmp/${c%:*}.out"
  check "${c%:*} exits with ${c#*:}" test "$rc" = "${c#*:}"
done
check "st-fail's reason is shown" grep -q "^FAIL st-fail: one and two: expected '2', got '1'" "$tmp/st-fail.out"
check "st-case-timeout is reported as timed out" grep -q '^FAIL st-case-timeout: timed out in the guest' "$tmp/st-case-timeout.out"
check "one boot served the four cases" test "$(cat "$tmp"/st-*.err | grep -c '^booting the guest')" = 1

echo "== a guest that hangs"
"${run[@]}" --case-timeout 600 --timeout 20 st-hang >"$tmp/hang.out" 2>&1
rc=$?
sed 's/^/  | /' "$tmp/hang.out" | tail -n 12
check "exit status 1" test "$rc" = 1
check "st-hang fails as a timeout" grep -q '^FAIL st-hang: no result: the VM timed out after 20s' "$tmp/hang.out"
check "the console is shown" grep -q '^---- guest console' "$tmp/hang.out"

echo "== a guest that crashes"
"${run[@]}" st-panic st-pass >"$tmp/panic.out" 2>&1
rc=$?
sed 's/^/  | /' "$tmp/panic.out" | tail -n 12
check "exit status 1" test "$rc" = 1
check "st-panic fails" grep -q '^FAIL st-panic: no result: the guest stopped without reporting' "$tmp/panic.out"
check "st-pass, never run, fails" grep -q '^FAIL st-pass: no result' "$tmp/panic.out"
check "the console shows the crash" grep -q 'sysrq' "$tmp/panic.out"

echo "$failures failure(s)"
((failures == 0))
