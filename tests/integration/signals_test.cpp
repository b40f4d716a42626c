// SPDX-License-Identifier: MIT
// Signals: forwarding, -g, --rewrite, job-control signals, stop requests and --stop-timeout.
#include <signal.h>

#include <string>

#include "harness.h"

namespace cginit::it {
namespace {

class SignalsTest : public IntegrationTest {};

constexpr auto kDeliveryTimeout = 5s;

/// Starts cginit with `OPTIONS payload [BEFORE...] record-signals LOG` and waits until the
/// program's handlers are in place.
::testing::AssertionResult startRecorder(Sandbox& sb, Mode mode,
                                         const std::vector<std::string>& options,
                                         std::vector<std::string> before = {},
                                         const std::string& recorder = "record-signals") {
  before.insert(before.begin(), payloadBin());
  before.push_back(recorder);
  before.push_back(sb.file("signals"));
  auto started = sb.start(RunSpec(mode, concat(options, before)));
  if (!started) {
    return started;
  }
  if (!waitForFileContaining(sb.file("signals"), "ready\n", 10s)) {
    return ::testing::AssertionFailure() << "the program did not get ready: " << sb.stderrText();
  }
  return ::testing::AssertionSuccess();
}

bool recorded(const std::string& log, int sig) {
  return waitForFileContaining(log, recordName(sig) + "\n", kDeliveryTimeout);
}

std::string modeName(Mode mode) {
  return mode == Mode::Pid1 ? "as PID 1" : "as subreaper";
}

// Every forwardable signal reaches the program, and none of them ends cginit.
TEST_F(SignalsTest, ForwardsEachSignal) {
  const std::vector<int> signals = {SIGHUP,   SIGINT,       SIGQUIT,      SIGUSR1, SIGUSR2,
                                    SIGALRM,  SIGWINCH,     SIGCONT,      SIGPWR,  SIGURG,
                                    SIGRTMIN, SIGRTMIN + 1, SIGRTMIN + 6, SIGRTMAX};
  for (Mode mode : {Mode::Pid1, Mode::Plain}) {
    SCOPED_TRACE(modeName(mode));
    Sandbox sb;
    ASSERT_TRUE(startRecorder(sb, mode, {"--cgroup", "off", "-s"}));
    const std::string log = sb.file("signals");
    for (int sig : signals) {
      ASSERT_TRUE(sb.signal(sig));
      EXPECT_TRUE(recorded(log, sig)) << recordName(sig) << " did not reach the program";
    }
    // SIGTERM last: the recorder exits 0 on it.
    ASSERT_TRUE(sb.signal(SIGTERM));
    EXPECT_TRUE(recorded(log, SIGTERM));
    EXPECT_EQ(sb.wait(10s), ExitStatus::exited(0)) << sb.stderrText();
  }
}

// -g / --forward group: a second process in the program's group gets the signals too; without
// it only the program does.
TEST_F(SignalsTest, ForwardGroupReachesTheWholeProcessGroup) {
  for (const std::vector<std::string>& options :
       {std::vector<std::string>{"-g"}, std::vector<std::string>{"--forward", "group"}}) {
    SCOPED_TRACE(options[0]);
    Sandbox sb;
    const std::string member = sb.file("member");
    ASSERT_TRUE(
        startRecorder(sb, Mode::Pid1, concat({"--cgroup", "off"}, options), {"bg-record", member}));
    ASSERT_TRUE(sb.signal(SIGUSR1));
    EXPECT_TRUE(recorded(sb.file("signals"), SIGUSR1));
    EXPECT_TRUE(recorded(member, SIGUSR1)) << "the group member did not get the signal";
    ASSERT_TRUE(sb.signal(SIGTERM));
    EXPECT_TRUE(recorded(member, SIGTERM));
    EXPECT_EQ(sb.wait(10s), ExitStatus::exited(0)) << sb.stderrText();
  }
}

TEST_F(SignalsTest, ForwardChildReachesOnlyTheProgram) {
  Sandbox sb;
  const std::string member = sb.file("member");
  ASSERT_TRUE(startRecorder(sb, Mode::Pid1, {"--cgroup", "off"}, {"bg-record", member}));
  const std::string log = sb.file("signals");
  ASSERT_TRUE(sb.signal(SIGUSR1));
  ASSERT_TRUE(recorded(log, SIGUSR1));
  // Forwarding is sequential: once HUP has arrived, a group-wide USR1 would have arrived too.
  ASSERT_TRUE(sb.signal(SIGHUP));
  ASSERT_TRUE(recorded(log, SIGHUP));
  EXPECT_EQ(fileLines(member), std::vector<std::string>{"ready"});
}

TEST_F(SignalsTest, RewriteDeliversTheTargetSignal) {
  Sandbox sb;
  ASSERT_TRUE(startRecorder(
      sb, Mode::Pid1, {"--cgroup", "off", "--rewrite", "USR1:USR2", "--rewrite", "WINCH:HUP"}));
  const std::string log = sb.file("signals");
  ASSERT_TRUE(sb.signal(SIGUSR1));
  ASSERT_TRUE(recorded(log, SIGUSR2));
  ASSERT_TRUE(sb.signal(SIGWINCH));
  ASSERT_TRUE(recorded(log, SIGHUP));
  ASSERT_TRUE(sb.signal(SIGALRM));  // not rewritten
  ASSERT_TRUE(recorded(log, SIGALRM));
  EXPECT_EQ(fileLines(log), (std::vector<std::string>{"ready", "SIGUSR2", "SIGHUP", "SIGALRM"}));
}

// SIGTSTP, SIGTTIN and SIGTTOU are forwarded, and cginit itself is never stopped by them.
TEST_F(SignalsTest, JobControlSignalsDoNotStopCginit) {
  for (Mode mode : {Mode::Pid1, Mode::Plain}) {
    SCOPED_TRACE(modeName(mode));
    Sandbox sb;
    ASSERT_TRUE(startRecorder(sb, mode, {"--cgroup", "off", "-s"}));
    const std::string log = sb.file("signals");
    for (int sig : {SIGTSTP, SIGTTIN, SIGTTOU}) {
      ASSERT_TRUE(sb.signal(sig));
      EXPECT_TRUE(recorded(log, sig)) << recordName(sig);
      const auto state = processState(sb.pid());
      ASSERT_TRUE(state);
      EXPECT_NE(*state, 'T') << "cginit is stopped after " << recordName(sig);
      EXPECT_NE(*state, 't');
    }
    ASSERT_TRUE(sb.signal(SIGTERM));
    EXPECT_EQ(sb.wait(10s), ExitStatus::exited(0)) << sb.stderrText();
  }
}

// SIGRTMIN+3 and SIGRTMIN+4 (systemd-nspawn's halt and poweroff) become the stop signal.
TEST_F(SignalsTest, RtminPlus3And4AreStopRequests) {
  for (int request : {SIGRTMIN + 3, SIGRTMIN + 4}) {
    SCOPED_TRACE(recordName(request));
    Sandbox sb;
    ASSERT_TRUE(startRecorder(sb, Mode::Pid1, {"--cgroup", "off"}));
    ASSERT_TRUE(sb.signal(request));
    EXPECT_EQ(sb.wait(10s), ExitStatus::exited(0)) << sb.stderrText();
    EXPECT_EQ(fileLines(sb.file("signals")), (std::vector<std::string>{"ready", "SIGTERM"}));
  }
}

TEST_F(SignalsTest, StopSignalOptionChangesWhatAStopRequestDelivers) {
  Sandbox sb;
  ASSERT_TRUE(startRecorder(sb, Mode::Pid1, {"--cgroup", "off", "--stop-signal", "USR1"}));
  const std::string log = sb.file("signals");
  ASSERT_TRUE(sb.signal(SIGRTMIN + 3));
  ASSERT_TRUE(recorded(log, SIGUSR1));
  ASSERT_TRUE(sb.signal(SIGTERM));
  EXPECT_EQ(sb.wait(10s), ExitStatus::exited(0)) << sb.stderrText();
  EXPECT_EQ(fileLines(log), (std::vector<std::string>{"ready", "SIGUSR1", "SIGTERM"}));
}

// After a forwarded stop request, a program that does not exit is killed when --stop-timeout
// ends, and not before.
TEST_F(SignalsTest, StopTimeoutKillsAProgramThatDoesNotExit) {
  for (Mode mode : {Mode::Pid1, Mode::Plain}) {
    SCOPED_TRACE(modeName(mode));
    Sandbox sb;
    const std::string pidFile = sb.file("program.pid");
    ASSERT_TRUE(startRecorder(sb, mode, {"--cgroup", "off", "-s", "--stop-timeout", "1s"},
                              {"pidfile", pidFile}, "record-signals-stay"));
    const auto program = sb.hostPidFromFile(pidFile);
    ASSERT_TRUE(program);
    const auto t0 = Clock::now();
    ASSERT_TRUE(sb.signal(SIGTERM));
    EXPECT_TRUE(recorded(sb.file("signals"), SIGTERM));
    std::this_thread::sleep_until(t0 + 800ms);
    EXPECT_TRUE(isAlive(*program)) << "killed before the stop timeout";
    EXPECT_FALSE(sb.exited());
    EXPECT_EQ(sb.wait(t0 + 2500ms - Clock::now()), ExitStatus::exited(128 + SIGKILL))
        << sb.stderrText();
    EXPECT_FALSE(isAlive(*program));
  }
}

}  // namespace
}  // namespace cginit::it
