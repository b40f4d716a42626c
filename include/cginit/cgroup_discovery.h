// SPDX-License-Identifier: MIT
// Where cginit's own cgroup is (/proc/self/cgroup, the cgroup2 mount) and whether it can manage it.
#pragma once

#include <optional>
#include <string>

#include "cginit/cgroup.h"
#include "cginit/cgroup_paths.h"
#include "cginit/result.h"

namespace cginit {

/// The hint for a read-only cgroupfs: what makes it writable under each engine.
extern const char* const kWritableHint;

/// What discovery found. `directory` is cginit's own cgroup under the cgroup2 mount whenever the
/// mount shows it (also when it is read-only, for the observer); `cannotManage` says why cginit
/// must not manage it, or is empty when it may try (the writes themselves may still fail).
struct OwnCgroup {
  std::optional<std::string> directory;
  std::optional<Cgroup2Mount> mount;
  std::optional<Error> cannotManage;
};

/// Reads `procSelfCgroup` (the `0::` line) and `mountinfo` (the last cgroup2 mount). No policy:
/// the caller decides what a reason not to manage means (a warning, or exit 2).
OwnCgroup discoverOwnCgroup(const std::string& procSelfCgroup = "/proc/self/cgroup",
                            const std::string& mountinfo = "/proc/self/mountinfo");

/// Why `root` cannot be managed (it is the root of the hierarchy: no cgroup.events; managing it
/// would move every process of the machine), or success.
Status checkManageable(const Cgroup& root);

/// A permission error of the first writes into `root` says that the cgroup is not delegated (or
/// cgroupfs is read-only): the message says so and how to fix it. Other errors pass as they are.
Error explainNotWritable(const Cgroup& root, Error error);

}  // namespace cginit
