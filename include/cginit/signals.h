// SPDX-License-Identifier: MIT
// Blocking the signals cginit handles, and reading them from a signalfd.
#pragma once

#include <signal.h>
#include <sys/signalfd.h>

#include <optional>

#include "cginit/result.h"
#include "cginit/unique_fd.h"

namespace cginit {

/// Every signal cginit takes through its signalfd: all but SIGKILL, SIGSTOP and the synchronous
/// faults (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS), which must keep their default action.
sigset_t handledSignals();

/// Blocks `mask` for the calling (single-threaded) process. Blocked signals are never "ignored" by
/// the kernel, so a namespace's PID 1 receives them although their handler is SIG_DFL.
Status blockSignals(const sigset_t& mask);

/// Puts the calling process back to a clean signal state: every disposition SIG_DFL and an empty
/// mask. Only async-signal-safe calls: used in the child between clone and exec.
void resetSignalsForExec();

/// A non-blocking, close-on-exec signalfd for a set of blocked signals.
class SignalFd {
 public:
  static Result<SignalFd> open(const sigset_t& mask);
  int fd() const { return fd_.get(); }
  /// The next pending signal, std::nullopt when none is left (EAGAIN). Errors other than EINTR
  /// are returned as an Error.
  Result<std::optional<signalfd_siginfo>> read();

 private:
  explicit SignalFd(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

}  // namespace cginit
