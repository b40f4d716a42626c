#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The benchmark of issue 7: cginit side by side with tini, tini-static, dumb-init, catatonit and a
# minimal floor init, interleaved, as PID 1 of fresh namespaces and as a plain subreaper; writes one
# Markdown table per figure (ratios to tini-static) to stdout and to the --out file. Not a test.
#
# usage: tests/bench/run.sh [OPTION]...                (as root; about 6 minutes, --quick about 1)
#   --quick           few rounds and small bursts: a smoke run, not figures to quote
#   --scale           the "At scale" figures instead (tests/bench/scale.py: drain, --forward cgroup,
#                     reaping flood, memory with N up to 10,000 / 50,000; about 10 minutes, --quick 2;
#                     default --out tests/bench/results-scale.md, plot scale-drain.svg beside it;
#                     --figures takes its letters: d drain, t teardown beyond grace, p profile,
#                     f forward, o orphans, m memory,
#                     b fork bomb in the VM)
#   --out FILE        the Markdown results (default tests/bench/results.md; raw data in FILE's .json)
#   --cginit PATH     the static cginit to measure (default: BUILD/src/cginit, built if needed)
#   --build DIR       meson build directory for the default cginit (default build-bench)
#   --figures DIGITS  run only these figures, e.g. 145 (default 1234567; 3 comes with 2)
#   --no-vm           skip figure 7 (the fork bomb in the QEMU cgroup v2 guest of tests/vm/run.sh)
#   --no-install      do not apt-get install missing inits or tools
#
# It installs Debian's tini, dumb-init, catatonit and valgrind when they are missing, compiles
# tests/bench/floor.c and benchkit.c (the launcher, timing loops and workloads) with cc -static, and
# creates a cgroup under the cgroup2 mount (/sys/fs/cgroup/unified on a hybrid host) in which every
# init of the run is started; on exit it kills whatever is left there (cgroup.kill) and removes it.
# Keep the machine otherwise quiet: the figures are ratios within one run, but noise still widens them.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

quick=0 out="" cginit="" build=build-bench figures="" no_vm=0 install=1 scale=0
usage() {
  sed -n '3,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//' >&2
  exit 2
}
while (($#)); do
  case $1 in
    --quick) quick=1 ;;
    --scale) scale=1 ;;
    --out) out=$2; shift ;;
    --cginit) cginit=$2; shift ;;
    --build) build=$2; shift ;;
    --figures) figures=$2; shift ;;
    --no-vm) no_vm=1 ;;
    --no-install) install=0 ;;
    -h | --help) usage ;;
    *) echo "run.sh: unknown option $1" >&2; usage ;;
  esac
  shift
done
say() { echo "bench: $*" >&2; }
if ((scale)); then
  out=${out:-$here/results-scale.md} figures=${figures:-dtpfomb}
else
  out=${out:-$here/results.md} figures=${figures:-1234567}
fi
((EUID == 0)) || { say "needs root (namespaces, cgroups)"; exit 1; }

# ---- what the benchmark runs ----------------------------------------------------------------------
need=()
for tool in /usr/bin/tini:tini /usr/bin/tini-static:tini /usr/bin/dumb-init:dumb-init \
  /usr/bin/catatonit:catatonit /usr/bin/valgrind:valgrind /usr/bin/taskset:util-linux \
  /usr/bin/size:binutils /usr/bin/strip:binutils /usr/bin/file:file /usr/bin/python3:python3 \
  /usr/bin/cc:gcc; do
  [[ -x ${tool%%:*} ]] || need+=("${tool#*:}")
done
if ((${#need[@]})); then
  ((install)) || { say "missing: ${need[*]} (run without --no-install)"; exit 1; }
  say "installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get -q update >&2
  apt-get install -y -q --no-install-recommends "${need[@]}" >&2
fi
# glibc's static archive, for the floor and benchkit
[[ -e /usr/lib/x86_64-linux-gnu/libc.a || -e /usr/lib/libc.a ]] || { ((install)) && apt-get install -y -q libc6-dev >&2; }

if [[ -z $cginit ]]; then
  cd "$repo"
  if [[ ! -d $build ]]; then
    meson setup "$build" --wrap-mode=nodownload -Dtests=disabled >&2
  fi
  ninja -C "$build" -j2 src/cginit >&2
  cginit=$repo/$build/src/cginit
  cd - >/dev/null
fi
cginit=$(realpath "$cginit")
[[ -x $cginit ]] || { say "no cginit at $cginit"; exit 1; }

tools=$(mktemp -d "${TMPDIR:-/tmp}/cginit-bench-tools.XXXXXX")
cg=""
cleanup() {
  if [[ -n $cg && -d $cg ]]; then
    echo 1 >"$cg/cgroup.kill" 2>/dev/null || true
    for _ in $(seq 100); do grep -q '^populated 0' "$cg/cgroup.events" 2>/dev/null && break; sleep 0.1; done
    find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null || true
    [[ -d $cg ]] && say "could not remove $cg"
  fi
  rm -rf "$tools"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
cc -O2 -static -Wall -Wextra -o "$tools/floor" "$here/floor.c"
cc -O2 -static -Wall -Wextra -o "$tools/benchkit" "$here/benchkit.c"
strip -o "$tools/floor.stripped" "$tools/floor"
strip -o "$tools/cginit.stripped" "$cginit"

# ---- the run's cgroup -------------------------------------------------------------------------------
if [[ $(stat -f -c %T /sys/fs/cgroup) == cgroup2fs ]]; then v2=/sys/fs/cgroup; else v2=/sys/fs/cgroup/unified; fi
[[ $(stat -f -c %T "$v2" 2>/dev/null) == cgroup2fs ]] || { say "no cgroup2 mount at $v2"; exit 1; }
cg=$v2/cginit-bench-$$
mkdir "$cg"

read -r l1 l5 l15 _ </proc/loadavg
say "load average $l1 $l5 $l15 on $(nproc) CPUs$(awk -v l="$l1" -v n="$(nproc)" 'BEGIN { if (l > n) print " - busy: expect wide min-max ranges" }')"
args=(--repo "$repo" --cginit "$cginit" --cginit-stripped "$tools/cginit.stripped" --floor "$tools/floor"
  --floor-stripped "$tools/floor.stripped" --benchkit "$tools/benchkit" --cgroup-root "$cg"
  --out "$(realpath -m "$out")" --figures "$figures")
((quick)) && args+=(--quick)
((no_vm)) && args+=(--no-vm)
if ((scale)); then
  # 10,000 processes at once, and 50,000 orphans in a row: check the limits first
  need_pids=12000
  [[ $(ulimit -Hu) == unlimited || $(ulimit -Hu) -ge $need_pids ]] || { say "nproc hard limit $(ulimit -Hu) < $need_pids"; exit 1; }
  ulimit -Su "$(ulimit -Hu)"
  (($(cat /proc/sys/kernel/pid_max) >= need_pids + 1000)) || { say "pid_max $(cat /proc/sys/kernel/pid_max) is too small"; exit 1; }
  python3 "$here/scale.py" "${args[@]}"
else
  python3 "$here/bench.py" "${args[@]}"
fi
