#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Prepares the QEMU cgroup v2 test tier: host packages and Debian's stock kernel, cached (idempotent).
#
#   tests/vm/setup.sh            prints the path of the kernel to boot on stdout (last line)
#
# Installs (apt, as root, only what is missing): qemu-system-x86, busybox-static, xz-utils, util-linux.
# Fetches the kernel named by the linux-image-amd64 meta package's dependency (linux-image-6.1.0-N-amd64)
# with `apt-get download` (never installed on the host), and unpacks the ELF vmlinux (PVH entry) from
# its vmlinuz: QEMU boots that directly, seconds faster under TCG than the compressed bzImage.
# Cache: ${CGINIT_VM_CACHE:-/var/tmp/cginit-vm}/<package>/{vmlinux,vmlinuz,config}.
set -euo pipefail
cache=${CGINIT_VM_CACHE:-/var/tmp/cginit-vm}
export DEBIAN_FRONTEND=noninteractive
apt=(apt-get -q -o DPkg::Lock::Timeout=600 -o Acquire::Retries=3)
say() { echo "vm-setup: $*" >&2; }

mkdir -p "$cache"
exec 8>"$cache/.setup.lock"
flock -w 900 8 || { say "timed out waiting for $cache/.setup.lock"; exit 1; }

updated=0
apt_update() { ((updated)) || { "${apt[@]}" update -qq >&2; updated=1; }; }

missing=()
for pkg in qemu-system-x86 busybox-static xz-utils util-linux; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if ((${#missing[@]})); then
  ((EUID == 0)) || { say "missing packages (need root to install): ${missing[*]}"; exit 1; }
  say "installing ${missing[*]}"
  apt_update
  "${apt[@]}" install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

resolve() { apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}'; }
pkg=$(resolve)
if [[ -z $pkg ]] && ((EUID == 0)); then
  apt_update
  pkg=$(resolve)
fi
if [[ -z $pkg ]]; then
  # No package lists (offline): fall back to the newest kernel already cached.
  pkg=$(find "$cache" -mindepth 2 -maxdepth 2 -name vmlinux -printf '%h\n' 2>/dev/null | sort -V | tail -1)
  pkg=${pkg##*/}
  [[ -n $pkg ]] || { say "cannot resolve linux-image-amd64's kernel package and nothing is cached"; exit 1; }
  say "using cached $pkg (package lists unavailable)"
fi

dir="$cache/$pkg"
if [[ ! -s $dir/vmlinux ]]; then
  tmp=$(mktemp -d "$cache/.dl.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  # apt's sandbox user downloads into the working directory when it may write there.
  if id _apt >/dev/null 2>&1; then chown _apt "$tmp" 2>/dev/null || true; fi
  say "downloading $pkg"
  (cd "$tmp" && { "${apt[@]}" download "$pkg" >&2 2>/dev/null || { apt_update && "${apt[@]}" download "$pkg" >&2; }; })
  deb=$(find "$tmp" -maxdepth 1 -name "${pkg}_*.deb" | head -1)
  [[ -n $deb ]] || { say "apt-get download $pkg produced no .deb"; exit 1; }
  mkdir -p "$tmp/x"
  dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp/x" --wildcards './boot/*'
  mkdir -p "$tmp/out"
  cp "$tmp"/x/boot/vmlinuz-* "$tmp/out/vmlinuz"
  cp "$tmp"/x/boot/config-* "$tmp/out/config"
  # The bzImage carries the kernel as one xz stream: find its magic and decompress it.
  off=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$tmp/out/vmlinuz" | awk -F: 'NR == 1 {print $1}')
  [[ -n $off ]] || { say "no xz stream in $pkg's vmlinuz"; exit 1; }
  tail -c +$((off + 1)) "$tmp/out/vmlinuz" | xz -dc --single-stream >"$tmp/out/vmlinux" 2>/dev/null || true
  [[ $(head -c 4 "$tmp/out/vmlinux" | od -An -tx1 | tr -d ' \n') == 7f454c46 ]] ||
    { say "unpacked vmlinux of $pkg is not an ELF file"; exit 1; }
  rm -rf "$dir"
  mv "$tmp/out" "$dir"
  say "cached $pkg in $dir"
fi
echo "$dir/vmlinux"
