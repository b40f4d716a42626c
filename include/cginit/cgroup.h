// SPDX-License-Identifier: MIT
// A cgroup v2 directory (Cgroup) and the init/ + workload/ subtree cginit manages (CgroupTree).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
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
  Result<std::map<std::string, uint64_t>> readKeyValues(const std::string& file) const;

  /// Processes (thread-group ids) directly in this cgroup. Processes of other PID namespaces
  /// (listed as 0) are left out and counted in `*outside` when that is given.
  Result<std::vector<pid_t>> procs(size_t* outside = nullptr) const;
  /// Processes in this cgroup and every cgroup below it.
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

/// What CgroupTree::setup() is asked to do; plain values, no Options.
struct CgroupRequest {
  bool required = false;  // CgroupMode::Required: any problem is an Error; Auto: warn once, nullopt
  std::optional<std::string> pidsMax;  // "64" or "max"; written to workload/pids.max
  std::vector<std::pair<std::string, std::string>> limits;  // file, value -> workload/
  std::string procSelfCgroup = "/proc/self/cgroup";         // injectable for tests
  std::string mountinfo = "/proc/self/mountinfo";
};

/// The subtree cginit manages: <root>/init (cginit itself and processes found in <root>) and
/// <root>/workload (the program and its descendants, with pids.max and limits). Move-only; its
/// destructor only closes fds: remove() is an explicit step with visible effects.
class CgroupTree {
 public:
  /// Discovers cginit's own cgroup and the cgroup2 mount, checks that it is not the hierarchy
  /// root and is writable, then does what setupAt() does. In Auto mode any reason not to manage
  /// (read-only cgroupfs, cgroup v1 only, no cgroup2, hierarchy root, not writable, a failed step)
  /// is one warning and std::nullopt, after undoing anything half-done; in Required mode it is an
  /// Error with `usage` set (exit 2).
  static Result<std::optional<CgroupTree>> setup(const CgroupRequest& request);

  /// The same, rooted at an already open directory: creates init/ and workload/, moves every
  /// process of <root> into init/ (until <root>/cgroup.procs is empty), only then enables +pids
  /// and the controllers the limits need, then writes pids.max and the limits into workload/.
  /// A controller missing from <root>/cgroup.controllers is a warning naming it in Auto mode
  /// (that limit is skipped) and an Error in Required mode.
  static Result<std::optional<CgroupTree>> setupAt(UniqueFd rootDir, std::string displayPath,
                                                   const CgroupRequest& request);

  CgroupTree(CgroupTree&&) noexcept = default;
  CgroupTree& operator=(CgroupTree&&) noexcept = default;
  CgroupTree(const CgroupTree&) = delete;
  CgroupTree& operator=(const CgroupTree&) = delete;
  ~CgroupTree() = default;

  /// The workload/ dirfd, for clone3(CLONE_INTO_CGROUP). Borrowed.
  int workloadDirFd() const { return workload_.fd(); }
  /// The filesystem path of workload/ (for the report and messages).
  std::string workloadPath() const { return workload_.path(); }
  /// The filesystem path of <root>.
  const std::string& rootPath() const { return root_.path(); }
  /// The pids.max value written into workload/, empty when none was (not asked or not applied).
  const std::optional<std::string>& pidsMaxWritten() const { return pidsMaxWritten_; }
  /// The controllers this tree enabled in <root>/cgroup.subtree_control.
  const std::vector<std::string>& enabledControllers() const { return enabled_; }

  /// Moves `pid` into workload/: the fallback when clone3 lacks CLONE_INTO_CGROUP (the child
  /// waits until it has been moved before it execs).
  Status movePidToWorkload(pid_t pid);
  /// Every process in workload/ and the cgroups below it; none when workload/ has vanished.
  Result<std::vector<pid_t>> workloadPids() const;
  /// Freezes workload/ (where cgroup.freeze exists) so that nothing forks past the signal,
  /// sends `signo` (then SIGCONT when `thenContinue` is set) to each process, thaws. ESRCH is
  /// ignored. Returns how many were signalled: 0 without any freeze when workloadPopulated()
  /// says that workload/ is empty.
  Result<size_t> signalWorkload(int signo, bool thenContinue = false);
  /// Writes "1" to workload/cgroup.kill; without cgroup.kill, SIGKILLs every process (frozen
  /// where possible) until workload/ is empty, for at most about a second. Success when
  /// workload/ has vanished.
  Status killWorkload();

