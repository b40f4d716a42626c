#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds the libFuzzer targets of tests/fuzz with clang and runs each one in turn, one process at
# a time; exits 1 when any target finds a crash.
#   tools/fuzz.sh [--seconds N | --runs N] [--target NAME]... [--build DIR] [-- LIBFUZZER_ARG...]
# --seconds N   run each target for N seconds (default 60)
# --runs N      run each target for N executions instead
# --target NAME only this target (repeatable): cli env config signal duration proc-cgroup
#               mountinfo events pids
# --build DIR   build directory (default build-fuzz; set up with -Dfuzz=true when missing)
# The committed corpus (tests/fuzz/corpus/NAME) seeds each run; new inputs go to
# DIR/fuzz-work/corpus/NAME and a crashing input to DIR/fuzz-work/artifacts/NAME/.
set -euo pipefail
cd "$(dirname "$0")/.."

all_targets=(cli env config signal duration proc-cgroup mountinfo events pids)
seconds=60
runs=
build=build-fuzz
targets=()
extra=()
usage() {
  sed -n '3,12s/^# \{0,1\}//p' "$0" >&2
  exit 2
}
while [[ $# -gt 0 ]]; do
  case $1 in
    --seconds) seconds=${2:?}; runs=; shift 2 ;;
    --runs) runs=${2:?}; shift 2 ;;
    --target) targets+=("${2:?}"); shift 2 ;;
    --build) build=${2:?}; shift 2 ;;
    --) shift; extra=("$@"); break ;;
    -h|--help) usage ;;
    *) echo "fuzz.sh: unknown argument '$1'" >&2; usage ;;
  esac
done
[[ ${#targets[@]} -gt 0 ]] || targets=("${all_targets[@]}")
for t in "${targets[@]}"; do
  [[ " ${all_targets[*]} " == *" $t "* ]] || { echo "fuzz.sh: unknown target '$t'" >&2; usage; }
done

if [[ ! -f $build/build.ninja ]]; then
  if ! out=$(CXX=${CXX:-clang++} meson setup "$build" -Dstatic=false -Dfuzz=true -Dtests=disabled \
    --wrap-mode=nodownload 2>&1); then
    echo "$out" | tail -20 >&2
    echo "fuzz.sh: meson setup failed" >&2
    exit 1
  fi
fi
if ! out=$(ninja -C "$build" -j2 "${targets[@]/#/tests/fuzz/fuzz-}" 2>&1); then
  echo "$out" | tail -40 >&2
  echo "fuzz.sh: build failed (is $build set up with clang and -Dfuzz=true?)" >&2
  exit 1
fi

# A UBSan report ends the run (-fno-sanitize-recover) and shows where it happened.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
work=$build/fuzz-work
passed=0
failed=0
for t in "${targets[@]}"; do
  mkdir -p "$work/corpus/$t" "$work/artifacts/$t"
  args=(-artifact_prefix="$work/artifacts/$t/" -print_final_stats=1 -timeout=10)
  if [[ -n $runs ]]; then args+=(-runs="$runs"); else args+=(-max_total_time="$seconds"); fi
  [[ -f tests/fuzz/dict/$t.dict ]] && args+=(-dict="tests/fuzz/dict/$t.dict")
  log=$work/$t.log
  start=$(date +%s)
  rc=0
  "$build/tests/fuzz/fuzz-$t" "${args[@]}" "${extra[@]}" "$work/corpus/$t" "tests/fuzz/corpus/$t" \
    >"$log" 2>&1 || rc=$?
  elapsed=$(($(date +%s) - start))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  cov=$(grep -oE '^#[0-9]+.* cov: [0-9]+' "$log" | tail -1 | sed 's/.*cov: //' || true)
  line="fuzz-$t: ${execs:-?} executions in ${elapsed} s, cov ${cov:-?}"
  if [[ $rc -eq 0 ]]; then
    echo "$line: ok"
    passed=$((passed + 1))
  else
    crash=$(sed -n "s/.*Test unit written to //p" "$log" | tail -1)
    summary=$(grep -m1 -E '^SUMMARY|runtime error|ERROR: libFuzzer' "$log" || true)
    echo "$line: FAILED (exit $rc) ${summary:-see $log}"
    [[ -n $crash ]] && echo "  input: $crash (reproduce: $build/tests/fuzz/fuzz-$t $crash)"
    failed=$((failed + 1))
  fi
done
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
