#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds, once and cached like the kernel, the busybox image that the docker and containerd engine
# cases import in the guest (there is no registry there):
#   rootfs.tar   a plain rootfs tarball (`docker import`)
#   image.tar    the same tree as the only layer of a `docker save` archive (`ctr image import`)
# The tree is the host's static busybox with its applets, /etc/passwd, /etc/group, /etc/os-release
# and empty mount points; cginit, memhog and the case's program are bind-mounted at run time, so the
# image does not change when they do. Several runs may build at once: under a lock, into a
# temporary directory that is renamed into place.
#
# usage: tests/vm/engines/image.sh     prints the directory that holds rootfs.tar and image.tar
# Cache: ${CGINIT_VM_CACHE:-/var/tmp/cginit-vm}/images/busybox-<key>/ (key: busybox and this script).
set -euo pipefail
cache=${CGINIT_VM_CACHE:-/var/tmp/cginit-vm}/images
say() { echo "engines-image: $*" >&2; }

busybox=$(command -v busybox) || { say "no busybox (install busybox-static)"; exit 1; }
if ldd "$busybox" >/dev/null 2>&1; then
  say "$busybox is not static (install busybox-static)"
  exit 1
fi
key=$(cat "$busybox" "${BASH_SOURCE[0]}" | sha256sum | cut -c1-16)
dir=$cache/busybox-$key
mkdir -p "$cache"
exec 8>"$cache/.lock"
flock -w 600 8 || { say "timed out waiting for $cache/.lock"; exit 1; }
if [[ -s $dir/image.tar && -s $dir/rootfs.tar ]]; then
  echo "$dir"
  exit 0
fi

tmp=$(mktemp -d "$cache/.build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root
mkdir -p "$root"/{bin,sbin,etc,proc,sys,dev,tmp,run,root,out,usr/bin,usr/sbin,usr/local/bin,var/tmp}
chmod 1777 "$root/tmp" "$root/var/tmp"
cp "$busybox" "$root/bin/busybox"
for a in $("$busybox" --list); do
  [[ $a == busybox ]] || ln -s busybox "$root/bin/$a"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
printf 'ID=busybox\nNAME=busybox\nPRETTY_NAME="busybox (cginit engine tests)"\n' >"$root/etc/os-release"
# Mount points of the files that the cases bind-mount (runc would create them, but a tree that has
# them works read-only as well).
: >"$root/cginit"
: >"$root/workload.sh"
: >"$root/usr/local/bin/memhog"
tar_opts=(--sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --format=gnu)
tar "${tar_opts[@]}" -C "$root" -cf "$tmp/rootfs.tar" .

# docker save layout: <config>.json, <layer>/layer.tar, manifest.json, repositories. containerd's
# importer converts it into an OCI manifest; the unpacker checks diff_ids against the layer.
arch=$(dpkg --print-architecture 2>/dev/null || echo amd64)
img=$tmp/img
layer=$(sha256sum "$tmp/rootfs.tar" | cut -d' ' -f1)
mkdir -p "$img/$layer"
cp "$tmp/rootfs.tar" "$img/$layer/layer.tar"
echo 1.0 >"$img/$layer/VERSION"
printf '{"id":"%s"}' "$layer" >"$img/$layer/json"
printf '%s' "{\"architecture\":\"$arch\",\"os\":\"linux\",\"created\":\"1970-01-01T00:00:00Z\"," \
  "\"config\":{\"Env\":[\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"]," \
  "\"Cmd\":[\"/bin/sh\"]},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:$layer\"]}}" \
  >"$tmp/config.json"
config=$(sha256sum "$tmp/config.json" | cut -d' ' -f1)
mv "$tmp/config.json" "$img/$config.json"
printf '[{"Config":"%s.json","RepoTags":["cginit-test/busybox:latest"],"Layers":["%s/layer.tar"]}]' \
  "$config" "$layer" >"$img/manifest.json"
printf '{"cginit-test/busybox":{"latest":"%s"}}' "$layer" >"$img/repositories"
tar "${tar_opts[@]}" -C "$img" -cf "$tmp/image.tar" .
mkdir -p "$tmp/out"
mv "$tmp/rootfs.tar" "$tmp/image.tar" "$tmp/out/"
rm -rf "$dir"
mv "$tmp/out" "$dir"
say "cached the busybox images in $dir"
echo "$dir"
