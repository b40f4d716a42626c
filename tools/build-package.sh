#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds the Debian package from a clean copy of the committed tree (`git archive HEAD`, so nothing
# from the work tree or an earlier build gets in), runs lintian on it (errors fail) and checks what
# the package holds. That copy is no git checkout, so this also checks that the tarball build's
# `--version` names the archived commit (export-subst). Ends with "N passed, N failed".
#
#   tools/build-package.sh [--keep DIR]    DIR keeps the copy, the .deb and the logs (default: a temp dir)
set -uo pipefail
cd "$(dirname "$0")/.."
keep=""
if [[ ${1:-} == --keep ]]; then
  keep=$2
fi
work=${keep:-$(mktemp -d /tmp/cginit-package.XXXXXX)}
mkdir -p "$work"
[[ -n $keep ]] || trap 'rm -rf "$work"' EXIT
passed=0
failed=0
check() {  # check NAME CMD...: one counted result
  local name=$1
  shift
  if "$@"; then
    echo "ok: $name"
    passed=$((passed + 1))
  else
    echo "FAILED: $name"
    failed=$((failed + 1))
  fi
}
finish() {
  echo "${passed} passed, ${failed} failed"
  ((failed == 0))
  exit
}

version=$(dpkg-parsechangelog -S Version)
src="$work/cginit-$version"
rm -rf "$src"
mkdir -p "$src"
git archive HEAD | tar -x -C "$src" || { failed=1; finish; }

start=$SECONDS
(cd "$src" && dpkg-buildpackage -b -us -uc) >"$work/build.log" 2>&1
rc=$?
echo "dpkg-buildpackage: exit $rc after $((SECONDS - start)) s (log: $work/build.log)"
if ((rc != 0)); then
  tail -n 40 "$work/build.log"
fi
check "dpkg-buildpackage -b -us -uc" test "$rc" -eq 0
((rc == 0)) || finish
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
changes="$work/cginit_${version}_${arch}.changes"
deb="$work/cginit_${version}_${arch}.deb"

# Only errors fail (warnings are listed: HACKING.md says which remain and why).
lintian --fail-on error --info "$changes" >"$work/lintian.log" 2>&1
lrc=$?
cat "$work/lintian.log"
check "lintian reports no error" test "$lrc" -eq 0

contents=$(dpkg-deb -c "$deb" | awk '{print $6}')
for path in ./usr/bin/cginit ./usr/share/man/man1/cginit.1.gz \
  ./usr/share/doc/cginit/examples/cginit.toml ./usr/share/doc/cginit/examples/Dockerfile \
  ./usr/share/doc/cginit/copyright; do
  check "package holds $path" grep -qxF "$path" <<<"$contents"
done
root="$work/root"
rm -rf "$root"
dpkg-deb -x "$deb" "$root"
check "usr/bin/cginit is static" bash -c "file '$root/usr/bin/cginit' | grep -q 'statically linked'"
out=$("$root/usr/bin/cginit" --version)
head=$(git rev-parse HEAD)
check "a tarball build names the archived commit ('$out')" \
  test "$out" = "cginit version $version - git.${head:0:7}"
check "the installed page renders without warnings" bash -c \
  "MANWIDTH=80 man --warnings -l '$root/usr/share/man/man1/cginit.1.gz' 2>&1 >/dev/null | (! grep .)"
finish
