// SPDX-License-Identifier: MIT
// Drain without a cgroup: leftovers get the stop signal, then --grace, then SIGKILL.
#include <signal.h>

#include <string>

#include "harness.h"

namespace cginit::it {
namespace {

class DrainTest : public IntegrationTest {};

// As PID 1, a setsid daemon that handles SIGTERM gets it when the program exits, and cginit
// waits for it (not for the whole grace period) before the namespace goes away.
TEST_F(DrainTest, DaemonThatHandlesTermGetsItAsPid1) {
  Sandbox sb;
  const std::string daemonFile = sb.file("daemon");
  ASSERT_TRUE(sb.start(
      RunSpec(Mode::Pid1, concat({"--cgroup", "off", "--grace", "10s"},
                                 payload({"daemon", "handle", daemonFile, "exit", "3"})))));
  ASSERT_TRUE(waitForFile(daemonFile + ".pid", 10s)) << sb.stderrText();
  const auto t0 = Clock::now();
  EXPECT_EQ(sb.wait(5s), ExitStatus::exited(3)) << sb.stderrText();
  EXPECT_LT(Clock::now() - t0, 5s) << "cginit waited for the grace period";
  EXPECT_EQ(readFile(daemonFile), "TERM") << "the daemon did not get SIGTERM before cginit exited";
}

// A daemon that ignores SIGTERM is killed when the grace period ends, not before.
TEST_F(DrainTest, DaemonThatIgnoresTermDiesAfterGrace) {
  Sandbox sb;
  const std::string daemonFile = sb.file("daemon");
  ASSERT_TRUE(sb.start(
      RunSpec(Mode::Pid1, concat({"--cgroup", "off", "--grace", "1s"},
                                 payload({"daemon", "ignore", daemonFile, "exit", "0"})))));
  // The daemon writes its pid just before the program exits, which starts the drain.
  ASSERT_TRUE(waitForFile(daemonFile + ".pid", 10s)) << sb.stderrText();
  const auto t0 = Clock::now();
  const auto daemon = sb.hostPidFromFile(daemonFile + ".pid");
  ASSERT_TRUE(daemon);
  std::this_thread::sleep_until(t0 + 800ms);
  EXPECT_TRUE(isAlive(*daemon)) << "the daemon was killed before the grace period ended";
  EXPECT_FALSE(sb.exited()) << "cginit exited before the grace period ended";
  EXPECT_EQ(sb.wait(t0 + 2s - Clock::now()), ExitStatus::exited(0)) << sb.stderrText();
  EXPECT_FALSE(isAlive(*daemon));
  EXPECT_FALSE(fileExists(daemonFile)) << "an ignoring daemon cannot have handled SIGTERM";
}

// A second SIGTERM while draining ends the grace period at once.
TEST_F(DrainTest, SecondTermEndsTheGracePeriod) {
  Sandbox sb;
  const std::string daemonFile = sb.file("daemon");
  const std::string pidFile = sb.file("program.pid");
  const std::string log = sb.file("signals");
  ASSERT_TRUE(
      sb.start(RunSpec(Mode::Pid1, concat({"--cgroup", "off", "--grace", "20s"},
                                          payload({"daemon", "ignore", daemonFile, "pidfile",
                                                   pidFile, "record-signals", log})))));
  ASSERT_TRUE(waitForFileContaining(log, "ready\n", 10s)) << sb.stderrText();
  const auto program = sb.hostPidFromFile(pidFile);
  const auto daemon = sb.hostPidFromFile(daemonFile + ".pid");
  ASSERT_TRUE(program && daemon);
  // First SIGTERM: forwarded, the program exits, the drain starts (the daemon ignores it).
  ASSERT_TRUE(sb.signal(SIGTERM));
  // Gone from /proc means reaped by cginit, which then drains.
  ASSERT_TRUE(waitUntil([&] { return !processState(*program); }, 5s));
  EXPECT_TRUE(isAlive(*daemon));
  EXPECT_FALSE(sb.exited());
  const auto t1 = Clock::now();
  ASSERT_TRUE(sb.signal(SIGTERM));
  EXPECT_EQ(sb.wait(3s), ExitStatus::exited(0)) << sb.stderrText();
  EXPECT_LT(Clock::now() - t1, 3s);
  EXPECT_FALSE(isAlive(*daemon));
}

// Not PID 1: the program's process group gets the stop signal when the program exits.
TEST_F(DrainTest, ProcessGroupGetsTheStopSignalAsSubreaper) {
  Sandbox sb;
  const std::string member = sb.file("member");
  ASSERT_TRUE(sb.start(RunSpec(Mode::Plain, concat({"--cgroup", "off", "-s", "--grace", "10s"},
                                                   payload({"bg-record", member, "exit", "5"})))));
  EXPECT_EQ(sb.wait(5s), ExitStatus::exited(5)) << sb.stderrText();
  const auto lines = fileLines(member);
  ASSERT_GE(lines.size(), 2u) << "the group member got no signal";
  EXPECT_EQ(lines[1], "SIGTERM");
  // Nothing is left but, for a moment, the harness's own reaper.
  EXPECT_TRUE(waitUntil([&] { return sb.cgroup().procs().empty(); }, 5s));
}

// Not PID 1 and without a cgroup, setsid daemons are out of the program's process group, but
// they are cginit's own children once orphaned: they get the stop signal at drain, and cginit
// exits as soon as they are gone, not after the grace period.
TEST_F(DrainTest, OrphanedSetsidDaemonGetsTheStopSignalAsSubreaper) {
  Sandbox sb;
  const std::string daemonFile = sb.file("daemon");
  const auto t0 = Clock::now();
  ASSERT_TRUE(sb.start(RunSpec(Mode::Plain, concat({"--cgroup", "off", "-s", "--grace", "20s"},
                                                   payload({"daemon", "handle", daemonFile})))));
  EXPECT_EQ(sb.wait(10s), ExitStatus::exited(0)) << sb.stderrText();
  EXPECT_LT(Clock::now() - t0, 10s) << "cginit waited for the grace period";
  EXPECT_EQ(readFile(daemonFile), "TERM") << "the setsid daemon did not get SIGTERM";
}

// The same with daemons that ignore SIGTERM: after ONE grace period cginit SIGKILLs its children,
// again and again as killing one re-parents its own child to cginit, reaps them all and exits.
// Nothing of them is left when cginit exits.
TEST_F(DrainTest, StubbornSetsidDaemonsAreKilledAfterOneGraceAsSubreaper) {
  constexpr auto kGrace = 1500ms;
  Sandbox sb;
  const std::string pairFile = sb.file("pair");
  const auto t0 = Clock::now();
  ASSERT_TRUE(sb.start(RunSpec(
      Mode::Plain, concat({"--cgroup", "off", "-s", "--grace", "1500ms"},
                          payload({"daemons", "20", "daemon-pair", pairFile, "exit", "7"})))));
  const auto reaper = sb.hostPid(1);
  const auto daemon = sb.hostPidFromFile(pairFile + ".pid");
  const auto grandchild = sb.hostPidFromFile(pairFile + ".child.pid");
  ASSERT_TRUE(reaper && daemon && grandchild) << sb.stderrText();
  const auto status = sb.wait(10s);
  const auto exitedAfter = Clock::now() - t0;
  EXPECT_EQ(status, ExitStatus::exited(7)) << sb.stderrText();
  // Old behaviour: grace plus a 5 s kill timeout, with all 21 daemons still alive.
  EXPECT_LT(exitedAfter, 2 * kGrace) << sb.stderrText();
  EXPECT_FALSE(isAlive(*daemon));
  EXPECT_FALSE(isAlive(*grandchild)) << "the daemon's child, orphaned by the kill, survived";
  // Survivors would now be children of the harness's reaper (which then never exits).
  for (const pid_t pid : sb.cgroup().procs()) {
    if (pid != *reaper) {
      EXPECT_FALSE(isAlive(pid)) << "pid " << pid << " survived cginit";
    }
  }
  EXPECT_TRUE(waitUntil([&] { return sb.cgroup().procs().empty(); }, 5s));
}

TEST_F(DrainTest, StopSignalOptionAppliesToTheDrain) {
  Sandbox sb;
  const std::string member = sb.file("member");
  ASSERT_TRUE(sb.start(
      RunSpec(Mode::Pid1, concat({"--cgroup", "off", "--grace", "1s", "--stop-signal", "USR2"},
                                 payload({"bg-record", member, "exit", "0"})))));
  EXPECT_EQ(sb.wait(5s), ExitStatus::exited(0)) << sb.stderrText();
  const auto lines = fileLines(member);
  ASSERT_GE(lines.size(), 2u);
  EXPECT_EQ(lines[1], "SIGUSR2");
}

}  // namespace
}  // namespace cginit::it
