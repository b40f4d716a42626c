// SPDX-License-Identifier: MIT
// Soak tests: drain cycles, a fork storm under a signal storm, thousands of programs under one
// cginit.
//
// Sizes scale with CGINIT_SOAK_SCALE (default 1.0, the full size); CGINIT_SOAK_CYCLES,
// CGINIT_SOAK_DAEMONS, CGINIT_SOAK_FORKS, CGINIT_SOAK_SIGNALS and CGINIT_SOAK_PROGRAMS set one
// count exactly. Every case prints its numbers as "[  SOAK    ]" lines and test properties.
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "harness.h"
#include "report_json.h"

namespace cginit::it {
namespace {

class SoakTest : public IntegrationTest {};

/// $NAME when it is a positive whole number, else nullopt.
std::optional<long> envCount(const char* name) {
  const char* text = std::getenv(name);
  if (text == nullptr) {
    return std::nullopt;
  }
  auto value = toNumber(text);
  return value && *value > 0 ? value : std::nullopt;
}

/// $CGINIT_SOAK_SCALE, a positive number; 1.0 when unset or invalid.
double soakScale() {
  const char* text = std::getenv("CGINIT_SOAK_SCALE");
  if (text == nullptr) {
    return 1.0;
  }
  char* end = nullptr;
  const double value = std::strtod(text, &end);
  return end != text && *end == '\0' && value > 0 ? value : 1.0;
}

/// $NAME when set, else `full` times the soak scale (at least 1).
long scaledCount(const char* name, long full) {
  if (auto exact = envCount(name)) {
    return *exact;
  }
  return std::max(1L, std::lround(static_cast<double>(full) * soakScale()));
}

/// Prints one result line and records it as a test property (meson's XML file keeps it).
void note(const std::string& key, const std::string& value) {
  std::cout << "[  SOAK    ] " << key << ": " << value << std::endl;
  ::testing::Test::RecordProperty(key, value);
}

double secondsSince(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

std::string fixed(double value, int decimals = 1) {
  std::ostringstream out;
  out.setf(std::ios::fixed);
  out.precision(decimals);
  out << value;
  return out.str();
}

/// cginit's open fds and memory, as /proc shows them.
struct Usage {
  long fds = -1;
  long vmRssKiB = -1;
  long rssAnonKiB = -1;
  std::vector<std::string> fdTargets;  // "N -> target", for messages
};

std::ostream& operator<<(std::ostream& os, const Usage& u) {
  return os << "fds " << u.fds << ", VmRSS " << u.vmRssKiB << " KiB, RssAnon " << u.rssAnonKiB
            << " KiB";
}

std::string str(const Usage& u) {
  std::ostringstream out;
  out << u;
  return out.str();
}

/// "Key:\t   1234 kB" of /proc/PID/status as a number of KiB.
std::optional<long> statusKiB(pid_t pid, std::string_view key) {
  auto field = statusField(pid, key);
  if (!field) {
    return std::nullopt;
  }
  std::istringstream in(*field);
  long value = -1;
  std::string unit;
  if (!(in >> value >> unit) || unit != "kB") {
    return std::nullopt;
  }
  return value;
}

std::optional<Usage> usageOf(pid_t pid) {
  DIR* dir = opendir(("/proc/" + std::to_string(pid) + "/fd").c_str());
  if (dir == nullptr) {
    return std::nullopt;
  }
  Usage u;
  u.fds = 0;
  while (const dirent* entry = readdir(dir)) {
    if (entry->d_name[0] != '.') {
      ++u.fds;
      std::array<char, 256> target{};
      const std::string link = "/proc/" + std::to_string(pid) + "/fd/" + entry->d_name;
      const ssize_t n = readlink(link.c_str(), target.data(), target.size() - 1);
      u.fdTargets.push_back(std::string(entry->d_name) + " -> " +
                            (n > 0 ? std::string(target.data(), static_cast<size_t>(n)) : "?"));
    }
  }
  closedir(dir);
  auto rss = statusKiB(pid, "VmRSS");
  auto anon = statusKiB(pid, "RssAnon");
  if (!rss || !anon) {
    return std::nullopt;
  }
  u.vmRssKiB = *rss;
  u.rssAnonKiB = *anon;
  return u;
}

/// usageOf() once two samples 10 ms apart show the same fds: cginit may hold a file open for a
/// moment after an event (seen right after the program started), which is not a leak.
std::optional<Usage> settledUsage(pid_t pid) {
  auto last = usageOf(pid);
  for (int i = 0; i < 200 && last; ++i) {
    std::this_thread::sleep_for(10ms);
    auto next = usageOf(pid);
    if (next && next->fdTargets == last->fdTargets) {
      return next;
    }
    last = std::move(next);
  }
  return last;
}

/// How much more memory `later` may use than `earlier` before it counts as growth.
constexpr long kRssToleranceKiB = 64;

/// `later` uses no more fds than `earlier` and at most kRssToleranceKiB more memory.
::testing::AssertionResult noGrowth(const Usage& earlier, const Usage& later) {
  if (later.fds > earlier.fds || later.vmRssKiB > earlier.vmRssKiB + kRssToleranceKiB ||
      later.rssAnonKiB > earlier.rssAnonKiB + kRssToleranceKiB) {
    auto failure = ::testing::AssertionFailure() << "grew from " << earlier << " to " << later;
    for (const auto& fd : later.fdTargets) {
      failure << "\n  fd " << fd;
    }
    return failure;
  }
  return ::testing::AssertionSuccess();
}

/// Zombie children of `parent` (none is expected once cginit has caught up).
std::vector<pid_t> zombieChildren(pid_t parent) {
  std::vector<pid_t> zombies;
  for (const auto& child : childrenOf(parent)) {
    if (child.state == 'Z') {
      zombies.push_back(child.pid);
    }
  }
  return zombies;
}

/// Zombies anywhere in the test cgroup.
std::vector<pid_t> zombiesIn(Sandbox& sb) {
  std::vector<pid_t> zombies;
  for (pid_t pid : sb.cgroup().procs()) {
    if (processState(pid) == 'Z') {
      zombies.push_back(pid);
    }
  }
  return zombies;
}

bool touch(const std::string& path) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return false;
  }
  close(fd);
  return true;
}

std::optional<Json> readReport(const std::string& path) {
  return parseJson(readFile(path).value_or(""));
}

// 1. Drain cycles: each cginit (PID 1, managed cgroup) runs a program that leaves N setsid
// daemons that ignore SIGTERM and then exits with a code of its own. After every cycle: the exit
// code is the program's, cgroup.kill ended exactly the N daemons, cginit removed its cgroups
// (which the kernel refuses while a process is in them) and nothing is left in the test cgroup.
TEST_F(SoakTest, DrainCycles) {
  const long cycles = scaledCount("CGINIT_SOAK_CYCLES", 1000);
  const long daemons = envCount("CGINIT_SOAK_DAEMONS").value_or(200);
  const auto expectedInWorkload = static_cast<size_t>(daemons + 1);
  note("drain.config", std::to_string(cycles) + " cycles x " + std::to_string(daemons) +
                           " setsid daemons ignoring SIGTERM, --grace 200ms");

  const auto t0 = Clock::now();
  long done = 0;
  long leftovers = 0;
  long drainSamples = 0;
  double slowest = 0;
  std::optional<Usage> firstStart;
  Usage lastStart;
  Usage maxStart;
  Usage maxDrain;
  for (long cycle = 0; cycle < cycles && !HasFailure(); ++cycle) {
    SCOPED_TRACE("cycle " + std::to_string(cycle + 1) + " of " + std::to_string(cycles));
    const auto cycleStart = Clock::now();
    const int code = static_cast<int>(cycle % 90) + 1;  // payload failures are 100 and 101
    Sandbox sb;
    const std::string cg = sb.cgroup().path();
    const std::string pidFile = sb.file("program.pid");
    const std::string ready = sb.file("ready");
    const std::string go = sb.file("go");
    const std::string report = sb.file("report.json");
    ASSERT_TRUE(sb.start(
        RunSpec(Mode::Pid1,
                concat({"--grace", "200ms", "--report", report},
                       payload({"pidfile", pidFile, "daemons", std::to_string(daemons), "touch",
                                ready, "await", go, "exit", std::to_string(code)})))
            .withCgroupNamespace()));
    ASSERT_TRUE(waitForFile(ready, 60s)) << sb.stderrText();
    const auto program = sb.hostPidFromFile(pidFile);
    ASSERT_TRUE(program) << sb.stderrText();
    ASSERT_EQ(procsIn(cg + "/workload").size(), expectedInWorkload) << "program and daemons";

    // Start: cginit with the program and every daemon running.
    const auto start = settledUsage(sb.pid());
    ASSERT_TRUE(start);
    if (!firstStart) {
      firstStart = start;
    }
    EXPECT_EQ(start->fds, firstStart->fds) << "cginit's fds differ between identical runs";
    lastStart = *start;
    maxStart.fds = std::max(maxStart.fds, start->fds);
    maxStart.vmRssKiB = std::max(maxStart.vmRssKiB, start->vmRssKiB);
    maxStart.rssAnonKiB = std::max(maxStart.rssAnonKiB, start->rssAnonKiB);

    ASSERT_TRUE(touch(go));
    // During the drain (the program is reaped, the daemons wait out the grace period): a
    // best-effort sample, since cginit may be gone before the test looks.
    if (waitUntil([&] { return !processState(*program); }, 30s, 1ms) && !sb.exited()) {
      if (auto drain = usageOf(sb.pid())) {
        ++drainSamples;
        maxDrain.fds = std::max(maxDrain.fds, drain->fds);
        maxDrain.vmRssKiB = std::max(maxDrain.vmRssKiB, drain->vmRssKiB);
        maxDrain.rssAnonKiB = std::max(maxDrain.rssAnonKiB, drain->rssAnonKiB);
      }
    }
    ASSERT_EQ(sb.wait(30s), ExitStatus::exited(code)) << sb.stderrText();

    const auto subdirs = subCgroups(cg);
    const bool emptied = waitUntil([&] { return sb.cgroup().procs().empty(); }, 5s);
    if (!subdirs.empty() || !emptied) {
      ++leftovers;
    }
    EXPECT_EQ(subdirs, std::vector<std::string>{}) << "cgroups cginit did not remove";
    EXPECT_TRUE(emptied) << sb.cgroup().procs().size() << " process(es) left";
    const auto r = readReport(report);
    ASSERT_TRUE(r) << readFile(report).value_or("(no report)");
    EXPECT_EQ(r->stringAt("drain"), "killed");
    EXPECT_EQ(r->integerAt("killed"), daemons) << "processes that cgroup.kill ended";
    EXPECT_EQ(r->integerAt("exit_code"), code);
    ++done;
    slowest = std::max(slowest, secondsSince(cycleStart));
  }
  const double total = secondsSince(t0);
  note("drain.cycles", std::to_string(done) + " of " + std::to_string(cycles));
  note("drain.processes", std::to_string(done * (daemons + 3)) + " (" +
                              std::to_string(done * daemons) +
                              " daemons; program, daemon maker and cginit per cycle)");
  note("drain.leftovers", std::to_string(leftovers) + " cycles with a process or cgroup left");
  note("drain.time", fixed(total) + " s, " +
                         fixed(done > 0 ? total / static_cast<double>(done) : 0, 3) +
                         " s per cycle, slowest " + fixed(slowest, 3) + " s");
  if (firstStart) {
    note("drain.usage.start", "first cycle " + str(*firstStart) + "; last cycle " + str(lastStart) +
                                  "; highest " + str(maxStart));
    EXPECT_TRUE(noGrowth(*firstStart, maxStart)) << "cginit at the start of a cycle";
  }
  note("drain.usage.drain",
       std::to_string(drainSamples) + " samples during drain, highest " + str(maxDrain));
  EXPECT_EQ(leftovers, 0);
}

// 2. A fork storm while signals arrive: a detached process of the workload forks N short-lived
// children (orphans that cginit reaps) while the test sends cginit one signal at a time and
// waits for the program's record of it before the next, so that nothing can coalesce: every
// signal must arrive, in order. Afterwards no zombie is left and cginit has not grown.
TEST_F(SoakTest, ForkStormUnderSignalStorm) {
  const long forks = scaledCount("CGINIT_SOAK_FORKS", 50'000);
  const long signals = scaledCount("CGINIT_SOAK_SIGNALS", 1000);
  const std::array<int, 4> kinds{SIGUSR1, SIGUSR2, SIGRTMIN + 10, SIGRTMIN + 12};
  note("storm.config", std::to_string(forks) + " forks, " + std::to_string(signals) +
                           " signals (SIGUSR1, SIGUSR2, SIGRTMIN+10, SIGRTMIN+12 in turn)");

  Sandbox sb;
  const std::string pidFile = sb.file("program.pid");
  const std::string ready = sb.file("ready");
  const std::string go = sb.file("go");
  const std::string stormDone = sb.file("storm-done");
  const std::string log = sb.file("signals");
  const std::string report = sb.file("report.json");
  ASSERT_TRUE(
      sb.start(RunSpec(Mode::Pid1,
                       concat({"--grace", "2s", "--report", report},
                              payload({"pidfile", pidFile, "touch", ready, "await", go, "forkstorm",
                                       std::to_string(forks), stormDone, "record-signals", log})))
                   .withCgroupNamespace()));
  ASSERT_TRUE(waitForFile(ready, 60s)) << sb.stderrText();
  const auto program = sb.hostPidFromFile(pidFile);
  ASSERT_TRUE(program) << sb.stderrText();
  const auto start = settledUsage(sb.pid());
  ASSERT_TRUE(start);

  const auto t0 = Clock::now();
  ASSERT_TRUE(touch(go));
  ASSERT_TRUE(waitForFileContaining(log, "ready\n", 60s)) << sb.stderrText();
  std::vector<std::string> expected{"ready"};
  long sentDuringStorm = 0;
  for (long i = 0; i < signals; ++i) {
    const int sig = kinds[static_cast<size_t>(i) % kinds.size()];
    const bool stormRunning = !fileExists(stormDone);
    ASSERT_TRUE(sb.signal(sig)) << "kill " << sb.pid();
    expected.push_back(recordName(sig));
    ASSERT_TRUE(waitUntil([&] { return fileLines(log).size() >= expected.size(); }, 10s, 1ms))
        << "signal " << i + 1 << " (" << recordName(sig) << ") did not reach the program within"
        << " 10 s\n"
        << sb.stderrText();
    sentDuringStorm += stormRunning ? 1 : 0;
  }
  const double signalSeconds = secondsSince(t0);
  ASSERT_TRUE(waitForFile(stormDone, 1800s)) << sb.stderrText();
  const double stormSeconds = secondsSince(t0);
  EXPECT_EQ(fileLines(stormDone), std::vector<std::string>{"done " + std::to_string(forks)});
  EXPECT_EQ(fileLines(log), expected) << "every signal, once, in the order sent";

  // Every orphan of the storm is reaped: cginit's only child is the program, and no zombie is
  // anywhere in the cgroup.
  const bool reaped =
      waitUntil([&] { return zombieChildren(sb.pid()).empty() && zombiesIn(sb).empty(); }, 10s);
  const auto zombies = zombiesIn(sb).size();
  EXPECT_TRUE(reaped) << zombies << " zombie(s) left";
  const auto children = childrenOf(sb.pid());
  ASSERT_EQ(children.size(), 1u) << "cginit's children besides the program";
  EXPECT_EQ(children[0].pid, *program);
  const auto end = settledUsage(sb.pid());
  ASSERT_TRUE(end);
  EXPECT_TRUE(noGrowth(*start, *end)) << "cginit over the storm";

  ASSERT_TRUE(sb.signal(SIGTERM));
  EXPECT_EQ(sb.wait(30s), ExitStatus::exited(0)) << sb.stderrText();
  EXPECT_EQ(subCgroups(sb.cgroup().path()), std::vector<std::string>{});
  const auto r = readReport(report);
  ASSERT_TRUE(r) << readFile(report).value_or("(no report)");
  // The storm's orphans and the storm process itself; the batch parents are the storm's.
  EXPECT_EQ(r->integerAt("reaped"), forks + 1);
  long forwarded = 0;
  if (const Json* f = r->find("forwarded")) {
    for (const auto& [name, count] : f->members) {
      forwarded += static_cast<long>(count.integer);
    }
  }
  EXPECT_EQ(forwarded, signals + 1) << "the signals and the final SIGTERM";

  note("storm.processes", std::to_string(forks + forks / 100 + 4) + " (" + std::to_string(forks) +
                              " storm children, batch parents, storm, its starter, program, "
                              "cginit); reaped by cginit: " +
                              std::to_string(r->integerAt("reaped").value_or(-1)));
  note("storm.signals", std::to_string(signals) + " sent, " +
                            std::to_string(static_cast<long>(expected.size()) - 1) +
                            " received in order, " + std::to_string(sentDuringStorm) +
                            " sent while the storm ran");
  note("storm.time",
       "signals " + fixed(signalSeconds, 3) + " s, storm " + fixed(stormSeconds, 3) + " s");
  note("storm.zombies", std::to_string(zombies) + " left");
  note("storm.usage", "start " + str(*start) + "; end " + str(*end));
}

// 3. N programs started and exited back to back under one cginit as subreaper (not PID 1, managed
// cgroup): the driver's child forks a grandchild and exits, the orphaned grandchild execs
// `payload exit 0`, and cginit reaps it. cginit's fds and memory after the first tenth (when
// everything it allocates has been allocated once) do not grow until the end.
TEST_F(SoakTest, ProgramsUnderOneSubreaper) {
  const long programs = std::max(2L, scaledCount("CGINIT_SOAK_PROGRAMS", 10'000));
  const long warmUp = std::max(1L, programs / 10);
  note("programs.config", std::to_string(programs) + " programs, sampled after " +
                              std::to_string(warmUp) + " and at the end");

  Sandbox sb;
  const std::string report = sb.file("report.json");
  std::array<std::string, 3> marks{sb.file("mark0"), sb.file("mark1"), sb.file("mark2")};
  std::array<std::string, 3> gos{sb.file("go0"), sb.file("go1"), sb.file("go2")};
  ASSERT_TRUE(sb.start(
      RunSpec(Mode::Plain, concat({"-s", "--grace", "2s", "--report", report},
                                  payload({"touch", marks[0], "await", gos[0], "spawn-many",
                                           std::to_string(warmUp), "touch", marks[1], "await",
                                           gos[1], "spawn-many", std::to_string(programs - warmUp),
                                           "touch", marks[2], "await", gos[2], "exit", "0"})))));

  std::array<Usage, 3> usage;
  std::array<double, 3> at{};
  const auto t0 = Clock::now();
  for (size_t i = 0; i < marks.size(); ++i) {
    ASSERT_TRUE(waitForFile(marks[i], 1800s)) << sb.stderrText();
    at[i] = secondsSince(t0);
    // The driver waits; every orphan so far has exited, and cginit must have reaped it.
    ASSERT_TRUE(sb.pid() > 0);
    EXPECT_TRUE(waitUntil([&] { return zombieChildren(sb.pid()).empty(); }, 10s))
        << zombieChildren(sb.pid()).size() << " zombie children of cginit";
    EXPECT_EQ(childrenOf(sb.pid()).size(), 1u) << "only the driver";
    const auto u = settledUsage(sb.pid());
    ASSERT_TRUE(u);
    usage[i] = *u;
    ASSERT_TRUE(touch(gos[i]));
  }
  EXPECT_EQ(sb.wait(30s), ExitStatus::exited(0)) << sb.stderrText();
  EXPECT_EQ(subCgroups(sb.cgroup().path()), std::vector<std::string>{});
  EXPECT_TRUE(noGrowth(usage[1], usage[2]))
      << "cginit between program " << warmUp << " and " << programs;
  const auto r = readReport(report);
  ASSERT_TRUE(r) << readFile(report).value_or("(no report)");
  EXPECT_EQ(r->integerAt("reaped"), programs) << "each orphaned program";

  note("programs.done",
       std::to_string(programs) + " programs (" + std::to_string(2 * programs) +
           " processes); reaped by cginit: " + std::to_string(r->integerAt("reaped").value_or(-1)));
  note("programs.time", fixed(at[2] - at[0], 3) + " s, " +
                            fixed((at[2] - at[0]) * 1000 / static_cast<double>(programs), 2) +
                            " ms per program");
  note("programs.usage", "start " + str(usage[0]) + "; after " + std::to_string(warmUp) + " " +
                             str(usage[1]) + "; end " + str(usage[2]));
}

}  // namespace
}  // namespace cginit::it
