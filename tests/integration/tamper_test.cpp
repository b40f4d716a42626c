// SPDX-License-Identifier: MIT
// Where the kernel cannot refuse the workload (no cgroup namespace for it, or no nsdelegate),
// cginit undoes its moves out of workload/ and leaves exec sessions in init/ (issue 23 item 2).
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "harness.h"
#include "report_json.h"

namespace cginit::it {
namespace {

/// The cgroup2 mount in cginit's cgroup namespace: the test cgroup, <root>.
constexpr const char* kCg = "/sys/fs/cgroup";

class TamperTest : public IntegrationTest {};

// The program (without a cgroup namespace: --workload-cgroupns=false) sends a daemon into init/
// and one into a cgroup it made beside workload/; the test moves one of them into init/ again.
// Each is moved back into workload/ and counted in "tampered". A `docker exec`-style process
// (its parent outside the PID namespace) put into init/ stays there and is drained at stop.
TEST_F(TamperTest, EscapeesGoBackIntoWorkloadExecSessionsStayInInit) {
  Sandbox sb;
  const std::string cg = sb.cgroup().path();
  const std::string root = kCg;
  const std::string inInit = sb.file("in-init");
  const std::string inX = sb.file("in-x");
  const std::string log = sb.file("signals");
  const std::string session = sb.file("session");
  const std::string reportFile = sb.file("report.json");
  ASSERT_TRUE(sb.start(
      RunSpec(Mode::Pid1,
              concat({"--workload-cgroupns=false", "--grace", "3s", "--report", reportFile},
                     payload({"daemon-in", "handle", inInit, root + "/init", "daemon-in", "handle",
                              inX, root + "/x", "record-signals", log})))
          .withCgroupNamespace()));
  ASSERT_TRUE(waitForFileContaining(log, "ready\n", 10s)) << sb.stderrText();
  const auto d1 = sb.hostPidFromFile(inInit + ".pid");
  const auto d2 = sb.hostPidFromFile(inX + ".pid");
  ASSERT_TRUE(d1 && d2) << sb.stderrText();
  const std::string workload = "0::" + hierarchyPath(sb) + "/workload";
  EXPECT_TRUE(waitUntil([&] { return cgroupLineOf(*d1) == workload; }, 5s))
      << "the daemon that moved into init/ is in " << cgroupLineOf(*d1) << "\n"
      << sb.stderrText();
  EXPECT_TRUE(waitUntil([&] { return cgroupLineOf(*d2) == workload; }, 5s))
      << "the daemon that moved into x/ is in " << cgroupLineOf(*d2) << "\n"
      << sb.stderrText();

  ExecSession exec(sb.pid(), {payloadBin(), "record-signals", session});
  ASSERT_GT(exec.pid(), 0);
  ASSERT_TRUE(waitForFileContaining(session, "ready\n", 10s));
  ASSERT_TRUE(moveInto(cg + "/init", exec.pid()));
  // A process of the workload moved into init/ after it: once that one is back, cginit has
  // answered the list that held the exec session as well.
  ASSERT_TRUE(moveInto(cg + "/init", *d1));
  EXPECT_TRUE(waitUntil([&] { return cgroupLineOf(*d1) == workload; }, 5s)) << sb.stderrText();
  EXPECT_EQ(cgroupLineOf(exec.pid()), "0::" + hierarchyPath(sb) + "/init")
      << "the exec session was moved: " << sb.stderrText();
  EXPECT_NE(sb.stderrText().find("moved it back"), std::string::npos) << sb.stderrText();

  ASSERT_TRUE(sb.signal(SIGTERM));
  EXPECT_EQ(sb.wait(8s), ExitStatus::exited(0)) << sb.stderrText();
  EXPECT_TRUE(waitForFileContaining(session, "SIGTERM\n", 2s))
      << "the exec session was not drained: " << sb.stderrText();
  EXPECT_EQ(readFile(inInit), "TERM") << sb.stderrText();
  EXPECT_EQ(readFile(inX), "TERM") << sb.stderrText();
  const auto report = parseJson(readFile(reportFile).value_or(""));
  ASSERT_TRUE(report) << readFile(reportFile).value_or("(no report)");
  EXPECT_EQ(report->integerAt("tampered"), 3) << sb.stderrText();
  const Json* enforced = report->find("enforced");
  ASSERT_NE(enforced, nullptr);
  EXPECT_EQ(enforced->kind, Json::Kind::Bool);
  EXPECT_FALSE(enforced->boolean);
  EXPECT_TRUE(subCgroups(cg).empty()) << "x/ was not removed";
}

}  // namespace
}  // namespace cginit::it
