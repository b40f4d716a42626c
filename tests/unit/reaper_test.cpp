// SPDX-License-Identifier: MIT
// Tests for the reaper: the children list of /proc (pure parsing and a real child).
#include "cginit/reaper.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

#include <gtest/gtest.h>

namespace cginit {
namespace {

TEST(ReaperTest, ChildListIsSpaceSeparated) {
  auto pids = parseChildList("12 345 6789 ");
  ASSERT_TRUE(pids) << pids.error().message;
  EXPECT_EQ(*pids, (std::vector<pid_t>{12, 345, 6789}));
  auto none = parseChildList("");
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
  EXPECT_TRUE(parseChildList("7\n"));
}

TEST(ReaperTest, ChildListRejectsJunk) {
  EXPECT_FALSE(parseChildList("12 abc"));
  EXPECT_FALSE(parseChildList("0"));
  EXPECT_FALSE(parseChildList("-4"));
}

// A child is listed until it is reaped (a zombie included); then it is gone from the list.
TEST(ReaperTest, ListChildrenShowsAChildUntilItIsReaped) {
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::pause();
    ::_exit(0);
  }
  auto listed = listChildren();
  if (!listed && listed.error().code == ENOENT) {
    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, 0);
    GTEST_SKIP() << "no /proc/thread-self/children (CONFIG_PROC_CHILDREN)";
  }
  ASSERT_TRUE(listed) << listed.error().message;
  EXPECT_NE(std::find(listed->begin(), listed->end(), child), listed->end());
  ASSERT_EQ(::kill(child, SIGKILL), 0);
  siginfo_t info{};
  ASSERT_EQ(::waitid(P_PID, static_cast<id_t>(child), &info, WEXITED | WNOWAIT), 0);
  listed = listChildren();
  ASSERT_TRUE(listed);
  EXPECT_NE(std::find(listed->begin(), listed->end(), child), listed->end()) << "a zombie";
  ASSERT_EQ(::waitpid(child, nullptr, 0), child);
  listed = listChildren();
  ASSERT_TRUE(listed);
  EXPECT_EQ(std::find(listed->begin(), listed->end(), child), listed->end());
}

}  // namespace
}  // namespace cginit
