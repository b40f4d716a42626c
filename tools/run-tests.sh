#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds cginit and runs its tests; the last line is "N passed, N failed, N skipped".
#
#   tools/run-tests.sh                 static build: unit, integration and the QEMU cgroup v2 tier
#   tools/run-tests.sh --suite unit    only some suites (unit, integration, vm; repeatable)
#   tools/run-tests.sh --sanitize      ASan+UBSan build (-Dstatic=false), unit and integration
#   tools/run-tests.sh --build DIR     build directory (default build, or build-asan)
# Needs root for the integration and vm suites (namespaces, cgroups); they skip without it.
set -uo pipefail
cd "$(dirname "$0")/.."
build=""
sanitize=0
suites=()
while (($#)); do
  case "$1" in
    --sanitize) sanitize=1 ;;
    --suite) suites+=("$2"); shift ;;
    --build) build="$2"; shift ;;
    *) echo "usage: $0 [--sanitize] [--suite S]... [--build DIR]" >&2; exit 2 ;;
  esac
  shift
done
if ((sanitize)); then
  build=${build:-build-asan}
  setup_args=(-Dstatic=false -Db_sanitize=address,undefined -Db_lundef=false)
  ((${#suites[@]})) || suites=(unit integration)
else
  build=${build:-build}
  setup_args=()
  ((${#suites[@]})) || suites=(unit integration vm)
fi

if [[ ! -f $build/build.ninja ]]; then
  meson setup "$build" --wrap-mode=nodownload --werror "${setup_args[@]}" || {
    echo "0 passed, 1 failed"; exit 1; }
fi
if ! ninja -C "$build"; then
  echo "0 passed, 1 failed"
  exit 1
fi

# meson's gtest protocol leaves BUILD/<test name>.xml; stale ones must not be counted again.
rm -f "$build"/*.xml "$build/meson-logs/testlog.json"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
suite_args=()
for s in "${suites[@]}"; do suite_args+=(--suite "$s"); done
meson test -C "$build" --no-rebuild --print-errorlogs "${suite_args[@]}"
rc=$?
read -r passed failed skipped < <(python3 tools/count-results.py "$build")
if ((rc != 0 && failed == 0)); then
  failed=1  # meson failed without a failing test case (e.g. a crash before any output)
fi
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
((failed == 0))
