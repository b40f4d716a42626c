// SPDX-License-Identifier: MIT
// TamperGuard: escapee or exec session from the parent chain (pure); against a real test cgroup,
// a moved process comes back into workload/ and a changed limit gets cginit's value back.
#include "cginit/tamper_guard.h"

#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <optional>

#include <gtest/gtest.h>

#include "cginit/cgroup_tree.h"

#include "cgroup_test_util.h"

namespace cginit {
namespace {

// The program and its descendants: the chain of parents reaches cginit (PID 1).
TEST(TamperGuardOriginTest, ChainThatReachesCginitIsTheWorkload) {
  EXPECT_EQ(originOf(42, {7, 1}, 1), Origin::Workload);
  EXPECT_EQ(originOf(7, {1}, 1), Origin::Workload);
}

// An orphan re-parented to cginit as PID 1 (PPid 1) came from the workload too.
TEST(TamperGuardOriginTest, OrphanAdoptedByCginitIsTheWorkload) {
  EXPECT_EQ(originOf(42, {1}, 1), Origin::Workload);
}

// `docker exec`: the process's parent is outside the PID namespace (PPid 0, no ancestors).
TEST(TamperGuardOriginTest, ParentOutsideTheNamespaceIsAnExecSession) {
  EXPECT_EQ(originOf(42, {}, 1), Origin::ExecSession);
}

// What an exec session started: the chain ends at the session's process, whose PPid is 0.
TEST(TamperGuardOriginTest, ChildOfAnExecSessionIsAnExecSession) {
  EXPECT_EQ(originOf(50, {49, 42}, 1), Origin::ExecSession);
}

// cginit -s under another init: the workload's chain passes through cginit; a process of that
// init's own is neither, and is left alone.
TEST(TamperGuardOriginTest, NotPid1TheChainMustPassThroughCginit) {
  EXPECT_EQ(originOf(42, {9, 1}, 9), Origin::Workload);
  EXPECT_EQ(originOf(42, {1}, 9), Origin::Other);
  EXPECT_EQ(originOf(42, {30}, 9), Origin::ExecSession);
}

using test::ChildProcess;
using test::readText;
using test::writeText;

class TamperGuardKernelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) {
      GTEST_SKIP() << "needs root to create cgroups";
    }
    const std::string base = test::cgroup2Base();
    if (base.empty()) {
      GTEST_SKIP() << "no cgroup2 hierarchy at /sys/fs/cgroup/unified or /sys/fs/cgroup";
    }
    cg_ = std::make_unique<test::TestCgroup>(base, "tamper");
    ASSERT_FALSE(cg_->path().empty());
    auto tree = CgroupTree::setupAt(test::openDir(cg_->path()), cg_->path(), {});
    ASSERT_TRUE(tree) << tree.error().message;
    tree_.emplace(std::move(*tree));
    auto guard = TamperGuard::create(*tree_);
    ASSERT_TRUE(guard) << guard.error().message;
    guard_ = std::move(*guard);
  }
  void TearDown() override {
    guard_.reset();
    if (tree_) {
      EXPECT_TRUE(tree_->remove());
    }
  }

  /// Waits up to two seconds for the guard's fd, then lets it answer; false when nothing came.
  bool answer() {
    pollfd pfd{guard_->fd(), POLLIN, 0};
    if (::poll(&pfd, 1, 2000) != 1) {
      return false;
    }
    return guard_->onEvent();
  }
  /// Whether the guard's fd is readable now.
  bool pending() const {
    pollfd pfd{guard_->fd(), POLLIN, 0};
    return ::poll(&pfd, 1, 0) == 1;
  }
  bool inCgroup(pid_t pid, const std::string& rel) const {
    return test::contains(test::procsOf(cg_->path() + "/" + rel), pid);
  }

  std::unique_ptr<test::TestCgroup> cg_;
  std::optional<CgroupTree> tree_;
  std::unique_ptr<TamperGuard> guard_;
};

// Nothing happens: no event, no wake-up.
TEST_F(TamperGuardKernelTest, IdleGuardHasNothingToRead) {
  EXPECT_FALSE(pending());
  EXPECT_EQ(guard_->tampered(), 0u);
}

// A process of the workload (a child of this process, which plays cginit) moved into init/ is
// moved back into workload/ and counted.
TEST_F(TamperGuardKernelTest, ProcessMovedIntoInitGoesBackIntoWorkload) {
  ChildProcess child;
  writeText(cg_->path() + "/workload/cgroup.procs", std::to_string(child.pid()));
  writeText(cg_->path() + "/init/cgroup.procs", std::to_string(child.pid()));
  ASSERT_TRUE(answer());
  EXPECT_TRUE(inCgroup(child.pid(), "workload"));
  EXPECT_FALSE(inCgroup(child.pid(), "init"));
  EXPECT_EQ(guard_->tampered(), 1u);
}

// A cgroup made beside workload/ is followed: a process that moves into it (or below it) goes
// back, each move counted.
TEST_F(TamperGuardKernelTest, ProcessInACgroupMadeBesideWorkloadGoesBack) {
  ChildProcess child;
  writeText(cg_->path() + "/workload/cgroup.procs", std::to_string(child.pid()));
  ASSERT_EQ(::mkdir((cg_->path() + "/x").c_str(), 0755), 0);
  ASSERT_TRUE(answer());  // IN_CREATE: followed from now on
  writeText(cg_->path() + "/x/cgroup.procs", std::to_string(child.pid()));
  ASSERT_TRUE(answer());
  EXPECT_TRUE(inCgroup(child.pid(), "workload"));
  EXPECT_EQ(guard_->tampered(), 1u);
  ASSERT_EQ(::mkdir((cg_->path() + "/x/y").c_str(), 0755), 0);
  writeText(cg_->path() + "/x/y/cgroup.procs", std::to_string(child.pid()));
  ASSERT_TRUE(answer());  // x/cgroup.events: the first process below x
  EXPECT_TRUE(inCgroup(child.pid(), "workload"));
  EXPECT_EQ(guard_->tampered(), 2u);
}

// cgroup.max.descendants of workload/ (written at setup) changed by another process gets
// cginit's value back, counted once; cginit's own write back is no change.
TEST_F(TamperGuardKernelTest, ChangedLimitIsWrittenBack) {
  const std::string file = cg_->path() + "/workload/cgroup.max.descendants";
  ASSERT_EQ(readText(file), "1000\n");
  writeText(file, "max");
  ASSERT_TRUE(answer());
  EXPECT_EQ(readText(file), "1000\n");
  EXPECT_EQ(guard_->tampered(), 1u);
  // The event of cginit's own write reads the same value: nothing more to undo.
  if (pending()) {
    EXPECT_TRUE(guard_->onEvent());
  }
  EXPECT_EQ(guard_->tampered(), 1u);
}

// Once stopped (the drain began), events are read but nothing is undone, and the caller is
// told to stop watching.
TEST_F(TamperGuardKernelTest, StoppedGuardUndoesNothing) {
  ChildProcess child;
  writeText(cg_->path() + "/workload/cgroup.procs", std::to_string(child.pid()));
  guard_->stop();
  writeText(cg_->path() + "/init/cgroup.procs", std::to_string(child.pid()));
  EXPECT_FALSE(answer());
  EXPECT_TRUE(inCgroup(child.pid(), "init"));
  EXPECT_EQ(guard_->tampered(), 0u);
  // Back into workload/ so that remove() can take it away.
  writeText(cg_->path() + "/workload/cgroup.procs", std::to_string(child.pid()));
}

}  // namespace
}  // namespace cginit
