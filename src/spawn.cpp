// SPDX-License-Identifier: MIT
// Starting the program: clone3 (pidfd, straight into a cgroup) with a fork fallback, then exec.
#include "cginit/spawn.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <optional>

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

/// ENOSYS, E2BIG or EINVAL from clone3: the kernel lacks clone3 itself or one of its flags.
bool kernelLacks(const Error& err) {
  return err.code == ENOSYS || err.code == E2BIG || err.code == EINVAL;
}

/// clone3 straight into the cgroup where the kernel can (5.7), else clone3 without it, else fork()
/// (no clone3 before 5.3). When the child does not start inside its cgroup, `goPipe` is set: the
/// child waits on it until the parent has moved it there.
Result<pid_t> cloneChild(int cgroupFd, UniqueFd& pidfd, std::optional<Pipe>& goPipe) {
  if (cgroupFd >= 0) {
    auto r = sys::clone3({.pidfd = true, .cgroupFd = cgroupFd}, pidfd);
    if (r || !kernelLacks(r.error())) {
      return r;
    }
    spdlog::debug("{}; falling back to moving the program into its cgroup", r.error().message);
    auto pipe = makePipe();
    if (!pipe) {
      return std::move(pipe).error();
    }
    goPipe = std::move(*pipe);
  }
  auto r = sys::clone3({.pidfd = true}, pidfd);
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

  auto errPipe = makePipe();
  if (!errPipe) {
    return std::move(errPipe).error();
  }

  SpawnResult result;
  std::optional<Pipe> goPipe;
  auto pid = cloneChild(request.cgroupFd, result.child.pidfd, goPipe);
  if (!pid) {
    return std::move(pid).error();
  }
  if (*pid == 0) {
    childMain(argv.data(), errPipe->write.get(), goPipe ? goPipe->read.get() : -1,
              request.foreground);
  }
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
