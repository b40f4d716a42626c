# SPDX-License-Identifier: MIT
# `docker info` runs the init binary with --version and parses tini's output shape
# ("tini version X - git.COMMIT"): with `--init-path` set to cginit it shows cginit's path as the
# init binary and the commit of `cginit --version` as the init version.
. /vm/lib.sh
. /vm/engines.sh
docker_setup
version=$("$CGINIT" --version)
log "cginit --version: $version"
commit=${version##* - git.}
[ "$commit" != "$version" ] || fail "cginit --version has no ' - git.COMMIT' part: $version"
docker info >"$CASE_DIR/info.txt" 2>"$CASE_DIR/info.err" || fail "docker info exited with status $?"
grep -i 'init' "$CASE_DIR/info.txt" | sed 's/^/  | /'
expect_eq "docker info's InitCommit.ID" "$(docker info --format '{{.InitCommit.ID}}')" "$commit"
expect_eq "docker info's InitBinary" "$(docker info --format '{{.InitBinary}}')" "$CGINIT"
expect "docker info prints 'init version: $commit'" grep -q "init version: $commit\$" "$CASE_DIR/info.txt"
expect "dockerd could parse the version (no warning in its log)" \
  sh -c "! grep -q 'failed to parse .*version' '$DAEMON_LOGS/dockerd.log'"
pass
