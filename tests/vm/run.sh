#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs the cgroup v2 cases of tests/vm/cases in one QEMU (TCG) boot of Debian's kernel and reports
# each case as PASS, FAIL or SKIP. A guest that times out or stops without reporting fails every case
# it did not report, and the kernel console is shown.
#
# usage: tests/vm/run.sh [OPTION]... [CASE]...         (default: every case)
#   --build DIR          take the binaries below from the meson build directory DIR
#   --cginit PATH        the static cginit to test (default $CGINIT_BIN)
#   --payload PATH       the static test payload, /usr/local/bin/payload in the guest ($CGINIT_PAYLOAD)
#   --memhog PATH        the static memory hog, /usr/local/bin/memhog in the guest ($CGINIT_VM_MEMHOG)
#   --cgroup-opts OPTS   cgroup2 mount options in the guest (default "nsdelegate"; "" for none)
#   --no-nsdelegate      the same as --cgroup-opts ""
#   --timeout SEC        limit for the whole boot (default ${CGINIT_VM_TIMEOUT:-420})
#   --case-timeout SEC   limit for one case inside the guest (default 120)
#   --case-dir DIR       take cases from DIR instead of tests/vm/cases (repeatable)
#   --file SRC[:DST]     also copy SRC into the guest (with its shared libraries if it is dynamic)
#   --optional-file SRC[:DST]  the same, but only when SRC exists on the host (cases that need it
#                        check for it with need_cmd and skip)
#   -m MB, --smp N       guest memory (default 512) and CPUs (default 1)
#   --accel tcg|kvm      QEMU accelerator (default tcg; kvm only where /dev/kvm runs stock kernels)
#   --out DIR            keep results.txt, logs/<case>.log, transcript.log and console.log in DIR
#   -v                   print every case's transcript, not only the failing ones
#   --meson-case CASE    meson mode: report CASE only (exit 0 pass, 1 fail, 77 skip). All cases run in
#                        one boot per `meson test` run and cgroup option set; the results are shared
#                        through $CGINIT_VM_RESULTS (or --out) under a lock.
#   --group NAME         meson mode: name of the boot's result set (default: from --cgroup-opts and
#                        --case-dir); tests that share it must pass the same options
# Exit status: 0 when nothing failed, 1 when a case failed, 2 for usage errors, 77 (skip) when QEMU
# or busybox-static is missing and cannot be installed (not root).
# Kernel and packages: tests/vm/setup.sh (run on demand; cache ${CGINIT_VM_CACHE:-/var/tmp/cginit-vm}).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

cginit=${CGINIT_BIN:-}
payload=${CGINIT_PAYLOAD:-}
memhog=${CGINIT_VM_MEMHOG:-}
cgroup_opts=nsdelegate
timeout_s=${CGINIT_VM_TIMEOUT:-420}
case_timeout=120
case_dirs=()
files=()
mem=512
smp=1
accel=tcg
group=""
out=""
verbose=0
meson_case=""
cases=()

usage() {  # usage STATUS
  sed -n '3,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
  exit "$1"
}
while (($#)); do
  case $1 in
    --build)
      cginit=$2/src/cginit
      memhog=$2/tests/vm/memhog
      payload=$2/tests/integration/payload
      [[ -x $payload ]] || payload=""
      [[ -x $memhog ]] || memhog=""
      shift
      ;;
    --cginit) cginit=$2; shift ;;
    --payload) payload=$2; shift ;;
    --memhog) memhog=$2; shift ;;
    --cgroup-opts) cgroup_opts=$2; shift ;;
    --no-nsdelegate) cgroup_opts="" ;;
    --timeout) timeout_s=$2; shift ;;
    --case-timeout) case_timeout=$2; shift ;;
    --case-dir) case_dirs+=("$(cd "$2" && pwd)"); shift ;;
    --file) files+=("$2"); shift ;;
    --optional-file) [[ ! -e ${2%%:*} ]] || files+=("$2"); shift ;;
    -m) mem=$2; shift ;;
    --smp) smp=$2; shift ;;
    --accel) accel=$2; shift ;;
    --group) group=$2; shift ;;
    --out) out=$2; shift ;;
    -v) verbose=1 ;;
    --meson-case) meson_case=$2; shift ;;
    -h | --help) usage 0 ;;
    -*) echo "run.sh: unknown option $1" >&2; usage 2 >&2 ;;
    *) cases+=("$1") ;;
  esac
  shift
