// SPDX-License-Identifier: MIT
// Starting the program: clone3 (pidfd, straight into a cgroup and its own cgroup namespace) with
// a fork fallback, or vfork when there is no cgroup to start in; then exec.
#include "cginit/spawn.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <optional>
#include <string_view>
#include <utility>

#include <spdlog/spdlog.h>

#include "cginit/signals.h"
#include "cginit/sys.h"

namespace cginit {
namespace {

/// Sent by a fallback child whose unshare(CLONE_NEWCGROUP) got EPERM before it goes on to exec
/// (never a negated errno).
constexpr int kNoCgroupNs = INT_MIN;

/// The warning when cginit may not make the program's cgroup namespace.
void warnNoCgroupNs(std::string_view call) {
  spdlog::warn(
      "{}: {}: the program runs without a cgroup namespace of its own (cginit lacks "
      "CAP_SYS_ADMIN), so the kernel lets it change its limits and leave workload/; cginit "
      "undoes each change (limits are only restored, not enforced)",
      call, std::strerror(EPERM));
}

struct Pipe {
  UniqueFd read;
  UniqueFd write;
};

Result<Pipe> makePipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) < 0) {
    return sysError("pipe2");
  }
  return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

/// What the child needs before exec besides its argv, all computed before the clone.
struct ChildSetup {
  bool foreground = true;
  const SignalState* signals = nullptr;
  sigset_t unblock;
  const rlimit* fileLimit = nullptr;
};

/// The child before exec: its own process group, the terminal's foreground group, the open-file
/// limit and the signal state cginit was started with. Only async-signal-safe calls (setrlimit is
/// one system call, prlimit64), no logging, no allocation.
void prepareChild(const ChildSetup& setup) {
  ::setpgid(0, 0);
  if (setup.fileLimit != nullptr) {
    // Lowering a soft limit cannot fail: nothing to report.
    ::setrlimit(RLIMIT_NOFILE, setup.fileLimit);
  }
  // Signals are still blocked here, so tcsetpgrp() from what is now a background group does not
  // stop us with SIGTTOU. Not having a terminal (ENOTTY, ENXIO) is the common case.
  if (setup.foreground && ::isatty(STDIN_FILENO) == 1) {
    ::tcsetpgrp(STDIN_FILENO, ::getpid());
  }
  restoreSignalsForExec(*setup.signals, setup.unblock);
}

/// The child between clone and exec (own copy of memory): the exec errno goes to the parent
/// through `errFd`, a failed unshare(CLONE_NEWCGROUP) as its negated errno. `unshareCgroupNs`:
/// the fallbacks' namespace, made once the parent has placed the child in its cgroup, so that
/// its root is that cgroup (clone3 into the cgroup makes it with CLONE_NEWCGROUP instead).
[[noreturn]] void childMain(char* const* argv, int errFd, int goFd, bool unshareCgroupNs,
                            const ChildSetup& setup) {
  if (goFd >= 0) {
    char go = 0;
    if (sys::readRetry(goFd, &go, 1) != 1) {
      ::_exit(1);  // the parent could not place us in the cgroup: never run outside it
    }
  }
  if (unshareCgroupNs && ::unshare(CLONE_NEWCGROUP) < 0) {
    if (errno == EPERM) {  // no CAP_SYS_ADMIN: as clone3 does, go on without, and say so
      const int note = kNoCgroupNs;
      ssize_t ignored = ::write(errFd, &note, sizeof note);
      (void)ignored;
    } else {
      const int err = -errno;
      ssize_t ignored = ::write(errFd, &err, sizeof err);
      (void)ignored;
      ::_exit(127);
    }
  }
  prepareChild(setup);
  ::execvp(argv[0], argv);
  const int err = errno;
  ssize_t ignored = ::write(errFd, &err, sizeof err);
  (void)ignored;
  ::_exit(127);
}

/// Without a cgroup to start in: vfork(). The child borrows cginit's memory until its exec, and
/// cginit sleeps until then, so no page tables are copied and no page is copied on write for a
/// child that execs at once, and the exec errno comes back through that memory instead of a pipe.
/// Returns the pid and the exec errno (0: the exec succeeded).
std::pair<pid_t, int> vforkExec(char* const* argv, const ChildSetup& setup) {
  volatile int execErrno = 0;  // written by the child only, read once vfork() has returned
  const pid_t pid = ::vfork();
  if (pid == 0) {
    prepareChild(setup);
    ::execvp(argv[0], argv);
    execErrno = errno;
    ::_exit(127);
  }
  return {pid, pid < 0 ? errno : execErrno};
}

/// A pidfd for a child started without CLONE_PIDFD (vfork, fork): it is not reaped yet, so its
/// pid is still its own.
void openPidfd(Child& child) {
  auto fd = sys::pidfdOpen(child.pid);
  if (fd) {
    child.pidfd = std::move(*fd);
  } else {
    spdlog::debug("{}; signalling the program by pid", fd.error().message);
  }
}

/// ENOSYS, E2BIG or EINVAL from clone3: the kernel lacks clone3 itself or one of its flags.
bool kernelLacks(const Error& err) {
  return err.code == ENOSYS || err.code == E2BIG || err.code == EINVAL;
}

