// SPDX-License-Identifier: MIT
// Starting the program: clone3 (pidfd, straight into a cgroup) with a fork fallback, then exec.
#include "cginit/spawn.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include <spdlog/spdlog.h>

#include "cginit/signals.h"
#include "cginit/sys.h"

namespace cginit {
namespace {

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

/// The child between clone and exec: only async-signal-safe calls, no logging, no allocation.
[[noreturn]] void childMain(char* const* argv, int errFd, int goFd, bool foreground) {
  if (goFd >= 0) {
    char go = 0;
    ssize_t n;
    do {
      n = ::read(goFd, &go, 1);
    } while (n < 0 && errno == EINTR);
    if (n != 1) {
      ::_exit(1);  // the parent could not place us in the cgroup: never run outside it
    }
  }
  ::setpgid(0, 0);
  // Signals are still blocked here, so tcsetpgrp() from what is now a background group does not
  // stop us with SIGTTOU. Not having a terminal (ENOTTY, ENXIO) is the common case.
  if (foreground && ::isatty(STDIN_FILENO) == 1) {
    ::tcsetpgrp(STDIN_FILENO, ::getpid());
  }
  resetSignalsForExec();
  ::execvp(argv[0], argv);
  const int err = errno;
  ssize_t ignored = ::write(errFd, &err, sizeof err);
  (void)ignored;
  ::_exit(127);
}

/// clone3 with the flags we can get, falling back step by step: without CLONE_INTO_CGROUP
/// (kernels before 5.7), then plain fork() (no clone3 before 5.3). `placed` says whether the
/// child starts inside the cgroup already.
Result<pid_t> cloneChild(int cgroupFd, UniqueFd& pidfd, bool& placed) {
  placed = false;
  if (cgroupFd >= 0) {
    auto r = sys::clone3({.pidfd = true, .cgroupFd = cgroupFd}, pidfd);
    if (r) {
      placed = true;
      return r;
    }
    if (r.error().code != ENOSYS && r.error().code != E2BIG && r.error().code != EINVAL) {
      return std::move(r).error();
    }
    spdlog::debug("{}; falling back to moving the program into its cgroup", r.error().message);
  }
  auto r = sys::clone3({.pidfd = true}, pidfd);
  if (r || (r.error().code != ENOSYS && r.error().code != E2BIG && r.error().code != EINVAL)) {
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

  auto errPipe = makePipe();
  if (!errPipe) {
    return std::move(errPipe).error();
  }
  // Created up front: the fallback decision is made after the clone, in the parent.
  auto goPipe = makePipe();
  if (!goPipe) {
    return std::move(goPipe).error();
  }

  SpawnResult result;
  bool placed = false;
  auto pid = cloneChild(request.cgroupFd, result.child.pidfd, placed);
  if (!pid) {
    return std::move(pid).error();
  }
  const bool mustPlace = request.cgroupFd >= 0 && !placed;
  if (*pid == 0) {
    childMain(argv.data(), errPipe->write.get(), mustPlace ? goPipe->read.get() : -1,
              request.foreground);
  }
  result.child.pid = *pid;
  errPipe->write.reset();
  goPipe->read.reset();
  // Also from the parent, so that group signals work before the child has run (shell practice).
  // EACCES (the child already exec'd) and ESRCH are harmless.
  ::setpgid(*pid, *pid);

  if (mustPlace) {
    Status st = request.placeInCgroup ? request.placeInCgroup(*pid)
                                      : Status(Error{0, "no way to place the program"});
    if (!st) {
      ::kill(*pid, SIGKILL);
      ::waitpid(*pid, nullptr, 0);
      return std::move(st).error().context("moving the program into its cgroup");
    }
    if (auto w = sys::writeAll(goPipe->write.get(), "g"); !w) {
      ::kill(*pid, SIGKILL);
      ::waitpid(*pid, nullptr, 0);
      return std::move(w).error();
    }
  }
  goPipe->write.reset();

  int err = 0;
  ssize_t n;
  do {
    n = ::read(errPipe->read.get(), &err, sizeof err);
  } while (n < 0 && errno == EINTR);
  if (n == static_cast<ssize_t>(sizeof err)) {
    result.execErrno = err;
    ::waitpid(*pid, nullptr, 0);
    result.child.pidfd.reset();
    return result;
  }
  if (!result.child.pidfd) {
    auto fd = sys::pidfdOpen(*pid);
    if (fd) {
      result.child.pidfd = std::move(*fd);
    } else {
      spdlog::debug("{}; watching the program through SIGCHLD only", fd.error().message);
    }
  }
  return result;
}

}  // namespace cginit
