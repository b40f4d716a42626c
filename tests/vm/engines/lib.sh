# SPDX-License-Identifier: MIT
# Helpers for the engine cases (tests/vm/engines/*/; /vm/engines.sh in the guest): a busybox rootfs,
# podman (crun, cgroupfs) set up for an initramfs guest, and systemd-nspawn in a cgroup of its own.
# Sourced after /vm/lib.sh. The program inside every container is /workload.sh (workload.sh), and
# $CASE_DIR is bind-mounted at /out, where the program writes what it saw.
# shellcheck disable=SC2034 # the variables below are for the cases
ROOTFS=/tmp/engines-rootfs
WORKLOAD=/workload.sh

# rootfs_make: the container tree $ROOTFS, built once per boot from the guest's static busybox: the
# applets, /etc/passwd, /etc/os-release and /usr (systemd-nspawn wants an OS tree), the static
# cginit as /sbin/cginit and /sbin/init (what `systemd-nspawn -b` boots), the program as
# /workload.sh and the mount point /out.
rootfs_make() {
  [ -x "$ROOTFS$WORKLOAD" ] && return 0
  rm -rf "$ROOTFS.tmp"
  mkdir -p "$ROOTFS.tmp" || fail "cannot create $ROOTFS.tmp"
  (
    set -e
    cd "$ROOTFS.tmp"
    mkdir -p bin sbin etc proc sys dev tmp run root out usr/bin usr/sbin usr/local/bin var/tmp var/log
    chmod 1777 tmp var/tmp
    cp /bin/busybox bin/busybox
    for a in $(/bin/busybox --list); do
      [ "$a" = busybox ] || ln -s busybox "bin/$a"
    done
    printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >etc/passwd
    printf 'root:x:0:\nnogroup:x:65534:\n' >etc/group
    printf 'ID=busybox\nNAME=busybox\nPRETTY_NAME="busybox (cginit engine tests)"\n' >etc/os-release
    cp "$CGINIT" sbin/cginit
    ln -s cginit sbin/init
    cp /vm/workload.sh workload.sh
    chmod 755 sbin/cginit workload.sh
  ) || fail "cannot build the container rootfs"
  mv "$ROOTFS.tmp" "$ROOTFS"
}

# out_clear: removes what an earlier container run left in $CASE_DIR (the container's /out).
out_clear() {
  rm -f "$CASE_DIR"/ready "$CASE_DIR"/env "$CASE_DIR"/cgroup "$CASE_DIR"/pid1 "$CASE_DIR"/starts \
    "$CASE_DIR"/signals "$CASE_DIR"/orphan "$CASE_DIR"/report.json "$CASE_DIR"/handler.* \
    "$CASE_DIR"/ignorer.*
}

# out_ready SECONDS: waits until the program wrote /out/ready.
out_ready() { wait_until "$1" test -e "$CASE_DIR/ready"; }

# out_line FILE: the first line of $CASE_DIR/FILE ("" when it is missing).
out_line() { head -n 1 "$CASE_DIR/$1" 2>/dev/null; }

# cgroup_dir PID: the cgroup directory of host PID in the guest's hierarchy.
cgroup_dir() { echo "$CG$(sed -n 's/^0:://p' "/proc/$1/cgroup" 2>/dev/null)"; }

# sample_peak SECONDS FILE: the largest value FILE (e.g. pids.current) held, read every 50 ms.
sample_peak() {
  _end=$(($(now_cs) + $1 * 100))
  _peak=0
  while [ "$(now_cs)" -lt "$_end" ]; do
    read -r _cur <"$2" || break
    [ "$_cur" -gt "$_peak" ] && _peak=$_cur
    sleep 0.05
  done
  echo "$_peak"
}

# elapsed_ms T0: milliseconds since now_cs was T0.
elapsed_ms() { echo "$((($(now_cs) - $1) * 10))"; }

# ---- podman ---------------------------------------------------------------------------------------

PODMAN_NAME=""

# podman_setup: podman for this guest, once per boot. GOTCHAS: the guest's root is the initramfs,
# where pivot_root(2) fails (EINVAL), hence no_pivot_root; there is no systemd, hence the cgroupfs
# manager and a file for events; vfs storage needs no overlay module.
podman_setup() {
  need_cmd /usr/bin/podman /usr/bin/crun /usr/bin/conmon
  rootfs_make
  [ -e /etc/containers/.cginit-engines ] && return 0
  mkdir -p /etc/containers /var/lib/containers /run/containers /var/tmp
  cat >/etc/containers/containers.conf <<'EOF'
[containers]
log_driver = "k8s-file"

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
no_pivot_root = true
runtime = "crun"
EOF
  cat >/etc/containers/storage.conf <<'EOF'
[storage]
driver = "vfs"
runroot = "/run/containers/storage"
graphroot = "/var/lib/containers/storage"
EOF
  : >/etc/containers/.cginit-engines
}