done
((${#case_dirs[@]})) || case_dirs=("$here/cases")
if ((${#cases[@]} == 0)); then
  mapfile -t cases < <(for d in "${case_dirs[@]}"; do
    find "$d" -maxdepth 1 -name '*.sh' -printf '%f\n'
  done | sed 's/\.sh$//' | sort -u)
fi
[[ -n $cginit ]] || { echo "run.sh: no cginit binary: pass --cginit or set CGINIT_BIN" >&2; exit 2; }
case $accel in
  tcg) accel_args=(-accel tcg) ;;
  kvm) accel_args=(-accel kvm -cpu host) ;;
  *) echo "run.sh: --accel must be tcg or kvm" >&2; exit 2 ;;
esac
if ((EUID != 0)) && { ! command -v qemu-system-x86_64 >/dev/null || ! dpkg -s busybox-static >/dev/null 2>&1; }; then
  echo "SKIP: qemu-system-x86 and busybox-static are needed (tests/vm/setup.sh installs them as root)"
  exit 77
fi

cleanup=()
trap 'rm -rf "${cleanup[@]}"' EXIT

# ---- one boot -----------------------------------------------------------------------------------

is_elf() { [[ -f $1 && $(head -c 4 "$1" | od -An -tx1 | tr -d ' \n') == 7f454c46 ]]; }

# add_file ROOT SRC DST: copies SRC to ROOT/DST, and a dynamic ELF file's libraries to their paths.
add_file() {
  local root=$1 src=$2 dst=$3 lib
  [[ -e $src ]] || { echo "run.sh: no such file: $src" >&2; return 1; }
  mkdir -p "$root$(dirname "$dst")"
  if [[ -d $src ]]; then
    cp -a "$src" "$root$dst"
    return 0
  fi
  if is_elf "$src" && command -v objcopy >/dev/null; then
    objcopy --strip-debug "$src" "$root$dst" 2>/dev/null || cp -L "$src" "$root$dst"
  else
    cp -L "$src" "$root$dst"
  fi
  chmod --reference="$src" "$root$dst"
  is_elf "$src" || return 0
  { ldd "$src" 2>/dev/null || true; } | awk '/=> \// {print $3} /^[[:space:]]*\// {print $1}' |
    while read -r lib; do
      [[ -e $root$lib ]] && continue
      mkdir -p "$root$(dirname "$lib")"
      cp -L "$lib" "$root$lib"
    done
}

# build_initramfs WORK CASE...: WORK/initrd.cpio with busybox, the guest scripts, the cases and binaries.
build_initramfs() {
  local work=$1 root=$1/root d c f
  shift
  mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,usr/local/bin,proc,sys,dev,tmp,run,root,etc,vm/cases}
  local busybox
  busybox=$(command -v busybox)
  if ! is_elf "$busybox" || ldd "$busybox" >/dev/null 2>&1; then
    echo "run.sh: $busybox is not static (install busybox-static)" >&2
    return 1
  fi
  cp "$busybox" "$root/bin/busybox"
  ln -s busybox "$root/bin/sh"
  cp "$here/guest/init.sh" "$root/init"
  cp "$here/guest/lib.sh" "$here/guest/ctr.sh" "$here/guest/daemon.sh" "$root/vm/"
  chmod 755 "$root/init" "$root"/vm/*.sh
  for c in "$@"; do
    for d in "${case_dirs[@]}"; do
      [[ -f $d/$c.sh ]] && cp "$d/$c.sh" "$root/vm/cases/$c.sh"
    done
  done
  # util-linux: busybox's unshare and nsenter have no cgroup namespace option.
  add_file "$root" /usr/bin/unshare /usr/bin/unshare
  add_file "$root" /usr/bin/nsenter /usr/bin/nsenter
  # util-linux setpriv: a container without CAP_SYS_ADMIN (ctr_start --drop-cap).
  add_file "$root" /usr/bin/setpriv /usr/bin/setpriv
  add_file "$root" "$cginit" /usr/local/bin/cginit
  [[ -z $payload ]] || add_file "$root" "$payload" /usr/local/bin/payload
  [[ -z $memhog ]] || add_file "$root" "$memhog" /usr/local/bin/memhog
  for f in "${files[@]+"${files[@]}"}"; do
    if [[ $f == *:* ]]; then add_file "$root" "${f%%:*}" "${f#*:}"; else add_file "$root" "$f" "$(realpath -s "$f")"; fi
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
  {
    printf 'VM_CGROUP_OPTS=%q\n' "$cgroup_opts"
    printf 'VM_CASES=%q\n' "$*"
    printf 'VM_CASE_TIMEOUT=%q\n' "$case_timeout"
  } >"$root/vm/conf"
  (cd "$root" && find . | "$busybox" cpio -o -H newc 2>/dev/null) >"$work/initrd.cpio"
}

# boot DIR CASE...: boots once and leaves DIR/results.txt ("PASS|FAIL|SKIP CASE [REASON]" per case),
# DIR/logs/CASE.log, DIR/transcript.log, DIR/console.log and DIR/boot (how the boot ended).
boot() {
  local dir=$1 stream=$2 kernel work qpid qrc=0 t0 c line status reason boot_status
  shift 2
  mkdir -p "$dir/logs"
  kernel=$("$here/setup.sh" | tail -n 1) || { echo "run.sh: tests/vm/setup.sh failed" >&2; return 1; }
  work=$(mktemp -d "${TMPDIR:-/tmp}/cginit-vm.XXXXXX")
  cleanup+=("$work")
  build_initramfs "$work" "$@" || return 1
  : >"$dir/results.raw"
  : >"$dir/transcript.log"
  : >"$dir/console.log"
  t0=$SECONDS
  timeout -k 5 "$timeout_s" qemu-system-x86_64 "${accel_args[@]}" -m "$mem" -smp "$smp" \
    -nodefaults -no-user-config -display none -no-reboot \
    -kernel "$kernel" -initrd "$work/initrd.cpio" \
    -append "console=ttyS0 quiet panic=-1 8250.nr_uarts=4 rdinit=/init" \
    -chardev "file,id=s0,path=$dir/console.log" -serial chardev:s0 \
    -chardev "file,id=s1,path=$dir/transcript.log" -serial chardev:s1 \
    -chardev "file,id=s2,path=$dir/results.raw" -serial chardev:s2 \
    </dev/null 2> >(grep -v "host doesn't support requested feature" >&2) &
  qpid=$!
  if ((stream)); then
    tail -s 0.2 -n +1 -F --pid="$qpid" "$dir/results.raw" 2>/dev/null |
      while read -r tag c status reason; do
        reason=${reason%$'\r'}
        if [[ $tag == RESULT ]]; then echo "$status $c${reason:+: $reason}"; fi
      done
  fi
  wait "$qpid" || qrc=$?
  tr -d '\r' <"$dir/results.raw" >"$dir/results.lines"
  if ((qrc == 124 || qrc == 137)); then
    boot_status="the VM timed out after ${timeout_s}s"
  elif line=$(grep -m 1 '^BOOTFAIL ' "$dir/results.lines"); then
    boot_status="guest setup failed: ${line#BOOTFAIL }"
  elif ! grep -q '^BOOTED ' "$dir/results.lines"; then
    boot_status="the guest never booted (qemu exit status $qrc)"
  elif ! grep -q '^DONE' "$dir/results.lines"; then
    boot_status="the guest stopped without reporting (qemu exit status $qrc)"
  else
    boot_status=ok
  fi
  echo "$boot_status" >"$dir/boot"
  echo "boot: $boot_status; $((SECONDS - t0)) s; $(grep -m 1 '^BOOTED ' "$dir/results.lines" || true)" >&2
  rm -rf "$work"
  awk -v dir="$dir/logs" '
    /^@@@ BEGIN / { file = dir "/" $3 ".log"; printf "" > file; next }
    file != "" { print >> file }
    /^@@@ END / { close(file); file = "" }' "$dir/transcript.log"
  : >"$dir/results.txt"
  for c in "$@"; do
    line=$(grep -m 1 "^RESULT $c " "$dir/results.lines" || true)
    if [[ -n $line ]]; then
      read -r _ _ status reason <<<"$line"
      echo "$status $c${reason:+ $reason}" >>"$dir/results.txt"
    else
      echo "FAIL $c no result: $boot_status" >>"$dir/results.txt"
    fi
  done
}

# console_tail DIR: the end of the kernel console and of the transcript, for a boot that went wrong.
console_tail() {
  echo "---- guest console, last 60 lines ($1/console.log):"
  tail -n 60 "$1/console.log" | tr -d '\r'
  echo "---- guest transcript, last 30 lines:"
  tail -n 30 "$1/transcript.log" | tr -d '\r'
  echo "----"
}

# ---- meson mode: one boot per `meson test` run, shared by the per-case tests ----------------------

if [[ -n $meson_case ]]; then
  out=${out:-${CGINIT_VM_RESULTS:-}}
  [[ -n $out ]] || { echo "run.sh: --meson-case needs --out or CGINIT_VM_RESULTS" >&2; exit 2; }
  if [[ -z $group ]]; then
    group=${cgroup_opts:-none}
    [[ ${case_dirs[*]} == "$here/cases" ]] || group+="-$(basename "${case_dirs[0]}")"
  fi
  dir=$out/${group//[^A-Za-z0-9_.-]/_}
  mkdir -p "$out"
  # The results belong to one run of `meson test` (our parent, identified by PID and start time) and
  # to these exact inputs; any other run boots again.
  parent=$(sed 's/.*) //' "/proc/$PPID/stat" | cut -d' ' -f20)
  key=$({
    echo "parent $PPID $parent opts $cgroup_opts $mem $smp $accel $timeout_s $case_timeout ${files[*]-}"
    echo "cases ${cases[*]} from ${case_dirs[*]}"
    stat -L -c '%n %s %Y' "$cginit" ${payload:+"$payload"} ${memhog:+"$memhog"} "$here"/*.sh "$here"/guest/*.sh
    find "${case_dirs[@]}" -maxdepth 1 -name '*.sh' -exec stat -L -c '%n %s %Y' {} +
  } | md5sum | cut -d' ' -f1)
  exec 9>"$dir.lock"
  flock -w $((timeout_s + 300)) 9 || { echo "FAIL: timed out waiting for $dir.lock"; exit 1; }
  if [[ $(cat "$dir/key" 2>/dev/null) != "$key" ]]; then
    rm -rf "$dir"
    mkdir -p "$dir"
    echo "booting the guest for all ${#cases[@]} cases (cgroup2 options '$cgroup_opts')" >&2
    if ! (boot "$dir" 0 "${cases[@]}"); then
      echo "setup failed" >"$dir/boot"
      for c in "${cases[@]}"; do echo "FAIL $c the VM could not be started (see the test log)"; done >"$dir/results.txt"
    fi
    echo "$key" >"$dir/key"
  fi
  # (the lock stays held while this test reads, so that another run cannot replace the results)
  [[ -f $dir/logs/$meson_case.log ]] && tr -d '\r' <"$dir/logs/$meson_case.log"
  line=$(grep -m 1 "^[A-Z]* $meson_case\( \|$\)" "$dir/results.txt" || echo "FAIL $meson_case no such case")
  read -r status _ reason <<<"$line"
  echo "$status $meson_case${reason:+: $reason}"
  [[ $(cat "$dir/boot") == ok ]] || { [[ $status == FAIL ]] && console_tail "$dir"; }
  echo "(logs of this boot: $dir)"
  case $status in
    PASS) exit 0 ;;
    SKIP) exit 77 ;;
    *) exit 1 ;;
  esac
fi

# ---- direct mode --------------------------------------------------------------------------------

if [[ -n $out ]]; then
  dir=$out
  mkdir -p "$dir"
else
  dir=$(mktemp -d "${TMPDIR:-/tmp}/cginit-vm-results.XXXXXX")
  cleanup+=("$dir")
fi
echo "running ${#cases[@]} case(s) in one boot, cgroup2 options '$cgroup_opts'" >&2
boot "$dir" 1 "${cases[@]}" || exit 1
passed=0 failed=0 skipped=0
while read -r status c reason; do
  case $status in
    PASS) passed=$((passed + 1)) ;;
    SKIP) skipped=$((skipped + 1)) ;;
    *) failed=$((failed + 1)) ;;
  esac
  if [[ $status == FAIL || $verbose == 1 ]] && [[ -f $dir/logs/$c.log ]]; then
    echo "==== $c ($status${reason:+: $reason})"
    tr -d '\r' <"$dir/logs/$c.log"
  fi
done <"$dir/results.txt"
echo "==== results"
sed 's/^\([A-Z]*\) \([^ ]*\) \(.*\)/\1 \2: \3/' "$dir/results.txt"
[[ $(cat "$dir/boot") == ok ]] || console_tail "$dir"
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
((failed == 0))
