// SPDX-License-Identifier: MIT
// Pure parsers for the cgroup v2 files cginit reads (/proc/self/cgroup, mountinfo, *.events,
// procs) and the check of what --limit may write.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cginit/result.h"

namespace cginit {

/// The cgroup2 filesystem as one line of /proc/self/mountinfo describes it.
struct Cgroup2Mount {
  std::string mountPoint;   // where it is mounted, octal escapes (\040) decoded
  std::string root;         // the cgroup shown at mountPoint, relative to our cgroup namespace
  bool readOnly = false;    // "ro" in the mount options or the super options
  bool nsdelegate = false;  // "nsdelegate" in the super options
};

/// The path of the `0::` (cgroup v2) line of /proc/self/cgroup text; v1 lines are ignored.
/// An Error when there is no such line (cgroup v1 only) or its path is not absolute.
Result<std::string> parseProcSelfCgroup(std::string_view text);

/// The LAST cgroup2 line of /proc/self/mountinfo text: a cgroup2 mount made over an earlier one
/// (the tmpfs at /sys/fs/cgroup, an inherited cgroup2 mount) hides it. An Error when none exists.
Result<Cgroup2Mount> findCgroup2Mount(std::string_view mountinfo);

/// Whether mountinfo text has a cgroup v1 ("cgroup" fstype) mount.
bool hasCgroup1Mount(std::string_view mountinfo);

/// The directory of cgroup `ownPath` (from parseProcSelfCgroup) under `mount`, e.g.
/// "/sys/fs/cgroup" + "/a/b". An Error when the cgroup is outside what the mount shows
/// (a "/.." path or one not under `mount.root`).
Result<std::string> cgroupDirectory(const Cgroup2Mount& mount, std::string_view ownPath);

/// "key value" lines (cgroup.events, pids.events, memory.events) to a map; blank lines skipped.
Result<std::map<std::string, uint64_t>> parseKeyValues(std::string_view text);

/// One decimal pid per line (cgroup.procs). A 0 (a process of another PID namespace, which has
/// no pid here) is skipped and counted in `*outside` when that is given.
Result<std::vector<pid_t>> parsePidList(std::string_view text, size_t* outside = nullptr);

/// A space-separated controller list (cgroup.controllers, cgroup.subtree_control).
std::vector<std::string> parseControllerList(std::string_view text);

/// Decodes the octal escapes (\040 space, \011 tab, \012 newline, \134 backslash) that the
/// kernel uses for paths in mountinfo.
std::string unescapeMountField(std::string_view field);

/// The largest pids.max (the kernel's PID_MAX_LIMIT on 64-bit).
inline constexpr uint64_t kPidsMaxLimit = 4194304;

/// Whether --limit may write `file` into the workload cgroup: an interface file of a controller
/// cginit knows how to enable (cpu, cpuset, io, memory, pids, hugetlb, rdma, misc), then
/// letters, digits, '_', '-' and '.' ("hugetlb.2MB.max"); or the core limits
/// cgroup.max.descendants and cgroup.max.depth. Never another cgroup.* file (procs, threads,
/// kill, freeze, subtree_control, type: cginit's own) and never a '/'.
bool isValidLimitFile(std::string_view file);

/// The controller a limit file needs: "memory" for "memory.max"; empty for cgroup.max.*, which
/// need none.
std::string_view limitController(std::string_view file);

/// Digits only, without a sign or a leading zero ("0" itself is fine); nullopt otherwise.
std::optional<uint64_t> parsePlainDecimal(std::string_view text);

/// A one-value interface file's text ("max\n", "17\n") without its trailing newline and spaces.
std::string_view fileValue(std::string_view text);

/// A counter file (pids.peak, pids.current): its fileValue() as a decimal; nullopt otherwise.
std::optional<uint64_t> parseCounter(std::string_view text);

/// Checks one --limit: the file (isValidLimitFile) and its value (printable ASCII; for pids.max,
/// cgroup.max.descendants and cgroup.max.depth plain decimal or "max", since the kernel reads
/// "010" as 8). An Error names the file.
Status checkLimit(std::string_view file, std::string_view value);

}  // namespace cginit