# podman_cleanup: removes the case's container (the EXIT trap of podman_detach; also after a failure).
podman_cleanup() {
  [ -n "$PODMAN_NAME" ] && podman rm -f -t 0 "$PODMAN_NAME" >/dev/null 2>&1
  PODMAN_NAME=""
}

# podman_detach NAME [PODMAN RUN OPTION]... -- CMD [ARG]...: `podman run -d` of CMD in $ROOTFS with
# /out bound to $CASE_DIR and no network; waits until the program is ready and sets PODMAN_PID (the
# host PID of the container's PID 1) and PODMAN_CG (the container's cgroup: the parent of
# init/ where cginit moved itself there).
podman_detach() {
  PODMAN_NAME=$1
  shift
  _opts=""
  while [ $# -gt 0 ] && [ "$1" != -- ]; do
    _opts="$_opts $1"
    shift
  done
  shift
  trap podman_cleanup EXIT
  out_clear
  log "podman run -d --name $PODMAN_NAME$_opts --rootfs $ROOTFS $*"
  _t0=$(now_cs)
  # shellcheck disable=SC2086 # options without spaces, split on purpose
  podman run -d --name "$PODMAN_NAME" --network none -v "$CASE_DIR:/out" $_opts --rootfs "$ROOTFS" \
    "$@" >/dev/null || fail "podman run -d exited with status $?"
  out_ready 60 || {
    podman logs "$PODMAN_NAME" 2>&1 | tail -n 20
    fail "the program in the container did not get ready"
  }
  PODMAN_PID=$(podman inspect --format '{{.State.Pid}}' "$PODMAN_NAME")
  PODMAN_CG=$(cgroup_dir "$PODMAN_PID")
  case $PODMAN_CG in */init) PODMAN_CG=${PODMAN_CG%/init} ;; esac
  log "container $PODMAN_NAME ready after $(elapsed_ms "$_t0") ms: PID 1 is host pid $PODMAN_PID" \
    "($(tr '\0' ' ' <"/proc/$PODMAN_PID/cmdline")), cgroup ${PODMAN_CG#"$CG"}"
}

# podman_stop: `podman stop -t 20` of the case's container; sets STOP_MS (how long it took) and
# PODMAN_RC (the exit code podman reports for the container).
podman_stop() {
  _t0=$(now_cs)
  podman stop -t 20 "$PODMAN_NAME" >/dev/null || fail "podman stop exited with status $?"
  STOP_MS=$(elapsed_ms "$_t0")
  PODMAN_RC=$(podman wait "$PODMAN_NAME") || fail "podman wait exited with status $?"
  log "podman stop took $STOP_MS ms; the container exited with status $PODMAN_RC"
}

# podman_logs: the container's output (stdout and stderr, with cginit's log lines).
podman_logs() { podman logs "$PODMAN_NAME" 2>&1; }

# ---- systemd-nspawn -------------------------------------------------------------------------------

NSP_N=0

# nspawn_setup: what systemd-nspawn needs in the guest (a machine ID and the host's os-release) and
# the runtime side of a delegated cgroup: the case cgroup offers the controllers to its children.
nspawn_setup() {
  need_cmd /usr/bin/systemd-nspawn
  rootfs_make
  [ -s /etc/machine-id ] || echo 5fe0c2d7a1b84c6f9e3d2a1b0c9f8e7d >/etc/machine-id
  if [ ! -e /usr/lib/os-release ]; then
    mkdir -p /usr/lib
    printf 'ID=cginit-vm\nNAME="cginit test guest"\n' >/usr/lib/os-release
  fi
  [ -e /etc/os-release ] || ln -s ../usr/lib/os-release /etc/os-release
  # shellcheck disable=SC2013 # a list of words
  for _c in $(cat "$CASE_CG/cgroup.controllers"); do
    echo "+$_c" >"$CASE_CG/cgroup.subtree_control" 2>/dev/null
  done
}

