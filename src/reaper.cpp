// SPDX-License-Identifier: MIT
// Reaping every exited child and decoding wait statuses.
#include "cginit/reaper.h"

#include <sys/wait.h>

#include <cerrno>

#include "cginit/sys.h"

namespace cginit {

Result<bool> reapAll(const std::function<void(pid_t, int)>& onReaped) {
  for (;;) {
    int status = 0;
    const pid_t pid = sys::waitAnyNoHang(&status);
    if (pid > 0) {
      onReaped(pid, status);
      continue;
    }
    if (pid == 0) {
      return false;  // children are left, none has exited yet
    }
    if (errno == ECHILD) {
      return true;
    }
    return sysError("waitpid");
  }
}

int exitCodeFromStatus(int status) {
  if (WIFEXITED(status)) {
    return WEXITSTATUS(status);
  }
  if (WIFSIGNALED(status)) {
    return 128 + WTERMSIG(status);
  }
  return 1;
}

}  // namespace cginit
