#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Checks that cginit(1) documents what `cginit --help` prints: every short and long option has an
entry (a term line) in the page's OPTIONS section, and every CGINIT_*/TINI_* variable is named.
Options the page documents that --help does not print are listed as notes, not failures.

Usage: check_options.py CGINIT_BINARY PAGE.scd
"""
import re
import subprocess
import sys

OPTION = re.compile(r"(?<![\w-])(--?[A-Za-z][A-Za-z0-9-]*)")
VARIABLE = re.compile(r"\b((?:CGINIT|TINI)_[A-Z0-9_]*[A-Z0-9])\b")


def options_section(page):
    match = re.search(r"^# OPTIONS\n(.*?)^# ", page, re.S | re.M)
    if not match:
        sys.exit("no OPTIONS section in the page")
    # Term lines start at column 0 with a bold option; their descriptions are indented.
    terms = [line for line in match.group(1).splitlines() if line.startswith("*-")]
    return {opt for line in terms for opt in OPTION.findall(line)}


def main():
    binary, page_path = sys.argv[1], sys.argv[2]
    help_text = subprocess.run([binary, "--help"], check=True, capture_output=True, text=True,
                               timeout=10).stdout
    with open(page_path, encoding="utf-8") as f:
        page = f.read()
    help_options = set(OPTION.findall(help_text))
    page_options = options_section(page)
    missing = sorted(help_options - page_options)
    missing_vars = sorted(set(VARIABLE.findall(help_text)) - set(VARIABLE.findall(page)))
    for opt in sorted(page_options - help_options - {"--"}):
        print(f"note: the page documents {opt}, which --help does not print")
    for opt in missing:
        print(f"error: --help prints {opt}, which has no entry in OPTIONS of {page_path}")
    for var in missing_vars:
        print(f"error: --help names {var}, which {page_path} does not")
    print(f"{len(help_options)} options of --help checked against {page_path}")
    return 1 if missing or missing_vars else 0


if __name__ == "__main__":
    sys.exit(main())
