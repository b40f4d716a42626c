// SPDX-License-Identifier: MIT
// Readers of /proc for processes: a parent from /proc/PID/stat, the ancestors, cginit's children.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string_view>
#include <vector>

#include "cginit/result.h"

namespace cginit {

/// The parent pid in the text of /proc/PID/stat (the field after "(comm) state"); nullopt when
/// the text is malformed. Pure.
std::optional<pid_t> parseStatParent(std::string_view stat);

/// The parent of `pid`, its parent, and so on, as this PID namespace sees them (from getppid()
/// for cginit itself, else /proc/PID/stat), up to PID 1 or a parent outside the namespace.
/// Best effort: ends early where /proc cannot be read.
std::vector<pid_t> ancestorsOf(pid_t pid);

/// What an init never signals as one of the workload: PID 1 (0: a process outside this PID
/// namespace), `self` and its `ancestors` (ancestorsOf(self)).
bool isKeptPid(pid_t pid, pid_t self, const std::vector<pid_t>& ancestors);

/// The pids of the sorted `listed` that the sorted `seen` lacks, which are merged into `seen`:
/// the processes of a list that have not had a signal yet, each given it once. Pure.
std::vector<pid_t> newcomers(const std::vector<pid_t>& listed, std::vector<pid_t>& seen);

/// cginit's children (zombies included) from /proc/thread-self/children, which lists the
/// children of the calling thread: cginit has only the one. A child stays listed, and its pid
/// stays its own, until cginit reaps it, so the pids can be signalled without a reuse race as
/// long as no reaping happens in between. ENOENT without /proc or CONFIG_PROC_CHILDREN.
Result<std::vector<pid_t>> listChildren();

/// The thread-group id (process) of thread `tid`, from the Tgid line of /proc/TID/status;
/// nullopt when it is gone or /proc cannot be read.
std::optional<pid_t> tgidOf(pid_t tid);

/// The Tgid of /proc/PID/status text. Pure.
std::optional<pid_t> parseStatusTgid(std::string_view status);

/// The space-separated pids of a /proc/.../children file. Pure.
Result<std::vector<pid_t>> parseChildList(std::string_view text);

}  // namespace cginit
