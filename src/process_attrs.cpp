// SPDX-License-Identifier: MIT
// Process attributes of cginit itself: child subreaper, parent-death signal, PID 1, open files.
#include "cginit/process_attrs.h"

#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

namespace cginit {

Status setChildSubreaper() {
  if (::prctl(PR_SET_CHILD_SUBREAPER, 1UL, 0UL, 0UL, 0UL) < 0) {
    return sysError("prctl", "PR_SET_CHILD_SUBREAPER");
  }
  return {};
}

Result<bool> isChildSubreaper() {
  int attr = 0;
  if (::prctl(PR_GET_CHILD_SUBREAPER, &attr, 0UL, 0UL, 0UL) < 0) {
    return sysError("prctl", "PR_GET_CHILD_SUBREAPER");
  }
  return attr != 0;
}

Status setParentDeathSignal(int signo) {
  const pid_t parent = ::getppid();
  if (::prctl(PR_SET_PDEATHSIG, static_cast<unsigned long>(signo), 0UL, 0UL, 0UL) < 0) {
    return sysError("prctl", "PR_SET_PDEATHSIG");
  }
  // The parent may have died between getppid() and prctl(): then no signal would ever come.
  if (::getppid() != parent && ::kill(::getpid(), signo) < 0) {
    return sysError("kill", "self");
  }
  return {};
}

Result<rlimit> raiseFileLimit() {
  rlimit before{};
  if (::getrlimit(RLIMIT_NOFILE, &before) < 0) {
    return sysError("getrlimit", "RLIMIT_NOFILE");
  }
  if (before.rlim_cur != before.rlim_max) {
    const rlimit raised{before.rlim_max, before.rlim_max};
    if (::setrlimit(RLIMIT_NOFILE, &raised) < 0) {
      return sysError("setrlimit", "RLIMIT_NOFILE");
    }
  }
  return before;
}

bool isPid1() {
  return ::getpid() == 1;
}

}  // namespace cginit
