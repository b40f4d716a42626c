// SPDX-License-Identifier: MIT
// Test-only fault injection: make a chosen cgroupfs file operation fail with a chosen errno.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cginit {

/// The file operations that the sys wrappers of the cgroup layer (openAt, mkdirAt, rmdirAt,
/// existsAt, preadFd and the whole-file helpers) let a FaultPlan fail: the one seam.
enum class FaultOp { Open, Mkdir, Rmdir, Read, Write, Access };

/// TEST-ONLY. Rules of the form "let `skip` matching calls through, then fail the next `times`
/// with `error`". Nothing in cginit installs a plan: tests do, with ScopedFaultPlan. Not
/// thread-safe; the first rule that fires for a call wins.
class FaultPlan {
 public:
  static constexpr int kAlways = -1;

  /// Adds a rule for `op` on a path equal to `file` or ending in "/" + `file` (so "cgroup.procs"
  /// matches every cgroup.procs and "workload/cgroup.procs" only that one; "*" matches all).
  /// Returns the rule's index for failures().
  size_t fail(FaultOp op, std::string file, int error, int times = 1, int skip = 0);
  /// Adds a rule that fails nothing: it counts the calls of `op` on `file` (see calls()) and
  /// runs `onCall`, when given, before each (what a test makes happen at that moment).
  size_t watch(FaultOp op, std::string file, std::function<void()> onCall = {});
  /// How many calls rule `index` has failed so far.
  int failures(size_t index) const { return rules_.at(index).failed; }
  /// How many calls matched rule `index` (failed or let through) before a rule ahead of it fired.
  int calls(size_t index) const { return rules_.at(index).calls; }

  /// Whether `op` on `name` relative to `dirfd` (AT_FDCWD, or an empty name for `dirfd` itself)
  /// fails; sets errno when it does. Resolves the path through /proc/self/fd.
  bool fire(FaultOp op, int dirfd, std::string_view name);

 private:
  struct Rule {
    FaultOp op;
    std::string file;
    int error;
    int times;
    int skip;
    int failed = 0;
    int calls = 0;
    std::function<void()> onCall;
  };
  std::vector<Rule> rules_;
};

namespace detail {
inline FaultPlan* activeFaultPlan = nullptr;
}  // namespace detail

/// Called by the sys wrappers right before each openat/mkdirat/unlinkat/read/write/faccessat: true,
/// with errno set, when an installed test plan fails this call. Without a plan, one branch on a
/// null pointer.
inline bool injectFault(FaultOp op, int dirfd, std::string_view name) {
  return detail::activeFaultPlan != nullptr && detail::activeFaultPlan->fire(op, dirfd, name);
}

/// TEST-ONLY. Installs `plan` process-wide for the lifetime of this object.
class ScopedFaultPlan {
 public:
  explicit ScopedFaultPlan(FaultPlan& plan)
      : previous_(std::exchange(detail::activeFaultPlan, &plan)) {}
  ~ScopedFaultPlan() { detail::activeFaultPlan = previous_; }
  ScopedFaultPlan(const ScopedFaultPlan&) = delete;
  ScopedFaultPlan& operator=(const ScopedFaultPlan&) = delete;

 private:
  FaultPlan* previous_;
};

}  // namespace cginit
