// SPDX-License-Identifier: MIT
// The JSON exit report (--report): counters collected by the supervisor, and their output.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "cginit/result.h"

namespace cginit {

enum class DrainOutcome { None, Clean, Killed };

struct ExitReport {
  int exitCode = 0;
  std::optional<int> signal;  // the signal that ended the program
  pid_t mainPid = -1;
  int64_t durationMs = 0;
  uint64_t reaped = 0;                // zombies reaped other than the program
  std::map<int, uint64_t> forwarded;  // delivered signal -> count
  std::optional<uint64_t> pidsPeak;
  std::optional<std::string> pidsMax;  // "64" or "max"
  std::optional<uint64_t> forkRejections;
  std::optional<uint64_t> oomKills;
  DrainOutcome drain = DrainOutcome::None;
  uint64_t killed = 0;                // processes that the final kill ended
  std::optional<std::string> cgroup;  // the managed cgroup, or null
  /// The cgroup whose counters were read (managed or observed), or null.
  std::optional<std::string> observedCgroup;
  uint64_t escaped = 0;  // processes found outside workload/ at drain
  /// Whether the workload cannot lift its limits (cgroup namespace under nsdelegate); null when
  /// nothing is managed.
  std::optional<bool> enforced;
  /// Changes by others to what cginit set that it undid (limits written back, processes moved
  /// back into workload/); null when nothing is managed.
  std::optional<uint64_t> tampered;
};

/// One JSON object, keys in the contract's order; pure.
std::string toJson(const ExitReport& report);

/// Writes the JSON to `path` ("-" is stderr), creating the file's directory (one level) when it
/// is missing. The file is written as a new file beside the target, fsynced, and renamed over it;
/// a target that exists and is not a regular file (a symbolic link, a FIFO) is refused and left
/// as it is.
Status writeReport(const ExitReport& report, const std::string& path);

/// Checks before the program starts that writeReport() can succeed: the directory (or, when it
/// will be created, its parent) opens and is writable, and the target is not there or is a
/// regular file. A usage Error (exit 2) otherwise; never blocks.
Status checkReportPath(const std::string& path);

}  // namespace cginit
