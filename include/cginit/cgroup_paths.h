// SPDX-License-Identifier: MIT
// Pure parsers for the cgroup v2 files cginit reads: /proc/self/cgroup, mountinfo, *.events, procs.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <map>
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

}  // namespace cginit
