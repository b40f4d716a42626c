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

/// Sets SIGCHLD to SIG_DFL. A SIGCHLD inherited as SIG_IGN makes the kernel reap cginit's children
/// itself (their exit status lost, wait4 fails with ECHILD), and blocking it does not change that.
Status keepChildExitStatus();

/// Puts the calling process back to a clean signal state: every disposition SIG_DFL and an empty
/// mask. Only async-signal-safe calls: used in the child between clone and exec.
void resetSignalsForExec();

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
