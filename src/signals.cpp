// SPDX-License-Identifier: MIT
// Blocking the signals cginit handles, and reading them from a signalfd.
#include "cginit/signals.h"

#include <unistd.h>

#include <cerrno>

namespace cginit {

sigset_t handledSignals() {
  sigset_t mask;
  sigfillset(&mask);
  for (int sig : {SIGKILL, SIGSTOP, SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS}) {
    sigdelset(&mask, sig);
  }
  return mask;
}

Status blockSignals(const sigset_t& mask) {
  if (::sigprocmask(SIG_BLOCK, &mask, nullptr) < 0) {
    return sysError("sigprocmask");
  }
  return {};
}

void resetSignalsForExec() {
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig != SIGKILL && sig != SIGSTOP) {
      // EINVAL for the signals glibc reserves (32, 33) is expected and harmless.
      ::sigaction(sig, &dfl, nullptr);
    }
  }
  sigset_t empty;
  sigemptyset(&empty);
  ::sigprocmask(SIG_SETMASK, &empty, nullptr);
}

Result<SignalFd> SignalFd::open(const sigset_t& mask) {
  UniqueFd fd(::signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!fd) {
    return sysError("signalfd");
  }
  return SignalFd(std::move(fd));
}

Result<std::optional<signalfd_siginfo>> SignalFd::read() {
  signalfd_siginfo info;
  for (;;) {
    const ssize_t n = ::read(fd_.get(), &info, sizeof info);
    if (n == static_cast<ssize_t>(sizeof info)) {
      return std::optional<signalfd_siginfo>(info);
    }
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0 && errno == EAGAIN) {
      return std::optional<signalfd_siginfo>();
    }
    if (n < 0) {
      return sysError("read", "signalfd");
    }
    return errnoError(EIO, "read", "signalfd (short read)");
  }
}

}  // namespace cginit
