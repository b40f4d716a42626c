// SPDX-License-Identifier: MIT
// --cgroup auto|required|off: missing controllers, a read-only cgroupfs, no cgroup namespace.
#include <signal.h>

#include <algorithm>
#include <string>
#include <vector>

#include "harness.h"
#include "report_json.h"

namespace cginit::it {
namespace {

class CgroupModeTest : public IntegrationTest {};

size_t linesContaining(const std::vector<std::string>& lines, std::string_view needle) {
  return static_cast<size_t>(std::count_if(lines.begin(), lines.end(), [&](const std::string& l) {
    return l.find(needle) != std::string::npos;
  }));
}

/// Whether the cgroup2 hierarchy offers `controller` to the test cgroup.
bool controllerAvailable(Sandbox& sb, const std::string& controller) {
  const auto words = readFile(sb.cgroup().path() + "/cgroup.controllers").value_or("");
  return (" " + words).find(" " + controller) != std::string::npos;
}

/// Starts OPTIONS + `payload cgroup record-signals LOG` and waits until the program is ready.
::testing::AssertionResult startRecorder(Sandbox& sb, const RunSpec& base) {
  RunSpec spec = base;
  const auto program = payload({"cgroup", "record-signals", sb.file("signals")});
  spec.args.insert(spec.args.end(), program.begin(), program.end());
  if (auto started = sb.start(spec); !started) {
    return started;
  }
  if (!waitForFileContaining(sb.file("signals"), "ready\n", 10s)) {
    return ::testing::AssertionFailure() << "the program did not get ready: " << sb.stderrText();
  }
  return ::testing::AssertionSuccess();
}

// --cgroup off: no init/ or workload/, ever; the program stays in the container's root.
TEST_F(CgroupModeTest, OffNeverCreatesTheLayout) {
  Sandbox sb;
  const std::string cg = sb.cgroup().path();
  ASSERT_TRUE(startRecorder(sb, RunSpec(Mode::Pid1, {"--cgroup", "off"}).withCgroupNamespace()));
  EXPECT_EQ(sb.stdoutText(), "0::/\n");
  EXPECT_EQ(subCgroups(cg), std::vector<std::string>{});
  EXPECT_EQ(procsIn(cg).size(), 2u) << "cginit and the program, both in <root>";
  ASSERT_TRUE(sb.signal(SIGTERM));
  EXPECT_EQ(sb.wait(5s), ExitStatus::exited(0)) << sb.stderrText();
  EXPECT_EQ(subCgroups(cg), std::vector<std::string>{});
}

// --cgroup required with --pids-max where the pids controller is not delegated: exit 2, nothing
// started, nothing left.
TEST_F(CgroupModeTest, RequiredWithAMissingControllerExits2AndStartsNothing) {
  Sandbox sb;
  if (controllerAvailable(sb, "pids")) {
    GTEST_SKIP() << "the pids controller is available here (the cgroup v2 VM tier covers it)";
  }
  const std::string marker = sb.file("started");
  ASSERT_TRUE(sb.start(RunSpec(Mode::Pid1, concat({"--cgroup", "required", "--pids-max", "10"},
                                                  payload({"touch", marker, "exit", "0"})))
                           .withCgroupNamespace()));
  EXPECT_EQ(sb.wait(5s), ExitStatus::exited(2)) << sb.stderrText();
  EXPECT_FALSE(fileExists(marker)) << "the program was started";
  EXPECT_NE(sb.stderrText().find("controller pids"), std::string::npos) << sb.stderrText();
  EXPECT_EQ(subCgroups(sb.cgroup().path()), std::vector<std::string>{});
}

// --cgroup auto with --pids-max and no pids controller: one warning naming the controller, and
// the layout is managed all the same.
TEST_F(CgroupModeTest, AutoWithAMissingControllerWarnsAndStillManages) {
  Sandbox sb;
  if (controllerAvailable(sb, "pids")) {
    GTEST_SKIP() << "the pids controller is available here (the cgroup v2 VM tier covers it)";
  }
  const std::string cg = sb.cgroup().path();
  ASSERT_TRUE(startRecorder(sb, RunSpec(Mode::Pid1, {"--pids-max", "10"}).withCgroupNamespace()));
  EXPECT_EQ(sb.stdoutText(), "0::/\n") << "the program in a cgroup namespace rooted at workload/";
  EXPECT_EQ(subCgroups(cg), (std::vector<std::string>{"init", "workload"}));
  EXPECT_EQ(procsIn(cg + "/init"), std::vector<pid_t>{sb.pid()});
  const auto lines = sb.stderrLines();
  // The host's cgroup2 has no nsdelegate: that is the other warning.
  EXPECT_EQ(linesContaining(lines, "[warning]"), 2u) << sb.stderrText();
  EXPECT_EQ(linesContaining(lines, "controller pids"), 1u) << sb.stderrText();
  EXPECT_EQ(linesContaining(lines, "without nsdelegate"), 1u) << sb.stderrText();
  ASSERT_TRUE(sb.signal(SIGTERM));
  EXPECT_EQ(sb.wait(5s), ExitStatus::exited(0)) << sb.stderrText();
  EXPECT_EQ(subCgroups(cg), std::vector<std::string>{});
}

// A read-only cgroupfs (the Docker and Podman default) in auto mode: one warning that says what
// to do, then tini behaviour: the exit code passes through and orphans are reaped.
TEST_F(CgroupModeTest, ReadOnlyCgroupfsAutoRunsLikeTini) {
  Sandbox sb;
  const std::string reportFile = sb.file("report.json");
  ASSERT_TRUE(sb.start(RunSpec(Mode::Pid1, concat({"--report", reportFile},
                                                  payload({"orphans", "3", sb.file("adopter"),
                                                           "cgroup", "exit", "7"})))
                           .withReadOnlyCgroup()));
  EXPECT_EQ(sb.wait(5s), ExitStatus::exited(7)) << sb.stderrText();
  EXPECT_EQ(sb.stdoutText(), "0::/\n") << "the program must stay where it was";
  EXPECT_EQ(fileLines(sb.file("adopter")), std::vector<std::string>{"1"});
  const auto lines = sb.stderrLines();
  EXPECT_EQ(linesContaining(lines, "[warning]"), 1u) << sb.stderrText();
  EXPECT_EQ(linesContaining(lines, "read-only"), 1u) << sb.stderrText();
  EXPECT_NE(sb.stderrText().find("writable-cgroups"), std::string::npos)
      << "the warning should say how to get a writable cgroup: " << sb.stderrText();
  // Issue 17 item 11: Docker before 28.0 rejects writable-cgroups, so the advice names the
  // release and leads with what works on older ones.
  const std::string err = sb.stderrText();
  EXPECT_NE(err.find("Docker 28.0 on --security-opt writable-cgroups=true"), std::string::npos)
      << err;
  EXPECT_LT(err.find("docker: --privileged"), err.find("writable-cgroups")) << err;
  EXPECT_NE(err.find("unmask=/sys/fs/cgroup"), std::string::npos) << err;
  const auto report = parseJson(readFile(reportFile).value_or(""));
  ASSERT_TRUE(report) << readFile(reportFile).value_or("(no report)");
  EXPECT_EQ(report->integerAt("reaped"), 3);
  EXPECT_TRUE(report->isNull("cgroup"));
  EXPECT_EQ(subCgroups(sb.cgroup().path()), std::vector<std::string>{});
}

TEST_F(CgroupModeTest, ReadOnlyCgroupfsRequiredExits2) {
  Sandbox sb;
  const std::string marker = sb.file("started");
  ASSERT_TRUE(sb.start(
      RunSpec(Mode::Pid1, concat({"--cgroup", "required"}, payload({"touch", marker, "exit", "0"})))
          .withReadOnlyCgroup()));
  EXPECT_EQ(sb.wait(5s), ExitStatus::exited(2)) << sb.stderrText();
  EXPECT_FALSE(fileExists(marker)) << "the program was started";
  EXPECT_NE(sb.stderrText().find("read-only"), std::string::npos) << sb.stderrText();
}

// Without a cgroup namespace cginit sees its real cgroup path (the harness's test cgroup, not
// the hierarchy root) and manages it in required mode.
TEST_F(CgroupModeTest, RequiredWithoutCgroupNamespaceManagesItsOwnCgroup) {
  Sandbox sb;
  const std::string cg = sb.cgroup().path();
  const std::string reportFile = sb.file("report.json");
  ASSERT_TRUE(
      startRecorder(sb, RunSpec(Mode::Pid1, {"--cgroup", "required", "--report", reportFile})));
  EXPECT_EQ(sb.stdoutText(), "0::/\n") << "the program in a cgroup namespace rooted at workload/";
  EXPECT_EQ(procsIn(cg + "/init"), std::vector<pid_t>{sb.pid()});
  EXPECT_EQ(procsIn(cg), std::vector<pid_t>{});
  ASSERT_TRUE(sb.signal(SIGTERM));
  EXPECT_EQ(sb.wait(5s), ExitStatus::exited(0)) << sb.stderrText();
  EXPECT_EQ(subCgroups(cg), std::vector<std::string>{});
  const auto report = parseJson(readFile(reportFile).value_or(""));
  ASSERT_TRUE(report) << readFile(reportFile).value_or("(no report)");
  EXPECT_EQ(report->stringAt("cgroup"), cg);
}

// The host's cgroup2 mount has nsdelegate (then the VM tier's no-nsdelegate variant covers this).
bool hostHasNsdelegate() {
  for (const std::string& line : fileLines("/proc/self/mountinfo")) {
    if (line.find(" - cgroup2 ") != std::string::npos &&
        line.find("nsdelegate") != std::string::npos) {
      return true;
    }
  }
  return false;
}

/// The report's `enforced`: "true", "false", "null", or "" when missing or of another kind.
std::string enforcedOf(const Json& report) {
  const Json* v = report.find("enforced");
  if (v == nullptr) {
    return "";
  }
  if (v->kind == Json::Kind::Null) {
    return "null";
  }
  return v->kind == Json::Kind::Bool ? (v->boolean ? "true" : "false") : "";
}

// Issue 12: the program starts in a cgroup namespace rooted at workload/ (it reads "0::/");
// without nsdelegate one warning at start says that a root program can lift its limits, and the
// report says "enforced": false. workload/ gets cgroup.max.descendants 1000.
TEST_F(CgroupModeTest, WorkloadCgroupnsWithoutNsdelegateWarnsOnceAndIsNotEnforced) {
  if (hostHasNsdelegate()) {
    GTEST_SKIP() << "cgroup2 has nsdelegate here (the VM tier's no-nsdelegate variant covers it)";
  }
  Sandbox sb;
  const std::string cg = sb.cgroup().path();
  const std::string reportFile = sb.file("report.json");
  ASSERT_TRUE(startRecorder(sb, RunSpec(Mode::Pid1, {"--report", reportFile})));
  EXPECT_EQ(sb.stdoutText(), "0::/\n") << sb.stderrText();
  EXPECT_EQ(readFile(cg + "/workload/cgroup.max.descendants"), "1000\n");
  const auto lines = sb.stderrLines();
  EXPECT_EQ(linesContaining(lines, "[warning]"), 1u) << sb.stderrText();
  EXPECT_EQ(linesContaining(lines, "without nsdelegate"), 1u) << sb.stderrText();
  ASSERT_TRUE(sb.signal(SIGTERM));
  EXPECT_EQ(sb.wait(5s), ExitStatus::exited(0)) << sb.stderrText();
  const auto report = parseJson(readFile(reportFile).value_or(""));
  ASSERT_TRUE(report) << readFile(reportFile).value_or("(no report)");
  EXPECT_EQ(enforcedOf(*report), "false");
  EXPECT_EQ(subCgroups(cg), std::vector<std::string>{});
}

// --workload-cgroupns=false: no namespace, the program reads its real path; no nsdelegate
// warning (an info line says what was given up instead), and "enforced": false either way.
TEST_F(CgroupModeTest, WorkloadCgroupnsFalseLeavesTheProgramItsRealPath) {
  Sandbox sb;
  const std::string cg = sb.cgroup().path();
  const std::string reportFile = sb.file("report.json");
  ASSERT_TRUE(startRecorder(
      sb, RunSpec(Mode::Pid1, {"--workload-cgroupns=false", "--report", reportFile, "-v"})));
  const std::string name = cg.substr(cgroupRoot().size());
  EXPECT_EQ(sb.stdoutText(), "0::" + name + "/workload\n") << sb.stderrText();
  const auto lines = sb.stderrLines();
  EXPECT_EQ(linesContaining(lines, "nsdelegate"), 0u) << sb.stderrText();
  EXPECT_EQ(linesContaining(lines, "--workload-cgroupns=false"), 1u) << sb.stderrText();
  ASSERT_TRUE(sb.signal(SIGTERM));
  EXPECT_EQ(sb.wait(5s), ExitStatus::exited(0)) << sb.stderrText();
  const auto report = parseJson(readFile(reportFile).value_or(""));
  ASSERT_TRUE(report) << readFile(reportFile).value_or("(no report)");
  EXPECT_EQ(enforcedOf(*report), "false");
}

// Unmanaged (--cgroup off): no namespace (the program keeps the container's view) and nothing
// cginit set to enforce: "enforced": null, no nsdelegate warning.
TEST_F(CgroupModeTest, UnmanagedHasNoCgroupnsAndEnforcedNull) {
  Sandbox sb;
  const std::string reportFile = sb.file("report.json");
  ASSERT_TRUE(startRecorder(
      sb, RunSpec(Mode::Pid1, {"--cgroup", "off", "--report", reportFile}).withCgroupNamespace()));
  EXPECT_EQ(sb.stdoutText(), "0::/\n");
  EXPECT_EQ(linesContaining(sb.stderrLines(), "nsdelegate"), 0u) << sb.stderrText();
  ASSERT_TRUE(sb.signal(SIGTERM));
  EXPECT_EQ(sb.wait(5s), ExitStatus::exited(0)) << sb.stderrText();
  const auto report = parseJson(readFile(reportFile).value_or(""));
  ASSERT_TRUE(report) << readFile(reportFile).value_or("(no report)");
  EXPECT_EQ(enforcedOf(*report), "null");
}

}  // namespace
}  // namespace cginit::it
