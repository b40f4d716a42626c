#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Counts test results: GoogleTest cases from their XML files, other meson tests from testlog.json.

Usage: count-results.py BUILD_DIR...   prints "passed failed skipped" summed over the build dirs.
"""
import glob
import json
import os
import sys
import xml.etree.ElementTree as ET


def count(build):
    passed = failed = skipped = 0
    gtest_names = set()
    for path in glob.glob(os.path.join(build, "gtest-results", "*.xml")):
        gtest_names.add(os.path.splitext(os.path.basename(path))[0])
        for case in ET.parse(path).getroot().iter("testcase"):
            if case.find("failure") is not None or case.find("error") is not None:
                failed += 1
            elif case.find("skipped") is not None or case.get("result") == "skipped":
                skipped += 1
            else:
                passed += 1
    log = os.path.join(build, "meson-logs", "testlog.json")
    if os.path.exists(log):
        with open(log) as f:
            for line in f:
                t = json.loads(line)
                exe = os.path.basename(t.get("command", [""])[0]) if t.get("command") else ""
                result = t.get("result")
                if exe in gtest_names:
                    # A gtest binary that crashed leaves a partial XML: count the crash itself.
                    if result not in ("OK", "SKIP", "EXPECTEDFAIL"):
                        failed += 1
                    continue
                if result in ("OK", "EXPECTEDFAIL"):
                    passed += 1
                elif result == "SKIP":
                    skipped += 1
                else:
                    failed += 1
    return passed, failed, skipped


def main():
    totals = [0, 0, 0]
    for build in sys.argv[1:]:
        for i, n in enumerate(count(build)):
            totals[i] += n
    print(*totals)


if __name__ == "__main__":
    main()
