// SPDX-License-Identifier: MIT
// Blocking the signals cginit handles, and reading them from a signalfd.
#pragma once

#include <signal.h>
#include <sys/signalfd.h>

#include <span>

#include "cginit/result.h"
#include "cginit/unique_fd.h"

namespace cginit {

/// Every signal cginit takes through its signalfd: all but SIGKILL, SIGSTOP and the synchronous
/// faults (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS), which must keep their default action.
sigset_t handledSignals();

/// Blocks `mask` for the calling (single-threaded) process. Blocked signals are never "ignored" by
/// the kernel, so a namespace's PID 1 receives them although their handler is SIG_DFL.
Status blockSignals(const sigset_t& mask);

/// The signal mask and the ignored dispositions (SIG_IGN) of a process: what cginit was started
/// with, and what its program gets back before exec (as under tini, or with no init at all).
struct SignalState {
  sigset_t blocked;
  sigset_t ignored;
};

/// No signal blocked, none ignored.
SignalState cleanSignalState();

/// The calling process's mask and ignored set. glibc's two reserved signals (32, 33) are never
/// in the ignored set, and glibc leaves them out of every mask it sets: whatever state they had,
/// cginit never changes it, and they reach the program as cginit got them.
Result<SignalState> currentSignalState();

/// Sets each signal of `handled` that `inherited` ignores back to SIG_DFL (call with `handled`
/// blocked). A SIGCHLD inherited as SIG_IGN makes the kernel reap cginit's children itself
/// (their exit status lost, wait4 fails with ECHILD), and blocking it does not change that; the
/// others are only taken from the signalfd, so cginit's own disposition for them is SIG_DFL.
Status takeIgnoredSignals(const sigset_t& inherited, const sigset_t& handled);

/// Puts the calling process back to `state`: the signals of `state.ignored` SIG_IGN, the mask
/// `state.blocked` (handlers, of which cginit installs none, become SIG_DFL at exec). Only
/// async-signal-safe calls: used in the child between clone and exec. `unblock` is the complement
/// of `state.blocked` (signalsToUnblock()), computed before the clone.
void restoreSignalsForExec(const SignalState& state, const sigset_t& unblock);

/// Every signal that `blocked` leaves out, for restoreSignalsForExec().
sigset_t signalsToUnblock(const sigset_t& blocked);

/// A non-blocking, close-on-exec signalfd for a set of blocked signals.
class SignalFd {
 public:
  static Result<SignalFd> open(const sigset_t& mask);
  int fd() const { return fd_.get(); }
  /// Reads as many pending signals as fit into `buffer` with one read(2) (EINTR is retried) and
  /// returns the filled front of `buffer`, empty when none is pending (EAGAIN). A result shorter
  /// than `buffer` means the queue was empty at the time of the read: no need to read again.
  Result<std::span<const signalfd_siginfo>> read(std::span<signalfd_siginfo> buffer);

 private:
  explicit SignalFd(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

}  // namespace cginit
