// SPDX-License-Identifier: MIT
// The exit report (--report FILE): every field, with the values of the run it describes.
#include <signal.h>

#include <string>
#include <vector>

#include "harness.h"
#include "report_json.h"

namespace cginit::it {
namespace {

class ReportTest : public IntegrationTest {};

/// The report cginit wrote to sb.file("report.json"), parsed; a failure names what was there.
::testing::AssertionResult readReport(const Sandbox& sb, Json& out) {
  const auto text = readFile(sb.file("report.json"));
  if (!text) {
    return ::testing::AssertionFailure() << "no report; stderr: " << sb.stderrText();
  }
  auto json = parseJson(*text);
  if (!json || json->kind != Json::Kind::Object) {
    return ::testing::AssertionFailure() << "not a JSON object: " << *text;
  }
  out = std::move(*json);
  return ::testing::AssertionSuccess();
}

/// cginit [--report FILE] OPTIONS... PROGRAM, as PID 1 of a container with a delegated cgroup.
RunSpec reportSpec(const Sandbox& sb, std::vector<std::string> options,
                   const std::vector<std::string>& program) {
  options.insert(options.begin(), {"--report", sb.file("report.json")});
  return RunSpec(Mode::Pid1, concat(std::move(options), program)).withCgroupNamespace();
}

// Every field the contract lists, for a program that kills itself with a signal.
TEST_F(ReportTest, SignalDeathNamesTheSignalAndEveryFieldIsThere) {
  Sandbox sb;
  const std::string pidFile = sb.file("program.pid");
  ASSERT_TRUE(sb.start(reportSpec(sb, {}, payload({"pidfile", pidFile, "kill-self", "USR2"}))));
  EXPECT_EQ(sb.wait(5s), ExitStatus::exited(128 + SIGUSR2)) << sb.stderrText();
  Json r;
  ASSERT_TRUE(readReport(sb, r));
  for (const char* key :
       {"exit_code", "signal", "main_pid", "duration_ms", "reaped", "forwarded", "pids_peak",
        "pids_max", "fork_rejections", "oom_kills", "drain", "killed", "cgroup", "observed_cgroup",
        "escaped", "enforced", "tampered"}) {
    EXPECT_TRUE(r.has(key)) << "missing " << key;
  }
  EXPECT_EQ(r.integerAt("exit_code"), 128 + SIGUSR2);
  EXPECT_EQ(r.stringAt("signal"), "SIGUSR2");
  // main_pid as cginit's PID namespace sees it, which is what the program wrote.
  const auto nsPid = toNumber(fileLines(pidFile).empty() ? "" : fileLines(pidFile)[0]);
  ASSERT_TRUE(nsPid);
  EXPECT_EQ(r.integerAt("main_pid"), *nsPid);
  EXPECT_GE(r.integerAt("duration_ms").value_or(-1), 0);
  EXPECT_EQ(r.integerAt("reaped"), 0);
  ASSERT_TRUE(r.find("forwarded"));
  EXPECT_TRUE(r.find("forwarded")->members.empty());
  EXPECT_EQ(r.stringAt("drain"), "none");
  EXPECT_EQ(r.integerAt("killed"), 0);
  EXPECT_EQ(r.stringAt("cgroup"), "/sys/fs/cgroup") << "the managed root, as cginit sees it";
  EXPECT_TRUE(r.isNull("pids_max")) << "--pids-max was not given";
  EXPECT_EQ(r.integerAt("tampered"), 0) << "managed, and nothing changed what cginit set";
}

TEST_F(ReportTest, ExitCodeWithoutSignalAndReapedOrphans) {
  Sandbox sb;
  ASSERT_TRUE(
      sb.start(reportSpec(sb, {}, payload({"orphans", "5", sb.file("adopter"), "exit", "3"}))));
  EXPECT_EQ(sb.wait(5s), ExitStatus::exited(3)) << sb.stderrText();
  Json r;
  ASSERT_TRUE(readReport(sb, r));
  EXPECT_EQ(r.integerAt("exit_code"), 3);
  EXPECT_TRUE(r.isNull("signal"));
  EXPECT_GE(r.integerAt("reaped").value_or(0), 5);
}

// forwarded counts each delivery per signal name (SIGUSR1 twice: 2).
TEST_F(ReportTest, ForwardedCountsPerSignal) {
  Sandbox sb;
  const std::string log = sb.file("signals");
  ASSERT_TRUE(sb.start(reportSpec(sb, {}, payload({"record-signals", log}))));
  ASSERT_TRUE(waitForFileContaining(log, "ready\n", 10s)) << sb.stderrText();
  ASSERT_TRUE(sb.signal(SIGUSR1));
  ASSERT_TRUE(waitForFileContaining(log, "SIGUSR1\n", 5s));
  ASSERT_TRUE(sb.signal(SIGUSR1));  // only after the first arrived: never merged with it
  ASSERT_TRUE(waitUntil([&] { return fileLines(log).size() == 3; }, 5s));
  ASSERT_TRUE(sb.signal(SIGTERM));
  EXPECT_EQ(sb.wait(5s), ExitStatus::exited(0)) << sb.stderrText();
  Json r;
  ASSERT_TRUE(readReport(sb, r));
  const Json* forwarded = r.find("forwarded");
  ASSERT_TRUE(forwarded && forwarded->kind == Json::Kind::Object);
  EXPECT_EQ(forwarded->members.size(), 2u);
  EXPECT_EQ(forwarded->integerAt("SIGUSR1"), 2);
  EXPECT_EQ(forwarded->integerAt("SIGTERM"), 1);
}

// drain: "none" when nothing was left, "clean" when the leftovers exited within the grace period,
// "killed" when cgroup.kill had to end them (and killed counts them).
TEST_F(ReportTest, DrainOutcomeAndKilledCount) {
  struct Case {
    std::vector<std::string> program;
    const char* drain;
    long long killed;
  };
  for (const auto& [program, drain, killed] : std::vector<Case>{
           {{"exit", "0"}, "none", 0},
           {{"daemon", "handle", "DAEMON", "exit", "0"}, "clean", 0},
           {{"daemon", "ignore", "DAEMON", "daemon", "ignore", "DAEMON", "exit", "0"}, "killed", 2},
       }) {
    SCOPED_TRACE(drain);
    Sandbox sb;
    std::vector<std::string> argv{payloadBin()};
    for (const auto& word : program) {
      argv.push_back(word == "DAEMON" ? sb.file("daemon") : word);
    }
    ASSERT_TRUE(sb.start(reportSpec(sb, {"--grace", "300ms"}, argv)));
    EXPECT_EQ(sb.wait(5s), ExitStatus::exited(0)) << sb.stderrText();
    Json r;
    ASSERT_TRUE(readReport(sb, r));
    EXPECT_EQ(r.stringAt("drain"), drain);
    EXPECT_EQ(r.integerAt("killed"), killed);
  }
}

// --cgroup off: no cgroup, and no cgroup counters.
TEST_F(ReportTest, CgroupIsNullWhenOff) {
  Sandbox sb;
  ASSERT_TRUE(sb.start(reportSpec(sb, {"--cgroup", "off"}, payload({"exit", "0"}))));
  EXPECT_EQ(sb.wait(5s), ExitStatus::exited(0)) << sb.stderrText();
  Json r;
  ASSERT_TRUE(readReport(sb, r));
  EXPECT_TRUE(r.isNull("cgroup"));
  EXPECT_TRUE(r.isNull("pids_max"));
  EXPECT_TRUE(r.isNull("pids_peak"));
  EXPECT_TRUE(r.isNull("fork_rejections"));
  EXPECT_TRUE(r.isNull("tampered"));
}

// pids_max reports the limit in force: when the pids controller is missing (auto mode warns and
// goes on), no pids.max was written, so the report must not claim one.
TEST_F(ReportTest, PidsMaxIsNullWhenTheControllerIsMissing) {
  Sandbox sb;
  const auto controllers = readFile(sb.cgroup().path() + "/cgroup.controllers").value_or("");
  if ((" " + controllers).find(" pids") != std::string::npos) {
    GTEST_SKIP() << "the pids controller is available here (the cgroup v2 VM tier covers it)";
  }
  ASSERT_TRUE(sb.start(reportSpec(sb, {"--pids-max", "10"}, payload({"exit", "0"}))));
  EXPECT_EQ(sb.wait(5s), ExitStatus::exited(0)) << sb.stderrText();
  Json r;
  ASSERT_TRUE(readReport(sb, r));
  EXPECT_FALSE(r.isNull("cgroup")) << "the layout is managed without the controller";
  EXPECT_TRUE(r.isNull("pids_max")) << "pids.max=10 was never written (no pids controller)";
}

}  // namespace
}  // namespace cginit::it
