// SPDX-License-Identifier: MIT
// The drain covers the whole managed root except cginit: escapees in init/, beside workload/ and
// at any depth get the stop signal, then cgroup.kill; cgroups the workload made are removed; a
// hostile or careless workload can neither hang cginit nor hide from it (issues 12 and 17).
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "harness.h"
#include "report_json.h"

namespace cginit::it {
namespace {

/// The cgroup2 mount as the program sees it in its cgroup namespace: the test cgroup.
constexpr const char* kCg = "/sys/fs/cgroup";

class EscapeTest : public IntegrationTest, public ::testing::WithParamInterface<Mode> {};

std::string modeName(const ::testing::TestParamInfo<Mode>& info) {
  return info.param == Mode::Pid1 ? "Pid1" : "Subreaper";
}

/// cginit's options for `mode`: -s where it is not PID 1.
std::vector<std::string> options(Mode mode, std::vector<std::string> more) {
  if (mode == Mode::Plain) {
    more.insert(more.begin(), "-s");
  }
  return more;
}

/// No cgroup is left below the test cgroup and no process in it but, for a moment, the
/// harness's own reaper (Plain mode).
::testing::AssertionResult cleanedUp(Sandbox& sb) {
  const auto subdirs = subCgroups(sb.cgroup().path());
  if (!subdirs.empty()) {
    return ::testing::AssertionFailure() << "left behind: " << sb.cgroup().path() << "/"
                                         << subdirs.front() << " (" << subdirs.size() << " in all)";
  }
  if (!waitUntil([&] { return sb.cgroup().procs().empty(); }, 2s)) {
    return ::testing::AssertionFailure()
           << sb.cgroup().procs().size() << " process(es) left in the test cgroup";
  }
  return ::testing::AssertionSuccess();
}

bool writeText(const std::string& path, const std::string& text) {
  const int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    return false;
  }
  const bool ok = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  close(fd);
  return ok;
}

// Issue 12 item 2: daemons that moved themselves into init/, into <root>/x and into <root>/x/y
// each get the stop signal first (their TERM handler writes a file), nothing is left, every
// cgroup is removed, and the report counts each of them: as escaped where the drain found it,
// as tampered where cginit had already moved it back (no nsdelegate here, issue 23).
TEST_P(EscapeTest, EscapeesInInitBesideAndBelowGetTheStopSignalAndAreCounted) {
  Sandbox sb;
  const std::string inInit = sb.file("in-init");
  const std::string inX = sb.file("in-x");
  const std::string inXY = sb.file("in-x-y");
  const std::string reportFile = sb.file("report.json");
  const std::string cg = kCg;
  ASSERT_TRUE(sb.start(
      RunSpec(GetParam(), concat(options(GetParam(), {"--grace", "10s", "--report", reportFile}),
                                 payload({"daemon-in", "handle", inInit, cg + "/init", "daemon-in",
                                          "handle", inX, cg + "/x", "daemon-in", "handle", inXY,
                                          cg + "/x/y", "exit", "6"})))
          .withCgroupNamespace()));
  const auto t0 = Clock::now();
  EXPECT_EQ(sb.wait(8s), ExitStatus::exited(6)) << sb.stderrText();
  EXPECT_LT(Clock::now() - t0, 8s) << "cginit waited for the grace period";
  EXPECT_EQ(readFile(inInit), "TERM") << "the escapee in init/ got no SIGTERM: " << sb.stderrText();
  EXPECT_EQ(readFile(inX), "TERM") << "the escapee in x/ got no SIGTERM: " << sb.stderrText();
  EXPECT_EQ(readFile(inXY), "TERM") << "the escapee in x/y/ got no SIGTERM: " << sb.stderrText();
  EXPECT_TRUE(cleanedUp(sb));
  const auto report = parseJson(readFile(reportFile).value_or(""));
  ASSERT_TRUE(report) << readFile(reportFile).value_or("(no report)");
  EXPECT_EQ(report->integerAt("escaped").value_or(0) + report->integerAt("tampered").value_or(0), 3)
      << readFile(reportFile).value_or("");
  EXPECT_EQ(report->stringAt("drain"), "clean");
}

// 17.1: the program moves cginit into workload/ (or below it) and exits. cginit must not freeze
// or kill itself: it moves back into init/ with a warning, writes the report and exits with the
// program's status.
TEST_P(EscapeTest, CginitMovedIntoTheWorkloadDoesNotHangOrKillItself) {
  for (const std::string where : {"/workload", "/workload/sub"}) {
    SCOPED_TRACE(where);
    Sandbox sb;
    const std::string reportFile = sb.file("report.json");
    ASSERT_TRUE(sb.start(
        RunSpec(GetParam(), concat(options(GetParam(), {"--grace", "2s", "--stop-timeout", "500ms",
                                                        "--report", reportFile}),
                                   payload({"move-parent", std::string(kCg) + where, "exit", "3"})))
            .withCgroupNamespace()));
    EXPECT_EQ(sb.wait(5s), ExitStatus::exited(3)) << "cginit hung or died: " << sb.stderrText();
    EXPECT_NE(sb.stderrText().find("cginit was moved out of init/"), std::string::npos)
        << sb.stderrText();
    EXPECT_TRUE(fileExists(reportFile)) << "no report";
    EXPECT_TRUE(cleanedUp(sb));
  }
}

// Not PID 1: the program moves the PID namespace's init (the harness's reaper, cginit's parent)
// into workload/. The drain moves it back into init/ instead of freezing, signalling or killing
// it with the workload.
TEST_F(IntegrationTest, InitMovedIntoTheWorkloadIsMovedBackNotDrained) {
  Sandbox sb;
  const std::string daemonFile = sb.file("daemon");
  ASSERT_TRUE(
      sb.start(RunSpec(Mode::Plain, concat({"-s", "--grace", "1s"},
                                           payload({"daemon", "ignore", daemonFile, "move-init",
                                                    std::string(kCg) + "/workload", "exit", "0"})))
                   .withCgroupNamespace()));
  const auto reaper = sb.hostPid(1);
  ASSERT_TRUE(reaper) << sb.stderrText();
  ExitWatch reaperExit(*reaper);
  EXPECT_EQ(sb.wait(5s), ExitStatus::exited(0)) << sb.stderrText();
  EXPECT_NE(sb.stderrText().find("moving it back into init/"), std::string::npos)
      << sb.stderrText();
  // Killed with the workload, the reaper could not report cginit's status (wait() above fails
  // then, as it does against the old drain); left alone, it exits once cginit is gone.
  EXPECT_TRUE(reaperExit.wait(5s));
  EXPECT_TRUE(cleanedUp(sb));
}

// 17.2: an empty threaded cgroup (its cgroup.procs reads EOPNOTSUPP) does not cost a setsid
// daemon its SIGTERM at drain, nor its forwarded SIGTERM with --forward cgroup.
TEST_P(EscapeTest, EmptyThreadedCgroupDoesNotCostTheOthersTheirSignal) {
  Sandbox sb;
  const std::string daemonFile = sb.file("daemon");
  const std::string reportFile = sb.file("report.json");
  ASSERT_TRUE(sb.start(
      RunSpec(GetParam(), concat(options(GetParam(), {"--grace", "10s", "--report", reportFile}),
                                 payload({"threaded", std::string(kCg) + "/workload/t", "daemon",
                                          "handle", daemonFile, "exit", "0"})))
          .withCgroupNamespace()));
  const auto t0 = Clock::now();
  EXPECT_EQ(sb.wait(8s), ExitStatus::exited(0)) << sb.stderrText();
  EXPECT_LT(Clock::now() - t0, 8s) << "cginit waited for the grace period";
  EXPECT_EQ(readFile(daemonFile), "TERM") << "the daemon got no SIGTERM: " << sb.stderrText();
  const auto report = parseJson(readFile(reportFile).value_or(""));
  ASSERT_TRUE(report) << readFile(reportFile).value_or("(no report)");
  EXPECT_EQ(report->stringAt("drain"), "clean");
  EXPECT_TRUE(cleanedUp(sb));
}

TEST_P(EscapeTest, EmptyThreadedCgroupDoesNotStopForwardCgroup) {
  Sandbox sb;
  const std::string daemonFile = sb.file("daemon");
  const std::string log = sb.file("signals");
  ASSERT_TRUE(sb.start(
      RunSpec(GetParam(), concat(options(GetParam(), {"--forward", "cgroup", "--grace", "2s"}),
                                 payload({"threaded", std::string(kCg) + "/workload/t", "daemon",
                                          "handle", daemonFile, "record-signals-stay", log})))
          .withCgroupNamespace()));
  ASSERT_TRUE(waitForFileContaining(log, "ready\n", 10s)) << sb.stderrText();
  ASSERT_TRUE(sb.signal(SIGTERM));
  EXPECT_TRUE(waitForFileContaining(daemonFile, "TERM", 5s))
      << "the daemon did not get the forwarded SIGTERM: " << sb.stderrText();
  EXPECT_TRUE(waitForFileContaining(log, "SIGTERM\n", 5s)) << "the program did not get it";
  ASSERT_TRUE(sb.signal(SIGINT));
  EXPECT_TRUE(waitForFileContaining(log, "SIGINT\n", 5s));
  // The program stays; ending it by SIGKILL from outside starts the drain.
  const auto pids = procsIn(sb.cgroup().path() + "/workload");
  for (const pid_t pid : pids) {
    kill(pid, SIGKILL);
  }
  EXPECT_TRUE(sb.wait(5s)) << sb.stderrText();
  EXPECT_TRUE(cleanedUp(sb));
}

// 17.5: a daemon whose SIGTERM trap moves it into init/ (instead of exiting) is found again and
// killed after the grace period; the report does not say the drain was clean.
TEST_P(EscapeTest, DaemonThatFleesIntoInitFromItsTrapIsKilledAndTheDrainIsNotClean) {
  Sandbox sb;
  const std::string daemonFile = sb.file("daemon");
  const std::string reportFile = sb.file("report.json");
  ASSERT_TRUE(sb.start(
      RunSpec(GetParam(),
              concat(options(GetParam(), {"--grace", "1s", "--report", reportFile}),
                     payload({"daemon-flee", daemonFile, std::string(kCg) + "/init", "exit", "0"})))
          .withCgroupNamespace()));
  const auto daemon = sb.hostPidFromFile(daemonFile + ".pid", 10s);
  ASSERT_TRUE(daemon) << sb.stderrText();
  ExitWatch daemonExit(*daemon);
  EXPECT_EQ(sb.wait(5s), ExitStatus::exited(0)) << sb.stderrText();
  EXPECT_EQ(readFile(daemonFile), "TERM") << sb.stderrText();
  EXPECT_TRUE(daemonExit.wait(2s)) << "the daemon that fled into init/ outlived cginit";
  const auto report = parseJson(readFile(reportFile).value_or(""));
  ASSERT_TRUE(report) << readFile(reportFile).value_or("(no report)");
  EXPECT_EQ(report->stringAt("drain"), "killed");
  EXPECT_EQ(report->integerAt("escaped"), 1);
  EXPECT_TRUE(cleanedUp(sb));
}

// 17.7: a graceful daemon 70 levels below workload/ gets SIGTERM, and all 71 cgroups are
// removed.
TEST_P(EscapeTest, DaemonSeventyLevelsDownGetsTheStopSignalAndEveryCgroupGoes) {
  Sandbox sb;
  std::string deep = std::string(kCg) + "/workload";
  for (int level = 1; level <= 70; ++level) {
    deep += "/l" + std::to_string(level);
  }
  const std::string daemonFile = sb.file("daemon");
  ASSERT_TRUE(sb.start(
      RunSpec(GetParam(), concat(options(GetParam(), {"--grace", "10s"}),
                                 payload({"daemon-in", "handle", daemonFile, deep, "exit", "0"})))
          .withCgroupNamespace()));
  const auto t0 = Clock::now();
  EXPECT_EQ(sb.wait(8s), ExitStatus::exited(0)) << sb.stderrText();
  EXPECT_LT(Clock::now() - t0, 8s) << "cginit waited for the grace period";
  EXPECT_EQ(readFile(daemonFile), "TERM") << "the deep daemon got no SIGTERM: " << sb.stderrText();
  EXPECT_TRUE(cleanedUp(sb));
}

// 17.8: a workload/ that an earlier run left frozen is thawed (with a warning), so the program
// runs.
TEST_P(EscapeTest, FrozenLeftoverWorkloadIsThawed) {
  Sandbox sb;
  const std::string workload = sb.cgroup().path() + "/workload";
  ASSERT_EQ(mkdir(workload.c_str(), 0755), 0);
  ASSERT_TRUE(writeText(workload + "/cgroup.freeze", "1"));
  const std::string marker = sb.file("ran");
  ASSERT_TRUE(sb.start(RunSpec(GetParam(), concat(options(GetParam(), {"--grace", "2s"}),
                                                  payload({"touch", marker, "exit", "5"})))
                           .withCgroupNamespace()));
  EXPECT_EQ(sb.wait(5s), ExitStatus::exited(5)) << "the program never ran: " << sb.stderrText();
  EXPECT_TRUE(fileExists(marker));
  EXPECT_NE(sb.stderrText().find("thawed"), std::string::npos) << sb.stderrText();
  EXPECT_TRUE(waitUntil([&] { return sb.cgroup().procs().empty(); }, 2s));
}

INSTANTIATE_TEST_SUITE_P(Modes, EscapeTest, ::testing::Values(Mode::Pid1, Mode::Plain), modeName);

}  // namespace
}  // namespace cginit::it
