// SPDX-License-Identifier: MIT
// Helpers shared by cgroup_tree.cpp (setup, teardown) and cgroup_drain.cpp (the drain); private.
#pragma once

#include <fcntl.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cginit/cgroup.h"
#include "cginit/cgroup_paths.h"
#include "cginit/result.h"
#include "cginit/sys.h"

namespace cginit::tree_detail {

constexpr int kMoveRounds = 100;  // bound for "move until <root> is empty" and sweep re-looks
constexpr auto kFreezeWait = std::chrono::milliseconds(500);

inline bool contains(const std::vector<std::string>& list, std::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

/// The file's text, or nullopt when it does not exist (an interface file of a controller that is
/// not enabled, or that this kernel does not have): one open instead of an access() probe first.
inline Result<std::optional<std::string>> readIfPresent(const Cgroup& cg, const std::string& file) {
  auto text = cg.read(file);
  if (!text) {
    if (text.error().code == ENOENT) {
      return std::optional<std::string>{};
    }
    return std::move(text).error();
  }
  return std::optional<std::string>(std::move(*text));
}

/// The "0::" path of `procSelfCgroup` (where cginit is), or nullopt when it cannot be read.
inline std::optional<std::string> currentCgroup(const std::string& procSelfCgroup) {
  auto text = sys::readFileAt(AT_FDCWD, procSelfCgroup);
  if (!text) {
    return std::nullopt;
  }
  auto path = parseProcSelfCgroup(*text);
  return path ? std::optional<std::string>(*path) : std::nullopt;
}

}  // namespace cginit::tree_detail
