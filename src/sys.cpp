// SPDX-License-Identifier: MIT
// The only place with raw syscall() and EINTR loops: clone3, pidfds, whole-file reads and writes.
#include "cginit/sys.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <linux/sched.h>

#include "cginit/fault.h"

namespace cginit::sys {

Result<pid_t> clone3(const CloneArgs& args, UniqueFd& pidfdOut) {
  struct clone_args ca;
  std::memset(&ca, 0, sizeof ca);
  int pidfd = -1;
  ca.exit_signal = SIGCHLD;
  if (args.pidfd) {
    ca.flags |= CLONE_PIDFD;
    ca.pidfd = static_cast<__u64>(reinterpret_cast<uintptr_t>(&pidfd));
  }
  if (args.cgroupFd >= 0) {
    ca.flags |= CLONE_INTO_CGROUP;
    ca.cgroup = static_cast<__u64>(static_cast<unsigned>(args.cgroupFd));
  }
  if (args.newCgroupNs) {
    ca.flags |= CLONE_NEWCGROUP;
  }
  const long ret = ::syscall(SYS_clone3, &ca, sizeof ca);
  if (ret < 0) {
    return sysError("clone3");
  }
  if (ret == 0) {
    return pid_t{0};
  }
  pidfdOut.reset(pidfd);
  return static_cast<pid_t>(ret);
}

Result<UniqueFd> pidfdOpen(pid_t pid) {
  const long fd = ::syscall(SYS_pidfd_open, pid, 0);
  if (fd < 0) {
    return sysError("pidfd_open", std::to_string(pid));
  }
  return UniqueFd(static_cast<int>(fd));
}

Status pidfdSendSignal(int pidfd, int signo) {
  if (::syscall(SYS_pidfd_send_signal, pidfd, signo, nullptr, 0) < 0) {
    return sysError("pidfd_send_signal");
  }
  return {};
}

Status kill(pid_t pid, int signo) {
  if (::kill(pid, signo) < 0) {
    return sysError("kill", std::to_string(pid));
  }
  return {};
}

Result<bool> anyChildLeft() {
  for (;;) {
    siginfo_t info{};
    if (::waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) == 0) {
      return true;
    }
    if (errno == ECHILD) {
      return false;
    }
    if (errno != EINTR) {
      return sysError("waitid");
    }
  }
}

int openAt(int dirfd, const std::string& name, int flags) {
  return injectFault(FaultOp::Open, dirfd, name) ? -1
                                                 : ::openat(dirfd, name.c_str(), flags | O_CLOEXEC);
}

int mkdirAt(int dirfd, const std::string& name) {
  return injectFault(FaultOp::Mkdir, dirfd, name) ? -1 : ::mkdirat(dirfd, name.c_str(), 0755);
}

int rmdirAt(int dirfd, const std::string& name) {
  return injectFault(FaultOp::Rmdir, dirfd, name) ? -1
                                                  : ::unlinkat(dirfd, name.c_str(), AT_REMOVEDIR);
}

bool existsAt(int dirfd, const std::string& name) {
  return !injectFault(FaultOp::Access, dirfd, name) &&
         ::faccessat(dirfd, name.c_str(), F_OK, 0) == 0;
}

ssize_t preadFd(int fd, void* buf, size_t size, off_t offset) {
  ssize_t n;
  do {
    // Inside the loop: an injected EINTR is retried like a real one.
    n = injectFault(FaultOp::Read, fd, {}) ? -1 : ::pread(fd, buf, size, offset);
  } while (n < 0 && errno == EINTR);
  return n;
}

int pollPri(int fd, int timeoutMs) {
  pollfd pfd{fd, POLLPRI, 0};
  const int n = ::poll(&pfd, 1, timeoutMs);
  return n < 0 && errno == EINTR ? 0 : n;
}

Result<std::string> readFileAt(int dirfd, const std::string& name) {
  UniqueFd fd(openAt(dirfd, name, O_RDONLY | O_NOCTTY));
  if (!fd) {
    return sysError("open", name);
  }
  std::string out;
  char buf[4096];
  for (;;) {
    const ssize_t n =
        injectFault(FaultOp::Read, dirfd, name) ? -1 : ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return sysError("read", name);
    }
    if (n == 0) {
      break;
    }
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

Status writeFileAt(int dirfd, const std::string& name, std::string_view value) {
  UniqueFd fd(openAt(dirfd, name, O_WRONLY | O_NOCTTY));
  if (!fd) {
    return sysError("open", name);
  }
  ssize_t n;
  do {
    n = injectFault(FaultOp::Write, dirfd, name) ? -1
                                                 : ::write(fd.get(), value.data(), value.size());
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    return sysError("write", name);
  }
  if (static_cast<size_t>(n) != value.size()) {
    return errnoError(EIO, "short write", name);
  }
  return {};
}

Status writeAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return sysError("write");
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

Result<size_t> read(int fd, char* buffer, size_t size, std::string_view name) {
  for (;;) {
    const ssize_t n = ::read(fd, buffer, size);
    if (n >= 0) {
      return static_cast<size_t>(n);
    }
    if (errno != EINTR) {
      return sysError("read", name);
    }
  }
}

ssize_t readRetry(int fd, void* buffer, size_t size) {
  ssize_t n;
  do {
    n = ::read(fd, buffer, size);
  } while (n < 0 && errno == EINTR);
  return n;
}

int epollWait(int epfd, epoll_event* events, int maxEvents, int timeoutMs) {
  int n;
  do {
    n = ::epoll_wait(epfd, events, maxEvents, timeoutMs);
  } while (n < 0 && errno == EINTR);
  return n;
}

pid_t waitAnyNoHang(int* status) {
  pid_t pid;
  do {
    pid = ::waitpid(-1, status, WNOHANG);
  } while (pid < 0 && errno == EINTR);
  return pid;
}

}  // namespace cginit::sys
