// SPDX-License-Identifier: MIT
// Reaping every exited child, listing cginit's children, and decoding wait statuses.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string_view>
#include <vector>

#include "cginit/result.h"

namespace cginit {

/// Reaps every child that has exited (waitpid(-1, WNOHANG) until none is ready) and calls
/// `onReaped(pid, status)` for each. Returns true when no child is left at all (ECHILD).
Result<bool> reapAll(const std::function<void(pid_t, int)>& onReaped);

/// cginit's children (zombies included) from /proc/thread-self/children, which lists the
/// children of the calling thread: cginit has only the one. A child stays listed, and its pid
/// stays its own, until cginit reaps it, so the pids can be signalled without a reuse race as
/// long as no reaping happens in between. ENOENT without /proc or CONFIG_PROC_CHILDREN.
Result<std::vector<pid_t>> listChildren();

/// The space-separated pids of a /proc/.../children file. Pure.
Result<std::vector<pid_t>> parseChildList(std::string_view text);

/// The shell convention: the exit code, or 128+N for death by signal N.
int exitCodeFromStatus(int status);

}  // namespace cginit
