#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The figures of the cginit benchmark (issue 7): cginit side by side with tini, tini-static, dumb-init,
catatonit and a minimal floor init, interleaved, reported as ratios to tini-static.

Called by tests/bench/run.sh, which installs the other inits, builds the tools and creates (and
afterwards empties and removes) the cgroup under which every init of this run is started.
"""

import argparse
import datetime
import json
import os
import re
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass

REF = "tini-static"  # every ratio is to this init, measured in the same run
# The timed loops of figures 1 and 4 run at the highest CFS priority, so that other jobs on a shared
# machine delay them less (it changes no init's behaviour: all of them inherit it alike).
NICE = ["nice", "-n", "-20"]
ESCAPEE_COMM = "bench-escapee"


# ---- the inits ----------------------------------------------------------------------------------


@dataclass
class Init:
    name: str
    pid1: list  # argv prefix as PID 1 of a PID namespace
    sub: list  # argv prefix as a plain subreaper (not PID 1)
    subreaper: bool = True  # False: orphans of its program go to its parent instead


def make_inits(a):
    tini, tini_static = "/usr/bin/tini", "/usr/bin/tini-static"
    dumb, cata = "/usr/bin/dumb-init", "/usr/bin/catatonit"
    return [
        Init("floor", [a.floor, "--"], [a.floor, "-s", "--"]),
        Init("tini", [tini, "--"], [tini, "-s", "--"]),
        Init(REF, [tini_static, "--"], [tini_static, "-s", "--"]),
        # dumb-init has no subreaper option; catatonit registers itself when it is not PID 1.
        Init("dumb-init", [dumb, "--"], [dumb, "--"], subreaper=False),
        Init("catatonit", [cata, "--"], [cata, "--"]),
        Init("cginit --cgroup off", [a.cginit_stripped, "--cgroup", "off", "--"],
             [a.cginit_stripped, "-s", "--cgroup", "off", "--"]),
        Init("cginit", [a.cginit_stripped, "--cgroup", "required", "--"],
             [a.cginit_stripped, "-s", "--cgroup", "required", "--"]),
    ]


# How an init is started (benchkit's MODE) and what the tables call it.
MODES = {
    "ctr": "PID 1 (container: PID+mount+cgroup namespaces, cgroup2 at /sys/fs/cgroup)",
    "pidns": "PID 1 (unshare -pf --mount-proc)",
    "plain": "subreaper (not PID 1)",
}
FIGURE_MODES = ["ctr", "plain"]  # figures 2-6; figure 1 runs all three


def argv_for(init, mode):
    return init.sub if mode == "plain" else init.pid1


# ---- cgroups, launching, control FIFOs ----------------------------------------------------------


class Cgroups:
    """Sub-cgroups of the run's cgroup (created by run.sh); one per init and mode."""

    def __init__(self, root):
        self.root = root
        self.n = 0

    def make(self, label):
        self.n += 1
        path = os.path.join(self.root, "%03d-%s" % (self.n, re.sub(r"[^A-Za-z0-9]+", "-", label)))
        os.mkdir(path)
        return path

    @staticmethod
    def populated(path):
        try:
            with open(os.path.join(path, "cgroup.events")) as f:
                return "populated 1" in f.read()
        except FileNotFoundError:
            return False

    @staticmethod
    def pids(path):
        """Every process in path and below it (host PIDs)."""
        out = []
        for d, _, _ in os.walk(path):
            try:
                with open(os.path.join(d, "cgroup.procs")) as f:
                    out += [int(x) for x in f.read().split()]
            except FileNotFoundError:
                pass
        return out

    def empty_and_remove(self, path):
        """cgroup.kill whatever is left, wait until it is gone, remove the tree. True if it was empty."""
        was_empty = not self.populated(path)
        if not was_empty:
            with open(os.path.join(path, "cgroup.kill"), "w") as f:
                f.write("1")
            wait_for(lambda: not self.populated(path), 10, "cgroup %s to empty" % path)
        for d, _, _ in sorted(os.walk(path), key=lambda w: -len(w[0])):
            for _ in range(50):
                try:
                    os.rmdir(d)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.02)
        return was_empty


def wait_for(cond, seconds, what, step=0.002):
    deadline = time.monotonic() + seconds
    while not cond():
        if time.monotonic() > deadline:
            raise TimeoutError("timed out after %g s waiting for %s" % (seconds, what))
        time.sleep(step)


