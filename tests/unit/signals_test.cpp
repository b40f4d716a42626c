// SPDX-License-Identifier: MIT
// Tests for reading signals from a signalfd in batches, and for the signal state given back at
// exec.
#include "cginit/signals.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <vector>

#include <gtest/gtest.h>

namespace cginit {
namespace {

/// Blocks `signals` for the test and queues each one to this thread (so that no other thread of
/// the test runner can take it); restores the mask at the end, after taking what is left.
class QueuedSignals {
 public:
  explicit QueuedSignals(std::vector<int> signals) : signals_(std::move(signals)) {
    sigemptyset(&mask_);
    for (int sig : signals_) {
      sigaddset(&mask_, sig);
    }
    EXPECT_EQ(::sigprocmask(SIG_BLOCK, &mask_, &old_), 0);
    for (int sig : signals_) {
      EXPECT_EQ(::raise(sig), 0);
    }
  }
  ~QueuedSignals() {
    const timespec zero{0, 0};
    while (::sigtimedwait(&mask_, nullptr, &zero) > 0) {
    }
    ::sigprocmask(SIG_SETMASK, &old_, nullptr);
  }
  const sigset_t& mask() const { return mask_; }

 private:
  std::vector<int> signals_;
  sigset_t mask_;
  sigset_t old_;
};

TEST(SignalFdTest, OneReadTakesEveryPendingSignalThatFits) {
  QueuedSignals queued({SIGUSR1, SIGUSR2, SIGWINCH});
  auto sfd = SignalFd::open(queued.mask());
  ASSERT_TRUE(sfd) << sfd.error().message;
  std::array<signalfd_siginfo, 4> buffer;
  auto got = sfd->read(buffer);
  ASSERT_TRUE(got) << got.error().message;
  ASSERT_EQ(got->size(), 3u) << "fewer than the buffer holds: the queue is empty now";
  // Standard signals come lowest number first.
  EXPECT_EQ((*got)[0].ssi_signo, static_cast<uint32_t>(SIGUSR1));
  EXPECT_EQ((*got)[1].ssi_signo, static_cast<uint32_t>(SIGUSR2));
  EXPECT_EQ((*got)[2].ssi_signo, static_cast<uint32_t>(SIGWINCH));
  EXPECT_EQ((*got)[0].ssi_pid, static_cast<uint32_t>(::getpid()));
  auto again = sfd->read(buffer);
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->empty());
}

TEST(SignalFdTest, AFullBufferLeavesTheRestQueued) {
  QueuedSignals queued({SIGUSR1, SIGUSR2, SIGWINCH});
  auto sfd = SignalFd::open(queued.mask());
  ASSERT_TRUE(sfd) << sfd.error().message;
  std::array<signalfd_siginfo, 2> buffer;
  auto first = sfd->read(buffer);
  ASSERT_TRUE(first);
  ASSERT_EQ(first->size(), 2u);
  EXPECT_EQ((*first)[1].ssi_signo, static_cast<uint32_t>(SIGUSR2));
  auto second = sfd->read(buffer);
  ASSERT_TRUE(second);
  ASSERT_EQ(second->size(), 1u);
  EXPECT_EQ((*second)[0].ssi_signo, static_cast<uint32_t>(SIGWINCH));
}

TEST(SignalFdTest, NothingPendingIsAnEmptyResultNotAnError) {
  QueuedSignals queued({});
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGUSR1);
  auto sfd = SignalFd::open(mask);
  ASSERT_TRUE(sfd) << sfd.error().message;
  std::array<signalfd_siginfo, 1> buffer;
  auto got = sfd->read(buffer);
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_TRUE(got->empty());
}

/// In a child process: the signal state as currentSignalState() reads it, compared with `want`
/// (true when equal in mask and ignored set).
bool stateEquals(const SignalState& want) {
  auto now = currentSignalState();
  if (!now) {
    return false;
  }
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sigismember(&now->blocked, sig) != sigismember(&want.blocked, sig) ||
        sigismember(&now->ignored, sig) != sigismember(&want.ignored, sig)) {
      return false;
    }
  }
  return true;
}

bool isIgnored(int sig) {
  struct sigaction old {};
  return ::sigaction(sig, nullptr, &old) == 0 && old.sa_handler == SIG_IGN;
}

// The program gets exactly the mask and the ignored set cginit was started with (nohup's SIGHUP,
// a shell's `trap '' ...`, a starter's blocked signals), not the mask cginit blocks for its
// signalfd nor the SIG_DFL it sets for the signals it handles.
TEST(RestoreSignalsForExecTest, GivesBackTheStartingMaskAndIgnoredSet) {
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    for (int sig : {SIGHUP, SIGPIPE, SIGCHLD, SIGRTMIN + 2, SIGRTMAX}) {
      ::signal(sig, SIG_IGN);
    }
    sigset_t starter;
    sigemptyset(&starter);
    sigaddset(&starter, SIGUSR1);
    sigaddset(&starter, SIGTERM);
    sigaddset(&starter, SIGRTMIN + 3);
    ::sigprocmask(SIG_SETMASK, &starter, nullptr);
    auto started = currentSignalState();
    if (!started || sigismember(&started->ignored, SIGHUP) != 1 ||
        sigismember(&started->blocked, SIGTERM) != 1 ||
        sigismember(&started->blocked, SIGHUP) == 1) {
      ::_exit(2);  // the set-up did not take, or was misread: the test would prove nothing
    }
    // What cginit does to itself.
    const sigset_t handled = handledSignals();
    ::sigprocmask(SIG_BLOCK, &handled, nullptr);
    if (!takeIgnoredSignals(started->ignored, handled) || isIgnored(SIGHUP) || isIgnored(SIGCHLD) ||
        stateEquals(*started)) {
      ::_exit(3);  // cginit still ignores a signal it handles
    }
    restoreSignalsForExec(*started, signalsToUnblock(started->blocked));
    ::_exit(stateEquals(*started) ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0)
      << "1: not the starting state after the restore; 2: set-up failed; 3: not taken";
}

// Started clean, the program starts clean: nothing of cginit's blocked mask stays.
TEST(RestoreSignalsForExecTest, ACleanStartGivesACleanProgram) {
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const sigset_t handled = handledSignals();
    ::sigprocmask(SIG_BLOCK, &handled, nullptr);
    const SignalState clean = cleanSignalState();
    restoreSignalsForExec(clean, signalsToUnblock(clean.blocked));
    ::_exit(stateEquals(clean) ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace cginit
