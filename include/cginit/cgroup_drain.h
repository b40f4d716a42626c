// SPDX-License-Identifier: MIT
// CgroupDrain: the drain of a managed root (every cgroup but cginit's), and --forward cgroup.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "cginit/cgroup.h"
#include "cginit/cgroup_tree.h"
#include "cginit/result.h"
#include "cginit/signal_list.h"
#include "cginit/unique_fd.h"

namespace cginit {

/// The drain of a CgroupTree's whole root. Its targets are every cgroup of <root> but init/
/// (workload/ and whatever anyone made beside it) and every cgroup below init/: none of them
/// holds cginit, which each sweep makes sure of first (ensureSelfInInit()). The processes
/// directly in init/ and <root> other than the kept ones (cginit, PID 1, its ancestors, the
/// residents found at setup) are moved into workload/ (signalled where they are when that
/// fails). One epoll fd, made at construction, watches `populated` of up to kMaxWatched targets;
/// more targets than that are opened for each sweep and closed after it, and the sweep says it
/// is blind, as it does when a target or a list could not be read (EMFILE, ENOMEM): the caller
/// sweeps again after a while instead of waiting for a wake-up that may never come.
class CgroupDrain {
 public:
  static constexpr size_t kMaxWatched = 64;

  /// Borrows `tree`, which must outlive this object.
  explicit CgroupDrain(const CgroupTree& tree);

  /// `--forward cgroup`: `signo` (then SIGCONT when `thenContinue`) to each process of
  /// workload/, listed until quiet, frozen for a last list when it keeps forking (where
  /// cgroup.freeze exists; never while cginit could be in it). Returns how many were signalled:
  /// 0 without any list when cgroup.events says that workload/ is empty.
  Result<size_t> signalWorkload(int signo, bool thenContinue = false);

  /// What one sweep found and did.
  struct Sweep {
    size_t signalled = 0;    // processes that got the signal in this sweep
    bool populated = false;  // a process other than cginit and the kept ones is left
    bool blind = false;      // something could not be read or watched: sweep again later
  };
  /// One pass of the drain: cginit back into init/ if it was moved; strangers of init/ and
  /// <root> into workload/; every process of every target that has not had `signo` yet gets it
  /// (then SIGCONT), listed until quiet (SignalByList), the first sweep with `freezeFirst`
  /// freezing the targets for a last list when they keep forking. SIGKILL is cgroup.kill to
  /// every populated target (by pid where it cannot be written, or could hit cginit). Logs its
  /// failures; one cgroup that cannot be read never costs the others their signal.
  Sweep sweep(int signo, bool freezeFirst);
  /// Readable (EPOLLIN) once `populated` of a watched target may have changed: the next sweep
  /// reads it through the watched fd, which re-arms it. -1 when it could not be made. Borrowed.
  int fd() const { return epoll_.get(); }
  /// Processes found outside workload/ by the drain so far (each counted once).
  uint64_t escaped() const { return escaped_.size(); }
  /// Processes that a SIGKILL sweep found in the targets (each counted once).
  uint64_t killed() const { return killed_.size(); }
  /// Reads /proc/self/cgroup: when cginit is no longer where setup put it (in init/), moves it
  /// back with a warning. False when it could not, or could not tell: then no cgroup may be
  /// frozen or killed as a whole.
  bool ensureSelfInInit();
  /// Closes every fd of the drain (before the tree is removed).
  void close();

 private:
  /// One drained cgroup: its path relative to <root>, the dirfd and its cgroup.events.
  struct Target {
    std::string name;
    Cgroup cgroup;
    UniqueFd events;
    bool watched = false;  // in epoll_ (taken out when its cgroup.events cannot be read)
  };

  /// Moves the strangers of init/ and <root> into workload/; returns those that could not be
  /// moved (signalled where they are).
  std::vector<pid_t> adoptStrangers(bool& blind);
  /// The processes directly in `from` that the drain may take.
  Result<std::vector<pid_t>> strangersIn(const Cgroup& from);
  bool strangersLeft();
  /// The names of the targets now (empty names on a failure to list, which sets `blind`).
  std::vector<std::string> targetNames(bool& blind) const;
  /// Opens and watches the targets that appeared (up to kMaxWatched), drops vanished ones;
  /// returns the others, opened for this sweep only.
  std::vector<Target> refreshTargets(bool& blind);
  /// Which of `targets` hold a process; reading through a watched fd re-arms it.
  std::vector<Target*> populatedTargets(std::vector<Target*>& targets, bool& blind);
  /// Every process of `targets` (sorted, kept ones left out; one that cginit keeps found there
  /// goes back to init/). An Error only when no target could be listed.
  Result<std::vector<pid_t>> listTargets(const std::vector<Target*>& targets, bool& blind);
  /// Freezes the populated targets that are not frozen already; returns those it froze.
  std::vector<const Cgroup*> freezeTargets(const std::vector<Target*>& targets);
  /// cgroup.kill to each of `targets` (by pid where that fails or is unsafe), and `loose`.
  size_t killTargets(const std::vector<Target*>& targets, const std::vector<pid_t>& loose,
                     bool safe, bool& blind);

  const CgroupTree* tree_;
  UniqueFd epoll_;
  std::vector<Target> targets_;  // the watched ones (kMaxWatched at most)
  SignalByList polite_;          // the drain's stop signal, once per process
  std::vector<pid_t> escaped_;   // sorted
  std::vector<pid_t> killed_;    // sorted
  bool selfUnknownWarned_ = false;
};

}  // namespace cginit
