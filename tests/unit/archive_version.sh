#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A tree made by `git archive HEAD` (a release tarball, a Debian source package) is no git
# checkout, yet its `cginit --version` names the archived commit: export-subst (.gitattributes)
# wrote it into include/cginit/archived_commit.txt and meson reads it from there. Configures such
# a tree, which writes version.h (seconds, nothing compiled); the full build of an archive is
# tools/build-package.sh's. Checks HEAD, not the work tree.
#
#   archive_version.sh SOURCE_DIR
set -euo pipefail
src=$1
work=$(mktemp -d /tmp/cginit-archive.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir "$work/tree"
git -C "$src" archive HEAD | tar -x -C "$work/tree"
if ! meson setup "$work/build" "$work/tree" --wrap-mode=nodownload -Dtests=disabled \
  -Dman=disabled >"$work/setup.log" 2>&1; then
  cat "$work/setup.log"
  exit 1
fi
head=$(git -C "$src" rev-parse HEAD)
want="inline constexpr const char* kGitCommit = \"${head:0:7}\";"
if ! grep -qxF "$want" "$work/build/include/cginit/version.h"; then
  echo "version.h of a git archive of HEAD ($head) lacks: $want"
  cat "$work/build/include/cginit/version.h"
  exit 1
fi
echo "git archive of $head: --version names git.${head:0:7}"
