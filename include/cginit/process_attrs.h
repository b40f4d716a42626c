// SPDX-License-Identifier: MIT
// Process attributes of cginit itself: child subreaper, parent-death signal, PID 1, open files.
#pragma once

#include <sys/resource.h>

#include "cginit/result.h"

namespace cginit {

/// prctl(PR_SET_CHILD_SUBREAPER, 1): orphans below cginit are re-parented to it.
Status setChildSubreaper();

/// prctl(PR_GET_CHILD_SUBREAPER): whether orphans below cginit are re-parented to it already
/// (the attribute survives execve, so a starter may have set it).
Result<bool> isChildSubreaper();

/// prctl(PR_SET_PDEATHSIG, signo). When the parent already died before the call, the signal is
/// raised at once, so the race is closed.
Status setParentDeathSignal(int signo);

/// Raises the soft RLIMIT_NOFILE to the hard limit (a drain holds one fd per process it follows)
/// and returns the limit as it was, which the program gets back before exec.
Result<rlimit> raiseFileLimit();

/// True when cginit is PID 1 of its PID namespace.
bool isPid1();

}  // namespace cginit
