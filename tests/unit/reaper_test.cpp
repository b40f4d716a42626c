// SPDX-License-Identifier: MIT
// Tests for the reaper: the children list of /proc (pure parsing and a real child).
#include "cginit/reaper.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <vector>

#include <gtest/gtest.h>

#include "cgroup_test_util.h"

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
  test::ChildProcess child;  // killed and reaped at the end of the test if it is still there
  ASSERT_GT(child.pid(), 0);
  auto listed = listChildren();
  if (!listed && listed.error().code == ENOENT) {
    GTEST_SKIP() << "no /proc/thread-self/children (CONFIG_PROC_CHILDREN)";
  }
  ASSERT_TRUE(listed) << listed.error().message;
  EXPECT_NE(std::find(listed->begin(), listed->end(), child.pid()), listed->end());
  ASSERT_EQ(::kill(child.pid(), SIGKILL), 0);
  siginfo_t info{};
  ASSERT_EQ(::waitid(P_PID, static_cast<id_t>(child.pid()), &info, WEXITED | WNOWAIT), 0);
  listed = listChildren();
  ASSERT_TRUE(listed);
  EXPECT_NE(std::find(listed->begin(), listed->end(), child.pid()), listed->end()) << "a zombie";
  ASSERT_NE(child.waitForExit(std::chrono::seconds(5)), -1);
  listed = listChildren();
  ASSERT_TRUE(listed);
  EXPECT_EQ(std::find(listed->begin(), listed->end(), child.pid()), listed->end());
}

}  // namespace
}  // namespace cginit