def proc_state(pid):
    """The state letter of pid ('R', 'S', 'Z', ...) or None when it is gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return None


def alive(pid):
    return proc_state(pid) not in (None, "Z")


def cpu_ns(pid):
    """On-CPU time of pid (its main thread) in ns, from /proc/PID/schedstat."""
    with open("/proc/%d/schedstat" % pid) as f:
        return int(f.read().split()[0])


def proc_status(pid):
    with open("/proc/%d/status" % pid) as f:
        return dict(line.split(":", 1) for line in f if ":" in line)


def status_int(status, key):
    return int(status[key].split()[0])


class Running:
    """One init started by `benchkit launch`, inside a cgroup of its own."""

    def __init__(self, bench, mode, init_name, argv, taskset=None):
        self.bench = bench
        self.name = init_name
        self.mode = mode
        self.cg = bench.cgroups.make("%s-%s" % (mode, init_name))
        pidfile = os.path.join(bench.work, "pid.%s" % os.path.basename(self.cg))
        self.log = os.path.join(bench.work, "log.%s" % os.path.basename(self.cg))
        cmd = [bench.a.benchkit, "launch", mode, self.cg, pidfile, "--", *argv]
        if taskset is not None:
            cmd = [*NICE, "taskset", "-c", str(taskset), *cmd]
        with open(self.log, "w") as log:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        wait_for(lambda: os.path.exists(pidfile) or self.proc.poll() is not None, 10, "launch")
        if not os.path.exists(pidfile):
            raise RuntimeError("%s did not start: %s" % (init_name, self.log_tail()))
        with open(pidfile) as f:
            self.pid = int(f.read())

    def log_tail(self):
        with open(self.log) as f:
            return f.read()[-600:]

    def has_child(self):
        try:
            with open("/proc/%d/task/%d/children" % (self.pid, self.pid)) as f:
                return f.read().strip() != ""
        except FileNotFoundError:
            return False

    def stop(self):
        """Kills everything left in the cgroup, waits for the launcher, removes the cgroup."""
        self.bench.cgroups.empty_and_remove(self.cg)
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise RuntimeError("launcher of %s did not finish" % self.name)


class SyscallCounter:
    """Counts the system calls of a process with `perf stat -e raw_syscalls:sys_enter` until stop();
    stop() returns None where perf or the tracepoint is missing."""

    def __init__(self, pid, work):
        self.out = os.path.join(work, "perf.%d" % pid)
        try:
            self.proc = subprocess.Popen(["perf", "stat", "-x,", "-e", "raw_syscalls:sys_enter", "-p", str(pid),
                                          "-o", self.out], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        except FileNotFoundError:
            self.proc = None
            return
        time.sleep(0.3)  # until perf has attached

    def stop(self):
        if self.proc is None:
            return None
        self.proc.send_signal(2)
        try:
            self.proc.wait(10)
            with open(self.out) as f:
                for line in f:
                    if "raw_syscalls:sys_enter" in line and line.split(",")[0].isdigit():
                        return int(line.split(",")[0])
        except (subprocess.TimeoutExpired, FileNotFoundError):
            pass
        return None


class Ctl:
    """The two FIFOs of a workload: 'out' (program -> driver) and 'in' (driver -> program). The driver
    holds both open read-write, so that neither side's open() or write() ever blocks."""

    def __init__(self, work, label):
        self.dir = tempfile.mkdtemp(prefix="ctl-%s-" % label, dir=work)
        os.mkfifo(os.path.join(self.dir, "out"))
        os.mkfifo(os.path.join(self.dir, "in"))
        self.out = os.open(os.path.join(self.dir, "out"), os.O_RDWR | os.O_NONBLOCK)
        self.inp = os.open(os.path.join(self.dir, "in"), os.O_RDWR | os.O_NONBLOCK)

    def read(self, seconds):
        r, _, _ = select.select([self.out], [], [], seconds)
        if not r:
            raise TimeoutError("no answer from the workload within %g s" % seconds)
        return os.read(self.out, 1).decode()

    def send(self):
        os.write(self.inp, b"g")

    def close(self):
        os.close(self.out)
        os.close(self.inp)


# ---- statistics and formatting ------------------------------------------------------------------


def med(xs):
    return statistics.median(xs) if xs else None


def p99(xs):
    s = sorted(xs)
    return s[min(len(s) - 1, max(0, int(round(0.99 * len(s))) - 1))]


def fnum(x, digits=2):
    if x is None:
        return "–"
    if digits == 0 or abs(x) >= 1000:
        return "%.0f" % x
    if abs(x) >= 100:
        return "%.1f" % x
    return "%.*f" % (digits, x)


def span(xs, digits=2, scale=1.0):
    """'median (min–max)' of xs, scaled."""
    if not xs:
        return "–"
    ys = [x * scale for x in xs]
    return "%s (%s–%s)" % (fnum(med(ys), digits), fnum(min(ys), digits), fnum(max(ys), digits))


def ratio(x, ref):
    return None if x is None or not ref else x / ref


def table(head, rows):
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


# ---- the benchmark ------------------------------------------------------------------------------