  /// An fd on workload/cgroup.events for epoll EPOLLPRI. Borrowed. The event stays pending until
  /// the file is read through this fd: call workloadPopulated() after each wake-up.
  int workloadEventsFd() const { return eventsFd_.get(); }
  /// "populated" of workload/cgroup.events, read through workloadEventsFd() (re-arms EPOLLPRI).
  /// False when workload/ has vanished (ENODEV): the kernel removes only an empty cgroup. Such an
  /// fd stays EPOLLPRI|EPOLLERR-ready for good, so a caller must stop watching it then.
  Result<bool> workloadPopulated() const;
  /// An fd on workload/pids.events (EPOLLPRI), -1 when the pids controller is not enabled.
  int pidsEventsFd() const { return pidsEventsFd_.get(); }
  /// The "max" counter of workload/pids.events (forks refused at pids.max), read through
  /// pidsEventsFd() (re-arms EPOLLPRI); 0 when the pids controller is not enabled.
  Result<uint64_t> pidsMaxEvents() const;
  /// workload/pids.peak, where the kernel has it (Linux 6.1+ with pids enabled).
  Result<std::optional<uint64_t>> pidsPeak() const;
  /// The "oom_kill" counter of workload/memory.events, where the memory controller is enabled.
  Result<std::optional<uint64_t>> oomKills() const;

  /// Moves processes that joined later into workload/: those in init/ other than cginit itself
  /// (`docker exec` lands there) and any in <root>. Never cginit's ancestors (a tracer or shell
  /// that started it), PID 1 or the processes that were in <root> at setup (selectStrangers()).
  /// ESRCH and a vanished init/ are not errors.
  Status adoptStrangers();

  /// Removes workload/ (and cgroups below it) once it is empty, then disables the controllers
  /// this tree enabled, moves cginit (and whatever else is in init/) back to <root> and removes
  /// init/. Goes on after a failure and returns the first one. A vanished cgroup is success.
  Status remove();

 private:
  CgroupTree() = default;

  Cgroup root_;
  Cgroup init_;
  Cgroup workload_;
  UniqueFd eventsFd_;
  UniqueFd pidsEventsFd_;
  std::vector<std::string> enabled_;
  /// <root>/cgroup.controllers at setup: what workload/ can have interface files for.
  std::vector<std::string> available_;
  pid_t self_ = 0;  // cginit's pid, read once
  /// <root>/cgroup.subtree_control is not empty (seen or written at setup): the kernel keeps
  /// processes out of <root> then.
  bool rootHasControllers_ = false;
  /// Processes found in <root> at setup and moved into init/ with cginit (its parent, when it is
  /// not PID 1): they stay there. Only later arrivals are strangers that drain moves to workload/.
  std::vector<pid_t> residents_;
  std::optional<std::string> pidsMaxWritten_;
  bool createdInit_ = false;
  bool createdWorkload_ = false;

  /// The steps of setupAt() after root_ is set; records what it did so teardown() can undo it.
  Status build(const CgroupRequest& request);
  /// Moves every process of <root> into init/ until <root> is empty (bounded).
  Status moveRootToInit();
  /// Enables in <root>/cgroup.subtree_control those of `wanted` that are not on yet.
  Status enableControllers(const std::vector<std::string>& wanted);
  /// Undoes build(): the work of remove(), also for a half-built tree.
  Status teardown();
};

/// Of the processes `found` in init/ or <root>, those that drain may move into workload/: not
/// `self`, not PID 1 (cginit itself, or an init of its own when cginit is not PID 1), none of
/// `keep` (cginit's ancestors, the processes found in <root> at setup). Pure.
std::vector<pid_t> selectStrangers(const std::vector<pid_t>& found, pid_t self,
                                   const std::vector<pid_t>& keep);

/// The parent pid in the text of /proc/PID/stat (the field after "(comm) state"); nullopt when
/// the text is malformed. Pure.
std::optional<pid_t> parseStatParent(std::string_view stat);

/// The parent of `pid`, its parent, and so on, as this PID namespace sees them (from getppid()
/// for cginit itself, else /proc/PID/stat), up to PID 1 or a parent outside the namespace.
/// Best effort: ends early where /proc cannot be read.
std::vector<pid_t> ancestorsOf(pid_t pid);

/// Reads an open cgroup key/value file (*.events) from offset 0 through `fd`; reading through the
/// fd that epoll watches is what re-arms its EPOLLPRI.
Result<std::map<std::string, uint64_t>> readKeyValuesFd(int fd);

}  // namespace cginit
