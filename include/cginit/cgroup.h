// SPDX-License-Identifier: MIT
// A cgroup v2 directory: Cgroup, every operation openat-relative to its dirfd.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cginit/result.h"
#include "cginit/unique_fd.h"

namespace cginit {

/// An open cgroup2 directory: an O_DIRECTORY|O_CLOEXEC dirfd plus the path used in messages.
/// Every operation is openat-relative to the dirfd, so a renamed or unmounted path does not
/// matter and tests can use any directory as a cgroup. Move-only.
class Cgroup {
 public:
  Cgroup() = default;
  Cgroup(UniqueFd dir, std::string path) : dir_(std::move(dir)), path_(std::move(path)) {}

  /// Opens the directory at `path` (absolute, or relative to the working directory).
  static Result<Cgroup> open(const std::string& path);

  int fd() const { return dir_.get(); }
  const std::string& path() const { return path_; }
  explicit operator bool() const { return static_cast<bool>(dir_); }

  /// Opens child cgroup `name`, creating it first when `create` is set (an existing one is
  /// reused; `created` tells which happened).
  Result<Cgroup> child(const std::string& name, bool create = false, bool* created = nullptr) const;
  /// Names of the child cgroups (subdirectories).
  Result<std::vector<std::string>> children() const;
  /// Opens the cgroup at `relative` ("a/b/c") below this one, at any depth: a path too long for
  /// one openat is opened in steps, holding at most two fds at a time.
  Result<Cgroup> descendant(const std::string& relative) const;
  /// Every cgroup below this one, as paths relative to it, each parent before its children
  /// (reversed: children first, the order of removal). No depth limit: an iterative walk that
  /// holds one directory fd at a time besides this one. A cgroup that cannot be listed is
  /// still named (logged at debug level); one removed meanwhile is left out.
  std::vector<std::string> descendants() const;
  /// Removes child cgroup `name` and, depth first, the cgroups below it. EBUSY (a process still
  /// exiting) is retried for about `busyWait`; a missing cgroup is success.
  Status removeChild(const std::string& name,
                     std::chrono::milliseconds busyWait = std::chrono::milliseconds(200)) const;

  bool hasFile(const std::string& file) const;
  Result<std::string> read(const std::string& file) const;
  /// Writes `value` in one write(2), as cgroupfs expects.
  Status write(const std::string& file, std::string_view value) const;
  /// Opens `file` read-only (for epoll EPOLLPRI on *.events).
  Result<UniqueFd> openFile(const std::string& file) const;

  /// Processes (thread-group ids) directly in this cgroup. Processes of other PID namespaces
  /// (listed as 0) are left out and counted in `*outside` when that is given.
  Result<std::vector<pid_t>> procs(size_t* outside = nullptr) const;
  /// procs(), and for a threaded cgroup (whose cgroup.procs cannot be read: EOPNOTSUPP) the
  /// processes of the threads in cgroup.threads (their Tgid).
  Result<std::vector<pid_t>> members() const;
  /// Processes in this cgroup and every cgroup below it, at any depth, each once. An Error only
  /// when this cgroup itself cannot be read: one cgroup below that cannot be listed (logged at
  /// debug level) never costs the others their place in the list.
  Result<std::vector<pid_t>> procsRecursive() const;
  /// Moves process `pid` into this cgroup. ESRCH (already gone) comes back as an Error.
  Status moveProc(pid_t pid) const;

  /// cgroup.controllers: what this cgroup may enable for its children.
  Result<std::vector<std::string>> controllers() const;
  /// cgroup.subtree_control: what is enabled for its children.
  Result<std::vector<std::string>> subtreeControl() const;
  /// Writes "+a +b" (enable) or "-a -b" to cgroup.subtree_control in one write.
  Status setControllers(const std::vector<std::string>& names, bool enable) const;

  /// Writes "1" to cgroup.kill (ENOENT before Linux 5.14).
  Status kill() const;
  /// Writes cgroup.freeze and, when freezing, waits up to `wait` for "frozen 1" in
  /// cgroup.events. An Error only when the write failed (so the cgroup is not freezing); false
  /// when the freeze did not complete in time or could not be watched.
  Result<bool> freeze(bool frozen,
                      std::chrono::milliseconds wait = std::chrono::milliseconds(500)) const;
  /// Waits until cgroup.events has `key` == `value` or `timeout` passes (epoll on EPOLLPRI,
  /// no polling loop). Returns whether it did.
  Result<bool> waitForEvent(const std::string& key, uint64_t value,
                            std::chrono::milliseconds timeout) const;

 private:
  UniqueFd dir_;
  std::string path_;
};

/// ENOENT (the directory is gone) or ENODEV (a file opened before its cgroup was removed): the
/// cgroup has vanished, and the kernel removes a cgroup only once it holds no process.
bool isGone(const Error& error);

/// Reads an open cgroup.procs from offset 0 through `fd` (sorted pids; processes of other PID
/// namespaces left out): a list that needs no new fd, for when none can be opened.
Result<std::vector<pid_t>> readPidsFd(int fd);

/// Reads an open cgroup key/value file (*.events) from offset 0 through `fd`; reading through the
/// fd that epoll watches is what re-arms its EPOLLPRI.
Result<std::map<std::string, uint64_t>> readKeyValuesFd(int fd);

}  // namespace cginit
