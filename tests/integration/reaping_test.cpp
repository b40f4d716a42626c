// SPDX-License-Identifier: MIT
// Reaping: a burst of orphans is adopted and reaped as PID 1 and as subreaper; the -s warning.
#include <signal.h>

#include <algorithm>
#include <string>

#include "harness.h"

namespace cginit::it {
namespace {

class ReapingTest : public IntegrationTest {};

constexpr int kOrphans = 2000;

/// Makes kOrphans orphans under cginit and checks that cginit adopted and reaped all of them.
void expectOrphansReaped(Mode mode, const std::vector<std::string>& options, pid_t cginitNsPid) {
  Sandbox sb;
  const std::string adopter = sb.file("adopter");
  const std::string pidFile = sb.file("program.pid");
  ASSERT_TRUE(
      sb.start(RunSpec(mode, concat(options, payload({"orphans", std::to_string(kOrphans), adopter,
                                                      "pidfile", pidFile, "sleep", "60"})))));
  // The program writes its pid after the middle process was reaped, so every orphan has been
  // re-parented by then.
  const auto program = sb.hostPidFromFile(pidFile, 30s);
  ASSERT_TRUE(program) << sb.stderrText();
  ASSERT_TRUE(waitForFile(adopter, 10s));
  EXPECT_EQ(fileLines(adopter), std::vector<std::string>{std::to_string(cginitNsPid)})
      << "the orphans were not adopted by cginit";
  // Reaped: in the end the program is cginit's only child, with no zombie beside it.
  std::vector<ChildInfo> children;
  const bool clean = waitUntil(
      [&] {
        children = childrenOf(sb.pid());
        return children.size() == 1 && children[0].pid == *program;
      },
      20s, 20ms);
  const auto zombies = std::count_if(children.begin(), children.end(),
                                     [](const ChildInfo& c) { return c.state == 'Z'; });
  EXPECT_TRUE(clean) << children.size() << " children of cginit left, " << zombies << " zombies";
  EXPECT_TRUE(sb.signal(SIGTERM));
  EXPECT_EQ(sb.wait(10s), ExitStatus::exited(128 + SIGTERM)) << sb.stderrText();
}

TEST_F(ReapingTest, ReapsTwoThousandOrphansAsPid1) {
  expectOrphansReaped(Mode::Pid1, {"--cgroup", "off"}, 1);
}

TEST_F(ReapingTest, ReapsTwoThousandOrphansAsSubreaper) {
  // In Mode::Plain cginit is PID 2 of the harness's namespace.
  expectOrphansReaped(Mode::Plain, {"--cgroup", "off", "-s"}, 2);
}

TEST_F(ReapingTest, TiniSubreaperVariableMakesASubreaper) {
  Sandbox sb;
  const std::string adopter = sb.file("adopter");
  ASSERT_TRUE(
      sb.start(RunSpec(Mode::Plain, concat({"--cgroup", "off"}, payload({"orphans", "1", adopter})))
                   .withEnv({"TINI_SUBREAPER=1"})));
  EXPECT_EQ(sb.wait(10s), ExitStatus::exited(0));
  ASSERT_TRUE(waitForFile(adopter, 10s));
  EXPECT_EQ(fileLines(adopter), std::vector<std::string>{"2"});
  EXPECT_EQ(sb.stderrText(), "");
}

// Not PID 1 and no -s: zombies cannot reach cginit, and it says so once, like tini.
TEST_F(ReapingTest, WarnsOnceWhenNeitherPid1NorSubreaper) {
  Sandbox sb;
  ASSERT_TRUE(sb.start(RunSpec(Mode::Plain, concat({"--cgroup", "off"}, payload({"exit", "0"})))));
  EXPECT_EQ(sb.wait(10s), ExitStatus::exited(0));
  const auto lines = sb.stderrLines();
  ASSERT_EQ(lines.size(), 1u) << sb.stderrText();
  EXPECT_NE(lines[0].find("subreaper"), std::string::npos) << lines[0];
  EXPECT_EQ(sb.stdoutText(), "");
}

TEST_F(ReapingTest, NoWarningAsPid1OrSubreaper) {
  struct Case {
    Mode mode;
    std::vector<std::string> options;
  };
  for (const auto& c :
       {Case{Mode::Pid1, {"--cgroup", "off"}}, Case{Mode::Plain, {"--cgroup", "off", "-s"}},
        Case{Mode::Plain, {"--cgroup", "off", "--subreaper"}}}) {
    Sandbox sb;
    ASSERT_TRUE(sb.start(RunSpec(c.mode, concat(c.options, payload({"exit", "0"})))));
    EXPECT_EQ(sb.wait(10s), ExitStatus::exited(0));
    EXPECT_EQ(sb.stderrText(), "");
  }
}

}  // namespace
}  // namespace cginit::it
