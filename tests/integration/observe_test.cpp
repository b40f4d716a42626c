// SPDX-License-Identifier: MIT
// The observer: a read-only cgroupfs, where cginit manages nothing but still reads its cgroup.
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "harness.h"
#include "report_json.h"

namespace cginit::it {
namespace {

class ObserveTest : public IntegrationTest {};

/// A process that joins cginit's PID namespace and cgroup from outside, as `docker exec` or
/// `kubectl exec` start one: no descendant of cginit. Its parent (a child of the test, outside
/// the namespace) waits for it and exits with its wait status folded in (128+N for signal N).
class ExecdStranger {
 public:
  /// `initPid`: a process of the target PID namespace (host pid); `cgroupDir`: the cgroup to
  /// join; `argv`: the program (absolute path first).
  ExecdStranger(pid_t initPid, const std::string& cgroupDir, const std::vector<std::string>& argv) {
    const std::string ns = "/proc/" + std::to_string(initPid) + "/ns/pid";
    const std::string procs = cgroupDir + "/cgroup.procs";
    std::vector<char*> args;
    for (const std::string& a : argv) {
      args.push_back(const_cast<char*>(a.c_str()));
    }
    args.push_back(nullptr);
    parent_ = fork();
    if (parent_ != 0) {
      return;
    }
    // Only async-signal-safe calls from here on.
    const int nsfd = open(ns.c_str(), O_RDONLY | O_CLOEXEC);
    if (nsfd < 0 || setns(nsfd, CLONE_NEWPID) != 0) {
      _exit(120);
    }
    const pid_t child = fork();
    if (child < 0) {
      _exit(121);
    }
    if (child == 0) {
      const int fd = open(procs.c_str(), O_WRONLY | O_CLOEXEC);
      if (fd < 0 || write(fd, "0", 1) != 1) {
        _exit(122);
      }
      close(fd);
      execv(args[0], args.data());
      _exit(123);
    }
    int status = 0;
    while (waitpid(child, &status, 0) < 0) {
    }
    _exit(WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status));
  }
  ~ExecdStranger() {
    if (parent_ > 0 && !reaped_) {
      kill(parent_, SIGKILL);  // the stranger itself ends with cginit's namespace or below
      waitpid(parent_, nullptr, 0);
    }
  }
  ExecdStranger(const ExecdStranger&) = delete;
  ExecdStranger& operator=(const ExecdStranger&) = delete;

  pid_t parent() const { return parent_; }
  /// The stranger's end as its parent saw it, or nullopt after `timeout`.
  std::optional<int> wait(Clock::duration timeout) {
    int status = 0;
    const bool done =
        waitUntil([&] { return waitpid(parent_, &status, WNOHANG) == parent_; }, timeout, 10ms);
    if (!done) {
      return std::nullopt;
    }
    reaped_ = true;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

 private:
  pid_t parent_ = -1;
  bool reaped_ = false;
};

// -s beside a harness PID 1 (the pause container of a pod), cgroupfs read-only: a TERM-ignoring
// process that joined the cgroup from outside gets the stop signal at drain, then SIGKILL after
// the grace period; the report names the observed cgroup and no managed one.
TEST_F(ObserveTest, ExecdStrangerIsDrainedWithSubreaper) {
  Sandbox sb;
  const std::string reportFile = sb.file("report.json");
  const std::string log = sb.file("signals");
  const std::string strangerLog = sb.file("stranger");
  ASSERT_TRUE(
      sb.start(RunSpec(Mode::Plain, concat({"-s", "-v", "--grace", "1s", "--report", reportFile},
                                           payload({"record-signals", log})))
                   .withReadOnlyCgroup()));
  ASSERT_TRUE(waitForFileContaining(log, "ready\n", 10s)) << sb.stderrText();
  ExecdStranger stranger(sb.pid(), sb.cgroup().path(),
                         {payloadBin(), "record-signals-stay", strangerLog});
  ASSERT_GT(stranger.parent(), 0);
  ASSERT_TRUE(waitForFileContaining(strangerLog, "ready\n", 10s));

  ASSERT_TRUE(sb.signal(SIGTERM));
  EXPECT_TRUE(waitForFileContaining(strangerLog, "SIGTERM\n", 5s))
      << "the exec'd stranger did not get the stop signal: " << sb.stderrText();
  const auto drainStart = Clock::now();
  EXPECT_EQ(stranger.wait(10s), 128 + SIGKILL) << sb.stderrText();
  EXPECT_GE(Clock::now() - drainStart, 700ms) << "killed before the grace period was over";
  EXPECT_EQ(sb.wait(10s), ExitStatus::exited(0)) << sb.stderrText();
  EXPECT_NE(sb.stderrText().find("observing cgroup /sys/fs/cgroup"), std::string::npos)
      << sb.stderrText();

  const auto report = parseJson(readFile(reportFile).value_or(""));
  ASSERT_TRUE(report) << readFile(reportFile).value_or("(no report)");
  EXPECT_TRUE(report->isNull("cgroup"));
  EXPECT_EQ(report->stringAt("observed_cgroup"), "/sys/fs/cgroup");
  EXPECT_EQ(report->stringAt("drain"), "killed");
  EXPECT_TRUE(report->isNull("enforced"));
  EXPECT_EQ(subCgroups(sb.cgroup().path()), std::vector<std::string>{});
}

// As PID 1 with nothing left at drain, the observer adds no warning and the report still says
// what was read (the keys that a missing controller leaves out stay null).
TEST_F(ObserveTest, ReportNamesTheObservedCgroupAsPid1) {
  Sandbox sb;
  const std::string reportFile = sb.file("report.json");
  ASSERT_TRUE(sb.start(RunSpec(Mode::Pid1, concat({"--report", reportFile}, payload({"exit", "3"})))
                           .withReadOnlyCgroup()));
  EXPECT_EQ(sb.wait(5s), ExitStatus::exited(3)) << sb.stderrText();
  const auto report = parseJson(readFile(reportFile).value_or(""));
  ASSERT_TRUE(report) << readFile(reportFile).value_or("(no report)");
  EXPECT_TRUE(report->isNull("cgroup"));
  EXPECT_EQ(report->stringAt("observed_cgroup"), "/sys/fs/cgroup");
  if (!fileExists(sb.cgroup().path() + "/pids.events")) {
    EXPECT_TRUE(report->isNull("fork_rejections"));
    EXPECT_TRUE(report->isNull("pids_peak"));
  }
  if (!fileExists(sb.cgroup().path() + "/memory.events")) {
    EXPECT_TRUE(report->isNull("oom_kills"));
  }
}

}  // namespace
}  // namespace cginit::it
