// SPDX-License-Identifier: MIT
// CgroupTree: the init/ + workload/ subtree that cginit manages inside its own cgroup.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cginit/cgroup.h"
#include "cginit/result.h"
#include "cginit/unique_fd.h"

namespace cginit {

/// pids.max of init/ whenever workload/ gets a numeric pids.max: cginit itself (one task) and the
/// processes that a container engine adds there (`docker exec`), so that those are capped too.
inline constexpr int kInitPidsBudget = 64;

/// What CgroupTree::setup() is asked to do; plain values, no Options.
struct CgroupRequest {
  /// Every limit must apply: a missing controller or a failed limit write is a reason not to
  /// manage. Otherwise that limit is skipped with a warning naming it.
  bool strict = false;
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
  /// Discovers cginit's own cgroup and the cgroup2 mount (discoverOwnCgroup()), then does what
  /// setupAt() does. An Error says why cginit cannot manage a cgroup (read-only cgroupfs, cgroup
  /// v1 only, no cgroup2, hierarchy root, not writable, a failed step), after undoing anything
  /// half-done; whether that is a warning or exit 2 is the caller's decision.
  static Result<CgroupTree> setup(const CgroupRequest& request);

  /// The same, rooted at an already open directory: creates init/ and workload/, moves every
  /// process of <root> into init/ (until <root>/cgroup.procs is empty), only then enables +pids
  /// and the controllers the limits need, then writes pids.max and the limits into workload/.
  /// A controller missing from <root>/cgroup.controllers is a warning naming it (that limit is
  /// skipped), or with CgroupRequest::strict an Error.
  static Result<CgroupTree> setupAt(UniqueFd rootDir, std::string displayPath,
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
  /// workload/'s pids.max as the kernel holds it, read back after the write ("max" or plain
  /// decimal); empty when none was written (not asked, not applied) or it could not be read back.
  const std::optional<std::string>& pidsMaxWritten() const { return pidsMaxWritten_; }
  /// The cgroup2 mount has nsdelegate (found by setup(); false for setupAt()): a cgroup
  /// namespace rooted at workload/ is then a delegation boundary the workload cannot cross.
  bool nsdelegate() const { return nsdelegate_; }
  /// The controllers this tree enabled in <root>/cgroup.subtree_control.
  const std::vector<std::string>& enabledControllers() const { return enabled_; }

  /// A limit file that setup wrote: in init/ or workload/, the value written and what the kernel
  /// showed when it was read back right after (the content without its trailing newline).
  struct WrittenLimit {
    bool inInit = false;
    std::string file;
    std::string value;
    std::string readBack;
  };
  /// Every limit file setup wrote and could read back: pids.max and the --limit files of
  /// workload/, its cgroup.max.descendants default, init/'s pids.max budget.
  const std::vector<WrittenLimit>& limitsWritten() const { return limitsWritten_; }

  /// Moves `pid` into workload/: the fallback when clone3 lacks CLONE_INTO_CGROUP (the child
  /// waits until it has been moved before it execs).
  Status movePidToWorkload(pid_t pid);

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

  // What the drain (CgroupDrain) and the tamper guard work on.
  const Cgroup& root() const { return root_; }
  const Cgroup& init() const { return init_; }
  const Cgroup& workload() const { return workload_; }
  /// cginit's pid, read once at setup.
  pid_t selfPid() const { return self_; }
  /// Processes found in <root> at setup and moved into init/ with cginit (its parent, when it is
  /// not PID 1): they stay there, never drained.
  const std::vector<pid_t>& residents() const { return residents_; }
  /// <root>/cgroup.subtree_control is not empty: the kernel keeps processes out of <root>.
  bool rootHasControllers() const { return rootHasControllers_; }
  /// Where /proc/self/cgroup placed cginit after setup (the "0::" path; empty when unknown),
  /// and the file that tells (injectable for tests).
  const std::string& selfCgroup() const { return selfCgroup_; }
  const std::string& procSelfCgroup() const { return procSelfCgroup_; }

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
  bool nsdelegate_ = false;
  /// <root>/cgroup.subtree_control is not empty (seen or written at setup): the kernel keeps
  /// processes out of <root> then.
  bool rootHasControllers_ = false;
  /// Processes found in <root> at setup and moved into init/ with cginit (its parent, when it is
  /// not PID 1): they stay there. Only later arrivals are strangers that drain moves to workload/.
  std::vector<pid_t> residents_;
  std::optional<std::string> pidsMaxWritten_;
  std::vector<WrittenLimit> limitsWritten_;
  /// Reads `file` of init/ or workload/ back after setup wrote `value` and records it.
  void recordWritten(bool inInit, const std::string& file, const std::string& value);
  bool createdInit_ = false;
  bool createdWorkload_ = false;
  /// The cgroups below <root> at setup ("x", "init/y"): drained, but not removed at exit.
  std::vector<std::string> preexisting_;
  /// Where /proc/self/cgroup placed cginit after setup (the "0::" path), and the file.
  std::string selfCgroup_;
  std::string procSelfCgroup_;

  /// Thaws every cgroup below <root> that an earlier run left frozen (with a warning).
  void thawLeftovers();
  /// Removes the cgroups beside init/ and workload/ that were not there at setup (depth first).
  Status removeMadeByWorkload();

  /// The steps of setupAt() after root_ is set; records what it did so teardown() can undo it.
  Status build(const CgroupRequest& request);
  /// Moves every process of <root> into init/ until <root> is empty (bounded).
  Status moveRootToInit();
  /// Enables in <root>/cgroup.subtree_control those of `wanted` that are not on yet.
  Status enableControllers(const std::vector<std::string>& wanted);
  /// Undoes build(): the work of remove(), also for a half-built tree.
  Status teardown();
};

}  // namespace cginit
