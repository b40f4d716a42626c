#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The "At scale" figures of the cginit benchmark (issue 16): how the cost of drain, cgroup
forwarding and reaping grows with the number of processes, side by side with the kernel's floor
(tests/bench/floor.c -c -d, and kill() per pid from a list read once), interleaved in one run,
reported as ratios per round with the median and min–max.

Called by `tests/bench/run.sh --scale`, which builds the tools and creates (and afterwards empties
and removes) the cgroup under which every init of this run is started.
"""

import argparse
import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import (MODES, Cgroups, Ctl, Running, cpu_ns, fnum, med, proc_status, span,  # noqa: E402
                   status_int, table, wait_for)

GRACE_MS = 200  # --grace of the TERM-ignoring set: the figure is the time beyond it
GRACE_EXIT_MS = 5000  # the set that exits on SIGTERM never reaches it
TEARDOWN_GRACE_MS = 500  # the teardown figure's --grace (issue 22)
SETS = {"ignore": "ignore SIGTERM", "exit": "exit on SIGTERM"}
SCALE_MODES = ["ctr", "plain"]
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
SHORT = {"ctr": "PID 1", "plain": "-s"}


def fd_count(pid):
    try:
        return len(os.listdir("/proc/%d/fd" % pid))
    except FileNotFoundError:
        return None


def wait_idle(pid, timeout=2.0):
    """Until pid sleeps in epoll_wait (an init between events: not in the middle of a list)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if open("/proc/%d/wchan" % pid).read().strip() == "do_epoll_wait":
                return
        except OSError:
            return
        time.sleep(0.001)


def memory(pid, idle=True):
    """(RssAnon kB, fds) of pid, or None when it is gone; with idle, once it waits for events."""
    if idle:
        wait_idle(pid)
    try:
        s = proc_status(pid)
        return status_int(s, "RssAnon"), fd_count(pid)
    except (FileNotFoundError, ProcessLookupError, KeyError):
        return None


