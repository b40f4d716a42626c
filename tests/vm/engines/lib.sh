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
    "$CASE_DIR"/ignorer.* "$CASE_DIR"/stranger* "$CASE_DIR"/hog.rc
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

# cap_sys_admin PID: PID's effective capabilities include CAP_SYS_ADMIN (bit 21 of CapEff).
cap_sys_admin() {
  _caps=$(sed -n 's/^CapEff:[[:space:]]*//p' "/proc/$1/status" 2>/dev/null)
  [ -n "$_caps" ] && [ $((0x$_caps >> 21 & 1)) = 1 ]
}

# cg_subdirs DIR: the names of DIR's child cgroups, one line, sorted ("" when it has none).
cg_subdirs() {
  find "$1" -mindepth 1 -maxdepth 1 -type d -exec basename {} \; 2>/dev/null | sort | tr '\n' ' '
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

# ---- rootless podman and user namespaces ----------------------------------------------------------

# rootfs_owned UID: ROOTFS becomes a copy of the tree owned by UID (made once per boot), for
# containers whose root is UID outside (rootless, --uidmap): the runtime creates mount points and
# podman writes files (/etc/mtab, /run/.containerenv) there as that user.
rootfs_owned() {
  rootfs_make
  _dir=$ROOTFS-$1
  if [ ! -d "$_dir" ]; then
    rm -rf "$_dir.tmp"
    cp -a "$ROOTFS" "$_dir.tmp" && chown -R "$1:$1" "$_dir.tmp" && mv "$_dir.tmp" "$_dir" ||
      fail "cannot copy $ROOTFS for uid $1"
  fi
  ROOTFS=$_dir
}

# The user (uid and gid 1000, "cg") with 65536 subordinate ids from 100000, its home, its runtime
# directory and its cgroup RL_CG.
RL_UID=1000
RL_HOME=/home/cg
RL_RUNTIME=/run/user/1000
RL_CG=$CG/user-$RL_UID

# rootless_setup: podman_setup, then rootless podman for the user, once per boot: the user, its
# subordinate ids, setuid newuidmap/newgidmap (the guest copy loses the bit), its storage (vfs,
# under its home and runtime directory) and ROOTFS owned by it (root in its containers); its cgroup
# $RL_CG, which lives for the whole boot as user@.service does (podman's rootless pause process,
# which holds the user's namespaces, stays there between the cases), delegated by ownership as
# systemd does for Delegate=yes: pids and memory enabled above it, the directory and its
# cgroup.procs, cgroup.threads and cgroup.subtree_control owned by the user. Inside, the user does
# what its session would: its processes in the leaf init.scope/, pids and memory enabled for
# containers/, the containers' cgroup parent (PODMAN_RL_OPTS). $CASE_DIR (the containers' /out) is
# given to the user. Then `podman` runs as the user (rl_run).
rootless_setup() {
  podman_setup
  need_cmd /usr/bin/newuidmap /usr/bin/newgidmap /usr/bin/setpriv
  rootfs_owned "$RL_UID"
  if [ ! -e /run/engines-rootless.ready ]; then
    [ ! -e "$RL_CG" ] || fail "$RL_CG is there from an earlier rootless_setup that failed"
    grep -q "^cg:" /etc/passwd ||
      echo "cg:x:$RL_UID:$RL_UID:cginit test user:$RL_HOME:/bin/sh" >>/etc/passwd
    grep -q "^cg:" /etc/group || echo "cg:x:$RL_UID:" >>/etc/group
    echo "cg:100000:65536" >/etc/subuid
    echo "cg:100000:65536" >/etc/subgid
    chown 0:0 /usr/bin/newuidmap /usr/bin/newgidmap
    chmod 4755 /usr/bin/newuidmap /usr/bin/newgidmap || fail "cannot make newuidmap setuid"
    mkdir -p "$RL_HOME/.config/containers" "$RL_HOME/.local/share/containers" "$RL_RUNTIME"
    printf '[storage]\ndriver = "vfs"\nrunroot = "%s"\ngraphroot = "%s"\n' \
      "$RL_RUNTIME/containers" "$RL_HOME/.local/share/containers/storage" \
      >"$RL_HOME/.config/containers/storage.conf"
    chown -R "$RL_UID:$RL_UID" "$RL_HOME" "$RL_RUNTIME"
    chmod 700 "$RL_RUNTIME"
    cg_has "$CG/cgroup.subtree_control" pids && cg_has "$CG/cgroup.subtree_control" memory ||
      fail "pids and memory are not enabled at the root"
    mkdir "$RL_CG" || fail "cannot create $RL_CG"
    chown "$RL_UID:$RL_UID" "$RL_CG" "$RL_CG/cgroup.procs" "$RL_CG/cgroup.threads" \
      "$RL_CG/cgroup.subtree_control" || fail "cannot give $RL_CG to uid $RL_UID"
    # shellcheck disable=SC2016 # expanded by the user's shell
    /bin/sh -c 'echo $$ >"$1/cgroup.procs" || exit 125; shift; exec "$@"' rl-login "$RL_CG" \
      /usr/bin/setpriv --reuid="$RL_UID" --regid="$RL_UID" --clear-groups /bin/sh -c '
        set -e
        mkdir "$1/init.scope"
        echo $$ >"$1/init.scope/cgroup.procs"
        echo "+pids +memory" >"$1/cgroup.subtree_control"
        mkdir "$1/containers"
        echo "+pids +memory" >"$1/containers/cgroup.subtree_control"' rl-session "$RL_CG" ||
      fail "the user could not set up its delegated cgroup $RL_CG"
    : >/run/engines-rootless.ready
  fi
  chown "$RL_UID:$RL_UID" "$CASE_DIR"
  PODMAN_RL_OPTS="--cgroup-parent=${RL_CG#"$CG"}/containers"
  podman() { rl_run /usr/bin/podman "$@"; }
  log "rootless podman: uid $RL_UID, cgroup ${RL_CG#"$CG"} delegated by ownership," \
    "containers below ${RL_CG#"$CG"}/containers"
}

# rl_run CMD [ARG]...: runs CMD as the user, in its cgroup's init.scope/, with a login's environment.
rl_run() {
  # shellcheck disable=SC2016 # expanded by the inner shell
  /bin/sh -c 'echo $$ >"$1/init.scope/cgroup.procs" || exit 125; shift; exec "$@"' rl-run "$RL_CG" \
    /usr/bin/setpriv --reuid="$RL_UID" --regid="$RL_UID" --clear-groups \
    env -i HOME="$RL_HOME" USER=cg LOGNAME=cg XDG_RUNTIME_DIR="$RL_RUNTIME" \
    PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin "$@"
}

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

# ---- containerd (for Docker and for ctr) ------------------------------------------------------------

# The daemons live for the whole boot (every case of the engine uses them), in a cgroup of their own
# outside the cases' cgroups (whose leftovers the guest driver kills after each case). Their logs
# are $DAEMON_LOGS/*.log.
DAEMONS_CG=$CG/engine-daemons
DAEMON_LOGS=/var/log/engines
IMAGE_ROOTFS=/vm/images/busybox-rootfs.tar
IMAGE_ARCHIVE=/vm/images/busybox-image.tar
# The guest's root is the initramfs: no overlay module, so the native snapshotter (containerd) and
# vfs (dockerd).
export CONTAINERD_SNAPSHOTTER=native

# daemon_start NAME CMD [ARG]...: starts CMD in the background in $DAEMONS_CG (setsid, stdio to
# $DAEMON_LOGS/NAME.log); its PID goes to /run/engines-NAME.pid.
daemon_start() {
  _name=$1
  shift
  mkdir -p "$DAEMONS_CG" "$DAEMON_LOGS" || fail "cannot create $DAEMONS_CG"
  log "starting $*"
  rm -f "/run/engines-$_name.pid" "/run/engines-$_name.pid.tmp"
  setsid /bin/sh -c \
    'echo $$ >"$1/cgroup.procs" || exit 125; echo $$ >"$2.tmp"; mv "$2.tmp" "$2"; shift 2; exec "$@"' \
    daemon "$DAEMONS_CG" "/run/engines-$_name.pid" "$@" </dev/null >>"$DAEMON_LOGS/$_name.log" 2>&1 &
  wait_until 10 test -s "/run/engines-$_name.pid" || fail "$_name did not start"
}

# daemon_alive NAME: the daemon that daemon_start NAME started is still running.
daemon_alive() { [ -s "/run/engines-$1.pid" ] && alive "$(cat "/run/engines-$1.pid")"; }

# daemon_ready NAME SECONDS CMD [ARG]...: waits until CMD succeeds (the daemon answers); fails the
# case with the end of the daemon's log when it does not within SECONDS or the daemon died.
daemon_ready() {
  _name=$1 _secs=$2
  shift 2
  _t0=$(now_cs)
  _daemon_answers() {
    daemon_alive "$_name" || return 0
    "$@" >/dev/null 2>&1
  }
  if ! wait_until "$_secs" _daemon_answers "$@" || ! daemon_alive "$_name"; then
    tail -n 30 "$DAEMON_LOGS/$_name.log"
    fail "$_name did not get ready within $_secs s"
  fi
  log "$_name ready after $(elapsed_ms "$_t0") ms"
}

# containerd_setup: containerd for this boot (started once; the CRI plugin off: nothing here uses it).
containerd_setup() {
  need_cmd /usr/bin/containerd /usr/bin/containerd-shim-runc-v2 /usr/sbin/runc
  if daemon_alive containerd; then
    daemon_ready containerd 120 test -S /run/containerd/containerd.sock
    return 0
  fi
  mkdir -p /etc/containerd /var/lib/containerd /run/containerd
  cat >/etc/containerd/config.toml <<'TOML'
version = 2
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.overlayfs"]
TOML
  daemon_start containerd /usr/bin/containerd --config /etc/containerd/config.toml
  daemon_ready containerd 120 test -S /run/containerd/containerd.sock
}

# ---- Docker (Debian's docker.io 20.10) ------------------------------------------------------------

DOCKER_IMAGE=cginit-test/busybox:latest
DOCKER_NAMES=""

# docker_setup: containerd and dockerd for this boot, started once: the init is the static cginit
# (what `docker run --init` runs as /sbin/docker-init), set by examples/daemon.json, which
# engines/run.sh installs as /etc/docker/daemon.json ("init-path"; without that file,
# `--init-path`); vfs storage, no iptables, bridge or registry; DOCKER_RAMDISK because
# pivot_root(2) fails on the initramfs; the runtime cg-delegate (runc-delegate.sh: runc that hands
# the container's cgroup, mounted read-write, to the container's user). Then the cached busybox
# rootfs is imported as $DOCKER_IMAGE.
docker_setup() {
  need_cmd /usr/sbin/dockerd /usr/bin/docker
  [ -s "$IMAGE_ROOTFS" ] || skip "no busybox image in the guest (tests/vm/engines/image.sh)"
  containerd_setup
  if ! daemon_alive dockerd; then
    mkdir -p /var/lib/docker /run/docker /etc/docker
    _init_path="--init-path=$CGINIT"
    if [ -s /etc/docker/daemon.json ]; then
      log "/etc/docker/daemon.json (examples/daemon.json): $(tr -d '\n' </etc/docker/daemon.json)"
      _init_path=""
    fi
    # shellcheck disable=SC2086 # empty or one word
    DOCKER_RAMDISK=true daemon_start dockerd /usr/sbin/dockerd \
      --containerd /run/containerd/containerd.sock $_init_path --storage-driver vfs \
      --iptables=false --ip6tables=false --bridge=none --ip-masq=false --userland-proxy=false \
      --exec-opt native.cgroupdriver=cgroupfs --log-level warn \
      --add-runtime cg-delegate=/vm/runc-delegate
  fi
  # Every docker command takes seconds under TCG: once dockerd answered and the image is there,
  # later cases only check that it still runs.
  if [ -e /run/engines-docker.ready ] && daemon_alive dockerd; then
    return 0
  fi
  daemon_ready dockerd 180 /usr/bin/docker version
  if ! /usr/bin/docker image inspect "$DOCKER_IMAGE" >/dev/null 2>&1; then
    _t0=$(now_cs)
    /usr/bin/docker import "$IMAGE_ROOTFS" "$DOCKER_IMAGE" >/dev/null ||
      fail "docker import of $IMAGE_ROOTFS failed"
    log "docker import took $(elapsed_ms "$_t0") ms"
  fi
  : >/run/engines-docker.ready
}

docker() { /usr/bin/docker "$@"; }

# docker_cleanup: removes the case's containers (the EXIT trap of docker_detach).
docker_cleanup() {
  for _n in $DOCKER_NAMES; do
    docker rm -f "$_n" >/dev/null 2>&1
  done
  DOCKER_NAMES=""
}

# docker_mounts: /out (the case's directory), the program and memhog, bound into every container.
docker_mounts() {
  echo "-v $CASE_DIR:/out -v /vm/workload.sh:/workload.sh:ro"
  [ ! -x "$MEMHOG" ] || echo "-v $MEMHOG:/usr/local/bin/memhog:ro"
}

# docker_detach NAME [DOCKER RUN OPTION]... -- CMD [ARG]...: `docker run -d` of CMD in
# $DOCKER_IMAGE with no network and docker_mounts; waits until the program wrote /out/ready and
# sets DOCKER_PID (host PID of the container's init process) and DOCKER_CG (its cgroup; the parent
# of init/ where cginit moved itself there).
docker_detach() {
  _name=$1
  shift
  DOCKER_NAMES="$DOCKER_NAMES $_name"
  _opts=""
  while [ $# -gt 0 ] && [ "$1" != -- ]; do
    _opts="$_opts $1"
    shift
  done
  shift
  trap docker_cleanup EXIT
  out_clear
  log "docker run -d --name $_name$_opts $DOCKER_IMAGE $*"
  _t0=$(now_cs)
  # shellcheck disable=SC2046,SC2086 # options without spaces, split on purpose
  docker run -d --name "$_name" --network none $(docker_mounts) $_opts "$DOCKER_IMAGE" "$@" \
    >/dev/null || fail "docker run -d exited with status $?"
  out_ready 90 || {
    docker logs "$_name" 2>&1 | tail -n 20
    fail "the program in the container did not get ready"
  }
  DOCKER_PID=$(docker inspect --format '{{.State.Pid}}' "$_name")
  DOCKER_CG=$(cgroup_dir "$DOCKER_PID")
  case $DOCKER_CG in */init) DOCKER_CG=${DOCKER_CG%/init} ;; esac
  log "container $_name ready after $(elapsed_ms "$_t0") ms: its init is host pid $DOCKER_PID" \
    "($(tr '\0' ' ' <"/proc/$DOCKER_PID/cmdline")), cgroup ${DOCKER_CG#"$CG"}"
}

# docker_stop NAME [SECONDS]: `docker stop -t SECONDS NAME` (docker's SIGKILL after SECONDS, default
# 10, docker's own default); sets STOP_MS and DOCKER_RC (the container's exit code: 137 when docker
# had to SIGKILL the init). Under TCG docker's own part of a stop takes several seconds.
docker_stop() {
  _t0=$(now_cs)
  docker stop -t "${2:-10}" "$1" >/dev/null || fail "docker stop exited with status $?"
  STOP_MS=$(elapsed_ms "$_t0")
  DOCKER_RC=$(docker wait "$1") || fail "docker wait exited with status $?"
  log "docker stop took $STOP_MS ms; the container exited with status $DOCKER_RC"
}

# docker_logs NAME: the container's output (with cginit's log lines), also kept in
# $CASE_DIR/NAME.log.
docker_logs() { docker logs "$1" >"$CASE_DIR/$1.log" 2>&1; cat "$CASE_DIR/$1.log"; }

# ---- containerd + runc through ctr ----------------------------------------------------------------

CTRD_IMAGE=docker.io/cginit-test/busybox:latest
CTRD_IDS=""

# ctrd_setup: containerd for this boot and the cached busybox image imported (native snapshotter).
ctrd_setup() {
  need_cmd /usr/bin/ctr
  [ -s "$IMAGE_ARCHIVE" ] || skip "no busybox image in the guest (tests/vm/engines/image.sh)"
  containerd_setup
  ctr image ls -q 2>/dev/null | grep -qx "$CTRD_IMAGE" && return 0
  _t0=$(now_cs)
  ctr image import "$IMAGE_ARCHIVE" >/dev/null || fail "ctr image import of $IMAGE_ARCHIVE failed"
  ctr image ls -q | grep -qx "$CTRD_IMAGE" || fail "ctr image import did not make $CTRD_IMAGE"
  log "ctr image import took $(elapsed_ms "$_t0") ms"
}

# ctrd_mounts: what the CRI plugin (Kubernetes) gives every container on a cgroup v2 node and ctr
# alone does not: a private cgroup namespace (`--with-ns cgroup:` with no path makes a new one) and
# cgroup2 mounted at /sys/fs/cgroup (ctr's default spec mounts no cgroupfs at all), read-only, or
# read-write when CTRD_CGROUP_MODE is rw (what containerd's `cgroup_writable` runtime option and
# Kubernetes' writable cgroups do: no --privileged, the default capabilities). Then /out, the
# program, memhog and cginit (at /cginit) bound into the container.
CTRD_CGROUP_MODE=ro
ctrd_mounts() {
  echo "--with-ns cgroup: --mount type=cgroup,src=cgroup,dst=/sys/fs/cgroup,options=$CTRD_CGROUP_MODE:nosuid:noexec:nodev" \
    "--mount type=bind,src=$CASE_DIR,dst=/out,options=rbind:rw" \
    "--mount type=bind,src=/vm/workload.sh,dst=/workload.sh,options=rbind:ro" \
    "--mount type=bind,src=$CGINIT,dst=/cginit,options=rbind:ro"
  [ ! -x "$MEMHOG" ] || echo "--mount type=bind,src=$MEMHOG,dst=/usr/local/bin/memhog,options=rbind:ro"
}

# ctrd_cleanup: kills and removes the case's tasks and containers (the EXIT trap of ctrd_run).
ctrd_cleanup() {
  for _id in $CTRD_IDS; do
    ctr task kill -s SIGKILL "$_id" >/dev/null 2>&1
    ctr task rm -f "$_id" >/dev/null 2>&1
    ctr container rm "$_id" >/dev/null 2>&1
  done
  CTRD_IDS=""
}

# ctrd_run ID [CTR RUN OPTION]... -- CMD [ARG]...: `ctr run --rm --no-pivot` of CMD in $CTRD_IMAGE
# with ctrd_mounts, in the background (ctr in the foreground of a subshell, stdin /dev/null); its
# stdout and stderr go to $CASE_DIR/ID.out and ID.err, its exit status to $CASE_DIR/ID.rc. Waits
# until the task runs and sets CTRD_PID (the host PID of the container's init process).
ctrd_run() {
  _id=$1
  shift
  CTRD_IDS="$CTRD_IDS $_id"
  _opts=""
  while [ $# -gt 0 ] && [ "$1" != -- ]; do
    _opts="$_opts $1"
    shift
  done
  shift
  trap ctrd_cleanup EXIT
  rm -f "$CASE_DIR/$_id.rc" "$CASE_DIR/$_id.rc.tmp" "$CASE_DIR/$_id.out" "$CASE_DIR/$_id.err"
  log "ctr run --rm --no-pivot$_opts $CTRD_IMAGE $_id $*"
  (
    # shellcheck disable=SC2046,SC2086 # options without spaces, split on purpose
    ctr run --rm --no-pivot $(ctrd_mounts) $_opts "$CTRD_IMAGE" "$_id" "$@" </dev/null \
      >"$CASE_DIR/$_id.out" 2>"$CASE_DIR/$_id.err"
    echo $? >"$CASE_DIR/$_id.rc.tmp"
    mv "$CASE_DIR/$_id.rc.tmp" "$CASE_DIR/$_id.rc"
  ) &
  CTRD_PID=""
  _ctrd_task_up() {
    [ -e "$CASE_DIR/$_id.rc" ] && return 0
    CTRD_PID=$(ctr task ls 2>/dev/null | awk -v id="$_id" '$1 == id && $3 == "RUNNING" {print $2}')
    [ -n "$CTRD_PID" ]
  }
  wait_until 90 _ctrd_task_up || fail "the task $_id did not start"
  [ -n "$CTRD_PID" ] || {
    cat "$CASE_DIR/$_id.err"
    fail "the task $_id ended at once with status $(cat "$CASE_DIR/$_id.rc")"
  }
  log "task $_id runs: its init is host pid $CTRD_PID ($(tr '\0' ' ' <"/proc/$CTRD_PID/cmdline"))," \
    "cgroup $(cgroup_dir "$CTRD_PID" | sed "s|^$CG||")"
}

# ctrd_wait ID SECONDS: waits until `ctr run` of ID has exited; sets CTRD_RC. Fails the case (with
# ctr's stderr) when it still runs after SECONDS.
ctrd_wait() {
  if ! wait_until "$2" test -e "$CASE_DIR/$1.rc"; then
    sed 's/^/  | /' "$CASE_DIR/$1.err"
    fail "ctr run of $1 still running after $2 s"
  fi
  CTRD_RC=$(cat "$CASE_DIR/$1.rc")
  log "ctr run of $1 exited with status $CTRD_RC; its stderr:"
  sed 's/^/  | /' "$CASE_DIR/$1.err"
}
