// SPDX-License-Identifier: MIT
// Reaping every exited child and decoding wait statuses.
#pragma once

#include <sys/types.h>

#include <functional>

#include "cginit/result.h"

namespace cginit {

/// Reaps every child that has exited (waitpid(-1, WNOHANG) until none is ready) and calls
/// `onReaped(pid, status)` for each. Returns true when no child is left at all (ECHILD).
Result<bool> reapAll(const std::function<void(pid_t, int)>& onReaped);

/// The shell convention: the exit code, or 128+N for death by signal N.
int exitCodeFromStatus(int status);

}  // namespace cginit