class Bench:
    def __init__(self, a):
        self.a = a
        self.quick = a.quick
        self.inits = make_inits(a)
        self.cgfloor = Init("floor + cgroups", [a.floor, "-c", "--"], [a.floor, "-s", "-c", "--"])
        self.cgroups = Cgroups(a.cgroup_root)
        self.work = tempfile.mkdtemp(prefix="cginit-bench-")
        self.raw = {}  # every measurement, for results.json
        self.md = []  # Markdown sections
        self.verdicts = []  # (target, value, met)

    def say(self, msg):
        print("bench: " + msg, file=sys.stderr, flush=True)

    def section(self, title, text):
        self.md.append("## %s\n\n%s\n" % (title, text))
        print("\n## %s\n\n%s\n" % (title, text), flush=True)

    def variants(self, modes):
        """(mode, init) pairs in a fixed order."""
        return [(m, i) for m in modes for i in self.inits]

    # ---- figure 1: startup + teardown of INIT -- /bin/true -------------------------------------

    def startup_runs(self, variants, rounds, batch, gap_ms=0):
        """Runs `benchkit startup` on variants [(mode, name, argv)], each with /bin/true and a cgroup
        of its own; returns {(mode, name): [(wall_ns, cpu_ns) per round]}, each the median of the
        round's runs (robust to the odd run that another job delayed)."""
        spec = os.path.join(self.work, "startup.spec")
        cgs = []
        with open(spec, "w") as f:
            for m, name, argv in variants:
                cg = self.cgroups.make("startup-%s-%s" % (m, name))
                cgs.append(cg)
                f.write("\t".join(["%s|%s" % (m, name), m, cg, *argv, "/bin/true"]) + "\n")
        out = subprocess.run([*NICE, self.a.benchkit, "startup", str(rounds), str(batch), spec, str(gap_ms)],
                             stdout=subprocess.PIPE, text=True, check=True).stdout
        for cg in cgs:
            if not self.cgroups.empty_and_remove(cg):
                self.say("warning: %s was not empty after the startup runs" % cg)
        runs = {}  # (mode, name) -> round -> [(wall_ns, cpu_ns) per run]
        for line in out.splitlines():
            key, rnd, wall, cpu = line.split("\t")
            m, name = key.split("|", 1)
            runs.setdefault((m, name), {}).setdefault(int(rnd), []).append((float(wall), float(cpu)))
        return {k: [(med([w for w, _ in rs[r]]), med([c for _, c in rs[r]])) for r in sorted(rs)]
                for k, rs in runs.items()}

    @staticmethod
    def overheads(data, m, name, k):
        """Per round: INIT − bare, and (INIT − bare) / (tini-static − bare); k 0 = wall, 1 = CPU."""
        d, bare, ref = data[(m, name)], data[(m, "bare")], data[(m, REF)]
        ov = [d[r][k] - bare[r][k] for r in range(len(d))]
        ref_ov = [ref[r][k] - bare[r][k] for r in range(len(d))]
        return ov, [o / ro for o, ro in zip(ov, ref_ov) if ro > 0]

    def fig_startup(self):
        rounds, batch = (3, 8) if self.quick else (12, 30)
        modes = ["ctr", "pidns", "plain"]
        # figure 1 only: the floor plus what cginit's cgroup layout costs the kernel (floor.c -c)
        extra = [self.cgfloor]
        variants = [(m, name, argv) for m in modes
                    for name, argv in [("bare", [])] + [(i.name, argv_for(i, m)) for i in self.inits + extra]]
        self.say("figure 1: startup+teardown, %d rounds x %d runs of %d variants, interleaved"
                 % (rounds, batch, len(variants)))
        data = self.startup_runs(variants, rounds, batch)
        cold_rounds, gap = (3, 100) if self.quick else (15, 100)
        cold_variants = [v for v in variants if v[0] in ("ctr", "plain") and v[1] in
                         ("bare", REF, "cginit --cgroup off", self.cgfloor.name, "cginit")]
        self.say("figure 1: cold starts, %d x %d variants, %d ms apart" % (cold_rounds, len(cold_variants), gap))
        cold = self.startup_runs(cold_variants, cold_rounds, 1, gap)
        instr = self.callgrind(modes)
        self.raw["startup"] = {"%s|%s" % k: v for k, v in data.items()}
        self.raw["startup_cold"] = {"%s|%s" % k: v for k, v in cold.items()}
        self.raw["instructions"] = {"%s|%s" % k: v for k, v in instr.items()}

        text = [("`INIT -- /bin/true` minus bare `/bin/true` started the same way; %d rounds, each "
                 "the median of %d runs of every variant, interleaved, at nice -20. Wall and CPU in "
                 "ms: median (min–max) over the rounds; CPU is wait4()'s rusage of the init and what "
                 "it reaped. Overhead ratios are per round, (INIT − bare) / (%s − bare). "
                 "Instructions: user-space instructions of the init (callgrind, deterministic; only "
                 "the init process: valgrind writes nothing for the forked child that execs "
                 "/bin/true).") % (rounds, batch, REF)]
        ratios = {}
        for m in modes:
            bare = data[(m, "bare")]
            rows = [["bare /bin/true", span([w for w, _ in bare], scale=1e-6), "", "",
                     span([c for _, c in bare], scale=1e-6), "", "", "", ""]]
            for i in self.inits + extra:
                d = data[(m, i.name)]
                row = [i.name]
                for k in (0, 1):  # wall, cpu
                    ov, rat = self.overheads(data, m, i.name, k)
                    row += [span([x[k] for x in d], scale=1e-6), span(ov, scale=1e-6), span(rat)]
                    ratios[(m, i.name, k)] = med(rat)
                ins, ref_ins = instr.get((m, i.name)), instr.get((m, REF))
                row += [fnum(ins / 1e3, 1) if ins else "–", fnum(ratio(ins, ref_ins))]
                rows.append(row)
            text.append("**%s**\n\n" % MODES[m] + table(
                ["init", "wall ms", "wall overhead ms", "× " + REF, "CPU ms", "CPU overhead ms",
                 "× " + REF, "instructions (k)", "× " + REF], rows))

        rows = []
        for m, name, _ in cold_variants:
            walls = [w for w, _ in cold[(m, name)]]
            if name == "bare":
                rows.append(["bare /bin/true", MODES[m].split(" (")[0], span(walls, scale=1e-6), "", ""])
                continue
            ov, rat = self.overheads(cold, m, name, 0)
            ratios[("cold-" + m, name, 0)] = med(rat)
            rows.append([name, MODES[m].split(" (")[0], span(walls, scale=1e-6), span(ov, scale=1e-6), span(rat)])
        text.append(("**Cold starts**: the same, but one run at a time with %d ms of idle before each "
                     "(%d rounds), as a container starts. Moving a process between cgroups takes the "
                     "kernel's cgroup_threadgroup_rwsem for writing, which waits for an RCU grace period "
                     "unless another move happened within the last one: in the loop above each cginit "
                     "finds it warmed up by the previous one, a lone start does not.\n\n" % (gap, cold_rounds)) +
                    table(["init", "as", "wall ms", "wall overhead ms", "× " + REF], rows))
        self.section("1. Startup + teardown", "\n\n".join(text))
        self.raw["startup_overhead_ratio"] = {"%s|%s|%s" % (m, n, "wall" if k == 0 else "cpu"): v
                                              for (m, n, k), v in ratios.items()}
        for label, key, goal in [
                ("startup wall overhead, cgroup management on (container PID 1)", ("ctr", "cginit", 0), 1.05),
                ("the same, cold start", ("cold-ctr", "cginit", 0), 1.05),
                ("startup wall overhead, --cgroup off (unshare -pf PID 1)", ("pidns", "cginit --cgroup off", 0), 1.0),
                ("the same, container PID 1", ("ctr", "cginit --cgroup off", 0), 1.0)]:
            r = ratios.get(key)
            self.verdicts.append((label, "≤ %s × %s" % (goal, REF), fnum(r), r is not None and r <= goal))
            if key[1] == "cginit":  # what the kernel alone charges for the same cgroup layout
                f = ratios.get((key[0], self.cgfloor.name, 0))
                self.verdicts.append(("  its floor: %s (floor.c -c, no init work)" % self.cgfloor.name,
                                      "reference", fnum(f), None))

    def callgrind(self, modes):
        """Instructions of each init running /bin/true under callgrind, per mode (deterministic: once)."""
        self.say("figure 1: callgrind")
        counts = {}
        keep = os.path.join(self.a.outdir, "callgrind")
        os.makedirs(keep, exist_ok=True)
        for m in modes:
            for i in self.inits:
                d = tempfile.mkdtemp(prefix="cg-", dir=self.work)
                init_argv = [self.a.cginit if x == self.a.cginit_stripped else x for x in argv_for(i, m)]
                argv = ["valgrind", "--tool=callgrind", "-q", "--callgrind-out-file=%s/callgrind.out.%%p" % d,
                        *init_argv, "/bin/true"]
                r = Running(self, m, "callgrind-" + i.name, argv)
                r.proc.wait(120)
                r.stop()
                total = 0
                for fn in sorted(os.listdir(d)):
                    with open(os.path.join(d, fn)) as f:
                        for line in f:
                            if line.startswith(("summary:", "totals:")):
                                total += int(line.split()[1])
                                break
                    if i.name.startswith("cginit"):
                        tag = re.sub(r"[^a-z0-9]+", "-", "%s-%s" % (m, i.name))
                        os.replace(os.path.join(d, fn), os.path.join(keep, "%s.%s" % (tag, fn)))
                counts[(m, i.name)] = total
        self.profile = os.path.join(keep, "ctr-cginit.callgrind.out.1")
        return counts

    def annotate(self):
        """The functions where cginit's instructions go (callgrind_annotate, inclusive), as PID 1 with
        cgroup management on."""
        if not os.path.exists(getattr(self, "profile", "")):
            return
        out = subprocess.run(["callgrind_annotate", "--inclusive=yes", self.profile], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True).stdout
        rows = []
        for line in out.splitlines():
            mt = re.match(r"^\s*([\d,]+) \(\s*([\d.]+)%\)\s+(.*?)(?: \[[^]]*\])?$", line)
            if not mt or "PROGRAM TOTALS" in line:
                continue
            fn = re.sub(r"^(\?\?\?|[^:]*\.(?:cpp|cc|c|h|hpp|tcc|inl\.h)|/usr/include/[^:]*|[^:]*/[^:]*):", "", mt[3])
            fn = fn.replace("(anonymous namespace)", "{anon}").replace("(below main)", "{below main}")
            fn = re.sub(r"\(.*", "()", fn)[:90]
            if fn.startswith("{below main}") or any(r[0] == fn for r in rows):
                continue
            rows.append([fn, mt[1], mt[2] + " %"])
            if len(rows) == 25:
                break
        self.section("Where cginit's instructions go", (
            "`callgrind_annotate --inclusive=yes` of cginit as PID 1 with cgroup management on "
            "(figure 1, kept in %s). Under valgrind 3.19, clone3 and pidfd_open fail with ENOSYS, so "
            "cginit takes its fork fallback there.\n\n" % os.path.relpath(os.path.dirname(self.profile),
                                                                          self.a.repo)) +
            table(["function (inclusive)", "instructions", "share"], rows))

    # ---- figures 2 and 3: idle wake-ups, CPU and memory -----------------------------------------

    def fig_idle(self):
        idle = 3 if self.quick else 10
        self.say("figures 2+3: %d inits idle for %d s, side by side" % (len(self.inits) * 2, idle))
        runs = [Running(self, m, i.name, argv_for(i, m) + [self.a.benchkit, "sleep", "3600"])
                for m, i in self.variants(FIGURE_MODES)]
        try:
            for r in runs:
                wait_for(r.has_child, 10, "%s to start its program" % r.name)
            time.sleep(1)
            before = {}
            for r in runs:
                s = proc_status(r.pid)
                before[r] = (status_int(s, "voluntary_ctxt_switches") +
                             status_int(s, "nonvoluntary_ctxt_switches"), cpu_ns(r.pid))
            time.sleep(idle)
            res = {}
            for r in runs:
                s = proc_status(r.pid)
                switches = (status_int(s, "voluntary_ctxt_switches") +
                            status_int(s, "nonvoluntary_ctxt_switches")) - before[r][0]
                res[(r.mode, r.name)] = {"switches": switches, "cpu_us": (cpu_ns(r.pid) - before[r][1]) / 1e3,
                                         "VmRSS": status_int(s, "VmRSS"), "RssAnon": status_int(s, "RssAnon")}
        finally:
            for r in runs:
                r.stop()
        self.raw["idle"] = {"%s|%s" % k: v for k, v in res.items()}

        rows = []
        for m, i in self.variants(FIGURE_MODES):
            x = res[(m, i.name)]
            rows.append([i.name, MODES[m].split(" (")[0], x["switches"], fnum(x["cpu_us"], 1)])
        self.section("2. Idle", ("Context switches (voluntary + nonvoluntary, /proc/PID/status) and "
                                 "on-CPU time (/proc/PID/schedstat) of the init over %d s while its "
                                 "program sleeps; all inits idle side by side.\n\n" % idle) +
                     table(["init", "as", "context switches", "CPU µs"], rows))
        worst = max(res[(m, "cginit")]["switches"] for m in FIGURE_MODES)
        self.verdicts.append(("idle wake-ups of cginit in %d s" % idle, "0", str(worst), worst == 0))

        rows = []
        for m, i in self.variants(FIGURE_MODES):
            x, ref = res[(m, i.name)], res[(m, REF)]
            rows.append([i.name, MODES[m].split(" (")[0], x["VmRSS"], fnum(ratio(x["VmRSS"], ref["VmRSS"])),
                         x["RssAnon"], fnum(ratio(x["RssAnon"], ref["RssAnon"]))])
        text = ("While idle (figure 2's processes), kB.\n\n" +
                table(["init", "as", "VmRSS kB", "× " + REF, "RssAnon kB", "× " + REF], rows))
        sizes = self.binary_sizes()
        ref = sizes[REF]
        rows = [[n, s["kind"], s["file"], fnum(ratio(s["file"], ref["file"])), s["text_data"],
                 fnum(ratio(s["text_data"], ref["text_data"]))] for n, s in sizes.items()]
        text += ("\n\nBinaries as installed (Debian packages stripped; the floor built `-O2 -static` "
                 "and stripped; cginit a stripped copy of the build). Dynamic ones need libc besides.\n\n" +
                 table(["binary", "linking", "file bytes", "× " + REF, "text+data bytes", "× " + REF], rows))
        self.section("3. Memory and size", text)
        anon = max(ratio(res[(m, "cginit")]["RssAnon"], res[(m, REF)]["RssAnon"]) for m in FIGURE_MODES)
        self.verdicts.append(("RssAnon while idle", "≤ 2 × " + REF, fnum(anon), anon <= 2))
        size = sizes["cginit"]["file"]
        self.verdicts.append(("static binary, stripped", "≤ 1.5 MB", "%.2f MB" % (size / 1e6), size <= 1.5e6))
        self.raw["sizes"] = sizes

    def binary_sizes(self):
        bins = {"floor": self.a.floor_stripped, "tini": "/usr/bin/tini", REF: "/usr/bin/tini-static",
                "dumb-init": "/usr/bin/dumb-init", "catatonit": "/usr/bin/catatonit",
                "cginit": self.a.cginit_stripped}
        out = {}
        for name, path in bins.items():
            size = subprocess.run(["size", path], stdout=subprocess.PIPE, text=True, check=True).stdout
            text, data = (int(x) for x in size.splitlines()[1].split()[:2])
            kind = subprocess.run(["file", "-bL", path], stdout=subprocess.PIPE, text=True).stdout
            out[name] = {"file": os.path.getsize(path), "text_data": text + data,
                         "kind": "static" if "statically linked" in kind else "dynamic"}
        return out

    # ---- figure 4: signal round trip ------------------------------------------------------------

    def fig_rtt(self):
        rounds, trips = (3, 200) if self.quick else (10, 200)
        cpu = max(os.sched_getaffinity(0))
        self.say("figure 4: signal round trips, %d x %d per init, pinned to CPU %d" % (rounds, trips, cpu))
        variants = [(m, i.name, argv_for(i, m)) for m, i in self.variants(FIGURE_MODES)]
        variants.append(("plain", "no init (to the program)", []))
        runs, fifos = [], []
        try:
            for m, name, argv in variants:
                fifo = os.path.join(self.work, "rtt-%d.fifo" % len(runs))
                os.mkfifo(fifo)
                fd = os.open(fifo, os.O_RDWR | os.O_NONBLOCK)
                fifos.append((fifo, fd))
                runs.append(Running(self, m, name, argv + [self.a.benchkit, "echo", fifo], taskset=cpu))
                r, _, _ = select.select([fd], [], [], 10)
                if not r or os.read(fd, 1) != b"R":
                    raise RuntimeError("the echo program under %s did not start" % name)
            samples = {k: [] for k in range(len(runs))}
            per_round = {k: [] for k in range(len(runs))}
            for rnd in range(rounds):
                for j in range(len(runs)):
                    k = (j + rnd) % len(runs)
                    out = subprocess.run([*NICE, "taskset", "-c", str(cpu), self.a.benchkit, "rtt", str(runs[k].pid),
                                          fifos[k][0], str(trips)], stdout=subprocess.PIPE, text=True,
                                         check=True).stdout
                    xs = [int(x) / 1e3 for x in out.split()]
                    samples[k] += xs
                    per_round[k].append(med(xs))
        finally:
            for r in runs:
                r.stop()
            for _, fd in fifos:
                os.close(fd)
        ref = {m: next(k for k, r in enumerate(runs) if r.mode == m and r.name == REF) for m in FIGURE_MODES}
        rows, res = [], {}
        for k, r in enumerate(runs):
            rk = ref.get(r.mode, ref["plain"])
            rat = [a / b for a, b in zip(per_round[k], per_round[rk])]
            res["%s|%s" % (r.mode, r.name)] = {"median_us": med(samples[k]), "p99_us": p99(samples[k]),
                                               "ratio_median": med(rat), "samples": len(samples[k])}
            rows.append([r.name, MODES[r.mode].split(" (")[0], fnum(med(samples[k])), span(per_round[k]),
                         span(rat), fnum(p99(samples[k])), fnum(ratio(p99(samples[k]), p99(samples[rk])))])
        self.raw["rtt"] = res
        self.section("4. Signal round trip", (
            "SIGUSR1 to the init → forwarded → the program writes a byte to a FIFO → the driver reads it; "
            "µs, %d trips per init in %d interleaved rounds, everything pinned to CPU %d (nice -20). Ratios per "
            "round (round medians), and of the p99s.\n\n" % (rounds * trips, rounds, cpu)) +
            table(["init", "as", "median µs", "round medians µs", "× " + REF, "p99 µs", "p99 × " + REF],
                  rows))
        worst = max(res["%s|cginit" % m]["ratio_median"] for m in FIGURE_MODES)
        self.verdicts.append(("signal round trip (median)", "≤ 1.0 × " + REF, fnum(worst), worst <= 1.0))

    # ---- figure 5: reaping ----------------------------------------------------------------------

    def fig_reaping(self):
        runs_n, n = (1, 5000) if self.quick else (5, 20000)
        self.say("figure 5: reaping bursts of %d orphans, %d rounds" % (n, runs_n))
        variants = self.variants(FIGURE_MODES)
        res = {(m, i.name): [] for m, i in variants}
        walls = {(m, i.name): [] for m, i in variants}
        syscalls = {}  # (mode, name) -> system calls of the init during the burst (first round)
        for rnd in range(runs_n):
            for j in range(len(variants)):
                m, i = variants[(j + rnd) % len(variants)]
                ctl = Ctl(self.work, "orphans")
                r = Running(self, m, i.name, argv_for(i, m) + [self.a.benchkit, "orphans", str(n), ctl.dir])
                try:
                    if ctl.read(10) != "R":
                        raise RuntimeError("orphans workload did not start under %s" % i.name)
                    counter = SyscallCounter(r.pid, self.work) if rnd == 0 else None
                    c0, t0 = cpu_ns(r.pid), time.monotonic()
                    ctl.send()
                    answer = ctl.read(300)
                    c1, t1 = cpu_ns(r.pid), time.monotonic()
                    if counter is not None:
                        syscalls[(m, i.name)] = counter.stop()
                    if answer != "D":
                        raise RuntimeError("orphan burst under %s ended with %r" % (i.name, answer))
                    ctl.send()
                    r.proc.wait(30)
                finally:
                    r.stop()
                    ctl.close()
                res[(m, i.name)].append((c1 - c0) / n)
                walls[(m, i.name)].append((t1 - t0) * 1e9 / n)
        self.raw["reaping_cpu_ns_per_zombie"] = {"%s|%s" % k: v for k, v in res.items()}
        self.raw["reaping_syscalls"] = {"%s|%s" % k: v for k, v in syscalls.items()}
        rows = []
        per_round = lambda a, b: [x / y for x, y in zip(res[a], res[b]) if y > 0]
        per_zombie = lambda k: None if syscalls.get(k) is None else syscalls[k] / n
        for m, i in variants:
            x = res[(m, i.name)]
            note = "" if i.subreaper or m != "plain" else " (not a subreaper: its parent reaps)"
            rows.append([i.name + note, MODES[m].split(" (")[0], span(x, 0),
                         span(per_round((m, i.name), (m, REF))), span(per_round((m, i.name), (m, "floor"))),
                         fnum(per_zombie((m, i.name)), 3), span(walls[(m, i.name)], 0)])
        self.section("5. Reaping", (
            "A middle process forks %d children that exit at once and exits itself, so all of them "
            "are re-parented to the init (as zombies or soon to be). CPU of the init (schedstat) from "
            "the burst until the program sees no other child of the init, ns per zombie, median "
            "(min–max) over %d round(s); ratios per round; wall is the whole burst, forks included. "
            "Almost all of it is the kernel's (wait4 and the release of the task), and other jobs on "
            "the machine move single rounds by ±30 %%, so the deterministic figure is the number of "
            "system calls the init makes per zombie (`perf stat -e raw_syscalls:sys_enter`, first "
            "round): the same count as the floor means the same kernel work.\n\n" % (n, runs_n)) +
            table(["init", "as", "CPU ns / zombie", "× " + REF, "× floor", "syscalls / zombie",
                   "wall ns / zombie"], rows))
        if all(syscalls.get((m, k)) for m in FIGURE_MODES for k in ("cginit", "floor")):
            worst = max(syscalls[(m, "cginit")] / syscalls[(m, "floor")] for m in FIGURE_MODES)
            self.verdicts.append(("reaping: system calls per zombie", "kernel floor (≤ 1.1 × floor)",
                                  "%s × floor" % fnum(worst), worst <= 1.1))
        else:
            worst = max(med(per_round((m, "cginit"), (m, "floor"))) for m in FIGURE_MODES)
            self.verdicts.append(("reaping CPU per zombie (no perf here)", "kernel floor (≤ 1.1 × floor)",
                                  "%s × floor" % fnum(worst), worst <= 1.1))

    # ---- figure 6: escapees ---------------------------------------------------------------------

    def fig_escapees(self):
        runs_n, n = (1, 200) if self.quick else (2, 200)
        self.say("figure 6: %d setsid escapees ignoring SIGTERM, %d round(s)" % (n, runs_n))
        variants = self.variants(FIGURE_MODES)
        res = {(m, i.name): [] for m, i in variants}
        for rnd in range(runs_n):
            for j in range(len(variants)):
                m, i = variants[(j + rnd) % len(variants)]
                ctl = Ctl(self.work, "escapees")
                r = Running(self, m, i.name, argv_for(i, m) + [self.a.benchkit, "escapees", str(n), ctl.dir])
                try:
                    if ctl.read(20) != "R":
                        raise RuntimeError("escapees workload did not start under %s" % i.name)
                    pids = [p for p in Cgroups.pids(r.cg) if comm(p) == ESCAPEE_COMM]
                    if len(pids) != n:
                        raise RuntimeError("%d escapees found under %s, expected %d" % (len(pids), i.name, n))
                    res[(m, i.name)].append(self.watch_escapees(r, ctl, pids))
                finally:
                    r.stop()
                    ctl.close()
        self.raw["escapees"] = {"%s|%s" % k: v for k, v in res.items()}
        rows = []
        for m, i in variants:
            x = res[(m, i.name)]
            gone = [e["all_gone_ms"] for e in x if e["all_gone_ms"] is not None]
            surv = [e["survivors"] for e in x]
            rows.append([i.name, MODES[m].split(" (")[0],
                         span(gone, 1) if len(gone) == len(x) else "never",
                         "%s of %d" % ("/".join(str(s) for s in sorted(set(surv))), n),
                         span([e["init_exit_ms"] for e in x if e["init_exit_ms"] is not None], 1)])
        self.section("6. Escapees", (
            "The program starts %d daemons (fork, setsid, SIGTERM ignored), then exits. Time from its "
            "exit until all daemons are gone (dead or zombie), and how many are still alive 1 s after "
            "the init has exited (or after 20 s); afterwards the driver kills them with cgroup.kill. "
            "ms, median (min–max) over %d round(s). cginit's default --grace is 5 s.\n\n" % (n, runs_n)) +
            table(["init", "as", "all gone after ms", "survive the init", "init exits after ms"], rows))
        worst = max(e["survivors"] for m in FIGURE_MODES for e in res[(m, "cginit")])
        self.verdicts.append(("escapees surviving cginit (PID 1 and subreaper)", "0 of %d" % n,
                              "%d of %d" % (worst, n), worst == 0))

    def watch_escapees(self, r, ctl, pids):
        t0 = time.monotonic()
        ctl.send()  # the program exits
        t_gone = t_exit = None
        left = list(pids)
        while True:
            if t_exit is None and not alive(r.pid):
                t_exit = time.monotonic()
            left = [p for p in left if alive(p) and comm(p) == ESCAPEE_COMM]
            now = time.monotonic()
            if not left and t_gone is None:
                t_gone = now
            if t_gone is not None and t_exit is not None:
                break
            if t_exit is not None and now - t_exit > 1.0:
                break
            if now - t0 > 20:
                break
            time.sleep(0.002)
        ms = lambda t: None if t is None else (t - t0) * 1e3
        return {"all_gone_ms": ms(t_gone), "init_exit_ms": ms(t_exit), "survivors": len(left)}

    # ---- figure 7: fork bomb in the pure cgroup v2 guest ----------------------------------------

    def fig_forkbomb(self):
        vm_run = os.path.join(self.a.repo, "tests/vm/run.sh")
        title = "7. Fork bomb under --pids-max (pure cgroup v2 QEMU guest)"
        if self.a.no_vm or not os.access(vm_run, os.X_OK):
            why = "--no-vm" if self.a.no_vm else "tests/vm/run.sh is missing"
            self.section(title, "Not measured here (%s)." % why)
            return
        reps = 1 if self.quick else 3
        names = ["floor", REF, "catatonit", "dumb-init", "tini", "cginit"]
        if self.quick:
            names = [REF, "cginit"]
        self.say("figure 7: fork bomb in the VM, %d rep(s) of %s" % (reps, ", ".join(names)))
        conf = os.path.join(self.work, "bench.conf")
        with open(conf, "w") as f:
            f.write("BENCH_REPS=%d\nBENCH_INITS='%s'\n" % (reps, " ".join(names)))
        out = os.path.join(self.work, "vm")
        cmd = [vm_run, "--cginit", self.a.cginit, "--case-dir", os.path.join(self.a.repo, "tests/bench/vm"),
               "--file", "%s:/usr/local/bin/benchkit" % self.a.benchkit,
               "--file", "%s:/usr/local/bin/floor" % self.a.floor, "--file", conf + ":/vm/bench.conf",
               "--file", "/usr/bin/tini-static", "--file", "/usr/bin/catatonit", "--file", "/usr/bin/tini",
               "--file", "/usr/bin/dumb-init", "--case-timeout", "400", "--timeout", "600", "--out", out,
               "bench-forkbomb"]
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        log = os.path.join(out, "logs", "bench-forkbomb.log")
        lines = open(log).read().splitlines() if os.path.exists(log) else []
        data = {}
        for line in lines:
            mt = re.match(r"BENCH init=(\S+) ms=(\d+(?:\.\d+)?) peak=(\d+) refused=(\d+)", line)
            if mt:
                data.setdefault(mt[1], []).append((float(mt[2]), int(mt[3]), int(mt[4])))
        if p.returncode != 0 or REF not in data:
            self.section(title, "Not measured: the VM run failed (exit %d):\n\n```\n%s\n```" % (
                p.returncode, "\n".join((lines or p.stdout.splitlines())[-25:])))
            return
        self.raw["forkbomb"] = data
        ref = med([x[0] for x in data[REF]])
        rows = [[n, span([x[0] for x in data[n]], 0), fnum(ratio(med([x[0] for x in data[n]]), ref)),
                 max(x[1] for x in data[n]), min(x[2] for x in data[n])] for n in names if n in data]
        self.section(title, (
            "A busybox sh fork bomb (`bomb() { bomb | bomb & }`) runs 2 s as the program's child with "
            "pids.max = 64 (cginit: `--pids-max 64` on workload/; the others: the runtime writes the "
            "container cgroup's pids.max), then SIGTERM to the init: ms until the container cgroup is "
            "empty, median (min–max) over %d rep(s); 1 vCPU under TCG emulation, so absolute times are "
            "slow.\n\n" % reps) +
            table(["init", "SIGTERM → empty ms", "× " + REF, "peak pids.current", "forks refused"], rows))

    # ---- output ---------------------------------------------------------------------------------

    def header(self, load_start):
        cpu = "unknown"
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
        with open("/proc/loadavg") as f:
            load_end = " ".join(f.read().split()[:3])
        ver = subprocess.run([self.a.cginit, "--version"], stdout=subprocess.PIPE, text=True).stdout.strip()
        git = lambda *args: subprocess.run(["git", "-C", self.a.repo, *args], stdout=subprocess.PIPE,
                                           stderr=subprocess.DEVNULL, text=True).stdout.strip()
        head = git("rev-parse", "--short", "HEAD") or "unknown"
        pkgs = subprocess.run(["dpkg-query", "-W", "-f", "${Package} ${Version}, ", "tini", "dumb-init",
                               "catatonit", "valgrind"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              text=True).stdout.strip(", ")
        if git("status", "--porcelain", "--untracked-files=no"):
            head += " with uncommitted changes"
        return "\n".join([
            "# cginit benchmark results%s" % (" (--quick)" if self.quick else ""),
            "",
            "- date: %s" % datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
            "- machine: %s, %d CPUs (nproc), `%s`" % (cpu, os.cpu_count(), " ".join(os.uname()[2:4])),
            "- load average (1, 5, 15 min): %s at the start, %s at the end" % (load_start, load_end),
            "- `%s` (source tree: git %s); Debian packages: %s" % (ver, head, pkgs),
            "- command: `tests/bench/run.sh%s`" % (" --quick" if self.quick else ""),
            "",
        ])

    def targets(self):
        rows = [[t, goal, val, "" if ok is None else "**met**" if ok else "**missed**"]
                for t, goal, val, ok in self.verdicts]
        self.section("Targets (issue 7)", table(["figure", "target", "cginit", ""], rows))


def comm(pid):
    try:
        with open("/proc/%d/comm" % pid) as f:
            return f.read().strip()
    except (FileNotFoundError, ProcessLookupError):
        return None


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
    p.add_argument("--figures", default="1234567", help="which figures to run (digits)")
    a = p.parse_args()
    a.outdir = os.path.dirname(os.path.abspath(a.out))
    with open("/proc/loadavg") as f:
        load_start = " ".join(f.read().split()[:3])
    b = Bench(a)
    t0 = time.monotonic()
    figs = {"1": b.fig_startup, "2": b.fig_idle, "3": lambda: None, "4": b.fig_rtt, "5": b.fig_reaping,
            "6": b.fig_escapees, "7": b.fig_forkbomb}
    try:
        for k in a.figures:
            figs[k]()
    finally:
        shutil.rmtree(b.work, ignore_errors=True)
    b.targets()
    if "1" in a.figures:
        b.annotate()
    text = b.header(load_start) + "\n" + "\n".join(b.md) + "\nRun time: %.0f s.\n" % (time.monotonic() - t0)
    with open(a.out, "w") as f:
        f.write(text)
    with open(os.path.splitext(a.out)[0] + ".json", "w") as f:
        json.dump(b.raw, f, indent=1, default=str)
    b.say("wrote %s (and .json) in %.0f s" % (a.out, time.monotonic() - t0))


if __name__ == "__main__":
    main()
