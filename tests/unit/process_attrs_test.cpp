// SPDX-License-Identifier: MIT
// Tests for cginit's own process attributes: the subreaper attribute, the open-file limit.
#include "cginit/process_attrs.h"

#include <sys/resource.h>
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

// The soft limit goes up to the hard one; the limit returned is the one before, for the program.
TEST(ProcessAttrsTest, RaiseFileLimitReturnsTheLimitBefore) {
  EXPECT_EQ(
      inChild([] {
        const rlimit start{64, 256};
        if (::setrlimit(RLIMIT_NOFILE, &start) != 0) {
          return 1;
        }
        auto before = raiseFileLimit();
        if (!before || before->rlim_cur != 64 || before->rlim_max != 256) {
          return 2;
        }
        rlimit now{};
        if (::getrlimit(RLIMIT_NOFILE, &now) != 0 || now.rlim_cur != 256 || now.rlim_max != 256) {
          return 3;
        }
        return 0;
      }),
      0);
}

}  // namespace
}  // namespace cginit
