// SPDX-License-Identifier: MIT
// Tests for the /proc readers: parents from /proc/PID/stat, ancestors, the children list.
#include "cginit/proc.h"

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

TEST(ProcTest, ChildListIsSpaceSeparated) {
  auto pids = parseChildList("12 345 6789 ");
  ASSERT_TRUE(pids) << pids.error().message;
  EXPECT_EQ(*pids, (std::vector<pid_t>{12, 345, 6789}));
  auto none = parseChildList("");
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
  EXPECT_TRUE(parseChildList("7\n"));
}

TEST(ProcTest, TgidComesFromTheStatusText) {
  EXPECT_EQ(parseStatusTgid("Name:\tx\nUmask:\t0022\nState:\tS\nTgid:\t4321\nNgid:\t0\n"), 4321);
  EXPECT_EQ(parseStatusTgid("Name:\tx\n"), std::nullopt);
  EXPECT_EQ(parseStatusTgid("Tgid:\tabc\n"), std::nullopt);
  EXPECT_EQ(tgidOf(::getpid()), ::getpid());
}

TEST(ProcTest, ChildListRejectsJunk) {
  EXPECT_FALSE(parseChildList("12 abc"));
  EXPECT_FALSE(parseChildList("0"));
  EXPECT_FALSE(parseChildList("-4"));
}

// A child is listed until it is reaped (a zombie included); then it is gone from the list.
TEST(ProcTest, ListChildrenShowsAChildUntilItIsReaped) {
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

TEST(ProcTest, ParsesTheParentFromProcStat) {
  EXPECT_EQ(parseStatParent("123 (sh) S 45 123 123 0 -1 4194560\n"), std::optional<pid_t>(45));
  // comm may hold spaces and parentheses.
  EXPECT_EQ(parseStatParent("9 (a) b (c) R 1 9 9 0"), std::optional<pid_t>(1));
  EXPECT_EQ(parseStatParent("1 (init) S 0 1 1 0"), std::optional<pid_t>(0));
  EXPECT_FALSE(parseStatParent(""));
  EXPECT_FALSE(parseStatParent("12 (x)"));
  EXPECT_FALSE(parseStatParent("12 (x) S"));
  EXPECT_FALSE(parseStatParent("12 (x) S abc 1"));
}

TEST(ProcTest, AncestorsOfThisProcessStartWithItsParent) {
  const auto chain = ancestorsOf(::getpid());
  ASSERT_FALSE(chain.empty());
  EXPECT_EQ(chain.front(), ::getppid());
  EXPECT_EQ(std::find(chain.begin(), chain.end(), 0), chain.end());
  EXPECT_EQ(std::find(chain.begin(), chain.end(), ::getpid()), chain.end());
  // Through /proc for another process: the test's own child has the test as its first ancestor.
  test::ChildProcess child;
  const auto childChain = ancestorsOf(child.pid());
  ASSERT_FALSE(childChain.empty());
  EXPECT_EQ(childChain.front(), ::getpid());
  EXPECT_EQ(std::vector<pid_t>(childChain.begin() + 1, childChain.end()), chain);
}

TEST(ProcTest, NewcomersAreThePidsNotSeenBeforeAndJoinTheSeenSet) {
  std::vector<pid_t> seen;
  EXPECT_EQ(newcomers({5, 9, 12}, seen), (std::vector<pid_t>{5, 9, 12}));
  EXPECT_EQ(seen, (std::vector<pid_t>{5, 9, 12}));
  // A later list: 9 is gone, 3 and 20 are new, 5 and 12 had it already.
  EXPECT_EQ(newcomers({3, 5, 12, 20}, seen), (std::vector<pid_t>{3, 20}));
  EXPECT_EQ(seen, (std::vector<pid_t>{3, 5, 9, 12, 20}));
  EXPECT_TRUE(newcomers({3, 12}, seen).empty());
  EXPECT_TRUE(newcomers({}, seen).empty());
  EXPECT_EQ(seen.size(), 5u);
}

TEST(ProcTest, KeptPidsArePid1ThemselvesAndTheirAncestors) {
  const std::vector<pid_t> ancestors{40, 7};
  for (const pid_t pid : {0, 1, 100, 40, 7}) {
    EXPECT_TRUE(isKeptPid(pid, 100, ancestors)) << pid;
  }
  for (const pid_t pid : {2, 41, 99, 101}) {
    EXPECT_FALSE(isKeptPid(pid, 100, ancestors)) << pid;
  }
}

}  // namespace
}  // namespace cginit
