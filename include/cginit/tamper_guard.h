// SPDX-License-Identifier: MIT
// TamperGuard: where the kernel cannot refuse the workload, undoes its changes to what cginit set.
#pragma once

#include <sys/types.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cginit/cgroup.h"
#include "cginit/cgroup_tree.h"
#include "cginit/result.h"
#include "cginit/unique_fd.h"

namespace cginit {

/// Where a process found outside workload/ comes from, by its chain of parents as cginit's PID
/// namespace sees it.
enum class Origin {
  Workload,     // the chain reaches cginit: the program or a descendant (orphans included)
  ExecSession,  // the chain ends at a process whose parent is outside the namespace (PPid 0):
                // `docker exec`, `kubectl exec`, and what such a session started
  Other,        // the chain ends at the namespace's PID 1, which is not cginit (cginit -s)
};

/// The origin of `pid` from `ancestors`, its parents nearest first up to the one whose PPid is 0
/// (ancestorsOf(pid)), and cginit's pid `self`. Pure.
Origin originOf(pid_t pid, const std::vector<pid_t>& ancestors, pid_t self);

/// How many cgroups made beside workload/ the guard follows at once (two inotify watches each);
/// more are drained at stop like any other.
inline constexpr size_t kMaxFollowedCgroups = 16;

/// The answer to tampering where the kernel cannot refuse it: no cgroup namespace for the
/// program (cginit lacks CAP_SYS_ADMIN, or --workload-cgroupns=false) or no nsdelegate. One
/// inotify fd (IN_NONBLOCK, close-on-exec), watched by the event loop with EPOLLIN while the
/// program runs, holds a fixed number of watches:
///   - IN_MODIFY of each limit file setup wrote (CgroupTree::limitsWritten()): a content that
///     differs from what the kernel showed after cginit's write gets cginit's value back;
///   - IN_CREATE of <root>: a cgroup made beside workload/ is followed (its cgroup.procs, and its
///     cgroup.events, which changes when any cgroup below it gets its first process), at most
///     kMaxFollowedCgroups at a time;
///   - IN_MODIFY of cgroup.procs of <root> and init/ (a move is a write there);
///   - IN_MODIFY of <root>/cgroup.subtree_control: a controller disabled there (which removes
///     workload/'s limit files with it) is enabled again and the limits are written anew.
/// A process found in init/, <root> or a followed cgroup that came from the workload (originOf)
/// is moved back into workload/; exec sessions stay where they are, and so do cginit, PID 1,
/// cginit's ancestors and the residents of <root> at setup. Each undone change is counted, and
/// a warning names the file or process, at most one a second. Nothing wakes it but an event.
class TamperGuard {
 public:
  /// Sets up the watches on `tree`, which must outlive the guard. An Error when the inotify fd
  /// cannot be made; a watch that cannot be added is a warning naming the file.
  static Result<std::unique_ptr<TamperGuard>> create(const CgroupTree& tree);

  TamperGuard(const TamperGuard&) = delete;
  TamperGuard& operator=(const TamperGuard&) = delete;
  ~TamperGuard();

  /// The inotify fd, for the event loop (EPOLLIN). Borrowed.
  int fd() const { return fd_.get(); }
  /// Reads every queued event and answers them. False once the guard is stopped or the fd
  /// broke: the caller stops watching it then.
  bool onEvent();
  /// The drain began: the drain moves strangers itself, so events are only read from now on.
  void stop() { stopped_ = true; }
  /// Changes undone so far: limits written back plus processes moved back into workload/.
  uint64_t tampered() const { return tampered_; }

 private:
  TamperGuard(const CgroupTree& tree, UniqueFd fd);

  struct Limit {
    const CgroupTree::WrittenLimit* written;
    int wd = -1;
    bool gone = false;  // cannot be read any more (warned once)
  };
  struct Followed {
    std::string name;
    Cgroup cgroup;
    int procsWd = -1;
    int eventsWd = -1;
  };

  int addWatch(const Cgroup& cg, const char* file, uint32_t mask);
  void follow(const std::string& name);
  void unfollow(Followed& f);
  void checkLimit(Limit& limit);
  /// Enables again what <root>/cgroup.subtree_control held at the start and lost since, then
  /// watches the limit files anew (the kernel made new ones) and checks them.
  void checkControllers();
  /// Moves the processes of `cg` (and below it when `recursive`) that came from the workload
  /// back into workload/, listing again until a list shows none (at most three lists).
  void bringBack(const Cgroup& cg, const std::string& where, bool recursive);
  /// Counts one undone change and warns (at most one warning a second; the rest at debug).
  void undone(const std::string& what);

  const CgroupTree& tree_;
  UniqueFd fd_;
  pid_t self_ = 0;
  std::vector<pid_t> keep_;  // cginit's ancestors and the residents of <root>
  std::vector<Limit> limits_;
  int rootDirWd_ = -1;
  int rootProcsWd_ = -1;
  int initProcsWd_ = -1;
  int subtreeWd_ = -1;
  std::vector<std::string> controllers_;  // <root>/cgroup.subtree_control at the start
  std::array<Followed, kMaxFollowedCgroups> followed_;
  bool capWarned_ = false;
  bool stopped_ = false;
  uint64_t tampered_ = 0;
  std::chrono::steady_clock::time_point lastWarning_{};
};

}  // namespace cginit
