// SPDX-License-Identifier: MIT
// The only place with raw syscall() and EINTR loops: clone3, pidfds, whole-file reads and writes,
// epoll_wait, waitpid.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "cginit/result.h"
#include "cginit/unique_fd.h"

struct epoll_event;

namespace cginit::sys {

/// Arguments for clone3(); only what spawn needs.
struct CloneArgs {
  bool pidfd = false;        // CLONE_PIDFD
  int cgroupFd = -1;         // CLONE_INTO_CGROUP when >= 0
  bool newCgroupNs = false;  // CLONE_NEWCGROUP: rooted at the child's cgroup (cgroupFd's)
};

/// clone3() as a fork: returns 0 in the child, the child's pid in the parent. `pidfdOut` receives
/// the pidfd when requested. ENOSYS, E2BIG or EINVAL mean the kernel lacks clone3 or a flag.
Result<pid_t> clone3(const CloneArgs& args, UniqueFd& pidfdOut);

/// pidfd_open(2). ENOSYS on kernels before 5.3.
Result<UniqueFd> pidfdOpen(pid_t pid);

/// pidfd_send_signal(2). ESRCH when the process has exited (still a value to the caller).
Status pidfdSendSignal(int pidfd, int signo);

/// kill(2) as a Status: "kill PID: errno text". ESRCH (already gone) is an Error the caller
/// usually treats as a value.
Status kill(pid_t pid, int signo);

/// Whether cginit has any child left, exited or not, without reaping one (waitid WNOWAIT).
Result<bool> anyChildLeft();

// The cgroup layer's file system calls. Each consults the test fault plan (fault.h) once and
// otherwise behaves like the system call it wraps: -1 (or false) with errno set on failure.

/// openat(dirfd, name, flags | O_CLOEXEC) (FaultOp::Open).
int openAt(int dirfd, const std::string& name, int flags);
/// mkdirat(dirfd, name, 0755) (FaultOp::Mkdir).
int mkdirAt(int dirfd, const std::string& name);
/// unlinkat(dirfd, name, AT_REMOVEDIR) (FaultOp::Rmdir).
int rmdirAt(int dirfd, const std::string& name);
/// faccessat(dirfd, name, F_OK) == 0 (FaultOp::Access).
bool existsAt(int dirfd, const std::string& name);
/// pread(2) retrying EINTR (FaultOp::Read on the fd itself).
ssize_t preadFd(int fd, void* buf, size_t size, off_t offset);
/// poll(2) for POLLPRI on one fd; EINTR counts as a wake-up (returns 0).
int pollPri(int fd, int timeoutMs);

/// Reads a whole (small) file relative to `dirfd` (AT_FDCWD for a path), retrying EINTR.
Result<std::string> readFileAt(int dirfd, const std::string& name);

/// Writes `value` to an existing file relative to `dirfd` in one write(2), as cgroupfs expects.
Status writeFileAt(int dirfd, const std::string& name, std::string_view value);

/// Writes all of `data` to `fd`, retrying EINTR and short writes.
Status writeAll(int fd, std::string_view data);

/// read(2) retrying EINTR: the byte count, 0 at the end. `name` is for the message
/// ("read NAME: errno text").
Result<size_t> read(int fd, char* buffer, size_t size, std::string_view name = {});

/// read(2) retrying EINTR, as the system call: the byte count, or -1 with errno set. Allocates
/// nothing and consults no fault plan, so the child between clone and exec may call it.
ssize_t readRetry(int fd, void* buffer, size_t size);

/// epoll_wait(2) retrying EINTR (timeout in ms, -1: none): the event count, or -1 with errno set.
int epollWait(int epfd, epoll_event* events, int maxEvents, int timeoutMs);

/// waitpid(-1, status, WNOHANG) retrying EINTR: as the system call (0 while children are left
/// that have not exited, -1 with ECHILD when none is left).
pid_t waitAnyNoHang(int* status);

}  // namespace cginit::sys
