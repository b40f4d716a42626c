#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Counts test results of meson test runs: every GoogleTest case on its own (from the XML file
meson's gtest protocol leaves as BUILD/<test name>.xml), every other meson test as one.

Usage: count-results.py BUILD_DIR...   prints "passed failed skipped" summed over the build dirs.
"""
import json
import os
import sys
import xml.etree.ElementTree as ET


def count_gtest(path):
    passed = failed = skipped = 0
    for case in ET.parse(path).getroot().iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            failed += 1
        elif case.find("skipped") is not None or case.get("result") == "skipped":
            skipped += 1
        else:
            passed += 1
    return passed, failed, skipped


def count(build):
    passed = failed = skipped = 0
    log = os.path.join(build, "meson-logs", "testlog.json")
    if not os.path.exists(log):
        return 0, 1, 0  # no test ran at all: that is a failure, not a pass
    with open(log) as f:
        for line in f:
            t = json.loads(line)
            result = t.get("result")
            # "project:suite / name": meson names the XML file after the plain test name.
            name = t.get("name", "").split(" / ")[-1]
            xml = os.path.join(build, name + ".xml")
            if os.path.exists(xml):
                p, fl, s = count_gtest(xml)
                passed, failed, skipped = passed + p, failed + fl, skipped + s
                # A gtest binary that crashed leaves a partial XML: count the crash itself.
                if result not in ("OK", "SKIP", "EXPECTEDFAIL") and fl == 0:
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
