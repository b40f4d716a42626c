// SPDX-License-Identifier: MIT
// The drain's one primitive: list, signal what is new, list again until quiet; bounded following.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <vector>

#include "cginit/result.h"
#include "cginit/unique_fd.h"

namespace cginit {

/// Lists of one signal (list, signal what is new, list again) before a source that still shows
/// new processes is frozen for a last one.
inline constexpr int kUnfrozenLists = 3;

/// Where the processes come from: the cgroup.procs of a set of cgroups, cginit's children, the
/// members of an observed cgroup. Only `list` is required.
struct PidSource {
  /// The processes now, sorted and unique. An Error when nothing could be listed; a part that
  /// could not be listed is the source's to log (and leave out).
  std::function<Result<std::vector<pid_t>>()> list;
  /// Freezes the source for a last list when it keeps showing new processes; true when
  /// something was frozen, which `thaw` undoes after that list.
  std::function<bool()> freeze;
  std::function<void()> thaw;
  /// Whether `pid` is reached without a signal of its own (kill(-1) as PID 1, the program's
  /// process group): it counts as having had the signal and is not sent one.
  std::function<bool(pid_t)> reachedOtherwise;
};

/// Signals by list: each listed process that has not had the signal from this object gets it
/// (then SIGCONT after a polite one, so that a stopped process can act on it), and the source
/// is listed again until a list shows no such process. Then every process of the source at that
/// moment has had it, and one forked after it by a process that had had it. Exact without a
/// freeze: a listed pid stays its process until it is reaped, cginit reaps its children (every
/// orphan) only between calls, and another parent's child leaves its pid to a new process only
/// once the kernel's pid counter has come round again (pids are handed out in turn up to
/// pid_max). A source that still shows new processes after kUnfrozenLists lists is frozen for
/// one more (where it can be); a quiet one is spared the freeze and thaw, which wake each of its
/// processes twice. Never signals cginit, PID 1 or cginit's ancestors (a tracer or shell that
/// started it). Needs no fd of its own: only what `list` opens.
class SignalByList {
 public:
  /// `self`: cginit's pid; its ancestors are looked up the first time a list needs them.
  explicit SignalByList(pid_t self);

  /// What one signalNew() did.
  struct Outcome {
    size_t signalled = 0;  // processes sent the signal (not those reached otherwise)
    size_t lists = 0;      // lists that succeeded
    bool listed = false;   // the first list succeeded: false means nothing was looked at
  };
  /// `signo` (then SIGCONT when `thenContinue`) to each new process of `source`, listed until
  /// quiet. A list that fails after the first ends the call (what was sent stands); the first
  /// one failing is an Error, for the caller to try again later.
  Result<Outcome> signalNew(const PidSource& source, int signo, bool thenContinue);

  /// Whether `pid` is never signalled: PID 1 (0: outside this PID namespace), cginit, its
  /// ancestors.
  bool kept(pid_t pid);
  /// `pid` was reaped: its number may come back as a new process, which has not had the signal.
  void forget(pid_t pid);
  /// Every process had the signal so far (a new signal starts from nothing).
  void clear() { signalled_.clear(); }
  /// How many distinct processes had the signal (sent or reached otherwise).
  size_t count() const { return signalled_.size(); }

 private:
  pid_t self_;
  std::optional<std::vector<pid_t>> ancestors_;
  std::vector<pid_t> signalled_;  // sorted
};

/// Follows processes that are not cginit's children (no SIGCHLD tells of their exit) with
/// pidfds in an epoll set of its own, whose readiness says that one of them exited. Bounded: at
/// most `capacity` pidfds at a time, and none past EMFILE/ENFILE; processes beyond that are
/// followed once earlier ones are gone, and isBlind() says that a list must be read again
/// without a wake-up. The epoll fd is made at construction, before the drain needs it.
class PidFollower {
 public:
  static constexpr size_t kDefaultCapacity = 64;

  explicit PidFollower(size_t capacity = kDefaultCapacity);

  /// Readable (EPOLLIN) when a followed process exited; -1 when it could not be made.
  int fd() const { return epoll_.get(); }
  /// Follows those of `pids` (sorted) not followed yet, while there is room. Returns how many of
  /// `pids` are followed now.
  size_t follow(const std::vector<pid_t>& pids);
  /// Takes the exits that the epoll set reports (without waiting); returns how many are left.
  size_t collect();
  /// How many processes are followed now.
  size_t size() const { return followed_.size(); }
  /// Some process that the last follow() was given is not followed: its exit wakes nobody.
  bool isBlind() const { return blind_; }

 private:
  size_t capacity_;
  UniqueFd epoll_;
  std::map<pid_t, UniqueFd> followed_;
  bool blind_ = false;
  bool exhaustedWarned_ = false;
};

}  // namespace cginit
