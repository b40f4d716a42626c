// SPDX-License-Identifier: MIT
// Tests for reading signals from a signalfd in batches, and for the clean signal state at exec.
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

/// In a child process: every disposition SIG_DFL and the mask empty.
bool signalStateIsClean() {
  for (int sig = 1; sig < NSIG; ++sig) {
    struct sigaction old {};
    // glibc refuses its two reserved signals with EINVAL; nothing else may fail.
    if (::sigaction(sig, nullptr, &old) == 0 && old.sa_handler != SIG_DFL) {
      return false;
    }
  }
  sigset_t blocked;
  ::sigprocmask(SIG_SETMASK, nullptr, &blocked);
  return sigisemptyset(&blocked) == 1;
}

// What cginit inherits as ignored (nohup's SIGHUP, a shell's `trap '' ...`, systemd's SIGPIPE)
// must not reach the program, and neither must the mask that cginit blocks for its signalfd.
TEST(ResetSignalsForExecTest, ResetsInheritedIgnoredSignalsAndTheMask) {
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    for (int sig : {SIGHUP, SIGPIPE, SIGCHLD, SIGRTMIN + 2, SIGRTMAX}) {
      ::signal(sig, SIG_IGN);
    }
    const sigset_t handled = handledSignals();
    ::sigprocmask(SIG_BLOCK, &handled, nullptr);
    if (signalStateIsClean()) {
      ::_exit(2);  // the set-up did not take: the test would prove nothing
    }
    resetSignalsForExec();
    ::_exit(signalStateIsClean() ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "1: not clean after the reset; 2: set-up failed";
}

}  // namespace
}  // namespace cginit
