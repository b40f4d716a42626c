# SPDX-License-Identifier: MIT
# Smoke test of the tier itself: the static cginit runs in the guest and prints its version
# (with " - git.<commit>" when built from a git checkout or a `git archive` tarball, the version
# alone from a tree that is neither).
. /vm/lib.sh
out=$("$CGINIT" --version) || fail "cginit --version exited with status $?"
log "$out"
case $out in
  "cginit version "[0-9]*" - git."?*) ;;
  *" - "*) fail "unexpected --version output: $out" ;;
  "cginit version "[0-9]*.[0-9]*.[0-9]*) ;;
  *) fail "unexpected --version output: $out" ;;
esac
pass
