// SPDX-License-Identifier: MIT
// The managed cgroup: init/ + workload/ layout, strangers, drain of escapees, --forward cgroup,
// removal, and the not-PID-1 mode.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "harness.h"
#include "report_json.h"

namespace cginit::it {
namespace {

class CgroupTest : public IntegrationTest {};

std::vector<pid_t> sorted(std::vector<pid_t> pids) {
  std::sort(pids.begin(), pids.end());
  return pids;
}

bool contains(const std::vector<pid_t>& pids, pid_t pid) {
  return std::find(pids.begin(), pids.end(), pid) != pids.end();
}

/// The sub-cgroups cginit made are gone and nothing of the run is left in the test cgroup.
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

/// A sleeping process of the test itself (outside cginit's PID namespace); killed and reaped
/// when it goes out of scope.
class HostSleeper {
 public:
  HostSleeper() : pid_(fork()) {
    if (pid_ == 0) {
      for (;;) {
        pause();
      }
    }
  }
  ~HostSleeper() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  HostSleeper(const HostSleeper&) = delete;
  HostSleeper& operator=(const HostSleeper&) = delete;
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_;
};

// While the program runs, <root>/ is empty, init/ holds exactly cginit, and workload/ holds the
// program and all its descendants (a process-group member and a setsid daemon).
TEST_F(CgroupTest, LayoutCginitAloneInInitProgramTreeInWorkload) {
  Sandbox sb;
  const std::string cg = sb.cgroup().path();
  const std::string daemonFile = sb.file("daemon");
  const std::string pidFile = sb.file("program.pid");
  const std::string log = sb.file("signals");
  ASSERT_TRUE(
      sb.start(RunSpec(Mode::Pid1,
                       concat({"--grace", "5s"},
                              payload({"cgroup", "bg-record", sb.file("member"), "daemon", "handle",
                                       daemonFile, "pidfile", pidFile, "record-signals", log})))
                   .withCgroupNamespace()));
  ASSERT_TRUE(waitForFileContaining(log, "ready\n", 10s)) << sb.stderrText();
  const auto program = sb.hostPidFromFile(pidFile);
  const auto daemon = sb.hostPidFromFile(daemonFile + ".pid");
  ASSERT_TRUE(program && daemon) << sb.stderrText();

  // Inside: the program is at the root of its own cgroup namespace, workload/.
  EXPECT_EQ(sb.stdoutText(), "0::/\n");
  // Outside: the cgroup.procs files of the test cgroup.
  EXPECT_EQ(subCgroups(cg), (std::vector<std::string>{"init", "workload"}));
  EXPECT_EQ(procsIn(cg), std::vector<pid_t>{}) << "<root> must be empty";
  EXPECT_EQ(procsIn(cg + "/init"), std::vector<pid_t>{sb.pid()});
  const auto workload = procsIn(cg + "/workload");
  EXPECT_EQ(workload.size(), 3u) << "program, its group member and the daemon";
  EXPECT_TRUE(contains(workload, *program));
  EXPECT_TRUE(contains(workload, *daemon)) << "the setsid daemon left workload/";
  EXPECT_EQ(cgroupLineOf(sb.pid()), "0::" + hierarchyPath(sb) + "/init");
  EXPECT_EQ(cgroupLineOf(*daemon), "0::" + hierarchyPath(sb) + "/workload");

  ASSERT_TRUE(sb.signal(SIGTERM));
  EXPECT_EQ(sb.wait(5s), ExitStatus::exited(0)) << sb.stderrText();
  EXPECT_EQ(readFile(daemonFile), "TERM");
  // cginit removes init/ and workload/ before it exits.
  EXPECT_TRUE(cleanedUp(sb));
}

// Issue 12 item 3: the core limits that stop a cgroup bomb are written into workload/ (they need
// no controller, so this holds on the host's cgroup2 without any).
TEST_F(CgroupTest, LimitWritesCgroupMaxDescendantsAndDepthIntoWorkload) {
  Sandbox sb;
  const std::string cg = sb.cgroup().path();
  const std::string log = sb.file("signals");
  ASSERT_TRUE(sb.start(RunSpec(Mode::Pid1, concat({"--limit", "cgroup.max.descendants=7", "--limit",
                                                   "cgroup.max.depth=3"},
                                                  payload({"record-signals", log})))
                           .withCgroupNamespace()));
  ASSERT_TRUE(waitForFileContaining(log, "ready\n", 10s)) << sb.stderrText();
  EXPECT_EQ(readFile(cg + "/workload/cgroup.max.descendants"), "7\n") << sb.stderrText();
  EXPECT_EQ(readFile(cg + "/workload/cgroup.max.depth"), "3\n");
  ASSERT_TRUE(sb.signal(SIGTERM));
  EXPECT_EQ(sb.wait(5s), ExitStatus::exited(0)) << sb.stderrText();
  EXPECT_TRUE(cleanedUp(sb));
}

// A setsid escapee that handles SIGTERM gets it from the drain; cginit then exits at once, not
// at the end of the grace period.
TEST_F(CgroupTest, EscapeeThatHandlesTermGetsIt) {
  Sandbox sb;
  const std::string daemonFile = sb.file("daemon");
  ASSERT_TRUE(
      sb.start(RunSpec(Mode::Pid1, concat({"--grace", "10s"},
                                          payload({"daemon", "handle", daemonFile, "exit", "4"})))
                   .withCgroupNamespace()));
  ASSERT_TRUE(waitForFile(daemonFile + ".pid", 10s)) << sb.stderrText();
  const auto t0 = Clock::now();
  EXPECT_EQ(sb.wait(5s), ExitStatus::exited(4)) << sb.stderrText();
  EXPECT_LT(Clock::now() - t0, 5s) << "cginit waited for the grace period";
  EXPECT_EQ(readFile(daemonFile), "TERM");
  EXPECT_TRUE(cleanedUp(sb));
}

// A setsid escapee that ignores SIGTERM is killed (cgroup.kill) no earlier than --grace and no
// later than --grace + 1 s after the program exited; the cgroups are removed all the same.
TEST_F(CgroupTest, StubbornEscapeeIsKilledAfterGraceNotBefore) {
  constexpr auto kGrace = 1s;
  Sandbox sb;
  const std::string daemonFile = sb.file("daemon");
  const std::string pidFile = sb.file("program.pid");
  const std::string log = sb.file("signals");
  ASSERT_TRUE(
      sb.start(RunSpec(Mode::Pid1,
                       concat({"--grace", "1s"}, payload({"daemon", "ignore", daemonFile, "pidfile",
                                                          pidFile, "record-signals", log})))
                   .withCgroupNamespace()));
  ASSERT_TRUE(waitForFileContaining(log, "ready\n", 10s)) << sb.stderrText();
  const auto program = sb.hostPidFromFile(pidFile);
  const auto daemon = sb.hostPidFromFile(daemonFile + ".pid");
  ASSERT_TRUE(program && daemon);
  ExitWatch programExit(*program);
  ExitWatch daemonExit(*daemon);
  ASSERT_TRUE(programExit.valid() && daemonExit.valid());

  const auto tSignal = Clock::now();
  ASSERT_TRUE(sb.signal(SIGTERM));  // forwarded: the program exits, the drain starts
  const auto tExit = programExit.wait(5s);
  ASSERT_TRUE(tExit) << "the program did not exit on SIGTERM";
  // The program exited after tSignal, so the grace period cannot be over before tSignal + grace.
  std::this_thread::sleep_until(tSignal + kGrace - 150ms);
  EXPECT_TRUE(isAlive(*daemon)) << "killed before the grace period ended";
  EXPECT_FALSE(sb.exited()) << "cginit exited before the grace period ended";

  const auto tDeath = daemonExit.wait(*tExit + kGrace + 1s - Clock::now());
  ASSERT_TRUE(tDeath) << "still alive "
                      << "grace + 1 s after the program exited";
  EXPECT_GE(*tDeath - tSignal, kGrace);
  EXPECT_EQ(sb.wait(*tExit + kGrace + 1500ms - Clock::now()), ExitStatus::exited(0))
      << sb.stderrText();
  EXPECT_FALSE(fileExists(daemonFile)) << "an ignoring daemon cannot have handled SIGTERM";
  EXPECT_TRUE(cleanedUp(sb));
}

// --forward cgroup: a setsid escapee gets the forwarded signal while the program still runs
// (so it came from forwarding, not from the drain).
TEST_F(CgroupTest, ForwardCgroupReachesASetsidEscapee) {
  Sandbox sb;
  const std::string daemonFile = sb.file("daemon");
  const std::string pidFile = sb.file("program.pid");
  const std::string log = sb.file("signals");
  ASSERT_TRUE(
      sb.start(RunSpec(Mode::Pid1, concat({"--forward", "cgroup", "--grace", "2s"},
                                          payload({"daemon", "handle", daemonFile, "pidfile",
                                                   pidFile, "record-signals-stay", log})))
                   .withCgroupNamespace()));
  ASSERT_TRUE(waitForFileContaining(log, "ready\n", 10s)) << sb.stderrText();
  const auto program = sb.hostPidFromFile(pidFile);
  ASSERT_TRUE(program);
  ASSERT_TRUE(sb.signal(SIGTERM));
  EXPECT_TRUE(waitForFileContaining(daemonFile, "TERM", 5s))
      << "the setsid escapee did not get the forwarded SIGTERM: " << sb.stderrText();
  EXPECT_TRUE(waitForFileContaining(log, "SIGTERM\n", 5s)) << "the program did not get it";
  EXPECT_TRUE(isAlive(*program));
  EXPECT_FALSE(sb.exited());
  ASSERT_EQ(kill(*program, SIGKILL), 0);
  EXPECT_EQ(sb.wait(5s), ExitStatus::exited(128 + SIGKILL)) << sb.stderrText();
  EXPECT_TRUE(cleanedUp(sb));
}

// Processes that join <root>/ or init/ after the start (`docker exec` lands in init/: its parent
// is outside the PID namespace) stay there while the program runs and are moved into workload/
// at drain, where they get the stop signal.
TEST_F(CgroupTest, LateStrangersAreMovedIntoWorkloadAndDrained) {
  Sandbox sb;
  const std::string cg = sb.cgroup().path();
  const std::string inRoot = sb.file("in-root");
  const std::string inInit = sb.file("in-init");
  const std::string log = sb.file("signals");
  ASSERT_TRUE(sb.start(
      RunSpec(Mode::Pid1, concat({"-v", "--grace", "5s"}, payload({"record-signals", log})))
          .withCgroupNamespace()));
  ASSERT_TRUE(waitForFileContaining(log, "ready\n", 10s)) << sb.stderrText();
  ExecSession rootStranger(sb.pid(), {payloadBin(), "record-signals", inRoot});
  ExecSession initStranger(sb.pid(), {payloadBin(), "record-signals", inInit});
  ASSERT_TRUE(rootStranger.pid() > 0 && initStranger.pid() > 0);
  ASSERT_TRUE(waitForFileContaining(inRoot, "ready\n", 10s));
  ASSERT_TRUE(waitForFileContaining(inInit, "ready\n", 10s));
  ASSERT_TRUE(moveInto(cg, rootStranger.pid()));
  ASSERT_TRUE(moveInto(cg + "/init", initStranger.pid()));
  ASSERT_EQ(cgroupLineOf(rootStranger.pid()), "0::" + hierarchyPath(sb));
  ASSERT_EQ(cgroupLineOf(initStranger.pid()), "0::" + hierarchyPath(sb) + "/init");

  ASSERT_TRUE(sb.signal(SIGTERM));
  EXPECT_EQ(sb.wait(5s), ExitStatus::exited(0)) << sb.stderrText();
  EXPECT_TRUE(waitForFileContaining(inRoot, "SIGTERM\n", 2s))
      << "the stranger in <root> was not drained";
  EXPECT_TRUE(waitForFileContaining(inInit, "SIGTERM\n", 2s))
      << "the stranger in init/ was not drained";
  const auto lines = sb.stderrLines();
  EXPECT_EQ(std::count_if(
                lines.begin(), lines.end(),
                [](const std::string& l) { return l.find("into workload/") != std::string::npos; }),
            2)
      << sb.stderrText();
  EXPECT_EQ(sb.stderrText().find("moved it back"), std::string::npos)
      << "an exec session was taken for an escapee: " << sb.stderrText();
  EXPECT_TRUE(cleanedUp(sb));
}

// Not PID 1 with a cgroup namespace: the harness's reaper (PID 1 of the namespace, cginit's
// parent) is in <root> when cginit starts. It is moved into init/ with cginit, and the drain
// must leave it alone: it is not part of the workload, and as a PID-namespace init it cannot be
// killed from inside anyway.
TEST_F(CgroupTest, ParentInRootAtStartJoinsInitAndSurvivesTheDrain) {
  Sandbox sb;
  const std::string cg = sb.cgroup().path();
  const std::string pidFile = sb.file("program.pid");
  const std::string log = sb.file("signals");
  ASSERT_TRUE(
      sb.start(RunSpec(Mode::Plain, concat({"-s", "--grace", "1s"},
                                           payload({"pidfile", pidFile, "record-signals", log})))
                   .withCgroupNamespace()));
  ASSERT_TRUE(waitForFileContaining(log, "ready\n", 10s)) << sb.stderrText();
  const auto reaper = sb.hostPid(1);
  const auto program = sb.hostPidFromFile(pidFile);
  ASSERT_TRUE(reaper && program && sb.pid() > 0);
  EXPECT_EQ(procsIn(cg), std::vector<pid_t>{});
  EXPECT_EQ(sorted(procsIn(cg + "/init")), sorted({*reaper, sb.pid()}));
  EXPECT_EQ(procsIn(cg + "/workload"), std::vector<pid_t>{*program});

  const auto t0 = Clock::now();
  ASSERT_TRUE(sb.signal(SIGTERM));
  // Nothing of the workload is left after the program exits: no grace period, no kill.
  EXPECT_EQ(sb.wait(900ms), ExitStatus::exited(0))
      << "cginit drained its own parent: " << sb.stderrText();
  EXPECT_LT(Clock::now() - t0, 900ms);
  EXPECT_NE(cgroupLineOf(*reaper), "0::" + hierarchyPath(sb) + "/workload");
  EXPECT_TRUE(cleanedUp(sb));
}

// A process outside cginit's PID namespace in <root> shows up as pid 0 in cgroup.procs and can
// neither be seen nor moved. cginit cannot empty <root>, so it does not manage it: `auto` runs
// like tini with one warning, `required` exits 2 before starting anything. The process is left
// where it was.
TEST_F(CgroupTest, ProcessOutsideThePidNamespaceInRootIsNotManaged) {
  for (const char* mode : {"auto", "required"}) {
    SCOPED_TRACE(mode);
    Sandbox sb;
    const std::string cg = sb.cgroup().path();
    HostSleeper stranger;
    ASSERT_GT(stranger.pid(), 0);
    ASSERT_TRUE(moveInto(cg, stranger.pid()));
    const std::string marker = sb.file("started");
    ASSERT_TRUE(sb.start(
        RunSpec(Mode::Pid1, concat({"--cgroup", mode}, payload({"touch", marker, "exit", "3"})))
            .withCgroupNamespace()));
    const bool required = std::string(mode) == "required";
    EXPECT_EQ(sb.wait(5s), ExitStatus::exited(required ? 2 : 3)) << sb.stderrText();
    EXPECT_EQ(fileExists(marker), !required);
    if (!required) {
      const auto lines = sb.stderrLines();
      EXPECT_EQ(std::count_if(
                    lines.begin(), lines.end(),
                    [](const std::string& l) { return l.find("[warning]") != std::string::npos; }),
                1)
          << sb.stderrText();
    }
    EXPECT_EQ(subCgroups(cg), std::vector<std::string>{});
    EXPECT_EQ(procsIn(cg), std::vector<pid_t>{stranger.pid()});
    EXPECT_TRUE(isAlive(stranger.pid()));
  }
}

// A process of another PID namespace in workload/ is listed there as pid 0. It cannot be
// signalled by pid, but the rest of the workload still gets the polite stop, and cgroup.kill
// ends it after the grace period.
TEST_F(CgroupTest, ProcessOutsideThePidNamespaceInWorkloadDoesNotCostTheOthersTheirStopSignal) {
  Sandbox sb;
  const std::string cg = sb.cgroup().path();
  const std::string daemonFile = sb.file("daemon");
  const std::string log = sb.file("signals");
  ASSERT_TRUE(sb.start(
      RunSpec(Mode::Pid1, concat({"--grace", "1s"},
                                 payload({"daemon", "handle", daemonFile, "record-signals", log})))
          .withCgroupNamespace()));
  ASSERT_TRUE(waitForFileContaining(log, "ready\n", 10s)) << sb.stderrText();
  HostSleeper outsider;
  ASSERT_GT(outsider.pid(), 0);
  ASSERT_TRUE(moveInto(cg + "/workload", outsider.pid()));

  ASSERT_TRUE(sb.signal(SIGTERM));
  EXPECT_EQ(sb.wait(5s), ExitStatus::exited(0)) << sb.stderrText();
  EXPECT_EQ(readFile(daemonFile), "TERM") << "the polite stop was lost: " << sb.stderrText();
  EXPECT_FALSE(isAlive(outsider.pid())) << "cgroup.kill did not end the outsider";
  EXPECT_TRUE(cleanedUp(sb));
}

// After a clean exit workload/ is empty: the drain neither freezes nor signals nor waits.
TEST_F(CgroupTest, CleanExitSkipsThePoliteStop) {
  Sandbox sb;
  const std::string reportFile = sb.file("report.json");
  ASSERT_TRUE(sb.start(RunSpec(Mode::Pid1, concat({"-vv", "--grace", "20s", "--report", reportFile},
                                                  payload({"exit", "4"})))
                           .withCgroupNamespace()));
  EXPECT_EQ(sb.wait(5s), ExitStatus::exited(4)) << sb.stderrText();
  const std::string err = sb.stderrText();
  EXPECT_NE(err.find("drain: /sys/fs/cgroup/workload is empty"), std::string::npos) << err;
  EXPECT_EQ(err.find("sent SIGTERM"), std::string::npos) << err;
  EXPECT_EQ(err.find("freeze"), std::string::npos) << err;
  const auto report = parseJson(readFile(reportFile).value_or(""));
  ASSERT_TRUE(report) << readFile(reportFile).value_or("(no report)");
  EXPECT_EQ(report->stringAt("drain"), "none");
  EXPECT_TRUE(cleanedUp(sb));
}

// Not PID 1 (-s, no cgroup namespace: cginit manages the harness's test cgroup as <root>):
// 200 setsid daemons that ignore SIGTERM are all gone after the grace period, and nothing is
// left but what the harness itself put there (its reaper, which exits once it has no children).
TEST_F(CgroupTest, NotPid1TwoHundredStubbornDaemonsAreAllGone) {
  constexpr size_t kDaemons = 200;
  constexpr auto kGrace = 1s;
  Sandbox sb;
  const std::string cg = sb.cgroup().path();
  const std::string log = sb.file("signals");
  const std::string reportFile = sb.file("report.json");
  std::vector<std::string> program{payloadBin()};
  for (size_t i = 0; i < kDaemons; ++i) {
    program.insert(program.end(), {"daemon", "ignore", sb.file("daemon")});
  }
  program.insert(program.end(), {"record-signals", log});
  ASSERT_TRUE(sb.start(
      RunSpec(Mode::Plain, concat({"-s", "--grace", "1s", "--report", reportFile}, program))));
  ASSERT_TRUE(waitForFileContaining(log, "ready\n", 30s)) << sb.stderrText();
  const auto reaper = sb.hostPid(1);
  ASSERT_TRUE(reaper && sb.pid() > 0);
  const auto workload = procsIn(cg + "/workload");
  ASSERT_EQ(workload.size(), kDaemons + 1) << sb.stderrText();
  EXPECT_EQ(sorted(procsIn(cg + "/init")), sorted({*reaper, sb.pid()}));

  const auto t0 = Clock::now();
  ASSERT_TRUE(sb.signal(SIGTERM));
  EXPECT_EQ(sb.wait(kGrace + 1500ms), ExitStatus::exited(0)) << sb.stderrText();
  EXPECT_GE(Clock::now() - t0, kGrace);
  EXPECT_TRUE(
      waitUntil([&] { return std::none_of(workload.begin(), workload.end(), isAlive); }, 1s));
  for (const pid_t pid : sb.cgroup().procs()) {
    EXPECT_EQ(pid, *reaper) << "left in the test cgroup: " << cgroupLineOf(pid);
  }
  EXPECT_TRUE(cleanedUp(sb));
  const auto report = parseJson(readFile(reportFile).value_or(""));
  ASSERT_TRUE(report) << readFile(reportFile).value_or("(no report)");
  EXPECT_EQ(report->stringAt("drain"), "killed");
  EXPECT_EQ(report->integerAt("killed"), static_cast<long long>(kDaemons));
}

}  // namespace
}  // namespace cginit::it
