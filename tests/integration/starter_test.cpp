// SPDX-License-Identifier: MIT
// What cginit's starter set up before exec and must reach the program: the signal mask, the
// ignored signals and the open-file limit; the child subreaper attribute, which cginit must
// notice; a missing CAP_SYS_ADMIN, which cginit reports once.
#include <signal.h>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include "harness.h"

namespace cginit::it {
namespace {

class StarterTest : public IntegrationTest {};

/// How cginit runs in a case: PID 1 or `-s`, with a managed cgroup (required, in a cgroup
/// namespace) or without one.
struct RunCase {
  Mode mode;
  bool cgroup;
};

constexpr RunCase kRunCases[] = {
    {Mode::Pid1, false}, {Mode::Pid1, true}, {Mode::Plain, false}, {Mode::Plain, true}};

std::string describe(const RunCase& s) {
  return std::string(s.mode == Mode::Pid1 ? "as PID 1" : "as subreaper") +
         (s.cgroup ? ", managed cgroup" : ", --cgroup off");
}

/// RunSpec for cginit with `program`, for `setup`.
RunSpec specFor(const RunCase& setup, const std::vector<std::string>& program) {
  RunSpec spec(setup.mode,
               concat({"--cgroup", setup.cgroup ? "required" : "off", "-s", "--"}, program));
  return spec.withCgroupNamespace(setup.cgroup);
}

/// cginit's stderr but the warning about a host cgroup2 mounted without nsdelegate (this machine's
/// is), which says nothing about what a test checks.
std::string stderrBesidesNsdelegate(const Sandbox& sb) {
  std::string text;
  for (const std::string& line : sb.stderrLines()) {
    if (line.find("mounted without nsdelegate") == std::string::npos) {
      text += line + "\n";
    }
  }
  return text;
}

/// A starter that blocks SIGUSR1 and SIGTERM, ignores SIGHUP and SIGPIPE, prints its own signal
/// state, then execs cginit: `nohup`, a shell's background job, a CI runner, in one.
std::vector<std::string> signalStarter() {
  return payload(
      {"block", "USR1", "block", "TERM", "ignore", "HUP", "ignore", "PIPE", "sigstate", "exec"});
}

constexpr const char* kStarterState = "SigBlk:\t0000000000004200\nSigIgn:\t0000000000001001\n";

// Issue 24 item 1: the program gets exactly the mask and the ignored set that cginit was started
// with (as under tini, or with no init), none of cginit's own; on the vfork path (no cgroup) and
// the clone3 path (managed), as PID 1 and as subreaper.
TEST_F(StarterTest, ProgramGetsTheMaskAndIgnoredSetCginitWasStartedWith) {
  for (const RunCase& setup : kRunCases) {
    SCOPED_TRACE(describe(setup));
    Sandbox sb;
    ASSERT_TRUE(sb.start(specFor(setup, payload({"sigstate"})).withStarter(signalStarter())));
    EXPECT_EQ(sb.wait(10s), ExitStatus::exited(0)) << sb.stderrText();
    // The starter's line, then the program's.
    EXPECT_EQ(sb.stdoutText(), std::string(kStarterState) + kStarterState) << sb.stderrText();
    EXPECT_EQ(stderrBesidesNsdelegate(sb), "");
  }
}

// cginit handles SIGHUP and SIGTERM itself although its starter blocked SIGTERM and ignored
// SIGHUP: both reach the program (which handles and unblocks them), in every setup.
TEST_F(StarterTest, SignalsBlockedOrIgnoredAtStartAreStillForwarded) {
  for (const RunCase& setup : kRunCases) {
    SCOPED_TRACE(describe(setup));
    Sandbox sb;
    const std::string log = sb.file("signals");
    ASSERT_TRUE(
        sb.start(specFor(setup, payload({"record-signals", log})).withStarter(signalStarter())));
    ASSERT_TRUE(waitForFileContaining(log, "ready\n", 10s)) << sb.stderrText();
    ASSERT_TRUE(sb.signal(SIGHUP));
    ASSERT_TRUE(waitForFileContaining(log, "SIGHUP\n", 5s)) << sb.stderrText();
    ASSERT_TRUE(sb.signal(SIGTERM));
    EXPECT_EQ(sb.wait(5s), ExitStatus::exited(0)) << sb.stderrText();
    EXPECT_EQ(fileLines(log), (std::vector<std::string>{"ready", "SIGHUP", "SIGTERM"}));
  }
}

/// Soft and hard "Max open files" of a /proc/PID/limits line or file, as "SOFT/HARD".
std::string openFileLimits(const std::string& text) {
  const auto at = text.find("Max open files");
  if (at == std::string::npos) {
    return "";
  }
  std::istringstream in(text.substr(at + std::string_view("Max open files").size()));
  std::string soft;
  std::string hard;
  in >> soft >> hard;
  return soft + "/" + hard;
}

// Issue 22 item 2: cginit raises its own soft RLIMIT_NOFILE to the hard limit, and the program
// still starts with the limits cginit was given, in every setup.
TEST_F(StarterTest, ProgramGetsTheOpenFileLimitCginitWasStartedWith) {
  for (const RunCase& setup : kRunCases) {
    SCOPED_TRACE(describe(setup));
    Sandbox sb;
    const std::string pidFile = sb.file("program.pid");
    ASSERT_TRUE(
        sb.start(specFor(setup, payload({"nofile-limit", "pidfile", pidFile, "sleep", "60"}))
                     .withStarter(payload({"nofile", "64", "256", "exec"}))));
    ASSERT_TRUE(waitForFile(pidFile, 10s)) << sb.stderrText();
    EXPECT_EQ(openFileLimits(sb.stdoutText()), "64/256") << sb.stdoutText();
    EXPECT_EQ(
        openFileLimits(readFile("/proc/" + std::to_string(sb.pid()) + "/limits").value_or("")),
        "256/256")
        << "cginit's own";
    ASSERT_TRUE(sb.signal(SIGTERM));
    EXPECT_EQ(sb.wait(10s), ExitStatus::exited(128 + SIGTERM)) << sb.stderrText();
    EXPECT_EQ(stderrBesidesNsdelegate(sb), "");
  }
}

// Issue 24 item 2: a starter made cginit a child subreaper before exec (the attribute survives
// it): no "not a child subreaper" warning, and orphans are adopted and reaped by cginit.
TEST_F(StarterTest, SubreaperSetBeforeExecIsKnownAndReaps) {
  Sandbox sb;
  const std::string adopter = sb.file("adopter");
  const std::string pidFile = sb.file("program.pid");
  ASSERT_TRUE(sb.start(
      RunSpec(Mode::Plain, concat({"--cgroup", "off"}, payload({"orphans", "3", adopter, "pidfile",
                                                                pidFile, "sleep", "60"})))
          .withStarter(payload({"subreaper", "exec"}))));
  const auto program = sb.hostPidFromFile(pidFile, 10s);
  ASSERT_TRUE(program) << sb.stderrText();
  // In Mode::Plain cginit is PID 2 of the harness's namespace.
  EXPECT_EQ(fileLines(adopter), std::vector<std::string>{"2"}) << "not adopted by cginit";
  std::vector<ChildInfo> children;
  EXPECT_TRUE(waitUntil(
      [&] {
        children = childrenOf(sb.pid());
        return children.size() == 1 && children[0].pid == *program;
      },
      10s, 10ms))
      << children.size() << " children of cginit: the orphans were not reaped";
  ASSERT_TRUE(sb.signal(SIGTERM));
  EXPECT_EQ(sb.wait(10s), ExitStatus::exited(128 + SIGTERM)) << sb.stderrText();
  EXPECT_EQ(sb.stderrText(), "") << "a warning although cginit is a subreaper";
}

// Issues 22 and 23: without CAP_SYS_ADMIN (Docker's and podman's default) the program starts in
// workload/ without a cgroup namespace, and cginit says so exactly once: the child between clone
// and exec never logs.
TEST_F(StarterTest, NoCapSysAdminWarnsOnceAboutTheCgroupNamespace) {
  Sandbox sb;
  ASSERT_TRUE(sb.start(RunSpec(Mode::Pid1, concat({"--cgroup", "required"}, payload({"cgroup"})))
                           .withCgroupNamespace()
                           .withStarter(payload({"drop-cap-sys-admin", "exec"}))));
  EXPECT_EQ(sb.wait(10s), ExitStatus::exited(0)) << sb.stderrText();
  EXPECT_EQ(sb.stdoutText(), "0::/workload\n") << "not in workload/, or in a namespace of its own";
  const auto lines = sb.stderrLines();
  EXPECT_EQ(std::count_if(lines.begin(), lines.end(),
                          [](const std::string& line) {
                            return line.find("CLONE_NEWCGROUP") != std::string::npos;
                          }),
            1)
      << sb.stderrText();
  EXPECT_NE(sb.stderrText().find("clone3(CLONE_NEWCGROUP): Operation not permitted"),
            std::string::npos)
      << sb.stderrText();
}

}  // namespace
}  // namespace cginit::it
