// SPDX-License-Identifier: MIT
// Starting the program: vfork, or clone3 straight into a cgroup with a fork fallback; then exec.
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "cginit/result.h"
#include "cginit/signals.h"
#include "cginit/unique_fd.h"

namespace cginit {

struct SpawnRequest {
  std::vector<std::string> argv;
  /// Start the child directly inside this cgroup directory (CLONE_INTO_CGROUP); -1 for none.
  int cgroupFd = -1;
  /// Used when the kernel cannot clone into a cgroup: called in the parent with the child's pid
  /// while the child waits before exec, so the program never runs outside its cgroup.
  std::function<Status(pid_t)> placeInCgroup;
  /// With cgroupFd: start the child in a cgroup namespace of its own rooted at that cgroup
  /// (clone3 CLONE_INTO_CGROUP | CLONE_NEWCGROUP; the fallbacks unshare it once the child is
  /// there, before exec). The vfork path (no cgroup) never makes one.
  bool newCgroupNs = false;
  /// TEST-ONLY: take the fallback of kernels before 5.7 (clone3 without CLONE_INTO_CGROUP, the
  /// child waits until placeInCgroup has moved it) although the kernel could clone into it.
  bool moveAfterClone = false;
  /// Make the child's process group the terminal's foreground group when stdin is a terminal.
  bool foreground = true;
  /// The mask and the ignored signals the program starts with: what cginit was started with.
  SignalState signals = cleanSignalState();
  /// RLIMIT_NOFILE for the program, set before exec: the limit cginit was started with, where
  /// cginit raised its own. Unset: the program inherits cginit's.
  std::optional<rlimit> fileLimit;
};

/// The running program. `pidfd` may be empty on kernels without pidfds.
struct Child {
  pid_t pid = -1;
  UniqueFd pidfd;
};

struct SpawnResult {
  Child child;
  /// The exec errno when the program could not be executed (the child is already reaped then).
  int execErrno = 0;
  /// The child runs in a cgroup namespace of its own (asked for, and cginit was allowed to).
  bool cgroupNs = false;
};

/// Starts the program in its own process group with `request.signals` (the signal state cginit
/// was started with, none of cginit's own) and `request.fileLimit`, and returns once it has
/// exec'd or failed to: vfork() without a cgroup, else clone3 into the cgroup (the exec errno
/// comes back through a close-on-exec pipe). An Error means the clone itself failed.
Result<SpawnResult> spawnProgram(const SpawnRequest& request);

/// 127 for "not found" errnos, 126 for "found but not executable", as shells and tini do.
int exitCodeForExecErrno(int err);

}  // namespace cginit