/// A child that starts in the cgroup `cgroupFd`: clone3 straight into it where the kernel can
/// (5.7), else clone3 without it, else fork() (no clone3 before 5.3). When the child does not
/// start inside its cgroup, `goPipe` is set: the child waits on it until the parent has moved it
/// there. `newCgroupNs`: with clone3 into the cgroup, CLONE_NEWCGROUP (the kernel roots the
/// namespace at the cgroup the child starts in); cleared when cginit lacks the privilege for it
/// (in the parent and in the child: the caller warns, in the parent only).
Result<pid_t> cloneChild(int cgroupFd, bool& newCgroupNs, bool moveAfterClone, UniqueFd& pidfd,
                         std::optional<Pipe>& goPipe) {
  Result<pid_t> r =
      moveAfterClone
          ? Result<pid_t>(Error{ENOSYS, "clone3: the fallback was asked for"})
          : sys::clone3({.pidfd = true, .cgroupFd = cgroupFd, .newCgroupNs = newCgroupNs}, pidfd);
  if (!r && newCgroupNs && r.error().code == EPERM) {
    r = sys::clone3({.pidfd = true, .cgroupFd = cgroupFd}, pidfd);
    // No warning here: the child returns from this clone too, and must not log.
    if (r) {
      newCgroupNs = false;
    }
  }
  if (r || !kernelLacks(r.error())) {
    return r;
  }
  spdlog::debug("{}; falling back to moving the program into its cgroup", r.error().message);
  auto pipe = makePipe();
  if (!pipe) {
    return std::move(pipe).error();
  }
  goPipe = std::move(*pipe);
  r = sys::clone3({.pidfd = true}, pidfd);
  if (r || !kernelLacks(r.error())) {
    return r;
  }
  const pid_t pid = ::fork();
  if (pid < 0) {
    return sysError("fork");
  }
  return pid;
}

}  // namespace

int exitCodeForExecErrno(int err) {
  return (err == ENOENT || err == ENOTDIR || err == ENAMETOOLONG || err == ELOOP) ? 127 : 126;
}

Result<SpawnResult> spawnProgram(const SpawnRequest& request) {
  std::vector<char*> argv;
  argv.reserve(request.argv.size() + 1);
  for (const std::string& arg : request.argv) {
    argv.push_back(const_cast<char*>(arg.c_str()));
  }
  argv.push_back(nullptr);
  const ChildSetup setup{.foreground = request.foreground,
                         .signals = &request.signals,
                         .unblock = signalsToUnblock(request.signals.blocked),
                         .fileLimit = request.fileLimit ? &*request.fileLimit : nullptr};

  SpawnResult result;
  if (request.cgroupFd < 0) {
    const auto [pid, err] = vforkExec(argv.data(), setup);
    if (pid < 0) {
      return errnoError(err, "vfork");
    }
    result.child.pid = pid;
    if (err != 0) {
      result.execErrno = err;
      ::waitpid(pid, nullptr, 0);
      return result;
    }
    openPidfd(result.child);
    return result;
  }

  auto errPipe = makePipe();
  if (!errPipe) {
    return std::move(errPipe).error();
  }

  std::optional<Pipe> goPipe;
  bool newCgroupNs = request.newCgroupNs;
  auto pid =
      cloneChild(request.cgroupFd, newCgroupNs, request.moveAfterClone, result.child.pidfd, goPipe);
  if (!pid) {
    return std::move(pid).error();
  }
  if (*pid == 0) {
    childMain(argv.data(), errPipe->write.get(), goPipe ? goPipe->read.get() : -1,
              goPipe && newCgroupNs, setup);
  }
  if (request.newCgroupNs && !newCgroupNs) {
    warnNoCgroupNs("clone3(CLONE_NEWCGROUP)");
  }
  result.cgroupNs = newCgroupNs;
  result.child.pid = *pid;
  errPipe->write.reset();
  // No setpgid() from here as well: the child makes its own group before it execs, and the
  // read below returns only after its exec (or its failure), so no group signal can come first.

  if (goPipe) {
    goPipe->read.reset();
    Status st = request.placeInCgroup ? request.placeInCgroup(*pid)
                                      : Status(Error{0, "no way to place the program"});
    if (st) {
      st = sys::writeAll(goPipe->write.get(), "g");
    }
    goPipe.reset();
    if (!st) {  // the child is still waiting for its "g": it never runs outside its cgroup
      ::kill(*pid, SIGKILL);
      ::waitpid(*pid, nullptr, 0);
      return std::move(st).error().context("moving the program into its cgroup");
    }
  }

  int err = 0;
  ssize_t n = sys::readRetry(errPipe->read.get(), &err, sizeof err);
  if (n == static_cast<ssize_t>(sizeof err) && err == kNoCgroupNs) {
    warnNoCgroupNs("unshare(CLONE_NEWCGROUP)");
    result.cgroupNs = false;
    n = sys::readRetry(errPipe->read.get(), &err, sizeof err);
  }
  if (n == static_cast<ssize_t>(sizeof err)) {
    ::waitpid(*pid, nullptr, 0);
    result.child.pidfd.reset();
    if (err < 0) {
      return errnoError(-err, "unshare(CLONE_NEWCGROUP)")
          .context("starting the program in a cgroup namespace");
    }
    result.execErrno = err;
    return result;
  }
  if (!result.child.pidfd) {
    openPidfd(result.child);
  }
  return result;
}

}  // namespace cginit
