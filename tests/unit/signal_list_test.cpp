// SPDX-License-Identifier: MIT
// SignalByList (list, signal what is new, until quiet) and PidFollower (bounded pidfds), against
// real child processes.
#include "cginit/signal_list.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <memory>
#include <vector>

#include <gtest/gtest.h>

#include "cgroup_test_util.h"

namespace cginit::test {
namespace {

std::vector<pid_t> pidsOf(const std::vector<std::unique_ptr<ChildProcess>>& children) {
  std::vector<pid_t> pids;
  for (const auto& c : children) {
    pids.push_back(c->pid());
  }
  std::sort(pids.begin(), pids.end());
  return pids;
}

PidSource fixedSource(const std::vector<pid_t>& pids) {
  PidSource source;
  source.list = [pids]() -> Result<std::vector<pid_t>> { return pids; };
  return source;
}

TEST(SignalByListTest, EachProcessGetsTheSignalOnceAndAgainAfterItWasForgotten) {
  std::vector<std::unique_ptr<ChildProcess>> children;
  for (int i = 0; i < 3; ++i) {
    children.push_back(std::make_unique<ChildProcess>());
  }
  SignalByList list(::getpid());
  // Signal 0 only checks that the process exists: what is counted is what would be sent.
  auto first = list.signalNew(fixedSource(pidsOf(children)), 0, false);
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->signalled, 3u);
  EXPECT_EQ(first->lists, 2u) << "a second list shows nothing new: quiet";
  auto again = list.signalNew(fixedSource(pidsOf(children)), 0, false);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->signalled, 0u);
  EXPECT_EQ(again->lists, 1u);
  list.forget(children[1]->pid());
  again = list.signalNew(fixedSource(pidsOf(children)), 0, false);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->signalled, 1u);
  EXPECT_EQ(list.count(), 3u);
}

TEST(SignalByListTest, NeverSignalsPid1CginitOrItsParent) {
  SignalByList list(::getpid());
  EXPECT_TRUE(list.kept(1));
  EXPECT_TRUE(list.kept(0));
  EXPECT_TRUE(list.kept(::getpid()));
  EXPECT_TRUE(list.kept(::getppid()));
  ChildProcess child;
  EXPECT_FALSE(list.kept(child.pid()));
  std::vector<pid_t> pids{1, ::getppid(), ::getpid(), child.pid()};
  std::sort(pids.begin(), pids.end());
  auto sent = list.signalNew(fixedSource(pids), SIGUSR1, false);
  ASSERT_TRUE(sent);
  EXPECT_EQ(sent->signalled, 1u);
  const int status = child.waitForExit(std::chrono::seconds(5));
  ASSERT_TRUE(WIFSIGNALED(status)) << status;
  EXPECT_EQ(WTERMSIG(status), SIGUSR1);
}

// A source that shows a new process at every list: four lists, the fourth frozen and thawed,
// every arrival signalled.
TEST(SignalByListTest, ASourceThatKeepsGrowingIsFrozenForALastList) {
  std::vector<std::unique_ptr<ChildProcess>> children;
  int freezes = 0;
  int thaws = 0;
  int lists = 0;
  PidSource source;
  source.list = [&]() -> Result<std::vector<pid_t>> {
    ++lists;
    children.push_back(std::make_unique<ChildProcess>());
    return pidsOf(children);
  };
  source.freeze = [&] {
    ++freezes;
    return true;
  };
  source.thaw = [&] { ++thaws; };
  SignalByList list(::getpid());
  auto sent = list.signalNew(source, SIGUSR1, true);
  ASSERT_TRUE(sent);
  EXPECT_EQ(lists, kUnfrozenLists + 1);
  EXPECT_EQ(freezes, 1);
  EXPECT_EQ(thaws, 1);
  EXPECT_EQ(sent->signalled, children.size());
  for (auto& c : children) {
    EXPECT_EQ(WTERMSIG(c->waitForExit(std::chrono::seconds(5))), SIGUSR1);
  }
}

TEST(SignalByListTest, ReachedOtherwiseCountsWithoutASignal) {
  ChildProcess a;
  ChildProcess b;
  PidSource source = fixedSource({std::min(a.pid(), b.pid()), std::max(a.pid(), b.pid())});
  source.reachedOtherwise = [&a](pid_t pid) { return pid == a.pid(); };
  SignalByList list(::getpid());
  auto sent = list.signalNew(source, SIGUSR1, false);
  ASSERT_TRUE(sent);
  EXPECT_EQ(sent->signalled, 1u);
  EXPECT_EQ(list.count(), 2u);
  EXPECT_EQ(WTERMSIG(b.waitForExit(std::chrono::seconds(5))), SIGUSR1);
  EXPECT_EQ(a.waitForExit(std::chrono::milliseconds(0)), -1) << "a was sent a signal";
}

