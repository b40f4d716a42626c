// SPDX-License-Identifier: MIT
// Workload: what the drain acts on, behind one interface (managed cgroup, or plain processes).
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <memory>
#include <optional>
#include <vector>

#include "cginit/cgroup.h"
#include "cginit/cgroup_tree.h"
#include "cginit/report.h"
#include "cginit/result.h"
#include "cginit/spawn.h"

namespace cginit {

/// What refresh() found: processes are left, none is, or the state can no longer be read.
enum class Liveness { Populated, Empty, Broken };

/// An fd for the event loop and the events to wait for; fd -1 when there is none.
struct Readiness {
  int fd = -1;
  uint32_t events = 0;
};

/// Everything the supervisor does to "the processes of the workload", whatever they are made
/// of. The backends (like crun's table of cgroup managers, one per cgroup setup):
///   - managed: the CgroupTree (init/ + workload/) and its CgroupDrain: signal by list until
///     quiet, cgroup.kill;
///   - processes: no cgroup; the program's process group, cginit's children
///     (/proc/thread-self/children) and, as PID 1, kill(-1);
///   - observed: the processes backend plus a read-only own cgroup, whose counters are watched
///     and whose members are signalled and followed (bounded pidfds) at drain.
/// Each signals by list through SignalByList. Each method logs its own failures (the PID 1
/// rule: the caller carries on). Readiness follows one rule: after the fd fires, refresh()
/// reads through it, which re-arms it; a fd that broke is reported as Broken once, and the
/// caller stops watching it. What no fd covers (a list that failed for lack of fds or memory,
/// processes beyond the bound of what is followed) is blind(): the caller refreshes again after
/// a short while, so that the drain never waits for a wake-up that cannot come.
class Workload {
 public:
  virtual ~Workload() = default;

  /// `--forward cgroup`: `signo` to every process of the workload while the program runs.
  virtual void forwardToAll(int signo) = 0;
  /// The drain's polite step: `signo`, then SIGCONT, to what is left (each process once).
  /// Returns how many processes were really signalled. Later refresh() calls give newcomers
  /// the same signal.
  virtual size_t signalLeftovers(int signo) = 0;
  /// SIGKILL to everything left (cgroup.kill where there is one); later refresh() calls kill
  /// newcomers too.
  virtual void killAll() = 0;
  /// The fd that fires when refresh() may have a new answer (none: refresh after every reap).
  virtual Readiness readiness() const = 0;
  /// Reads the state again (re-arming readiness()); during drain also signals newcomers.
  virtual Liveness refresh() = 0;
  /// Whether the last signalLeftovers(), killAll() or refresh() left something that neither
  /// readiness() nor SIGCHLD will report: refresh again after a short while.
  virtual bool blind() const { return false; }
  /// cginit reaped `pid` with `status`.
  virtual void reaped(pid_t /*pid*/, int /*status*/) {}
  /// Zombies may become reapable a moment after refresh() said Empty (cgroup backends).
  virtual bool zombiesMayLag() const { return false; }
  /// Whether a reap can change refresh()'s answer although readiness() did not fire: true where
  /// "no child left" is part of the answer; false where the readiness fd covers everything
  /// (cgroup.events of every drain target), so that a refresh per reap would only re-read it.
  virtual bool refreshAfterReap() const { return true; }

  /// Fds watched while the program runs, with their events: counter files (pids.events,
  /// memory.events) EPOLLPRI; the managed backend's tamper guard (inotify) EPOLLIN.
  virtual std::vector<Readiness> eventFds() const { return {}; }
  /// `fd` of eventFds() fired: read it (re-arms), warn at most once a second. False when it
  /// broke or is done (the tamper guard once the drain began) and must no longer be watched.
  virtual bool onEvent(int /*fd*/) { return true; }

  /// The counters and paths for the exit report (read once, at the end).
  virtual void fillReport(ExitReport& report) = 0;
  /// Removes what cginit created (cgroups); logs what it could not.
  virtual void teardown() = 0;
};

/// The plain-process backend. `program` is the program's pid (its process group id).
std::unique_ptr<Workload> makeProcessWorkload(bool pid1, pid_t program);

/// The observer: the plain-process backend plus `observed` (cginit's own cgroup, read-only or
/// not manageable), whose pids.events and memory.events are watched and reported, and at drain
/// every process listed in its cgroup.procs (recursively) but cginit, PID 1 and cginit's
/// ancestors is signalled and waited for (through at most PidFollower::kDefaultCapacity pidfds
/// at a time) as well.
std::unique_ptr<Workload> makeObservedWorkload(bool pid1, pid_t program, Cgroup observed);

/// cginit's own cgroup (discoverOwnCgroup()) opened for the observer, or nullopt when there is
/// none to observe: not found, not openable, or the root of the whole hierarchy (whose
/// cgroup.procs lists every process of the machine), which is never observed.
std::optional<Cgroup> openObservedCgroup();

/// The managed backend around `tree`; with `guardTampering` (the kernel cannot refuse the
/// workload changes to its limits and moves out of workload/) it carries a TamperGuard.
std::unique_ptr<Workload> makeManagedWorkload(CgroupTree tree, bool guardTampering = false);

/// Forwarding to the program alone (pidfd where there is one) or to its process group. Log
/// their failures (ESRCH as a warning: the program was gone).
void forwardToProgram(const Child& child, int signo);
void forwardToGroup(pid_t pgid, int signo);

}  // namespace cginit
