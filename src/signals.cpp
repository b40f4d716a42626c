// SPDX-License-Identifier: MIT
// Blocking the signals cginit handles, and reading them from a signalfd.
#include "cginit/signals.h"

#include <unistd.h>

#include <cerrno>

#include "cginit/signal_names.h"
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

SignalState cleanSignalState() {
  SignalState state;
  sigemptyset(&state.blocked);
  sigemptyset(&state.ignored);
  return state;
}

Result<SignalState> currentSignalState() {
  SignalState state = cleanSignalState();
  if (::sigprocmask(SIG_BLOCK, nullptr, &state.blocked) < 0) {
    return sysError("sigprocmask");
  }
  // One rt_sigaction per signal (~0.15 us each) is cheaper than reading SigIgn from
  // /proc/self/status, and needs no /proc.
  for (int sig = 1; sig < NSIG; ++sig) {
    struct sigaction old {};
    // EINVAL for SIGKILL, SIGSTOP and glibc's reserved signals, which no program can ignore
    // through glibc (and whose state the child inherits as it is).
    if (::sigaction(sig, nullptr, &old) == 0 && old.sa_handler == SIG_IGN) {
      sigaddset(&state.ignored, sig);
    }
  }
  return state;
}

Status takeIgnoredSignals(const sigset_t& inherited, const sigset_t& handled) {
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sigismember(&inherited, sig) == 1 && sigismember(&handled, sig) == 1 &&
        ::sigaction(sig, &dfl, nullptr) < 0) {
      return sysError("sigaction", signalName(sig));
    }
  }
  return {};
}

sigset_t signalsToUnblock(const sigset_t& blocked) {
  sigset_t unblock;
  sigfillset(&unblock);
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sigismember(&blocked, sig) == 1) {
      sigdelset(&unblock, sig);
    }
  }
  return unblock;
}

void restoreSignalsForExec(const SignalState& state, const sigset_t& unblock) {
  // Only what cginit changed differs from `state`: it installs no handler, it set the signals
  // it handles that it was started ignoring to SIG_DFL, and it blocked those it handles.
  struct sigaction ign {};
  ign.sa_handler = SIG_IGN;
  sigemptyset(&ign.sa_mask);
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sigismember(&state.ignored, sig) == 1) {
      ::sigaction(sig, &ign, nullptr);
    }
  }
  // Not SIG_SETMASK: glibc takes its reserved signals out of every set it is given, which for
  // SIG_SETMASK would unblock them; with SIG_BLOCK + SIG_UNBLOCK they stay as inherited.
  ::sigprocmask(SIG_BLOCK, &state.blocked, nullptr);
  ::sigprocmask(SIG_UNBLOCK, &unblock, nullptr);
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