// A first list that fails (EMFILE, ENOMEM) is an Error for the caller to try again; one that
// fails later ends the call with what was sent.
TEST(SignalByListTest, AFailedListIsAnErrorOnlyWhenItIsTheFirst) {
  ChildProcess child;
  int calls = 0;
  PidSource source;
  source.list = [&]() -> Result<std::vector<pid_t>> {
    if (++calls == 2) {
      return Error{EMFILE, "open cgroup.procs: Too many open files"};
    }
    return std::vector<pid_t>{child.pid()};
  };
  SignalByList list(::getpid());
  auto sent = list.signalNew(source, 0, false);
  ASSERT_TRUE(sent);
  EXPECT_EQ(sent->signalled, 1u);
  EXPECT_EQ(sent->lists, 1u);
  PidSource failing;
  failing.list = []() -> Result<std::vector<pid_t>> {
    return Error{ENOMEM, "read: Cannot allocate memory"};
  };
  auto none = list.signalNew(failing, 0, false);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, ENOMEM);
}

/// Waits (bounded) until `follower`'s epoll fd says that a followed process exited.
bool waitReadable(const PidFollower& follower) {
  epoll_event ev{};
  return ::epoll_wait(follower.fd(), &ev, 1, 5000) == 1;
}

TEST(PidFollowerTest, FollowsUpToItsCapacityAndSaysWhenItIsBlind) {
  std::vector<std::unique_ptr<ChildProcess>> children;
  for (int i = 0; i < 3; ++i) {
    children.push_back(std::make_unique<ChildProcess>());
  }
  PidFollower follower(2);
  ASSERT_GE(follower.fd(), 0);
  EXPECT_EQ(follower.follow(pidsOf(children)), 2u);
  EXPECT_TRUE(follower.isBlind());
  EXPECT_EQ(follower.size(), 2u);
  // Following again adds nothing while it is full; one that exits makes room.
  const pid_t first = pidsOf(children).front();
  for (auto& c : children) {
    if (c->pid() == first) {
      ASSERT_EQ(::kill(first, SIGKILL), 0);
      (void)c->waitForExit(std::chrono::seconds(5));
    }
  }
  ASSERT_TRUE(waitReadable(follower));
  EXPECT_EQ(follower.collect(), 1u);
  auto rest = pidsOf(children);
  std::erase(rest, first);
  EXPECT_EQ(follower.follow(rest), 2u);
  EXPECT_FALSE(follower.isBlind());
}

// Out of fds for real (RLIMIT_NOFILE lowered in a child of the test, room for two pidfds): the
// follower takes what fits, says it is blind, and nothing fails. The verdict is the child's exit
// status.
TEST(PidFollowerTest, EmfileFollowsWhatFitsAndIsBlind) {
  const pid_t tester = ::fork();
  ASSERT_GE(tester, 0);
  if (tester == 0) {
    // The children are killed and reaped (their destructors) before the verdict goes out.
    const int verdict = [] {
      std::vector<std::unique_ptr<ChildProcess>> children;
      for (int i = 0; i < 5; ++i) {
        children.push_back(std::make_unique<ChildProcess>());
      }
      PidFollower follower(64);
      if (follower.fd() < 0) {
        return 3;
      }
      // Every fd number up to the highest in use taken (gaps filled with /dev/null), and a
      // limit that leaves room for exactly two more: two pidfds.
      int highest = 2;
      for (int fd = 3; fd < 4096; ++fd) {
        if (::fcntl(fd, F_GETFD) >= 0) {
          highest = fd;
        }
      }
      for (;;) {
        const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
          return 5;
        }
        if (fd > highest) {
          ::close(fd);
          break;
        }
      }
      const rlimit lim{static_cast<rlim_t>(highest + 3), static_cast<rlim_t>(highest + 3)};
      if (::setrlimit(RLIMIT_NOFILE, &lim) != 0) {
        return 2;
      }
      const size_t followed = follower.follow(pidsOf(children));
      return followed == 2 && follower.isBlind() ? 0 : 4;
    }();
    ::_exit(verdict);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(tester, &status, 0), tester);
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0)
      << "2: setrlimit, 3: no epoll fd, 4: not 2 followed or not blind, 5: open";
}

}  // namespace
}  // namespace cginit::test
