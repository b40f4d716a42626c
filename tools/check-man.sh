#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Renders a manual page as man(1) would at 80 columns and fails on anything groff or man warn about.
#   tools/check-man.sh build/doc/cginit.1
set -uo pipefail
page=${1:-build/doc/cginit.1}
if [[ ! -s $page ]]; then
  echo "no manual page at $page (is scdoc installed? -Dman=enabled makes it an error)"
  exit 1
fi
warnings=$(MANWIDTH=80 LC_ALL=C.UTF-8 man --warnings -l "$page" 2>&1 >/dev/null)
if [[ -n $warnings ]]; then
  echo "$warnings"
  echo "$page: man --warnings printed the lines above"
  exit 1
fi
lines=$(MANWIDTH=80 LC_ALL=C.UTF-8 man -l "$page" 2>/dev/null | wc -l)
echo "$page renders without warnings ($lines lines at 80 columns)"
