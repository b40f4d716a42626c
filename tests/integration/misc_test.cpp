// SPDX-License-Identifier: MIT
// What the core tests leave out: -w, -p, SIGRTMIN+5, SIGCONT at drain, and a bad configuration.
#include <signal.h>

#include <algorithm>
#include <fstream>
#include <string>
#include <vector>

#include "harness.h"

namespace cginit::it {
namespace {

class MiscTest : public IntegrationTest {};

size_t linesContaining(const std::vector<std::string>& lines, std::string_view needle) {
  return static_cast<size_t>(std::count_if(lines.begin(), lines.end(), [&](const std::string& l) {
    return l.find(needle) != std::string::npos;
  }));
}

// -w: one warning per zombie reaped that is not the main program; none without -w.
TEST_F(MiscTest, WarnOnReapWarnsForEachOrphan) {
  for (bool warn : {true, false}) {
    SCOPED_TRACE(warn ? "-w" : "without -w");
    Sandbox sb;
    std::vector<std::string> options{"--cgroup", "off"};
    if (warn) {
      options.emplace_back("-w");
    }
    ASSERT_TRUE(sb.start(RunSpec(
        Mode::Pid1, concat(options, payload({"orphans", "3", sb.file("adopter"), "exit", "0"})))));
    EXPECT_EQ(sb.wait(5s), ExitStatus::exited(0)) << sb.stderrText();
    const auto lines = sb.stderrLines();
    EXPECT_EQ(linesContaining(lines, "[warning] reaped zombie"), warn ? 3u : 0u) << sb.stderrText();
  }
}

// -p SIGUSR1: when cginit's parent dies, the kernel sends cginit SIGUSR1, which it forwards.
// An outer cginit (PID 1) runs `sh`, which starts the inner cginit and is then SIGKILLed. The
// outer one drains with SIGWINCH (recorded, harmless), so SIGUSR1 can only come from -p.
TEST_F(MiscTest, ParentDeathSignalIsForwarded) {
  Sandbox sb;
  const std::string shPid = sb.file("sh.pid");
  const std::string log = sb.file("signals");
  const std::string script = "echo $$ > " + shPid + "; " + cginitBin() +
                             " -p SIGUSR1 --cgroup off -- " + payloadBin() + " record-signals " +
                             log + " & wait";
  ASSERT_TRUE(sb.start(RunSpec(Mode::Pid1, {"--cgroup", "off", "--grace", "20s", "--stop-signal",
                                            "WINCH", "/bin/sh", "-c", script})));
  ASSERT_TRUE(waitForFileContaining(log, "ready\n", 10s)) << sb.stderrText();
  const auto sh = sb.hostPidFromFile(shPid);
  ASSERT_TRUE(sh);
  ASSERT_EQ(kill(*sh, SIGKILL), 0);
  EXPECT_TRUE(waitForFileContaining(log, "SIGUSR1\n", 5s))
      << "the parent-death signal was not forwarded: " << sb.stderrText();
  // Done: a second SIGTERM during the outer drain ends its grace period.
  ASSERT_TRUE(waitUntil([&] { return !processState(*sh); }, 5s));
  ASSERT_TRUE(sb.signal(SIGTERM));
  EXPECT_EQ(sb.wait(5s), ExitStatus::exited(128 + SIGKILL)) << sb.stderrText();
}

// SIGRTMIN+5 as PID 1: the program gets the stop signal, the cgroups are removed, and cginit
// ends with reboot(RB_AUTOBOOT), which its parent sees as "killed by SIGHUP".
TEST_F(MiscTest, RebootRequestDrainsThenRebootsThePidNamespace) {
  Sandbox sb;
  const std::string log = sb.file("signals");
  ASSERT_TRUE(
      sb.start(RunSpec(Mode::Pid1, payload({"record-signals", log})).withCgroupNamespace()));
  ASSERT_TRUE(waitForFileContaining(log, "ready\n", 10s)) << sb.stderrText();
  ASSERT_TRUE(sb.signal(SIGRTMIN + 5));
  EXPECT_EQ(sb.wait(5s), ExitStatus::killedBy(SIGHUP)) << sb.stderrText();
  EXPECT_EQ(fileLines(log), (std::vector<std::string>{"ready", "SIGTERM"}));
  EXPECT_EQ(subCgroups(sb.cgroup().path()), std::vector<std::string>{});
}

// A leftover that was stopped (SIGSTOP) before the program exited still gets the stop signal at
// drain, because SIGCONT follows it: the daemon handles SIGTERM and cginit exits long before the
// grace period ends. With a cgroup and without one.
TEST_F(MiscTest, StoppedLeftoverIsContinuedAndGetsTheStopSignal) {
  for (bool cgroup : {true, false}) {
    SCOPED_TRACE(cgroup ? "with a cgroup" : "--cgroup off");
    Sandbox sb;
    const std::string daemonFile = sb.file("daemon");
    const std::string log = sb.file("signals");
    RunSpec spec(Mode::Pid1,
                 concat({"--grace", "20s", "--cgroup", cgroup ? "auto" : "off"},
                        payload({"daemon", "handle", daemonFile, "record-signals", log})));
    ASSERT_TRUE(sb.start(spec.withCgroupNamespace(cgroup)));
    ASSERT_TRUE(waitForFileContaining(log, "ready\n", 10s)) << sb.stderrText();
    const auto daemon = sb.hostPidFromFile(daemonFile + ".pid");
    ASSERT_TRUE(daemon);
    ASSERT_EQ(kill(*daemon, SIGSTOP), 0);
    ASSERT_TRUE(waitUntil([&] { return processState(*daemon) == 'T'; }, 5s));
    ASSERT_TRUE(sb.signal(SIGTERM));
    EXPECT_EQ(sb.wait(5s), ExitStatus::exited(0)) << sb.stderrText();
    EXPECT_EQ(readFile(daemonFile), "TERM");
  }
}

// Issue 4: a configuration error (an unknown key) is exit 2 with FILE:LINE:COL, and nothing is
// started.
TEST_F(MiscTest, BadConfigFileStartsNothing) {
  Sandbox sb;
  const std::string config = sb.file("bad.toml");
  std::ofstream(config) << "[init]\nverbosity = \"info\"\nfrobnicate = true\n";
  const std::string marker = sb.file("started");
  ASSERT_TRUE(sb.start(
      RunSpec(Mode::Pid1, concat({"--config", config}, payload({"touch", marker, "exit", "0"})))
          .withCgroupNamespace()));
  EXPECT_EQ(sb.wait(5s), ExitStatus::exited(2)) << sb.stderrText();
  EXPECT_NE(sb.stderrText().find(config + ":3:1:"), std::string::npos) << sb.stderrText();
  EXPECT_NE(sb.stderrText().find("frobnicate"), std::string::npos) << sb.stderrText();
  EXPECT_FALSE(fileExists(marker)) << "the program was started";
  EXPECT_EQ(subCgroups(sb.cgroup().path()), std::vector<std::string>{})
      << "cgroups were set up before the configuration was validated";
}

// CGINIT_CONFIG naming a missing file: exit 2 with the errno text, nothing started.
TEST_F(MiscTest, MissingConfigFromTheEnvironmentStartsNothing) {
  Sandbox sb;
  const std::string config = sb.file("missing.toml");
  const std::string marker = sb.file("started");
  ASSERT_TRUE(sb.start(RunSpec(Mode::Pid1, payload({"touch", marker, "exit", "0"}))
                           .withEnv({"CGINIT_CONFIG=" + config})));
  EXPECT_EQ(sb.wait(5s), ExitStatus::exited(2)) << sb.stderrText();
  EXPECT_NE(sb.stderrText().find(config), std::string::npos) << sb.stderrText();
  EXPECT_NE(sb.stderrText().find("No such file or directory"), std::string::npos)
      << sb.stderrText();
  EXPECT_FALSE(fileExists(marker)) << "the program was started";
}

}  // namespace
}  // namespace cginit::it