class Scale:
    def __init__(self, a):
        self.a = a
        self.quick = a.quick
        self.cgroups = Cgroups(a.cgroup_root)
        self.work = tempfile.mkdtemp(prefix="cginit-scale-")
        self.raw = {}
        self.md = []
        self.verdicts = []
        self.memory = []  # (figure, mode, idle (rss, fds), after (rss, fds))
        self.loads = []

    def say(self, msg):
        print("scale: " + msg, file=sys.stderr, flush=True)

    def load(self, what):
        with open("/proc/loadavg") as f:
            la = " ".join(f.read().split()[:3])
        self.loads.append((what, la))
        self.say("%s (load average %s)" % (what, la))

    def section(self, title, text):
        self.md.append("### %s\n\n%s\n" % (title, text))
        print("\n### %s\n\n%s\n" % (title, text), flush=True)

    def cginit(self, mode, *opts):
        a = [self.a.cginit_stripped, "--cgroup", "required", *opts, "--"]
        return a[:1] + ["-s"] + a[1:] if mode == "plain" else a

    def floor(self, mode, *opts):
        a = [self.a.floor, "-c", *opts, "--"]
        return a[:1] + ["-s"] + a[1:] if mode == "plain" else a

    def ctl_dir(self, label):
        d = tempfile.mkdtemp(prefix="ctl-%s-" % label, dir=self.work)
        os.mkfifo(os.path.join(d, "out"))
        os.mkfifo(os.path.join(d, "in"))
        return d

    # ---- 1. drain -------------------------------------------------------------------------------

    def drain_argv(self, who, mode, kind):
        grace = GRACE_MS if kind == "ignore" else GRACE_EXIT_MS
        if who == "cginit":
            return self.cginit(mode, "--grace", "%dms" % grace)
        return self.floor(mode, "-d", str(grace))

    def drain_once(self, who, mode, kind, n, strace=None):
        """One drain: returns (wall ns beyond the grace, CPU ns of the init)."""
        cg = self.cgroups.make("drain-%s-%s-%s-%d" % (mode, who, kind, n))
        ctl = self.ctl_dir("drain")
        workload = [self.a.benchkit, "escapees", str(n), ctl] + (["exit"] if kind == "exit" else [])
        cmd = [self.a.benchkit, "drain", mode, cg, ctl, "60000", "--", *self.drain_argv(who, mode, kind),
               *workload]
        log = os.path.join(self.work, "drain.log")
        try:
            with open(log, "w") as err:
                p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=err, text=True, timeout=240)
            if p.returncode != 0 or not p.stdout.strip():
                raise RuntimeError("drain of %d (%s, %s, %s) failed: %s" % (n, who, mode, kind, open(log).read()[-500:]))
            wall, cpu, status = (int(x) for x in p.stdout.split())
        finally:
            self.cgroups.empty_and_remove(cg)
            shutil.rmtree(ctl, ignore_errors=True)
        if kind == "ignore":
            wall -= GRACE_MS * 1000000
        return wall, cpu

    def fig_drain(self):
        ns = [100, 1000, 10000]
        # A drain of 100 takes a few ms, in which one preemption is a large share: more rounds
        rounds_of = {100: 4, 1000: 2, 10000: 2} if self.quick else {100: 12, 1000: 4, 10000: 4}
        rounds = max(rounds_of.values())
        variants = [(kind, mode, who) for kind in SETS for mode in SCALE_MODES for who in ("floor", "cginit")]
        self.load("drain: N = %s, %s rounds of %d variants, interleaved" % (
            ns, "/".join(str(rounds_of[n]) for n in ns), len(variants)))
        res = {}  # (kind, mode, who, n) -> [(wall, cpu) per round]
        for rnd in range(rounds):
            for n in ns:
                if rnd >= rounds_of[n]:
                    continue
                for j in range(len(variants)):
                    kind, mode, who = variants[(j + rnd) % len(variants)]
                    res.setdefault((kind, mode, who, n), []).append(self.drain_once(who, mode, kind, n))
            self.say("drain: round %d of %d done" % (rnd + 1, rounds))
        self.raw["drain"] = {"|".join(map(str, k)): v for k, v in res.items()}
        rows, worst, cpu_per = [], 0.0, {}
        for kind in SETS:
            for mode in SCALE_MODES:
                for n in ns:
                    f, c = res[(kind, mode, "floor", n)], res[(kind, mode, "cginit", n)]
                    wr = [x[0] / y[0] for x, y in zip(c, f) if y[0] > 0]
                    cr = [x[1] / y[1] for x, y in zip(c, f) if y[1] > 0]
                    worst = max(worst, med(wr))
                    cpu_per[(kind, mode, n)] = med([x[1] for x in c]) / n
                    rows.append([SETS[kind], SHORT[mode], "{:,}".format(n), span([x[0] for x in f], 2, 1e-6),
                                 span([x[0] for x in c], 2, 1e-6), "**%s**" % span(wr),
                                 span([x[1] for x in f], 2, 1e-6), span([x[1] for x in c], 2, 1e-6), span(cr),
                                 fnum(cpu_per[(kind, mode, n)] / 1000, 2)])
        self.drain_res = res
        self.section("Drain", (
            "The program starts N daemons (fork, setsid; one set ignores SIGTERM, the other dies of it), "
            "then exits. Wall: from its exit until the init has exited (`benchkit drain`: pidfd of the "
            "init), minus the grace period for the set that ignores SIGTERM (`--grace %dms`; the other "
            "set has %d ms and never needs it). CPU: the init's own on-CPU time in that span "
            "(`/proc/PID/schedstat`, read again from its zombie). The floor is `floor -c -d GRACE`: the "
            "same cgroup layout (init/, workload/), then workload/cgroup.procs read once, SIGTERM per "
            "pid, wait for `populated 0` or the grace, `cgroup.kill`, wait, reap every orphan. "
            "ms, median (min–max) over %s rounds (N = %s); ratios per round.\n\n" % (
                GRACE_MS, GRACE_EXIT_MS, "/".join(str(rounds_of[n]) for n in ns),
                " / ".join("{:,}".format(n) for n in ns))) +
            table(["set", "as", "N", "floor ms", "cginit ms", "× floor", "floor CPU ms", "cginit CPU ms",
                   "CPU × floor", "cginit CPU µs / process"], rows))
        self.verdicts.append(("drain wall time, every N, set and mode", "≤ 1.5 × floor", fnum(worst), worst <= 1.5))
        growth = max(cpu_per[(k, m, 10000)] / cpu_per[(k, m, 100)] for k in SETS for m in SCALE_MODES)
        self.verdicts.append(("drain CPU per process, N = 10,000 vs 100", "≤ 1 (no worse than linear)",
                              fnum(growth), growth <= 1.2))
        self.plot_drain(ns)

    # ---- 1b. teardown: beyond the grace against the kernel's own ---------------------------------

    def teardown_once(self, who, n):
        """A drain of N setsid daemons that ignore SIGTERM, the init as PID 1: wall ns from the
        program's exit until the init has exited, less the grace period for cginit. The kernel's
        floor is `floor` alone (no cgroup, no drain): it exits with the program, and the kernel
        kills and reaps the namespace's processes (zap_pid_ns_processes) before its exit is
        seen."""
        cg = self.cgroups.make("teardown-%s-%d" % (who, n))
        ctl = self.ctl_dir("teardown")
        init = (self.cginit("ctr", "--grace", "%dms" % TEARDOWN_GRACE_MS) if who == "cginit"
                else [self.a.floor, "--"])
        cmd = [self.a.benchkit, "drain", "ctr", cg, ctl, "60000", "--", *init,
               self.a.benchkit, "escapees", str(n), ctl]
        log = os.path.join(self.work, "teardown.log")
        try:
            with open(log, "w") as err:
                p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=err, text=True, timeout=240)
            if p.returncode != 0 or not p.stdout.strip():
                raise RuntimeError("teardown of %d (%s) failed: %s" % (n, who, open(log).read()[-500:]))
            wall = int(p.stdout.split()[0])
        finally:
            self.cgroups.empty_and_remove(cg)
            shutil.rmtree(ctl, ignore_errors=True)
        return wall - (TEARDOWN_GRACE_MS * 1000000 if who == "cginit" else 0)

    def fig_teardown(self):
        n = 5000
        rounds = 3 if self.quick else 8
        self.load("teardown: N = %d, %d rounds, interleaved" % (n, rounds))
        res = {"floor": [], "cginit": []}
        for rnd in range(rounds):
            for who in (("floor", "cginit") if rnd % 2 == 0 else ("cginit", "floor")):
                res[who].append(self.teardown_once(who, n))
            self.say("teardown: round %d of %d done" % (rnd + 1, rounds))
        self.raw["teardown"] = res
        ratios = [c / f for c, f in zip(res["cginit"], res["floor"]) if f > 0]
        self.section("Teardown beyond the grace period", (
            "%s setsid daemons that ignore SIGTERM; the init is PID 1 of a fresh PID namespace. cginit "
            "(`--grace %dms`, managed cgroup): from the program's exit until cginit has exited, less "
            "the grace period: `cgroup.kill`, waiting for `populated 0`, reaping, teardown, report. "
            "The kernel's floor: `floor` without `-c` exits with the program, and the kernel kills "
            "and reaps the namespace (until the init's exit is seen). ms, median (min–max) over %d "
            "rounds, ratios per round.\n\n" % ("{:,}".format(n), TEARDOWN_GRACE_MS, rounds)) +
            table(["N", "kernel teardown ms", "cginit beyond grace ms", "× kernel"],
                  [["{:,}".format(n), span(res["floor"], 2, 1e-6), span(res["cginit"], 2, 1e-6),
                    "**%s**" % span(ratios)]]))
        self.verdicts.append(("time beyond grace, 5,000 TERM-ignoring daemons, PID 1", "≤ 1.2 × kernel teardown",
                              fnum(med(ratios)), med(ratios) <= 1.2))

    def plot_drain(self, ns):
        if not shutil.which("gnuplot"):
            self.say("no gnuplot: no plot")
            return
        dat = os.path.join(self.work, "drain.dat")
        with open(dat, "w") as f:
            for kind in SETS:
                for mode in SCALE_MODES:
                    for who in ("floor", "cginit"):
                        f.write("# %s %s %s\n" % (kind, mode, who))
                        for n in ns:
                            xs = [x[0] / 1e6 for x in self.drain_res[(kind, mode, who, n)]]
                            f.write("%d %g %g %g\n" % (n, med(xs), min(xs), max(xs)))
                        f.write("\n\n")
        svg = os.path.join(self.a.outdir, "scale-drain.svg")
        plots, idx = [], 0
        colours = {"floor": "#777777", "cginit": "#1f77b4"}
        for kind in SETS:
            for mode in SCALE_MODES:
                for who in ("floor", "cginit"):
                    dash = "" if mode == "ctr" else " dt 2"
                    pt = 7 if kind == "ignore" else 5
                    plots.append("'%s' index %d using 1:2:3:4 with yerrorlines lc rgb '%s' pt %d%s title '%s, %s, %s'"
                                 % (dat, idx, colours[who], pt, dash, who, SHORT[mode], SETS[kind]))
                    idx += 1
        script = "\n".join([
            "set terminal svg size 800,520 dynamic font 'sans,11'",
            "set output '%s'" % svg,
            "set logscale xy", "set xlabel 'processes in the workload (N)'",
            "set ylabel 'ms from the program''s exit to the init''s exit (beyond the grace)'",
            "set title 'cginit drain vs the kernel floor (median, min-max)'", "set key left top",
            "set xtics (100, 1000, 10000)", "set grid",
            "plot " + ", ".join(plots), ""])
        p = subprocess.run(["gnuplot"], input=script, text=True, stderr=subprocess.PIPE)
        if p.returncode != 0:
            self.say("gnuplot failed: %s" % p.stderr[-300:])
        else:
            self.say("wrote %s" % svg)
            self.plot = os.path.basename(svg)

    # ---- profile: system calls per process (strace -c, untimed) ------------------------------

    def strace_count(self, argv_init, workload, mode, label, trigger):
        """Runs the init under `benchkit launch`, attaches `strace -c` to it once the workload says R,
        calls trigger(ctl, running), returns {syscall: calls} of the init."""
        ctl = Ctl(self.work, label)
        r = Running(self, mode, label, argv_init + workload(ctl.dir))
        out = os.path.join(self.work, "strace.%s" % label)
        counts = {}
        try:
            if ctl.read(120) != "R":
                raise RuntimeError("%s: workload did not start" % label)
            st = subprocess.Popen(["strace", "-c", "-q", "-o", out, "-p", str(r.pid)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(0.5)
            trigger(ctl, r)
            st.send_signal(2) if alive_pid(r.pid) else None
            st.wait(60)
            for line in open(out):
                m = re.match(r"\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\w+)$", line)
                if m and m[2] != "total":
                    counts[m[2]] = int(m[1])
        finally:
            r.stop()
            ctl.close()
        return counts

    def profile_drain(self):
        n = 1000
        rows = []
        self.raw["drain_syscalls"] = {}
        for who in ("floor", "cginit"):
            for kind in SETS:
                argv = self.drain_argv(who, "ctr", kind)

                def trigger(ctl, r):
                    ctl.send()
                    r.proc.wait(120)
                counts = self.strace_count(argv, lambda d, kind=kind: [self.a.benchkit, "escapees", str(n), d] +
                                           (["exit"] if kind == "exit" else []), "ctr", "%s-%s" % (who, kind), trigger)
                self.raw["drain_syscalls"]["%s|%s" % (who, kind)] = counts
                total = sum(counts.values())
                top = ", ".join("%s %s" % (k, "{:,}".format(v)) for k, v in
                                sorted(counts.items(), key=lambda kv: -kv[1])[:8])
                rows.append([who, SETS[kind], "{:,}".format(total), fnum(total / n, 2), top])
        self.section("Drain profile (system calls, strace -c, untimed)", (
            "The init's system calls from the program's exit to its own exit, N = %d, PID 1 (strace "
            "slows every call, so these runs are counted, not timed).\n\n" % n) +
            table(["init", "set", "system calls", "per process", "largest counts"], rows))

    # ---- memory after a drain (untimed) ---------------------------------------------------------

    def memory_drain(self):
        n = 1000 if self.quick else 10000
        for mode in SCALE_MODES:
            ctl = Ctl(self.work, "mem")
            r = Running(self, mode, "cginit-mem", self.cginit(mode, "--grace", "%dms" % GRACE_MS) +
                        [self.a.benchkit, "escapees", str(n), ctl.dir])
            try:
                if ctl.read(120) != "R":
                    raise RuntimeError("memory: workload did not start")
                idle = memory(r.pid)
                ctl.send()
                peak = idle
                while True:
                    m = memory(r.pid, idle=False)
                    if m is None or not alive_pid(r.pid):
                        break
                    peak = (max(peak[0], m[0]), max(peak[1], m[1] or 0))
                    time.sleep(0.001)
                r.proc.wait(60)
            finally:
                r.stop()
                ctl.close()
            self.memory.append(("drain of %s TERM-ignoring daemons (peak while draining)" % "{:,}".format(n),
                                mode, idle, peak))

    # ---- 2. --forward cgroup --------------------------------------------------------------------

    def fig_forward(self):
        ns = [1000, 10000]
        # A trip to 1,000 takes ~5 ms, in which one preemption is a large share: more trips
        rounds, trips_of = (1, {1000: 5, 10000: 3}) if self.quick else (3, {1000: 25, 10000: 5})
        variants = [(mode, who) for mode in SCALE_MODES for who in ("floor", "cginit")]
        trips_text = "/".join(str(trips_of[n]) for n in ns)
        self.load("forward: N = %s, %d rounds x %s trips of %d variants" % (ns, rounds, trips_text, len(variants)))
        res, frozen = {}, {}
        for rnd in range(rounds):
            for n in ns:
                for j in range(len(variants)):
                    mode, who = variants[(j + rnd) % len(variants)]
                    argv = self.cginit(mode, "--forward", "cgroup") if who == "cginit" else self.floor(mode)
                    ctl = Ctl(self.work, "fwd")
                    r = Running(self, mode, "fwd-%s" % who, argv + [self.a.benchkit, "listeners", str(n), ctl.dir])
                    try:
                        if ctl.read(120) != "R":
                            raise RuntimeError("listeners did not start under %s" % who)
                        idle = memory(r.pid)
                        target = str(r.pid) if who == "cginit" else "list"
                        out = subprocess.run([self.a.benchkit, "fanout", target, os.path.join(r.cg, "workload"),
                                              os.path.join(ctl.dir, "out"), str(n), str(trips_of[n])],
                                             stdout=subprocess.PIPE, text=True, check=True, timeout=300).stdout
                        res.setdefault((mode, who, n), []).append(med([int(x) for x in out.split()]))
                        if who == "cginit" and rnd == 0:
                            frozen[(mode, n)] = self.frozen_window(r, ctl, n)
                            self.memory.append(("--forward cgroup: SIGUSR1 to %s processes" % "{:,}".format(n),
                                                mode, idle, memory(r.pid)))
                    finally:  # stop(): cgroup.kill (the floor leaves the listeners to its parent)
                        r.stop()
                        ctl.close()
        self.raw["forward"] = {"|".join(map(str, k)): v for k, v in res.items()}
        self.raw["frozen"] = {"|".join(map(str, k)): v for k, v in frozen.items()}
        rows, worst = [], 0.0
        for mode in SCALE_MODES:
            for n in ns:
                f, c = res[(mode, "floor", n)], res[(mode, "cginit", n)]
                rs = [x / y for x, y in zip(c, f)]
                worst = max(worst, med(rs))
                fz = frozen.get((mode, n))
                rows.append([SHORT[mode], "{:,}".format(n), span(f, 2, 1e-6), span(c, 2, 1e-6), "**%s**" % span(rs),
                             "–" if not fz else span([x[0] for x in fz], 2, 1e-6),
                             "–" if not fz else span([x[1] for x in fz], 2, 1e-6)])
        self.section("`--forward cgroup`", (
            "N listeners (SIGUSR1 blocked, `sigwaitinfo`, one byte on a FIFO per signal) in workload/. "
            "cginit: SIGUSR1 to cginit, which reads workload/cgroup.procs, `kill()`s each and reads "
            "it again until a list shows no new process (a workload that keeps forking is frozen "
            "for a fourth list; these listeners do not fork); floor: the driver reads "
            "workload/cgroup.procs once and `kill()`s each pid. Time until the N-th byte, ms: "
            "median of %s trips per launch (N = 1,000 / 10,000), then median "
            "(min–max) over %d round(s); ratio per round. Frozen: how long workload/cgroup.freeze reads "
            "1 (`benchkit frozen` polls it in a busy loop on the other CPU, separate trips), and the "
            "whole trip in those trips.\n\n" % (trips_text, rounds)) +
            table(["as", "N", "floor ms", "cginit ms", "× floor", "frozen ms", "trip ms (frozen runs)"], rows))
        self.verdicts.append(("`--forward cgroup`, N = 1,000 and 10,000", "≤ 1.5 × floor", fnum(worst), worst <= 1.5))

    def frozen_window(self, r, ctl, n):
        out = subprocess.run([self.a.benchkit, "frozen", str(r.pid), os.path.join(r.cg, "workload"),
                              os.path.join(ctl.dir, "out"), str(n), "3"],
                             stdout=subprocess.PIPE, text=True, check=True, timeout=300).stdout
        return [tuple(int(x) for x in line.split()) for line in out.splitlines()]

    # ---- 3. reaping flood -----------------------------------------------------------------------

    def fig_orphans(self):
        n = 10000 if self.quick else 50000
        rounds = 1 if self.quick else 2
        variants = [(mode, who) for mode in SCALE_MODES for who in ("floor", "cginit")]
        self.load("orphans: %d orphans, %d rounds" % (n, rounds))
        res = {}
        for rnd in range(rounds):
            for j in range(len(variants)):
                mode, who = variants[(j + rnd) % len(variants)]
                argv = self.cginit(mode) if who == "cginit" else self.floor(mode)
                ctl = Ctl(self.work, "orphans")
                r = Running(self, mode, "orph-%s" % who, argv + [self.a.benchkit, "orphans", str(n), ctl.dir])
                try:
                    if ctl.read(20) != "R":
                        raise RuntimeError("orphans did not start under %s" % who)
                    idle = memory(r.pid)
                    c0, t0 = cpu_ns(r.pid), time.monotonic()
                    ctl.send()
                    answer = ctl.read(300)
                    c1, t1 = cpu_ns(r.pid), time.monotonic()
                    if answer != "D":
                        raise RuntimeError("orphan flood under %s ended with %r" % (who, answer))
                    if who == "cginit" and rnd == 0:
                        self.memory.append(("%s orphans reaped" % "{:,}".format(n), mode, idle, memory(r.pid)))
                    ctl.send()
                    r.proc.wait(30)
                finally:
                    r.stop()
                    ctl.close()
                res.setdefault((mode, who), []).append(((c1 - c0) / n, (t1 - t0) * 1e9 / n))
        self.raw["orphans"] = {"|".join(k): v for k, v in res.items()}
        rows, worst = [], 0.0
        for mode in SCALE_MODES:
            f, c = res[(mode, "floor")], res[(mode, "cginit")]
            rs = [x[0] / y[0] for x, y in zip(c, f)]
            worst = max(worst, med(rs))
            rows.append([SHORT[mode], span([x[0] for x in f], 0), span([x[0] for x in c], 0), "**%s**" % span(rs),
                         span([x[1] for x in f], 0), span([x[1] for x in c], 0)])
        self.section("Reaping flood", (
            "A middle process forks %s children that exit at once (above 8,000: in batches of 1,000, "
            "each from a process that then exits, never more than 8,000 waiting: pid_max is %s for "
            "the whole machine), so all of them become the init's orphans. CPU of the init (schedstat) per "
            "orphan, and wall per orphan of the whole flood (forks included), ns, median (min–max) over "
            "%d round(s).\n\n" % ("{:,}".format(n), open("/proc/sys/kernel/pid_max").read().strip(), rounds)) +
            table(["as", "floor CPU ns", "cginit CPU ns", "× floor", "floor wall ns", "cginit wall ns"], rows))
        self.verdicts.append(("reaping %s orphans, CPU per orphan" % "{:,}".format(n), "≤ 1.1 × floor", fnum(worst),
                              worst <= 1.1))

    # ---- 3b. fork bomb in the pure cgroup v2 guest ---------------------------------------------

    def fig_bomb(self):
        title = "Fork bomb at pids.max (pure cgroup v2 QEMU guest)"
        vm_run = os.path.join(self.a.repo, "tests/vm/run.sh")
        if self.a.no_vm or not os.access(vm_run, os.X_OK):
            self.section(title, "Not measured here (%s)." % ("--no-vm" if self.a.no_vm else "no tests/vm/run.sh"))
            return
        reps = 1 if self.quick else 3
        self.load("fork bomb in the VM, %d rep(s) of cginit and the floor" % reps)
        out = os.path.join(self.work, "vm")
        conf = os.path.join(self.work, "bomb.conf")
        with open(conf, "w") as f:
            f.write("BOMB_REPS=%d\n" % reps)
        cmd = [vm_run, "--cginit", self.a.cginit, "--case-dir", os.path.join(self.a.repo, "tests/bench/vm"),
               "--file", "%s:/usr/local/bin/benchkit" % self.a.benchkit,
               "--file", "%s:/usr/local/bin/floor" % self.a.floor, "--file", conf + ":/vm/bomb.conf",
               "--case-timeout", "300", "--timeout", "480",
               "--out", out, "bench-bombscale"]
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        log = os.path.join(out, "logs", "bench-bombscale.log")
        lines = open(log).read().splitlines() if os.path.exists(log) else []
        data = {}
        for line in lines:
            mt = re.match(r"BOMB init=(\S+) (.*)", line)
            if mt:
                data.setdefault(mt[1], []).append({k: int(v) for k, v in re.findall(r"(\w+)=(-?\d+)", mt[2])})
        if p.returncode != 0 or "cginit" not in data or "floor" not in data:
            self.section(title, "Not measured: the VM run failed (exit %d):\n\n```\n%s\n```" % (
                p.returncode, "\n".join((lines or p.stdout.splitlines())[-25:])))
            return
        self.raw["bomb"] = data
        rows = []
        for name in ("floor", "cginit"):
            d = data[name]
            col = lambda k: [x[k] for x in d]
            rows.append([name, span(col("vol"), 0), span(col("invol"), 0), span(col("cpu_ms"), 0),
                         span([x["cpu_ms"] / 20 for x in d], 1), span(col("refused"), 0),
                         span(col("warnings"), 0) if name == "cginit" else "–", span(col("term_ms"), 0)])
        self.section(title, (
            "A busybox sh fork bomb (`bomb() { bomb | bomb & }`) runs 2 s as the program's child at "
            "pids.max = 64 (cginit: `--pids-max 64 --grace 1s`, on workload/; floor: the runtime writes "
            "the container's pids.max), then SIGTERM to PID 1. During the 2 s: PID 1's context "
            "switches (/proc/PID/status; voluntary = wake-ups) and CPU time (schedstat), the forks "
            "refused (pids.events) and cginit's warnings; then ms from SIGTERM until the container "
            "cgroup is empty. Median (min–max) over %d rep(s); 1 vCPU under TCG, so absolute times are "
            "slow. Both inits reap every orphan of the bomb (they are PID 1), which is most of the "
            "wake-ups.\n\n" % reps) +
            table(["init", "wake-ups (voluntary)", "involuntary", "CPU ms", "CPU %", "forks refused",
                   "warnings", "SIGTERM → empty ms"], rows))
        term = max(x["term_ms"] for x in data["cginit"])
        self.verdicts.append(("fork bomb: SIGTERM → empty", "≤ grace (1 s) + 100 ms", "%d ms" % term, term <= 1100))
        extra = med([x["vol"] for x in data["cginit"]]) - med([x["vol"] for x in data["floor"]])
        warn = max(1, med([x["warnings"] for x in data["cginit"]]))
        self.verdicts.append(("fork bomb: cginit's wake-ups beyond the floor's (reaping)", "≤ 1 per warning",
                              "%s per warning" % fnum(extra / warn, 1), extra <= warn))

    # ---- 4. memory ------------------------------------------------------------------------------

    def fig_memory(self):
        rows, same = [], True
        for what, mode, idle, after in self.memory:
            peak = "peak" in what  # cginit exits at the end of a drain: nothing is left "after" it
            ok = after is not None and after[0] <= idle[0] + PAGE_KB and after[1] <= idle[1]
            if not peak:
                same = same and ok
            rows.append([what, SHORT[mode], "%d / %d" % idle, "–" if after is None else "%d / %d" % after,
                         "–" if after is None else "%+d / %+d" % (after[0] - idle[0], after[1] - idle[1]),
                         "peak, then exit" if peak else "same" if ok else "**grew**"])
        self.section("Memory", (
            "cginit's RssAnon (kB) and open fds (`/proc/PID/fd`) with its program running and the "
            "N processes set up (idle), and after the figure's work, read once cginit waits in "
            "`epoll_wait` again (`/proc/PID/wchan`); \"same\" allows one page (%d kB) more, the "
            "granularity of RssAnon. For a drain, the peak while it drains (cginit exits at the "
            "end).\n\n" % PAGE_KB) +
            table(["after", "as", "idle RssAnon kB / fds", "after", "change", ""], rows))
        self.verdicts.append(("RssAnon and fds after each of the above (not a drain: cginit exits)",
                              "= idle (± one page)", "same" if same else "grew", same))

    # ---- output ---------------------------------------------------------------------------------

    def header(self, load_start):
        with open("/proc/loadavg") as f:
            load_end = " ".join(f.read().split()[:3])
        ver = subprocess.run([self.a.cginit, "--version"], stdout=subprocess.PIPE, text=True).stdout.strip()
        git = lambda *args: subprocess.run(["git", "-C", self.a.repo, *args], stdout=subprocess.PIPE,
                                           stderr=subprocess.DEVNULL, text=True).stdout.strip()
        head = git("rev-parse", "--short", "HEAD") or "unknown"
        if git("status", "--porcelain", "--untracked-files=no"):
            head += " with uncommitted changes"
        lines = ["# cginit at scale%s" % (" (--quick)" if self.quick else ""), "",
                 "- date: %s" % datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
                 "- machine: %d CPUs (nproc), `%s`" % (os.cpu_count(), " ".join(os.uname()[2:4])),
                 "- load average (1, 5, 15 min): %s at the start, %s at the end" % (load_start, load_end),
                 "- `%s` (source tree: git %s)" % (ver, head),
                 "- command: `tests/bench/run.sh --scale%s`" % (" --quick" if self.quick else "")]
        lines += ["- load average at %s: %s" % (w.split(":")[0], la) for w, la in self.loads]
        return "\n".join(lines + [""])

    def targets(self):
        rows = [[t, goal, val, "**met**" if ok else "**missed**"] for t, goal, val, ok in self.verdicts]
        self.section("Targets (issue 16)", table(["figure", "target", "cginit", ""], rows))


def alive_pid(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--no-vm", action="store_true")
    p.add_argument("--repo", required=True)
    p.add_argument("--cginit", required=True)
    p.add_argument("--cginit-stripped", required=True)
    p.add_argument("--floor", required=True)
    p.add_argument("--floor-stripped", required=True)
    p.add_argument("--benchkit", required=True)
    p.add_argument("--cgroup-root", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--figures", default="dtpfomb",
                   help="d drain, t teardown beyond grace, p drain profile, f forward, o orphans, "
                        "m memory, b fork bomb (VM)")
    a = p.parse_args()
    a.outdir = os.path.dirname(os.path.abspath(a.out))
    with open("/proc/loadavg") as f:
        load_start = " ".join(f.read().split()[:3])
    s = Scale(a)
    t0 = time.monotonic()
    figs = {"b": s.fig_bomb, "d": s.fig_drain, "t": s.fig_teardown, "p": s.profile_drain, "f": s.fig_forward, "o": s.fig_orphans, "m": s.memory_drain}
    try:
        for k in a.figures:
            if k in figs:
                try:
                    figs[k]()
                except (RuntimeError, TimeoutError, subprocess.SubprocessError, OSError) as e:
                    # Running.stop() and drain_once() have emptied and removed the figure's cgroups
                    s.section("Figure %s failed" % k, "```\n%s\n```" % e)
        if s.memory:
            s.fig_memory()
    finally:
        shutil.rmtree(s.work, ignore_errors=True)
    s.targets()
    text = s.header(load_start) + "\n" + "\n".join(s.md) + "\nRun time: %.0f s.\n" % (time.monotonic() - t0)
    with open(a.out, "w") as f:
        f.write(text)
    with open(os.path.splitext(a.out)[0] + ".json", "w") as f:
        json.dump(s.raw, f, indent=1, default=str)
    s.say("wrote %s (and .json) in %.0f s" % (a.out, time.monotonic() - t0))


if __name__ == "__main__":
    main()
