// SPDX-License-Identifier: MIT
// Tests for cginit's own process attributes: the subreaper attribute.
#include "cginit/process_attrs.h"

#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

namespace cginit {
namespace {

/// Runs `body` in a forked child (attributes of the test process stay untouched) and returns
/// its exit status, or -1 when it did not exit normally.
template <typename Body>
int inChild(Body body) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::_exit(body());
  }
  int status = 0;
  if (pid < 0 || ::waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) {
    return -1;
  }
  return WEXITSTATUS(status);
}

// The attribute survives execve, so cginit asks the kernel instead of assuming it is unset.
TEST(ProcessAttrsTest, SubreaperIsReadBack) {
  EXPECT_EQ(inChild([] {
              auto before = isChildSubreaper();
              if (!before || *before) {
                return 1;  // a forked child does not inherit the attribute
              }
              if (!setChildSubreaper()) {
                return 2;
              }
              auto after = isChildSubreaper();
              return after && *after ? 0 : 3;
            }),
            0);
}

}  // namespace
}  // namespace cginit
