# SPDX-License-Identifier: MIT
# The warning that cginit gives under podman's --init with the default read-only cgroupfs tells the
# user how to get a writable cgroup. The podman options it offers must work: each `--security-opt`
# named for podman is accepted by podman together with --init and makes the cgroup writable, and
# the one that does so with --init (unmask=/sys/fs/cgroup) is among them.
. /vm/lib.sh
. /vm/engines.sh
podman_setup
out_clear
podman run --rm --network none --init --init-path "$CGINIT" -v "$CASE_DIR:/out" --rootfs "$ROOTFS" \
  /bin/true 2>"$CASE_DIR/podman.err" || fail "podman run --init exited with status $?"
warning=$(grep -m 1 '^\[cginit\] \[warning\] not managing a cgroup' "$CASE_DIR/podman.err")
[ -n "$warning" ] || fail "no 'not managing a cgroup' warning"
log "warning: $warning"
# The podman part of the advice: after "(podman:" or "; podman:", up to the next ";" or ")".
advice=$(echo "$warning" | sed -n 's/.*[(;] *podman: \([^;)]*\).*/\1/p')
log "podman advice: '$advice'"
for opt in $(echo "$advice" | grep -o -- '--security-opt [^ ;),]*' | sed 's/^--security-opt //'); do
  rc=0
  podman run --rm --network none --init --init-path "$CGINIT" --security-opt "$opt" \
    --rootfs "$ROOTFS" /bin/sh -c 'mkdir /sys/fs/cgroup/probe && rmdir /sys/fs/cgroup/probe' \
    >"$CASE_DIR/opt.out" 2>&1 || rc=$?
  sed 's/^/  | /' "$CASE_DIR/opt.out"
  [ "$rc" = 0 ] || fail "the warning offers podman '--security-opt $opt', but podman run --init" \
    "with it exited with status $rc: $(head -n 1 "$CASE_DIR/opt.out")"
  echo "ok: podman --init --security-opt $opt gives a writable cgroup"
done
case $warning in
  *"unmask=/sys/fs/cgroup"*) echo "ok: the warning offers --security-opt unmask=/sys/fs/cgroup" ;;
  *) fail "the warning does not offer podman's --security-opt unmask=/sys/fs/cgroup" \
    "(the option that works with --init)" ;;
esac
pass