# nspawn_start [NSPAWN OPTION]... : starts systemd-nspawn on $ROOTFS in the background, the way a
# systemd unit with Delegate=yes would run it: alone in a fresh cgroup (NSP_UNIT; nspawn puts
# itself into supervisor/ and the container into payload/), --keep-unit --register=no (no dbus or
# machined), a unified (cgroup2) hierarchy inside, /out bound to $CASE_DIR. Output goes to
# $CASE_DIR/nspawn.out, the exit status to $CASE_DIR/nspawn.rc. Sets NSP_PID (nspawn's host PID).
nspawn_start() {
  NSP_N=$((NSP_N + 1))
  NSP_UNIT=$CASE_CG/nspawn-$NSP_N
  mkdir "$NSP_UNIT" || fail "cannot create $NSP_UNIT"
  out_clear
  rm -f "$CASE_DIR/nspawn.rc" "$CASE_DIR/nspawn.rc.tmp" "$CASE_DIR/nspawn.out"
  log "systemd-nspawn $*"
  (
    SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1 /bin/sh -c \
      'echo $$ >"$1/cgroup.procs" || exit 125; shift; exec systemd-nspawn "$@"' nspawn-unit \
      "$NSP_UNIT" -D "$ROOTFS" --register=no --keep-unit -q --bind="$CASE_DIR:/out" "$@" \
      </dev/null >"$CASE_DIR/nspawn.out" 2>&1
    echo $? >"$CASE_DIR/nspawn.rc.tmp"
    mv "$CASE_DIR/nspawn.rc.tmp" "$CASE_DIR/nspawn.rc"
  ) &
  NSP_SUB=$!
  NSP_PID=""
  wait_until 10 _nspawn_found || fail "systemd-nspawn did not start"
  NSP_T0=$(now_cs)
}

_nspawn_found() {
  [ -e "$CASE_DIR/nspawn.rc" ] && return 0
  NSP_PID=$(children "$NSP_SUB" | cut -d' ' -f1)
  [ -n "$NSP_PID" ] && [ "$(readlink "/proc/$NSP_PID/exe" 2>/dev/null)" = /usr/bin/systemd-nspawn ]
}

# nspawn_ready SECONDS: waits until the program in the container is ready; sets NSP_PID1 (the host
# PID of the container's PID 1) and NSP_PAYLOAD (the container's cgroup).
nspawn_ready() {
  out_ready "$1" || {
    cat "$CASE_DIR/nspawn.out"
    fail "the program in the container did not get ready"
  }
  NSP_PAYLOAD=$NSP_UNIT/payload
  NSP_PID1=$(find "$NSP_PAYLOAD" -name cgroup.procs -exec cat {} + | while read -r _p; do
    [ "$(sed -n 's/^NSpid:.*[[:space:]]//p' "/proc/$_p/status" 2>/dev/null)" = 1 ] && echo "$_p"
  done | head -n 1)
  [ -n "$NSP_PID1" ] || fail "no PID 1 of the container found below $NSP_PAYLOAD"
  log "container ready after $(elapsed_ms "$NSP_T0") ms: PID 1 is host pid $NSP_PID1" \
    "($(tr '\0' ' ' <"/proc/$NSP_PID1/cmdline"))," \
    "cgroup $(cgroup_dir "$NSP_PID1" | sed "s|^$CASE_CG/||")"
}

# nspawn_kill SIGNAL PID: sends SIGNAL (a number or a name that busybox kill knows) to PID (nspawn's
# or the container's PID 1) and notes the time, for NSP_MS.
nspawn_kill() {
  NSP_T1=$(now_cs)
  kill -"$1" "$2" || fail "kill -$1 $2 failed"
}

# nspawn_wait SECONDS: waits until systemd-nspawn has exited; sets NSP_RC (its exit status) and
# NSP_MS (the time since nspawn_kill). When it is still running after SECONDS, it is killed and
# the case fails.
nspawn_wait() {
  if ! wait_until "$1" test -e "$CASE_DIR/nspawn.rc"; then
    kill -KILL "$NSP_PID" 2>/dev/null
    cat "$CASE_DIR/nspawn.out"
    fail "systemd-nspawn still running after $1 s"
  fi
  NSP_RC=$(cat "$CASE_DIR/nspawn.rc")
  NSP_MS=$(elapsed_ms "${NSP_T1:-$NSP_T0}")
  log "systemd-nspawn exited with status $NSP_RC after $NSP_MS ms; its output:"
  sed 's/^/  | /' "$CASE_DIR/nspawn.out"
}
