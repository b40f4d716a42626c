// SPDX-License-Identifier: MIT
// Blocking the signals cginit handles, and reading them from a signalfd.
#include "cginit/signals.h"

#include <unistd.h>

#include <cerrno>

#include "cginit/sys.h"

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

Status keepChildExitStatus() {
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  if (::sigaction(SIGCHLD, &dfl, nullptr) < 0) {
    return sysError("sigaction", "SIGCHLD");
  }
  return {};
}

void resetSignalsForExec() {
  // cginit installs no handler, so only dispositions inherited as SIG_IGN differ from SIG_DFL.
  // Learning that set first (the SigIgn line of /proc/self/status) measured slower than these
  // ~60 rt_sigaction calls, which are among the cheapest system calls (~0.15 us each).
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

Result<std::span<const signalfd_siginfo>> SignalFd::read(std::span<signalfd_siginfo> buffer) {
  auto n =
      sys::read(fd_.get(), reinterpret_cast<char*>(buffer.data()), buffer.size_bytes(), "signalfd");
  if (!n && n.error().code != EAGAIN) {
    return std::move(n).error();
  }
  // The kernel hands out whole records only.
  const size_t bytes = n ? *n : 0;
  if (bytes % sizeof(signalfd_siginfo) != 0) {
    return errnoError(EIO, "read", "signalfd (short read)");
  }
  return std::span<const signalfd_siginfo>(buffer.first(bytes / sizeof(signalfd_siginfo)));
}

}  // namespace cginit
