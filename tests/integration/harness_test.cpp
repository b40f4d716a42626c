// SPDX-License-Identifier: MIT
// Checks of the harness itself: the cleanup guarantee and the cgroup-namespace variant.
#include "harness.h"

#include <signal.h>
#include <sys/stat.h>

#include <string>

namespace cginit::it {
namespace {

class HarnessTest : public IntegrationTest {};

// Whatever a test leaves running (here: cginit and a daemon that ignores SIGTERM) is killed and
// the test cgroup removed when the Sandbox goes away.
TEST_F(HarnessTest, SandboxCleansUpEverything) {
  for (Mode mode : {Mode::Pid1, Mode::Plain}) {
    std::string cgroupPath;
    std::optional<pid_t> daemon;
    pid_t cginit = -1;
    {
      Sandbox sb;
      const std::string daemonFile = sb.file("daemon");
      ASSERT_TRUE(sb.start(
          RunSpec(mode, concat({"--cgroup", "off", "-s"},
                               payload({"daemon", "ignore", daemonFile, "sleep", "60"})))));
      daemon = sb.hostPidFromFile(daemonFile + ".pid");
      ASSERT_TRUE(daemon) << sb.stderrText();
      cginit = sb.pid();
      cgroupPath = sb.cgroup().path();
      EXPECT_TRUE(isAlive(*daemon));
    }
    EXPECT_FALSE(isAlive(*daemon));
    EXPECT_FALSE(isAlive(cginit));
    struct stat st {};
    EXPECT_NE(stat(cgroupPath.c_str(), &st), 0) << cgroupPath << " still exists";
  }
}

// Plain mode: cginit is not PID 1, but its PID namespace is still a private one.
TEST_F(HarnessTest, PlainModeRunsCginitAsPid2) {
  Sandbox sb;
  const std::string pidFile = sb.file("program.pid");
  ASSERT_TRUE(sb.start(RunSpec(Mode::Plain, concat({"--cgroup", "off", "-s"},
                                                   payload({"pidfile", pidFile, "sleep", "30"})))));
  ASSERT_TRUE(waitForFile(pidFile, 10s));
  EXPECT_EQ(fileLines(pidFile), std::vector<std::string>{"3"});
  EXPECT_EQ(sb.hostPid(2), sb.pid());
  ASSERT_TRUE(sb.signal(SIGTERM));
  EXPECT_EQ(sb.wait(10s), ExitStatus::exited(128 + SIGTERM));
}

TEST_F(HarnessTest, CgroupNamespaceIsRootedAtTheTestCgroup) {
  Sandbox sb;
  ASSERT_TRUE(sb.start(RunSpec(Mode::Pid1, concat({"--cgroup", "off"}, payload({"cgroup"})))
                           .withCgroupNamespace(true)));
  EXPECT_EQ(sb.wait(10s), ExitStatus::exited(0)) << sb.stderrText();
  EXPECT_EQ(sb.stdoutText(), "0::/\n");
}

TEST_F(HarnessTest, WithoutCgroupNamespaceTheTestCgroupIsVisible) {
  Sandbox sb;
  ASSERT_TRUE(sb.start(RunSpec(Mode::Pid1, concat({"--cgroup", "off"}, payload({"cgroup"})))));
  EXPECT_EQ(sb.wait(10s), ExitStatus::exited(0)) << sb.stderrText();
  const std::string path = sb.cgroup().path();
  const std::string name = path.substr(path.rfind('/'));
  EXPECT_EQ(sb.stdoutText(), "0::" + name + "\n");
}

}  // namespace
}  // namespace cginit::it
