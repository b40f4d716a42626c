// SPDX-License-Identifier: MIT
// Tests for Cgroup and CgroupTree: real cgroup2 directories where the machine allows, and plain
// directories standing in for a cgroup where only the logic is under test.
#include "cginit/cgroup.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include <linux/magic.h>

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "cginit/cgroup_drain.h"
#include "cginit/cgroup_tree.h"
#include "cginit/fault.h"
#include "cginit/sys.h"

#include "cgroup_test_util.h"

namespace cginit {
namespace {

namespace fs = std::filesystem;
using namespace cginit::test;  // NOLINT: the shared cgroup test helpers

/// remove() as a gtest assertion that carries the error message.
::testing::AssertionResult removed(CgroupTree& tree) {
  auto st = tree.remove();
  if (st) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << st.error().message;
}

class CgroupKernelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) {
      GTEST_SKIP() << "needs root to create cgroups";
    }
    base_ = cgroup2Base();
    if (base_.empty()) {
      GTEST_SKIP() << "no cgroup2 hierarchy at /sys/fs/cgroup/unified or /sys/fs/cgroup";
    }
    ownCgroup_ = readText("/proc/self/cgroup");
    cg_ = std::make_unique<TestCgroup>(base_, "unit");
    ASSERT_FALSE(cg_->path().empty());
  }
  void TearDown() override {
    // The test runner itself must never have been moved.
    if (!ownCgroup_.empty()) {
      EXPECT_EQ(readText("/proc/self/cgroup"), ownCgroup_);
    }
  }

  /// setupAt() on the test cgroup.
  std::optional<CgroupTree> setupTree(const CgroupRequest& request = {}) {
    auto tree = CgroupTree::setupAt(openDir(cg_->path()), cg_->path(), request);
    EXPECT_TRUE(tree) << tree.error().message;
    if (!tree) {
      return std::nullopt;
    }
    return std::move(*tree);
  }

  bool controllerAvailable(const std::string& name) const {
    const auto list = " " + readText(cg_->path() + "/cgroup.controllers");
    return list.find(" " + name) != std::string::npos;
  }

  std::string base_;
  std::string ownCgroup_;
  std::unique_ptr<TestCgroup> cg_;
};

// No depth limit (17.7): 80 nested cgroups are walked parent first, a process at the bottom is
// listed, and removeChild() removes all of them.
TEST_F(CgroupKernelTest, DeepTreeIsWalkedListedAndRemovedWithoutADepthLimit) {
  constexpr int kDepth = 80;
  std::string rel = "top";
  ASSERT_EQ(::mkdir((cg_->path() + "/" + rel).c_str(), 0755), 0);
  for (int level = 1; level <= kDepth; ++level) {
    rel += "/l" + std::to_string(level);
    ASSERT_EQ(::mkdir((cg_->path() + "/" + rel).c_str(), 0755), 0) << level;
  }
  ChildProcess child;
  writeText(cg_->path() + "/" + rel + "/cgroup.procs", std::to_string(child.pid()));
  auto root = Cgroup::open(cg_->path());
  ASSERT_TRUE(root) << root.error().message;
  const auto below = root->descendants();
  ASSERT_EQ(below.size(), static_cast<size_t>(kDepth + 1));
  EXPECT_EQ(below.front(), "top");
  EXPECT_EQ(below.back(), rel);
  auto pids = root->procsRecursive();
  ASSERT_TRUE(pids) << pids.error().message;
  EXPECT_EQ(*pids, std::vector<pid_t>{child.pid()});
  auto deep = root->descendant(rel);
  ASSERT_TRUE(deep) << deep.error().message;
  ASSERT_TRUE(deep->kill());
  EXPECT_TRUE(WIFSIGNALED(child.waitForExit(std::chrono::seconds(5))));
  auto st = root->removeChild("top", std::chrono::seconds(2));
  EXPECT_TRUE(st) << st.error().message;
  EXPECT_FALSE(fs::exists(cg_->path() + "/top"));
}

// 17.2: an empty threaded cgroup cannot be listed through cgroup.procs (EOPNOTSUPP); the walk
// still lists the processes of the rest (here: its threaded domain, beside it a domain would be
// invalid).
TEST_F(CgroupKernelTest, ThreadedCgroupDoesNotCostTheOthersTheirPlaceInTheList) {
  ASSERT_EQ(::mkdir((cg_->path() + "/t").c_str(), 0755), 0);
  writeText(cg_->path() + "/t/cgroup.type", "threaded");
  ChildProcess child;
  writeText(cg_->path() + "/cgroup.procs", std::to_string(child.pid()));
  auto root = Cgroup::open(cg_->path());
  ASSERT_TRUE(root) << root.error().message;
  auto t = root->child("t");
  ASSERT_TRUE(t);
  EXPECT_FALSE(t->procs());
  auto members = t->members();
  ASSERT_TRUE(members) << members.error().message;
  EXPECT_TRUE(members->empty());
  auto pids = root->procsRecursive();
  ASSERT_TRUE(pids) << pids.error().message;
  EXPECT_EQ(*pids, std::vector<pid_t>{child.pid()});
}

TEST_F(CgroupKernelTest, SetupCreatesInitAndWorkloadAndRemoveDeletesThem) {
  auto tree = setupTree();
  ASSERT_TRUE(tree);
  EXPECT_TRUE(fs::is_directory(cg_->path() + "/init"));
  EXPECT_TRUE(fs::is_directory(cg_->path() + "/workload"));
  EXPECT_EQ(tree->workloadPath(), cg_->path() + "/workload");
  EXPECT_GE(tree->workloadDirFd(), 0);
  EXPECT_GE(tree->workloadEventsFd(), 0);
  auto populated = tree->workloadPopulated();
  ASSERT_TRUE(populated);
  EXPECT_FALSE(*populated);

  ASSERT_TRUE(removed(*tree));
  EXPECT_FALSE(fs::exists(cg_->path() + "/init"));
  EXPECT_FALSE(fs::exists(cg_->path() + "/workload"));
  EXPECT_EQ(::rmdir(cg_->path().c_str()), 0) << std::strerror(errno);
}

TEST_F(CgroupKernelTest, SetupMovesProcessesOfTheRootIntoInit) {
  ChildProcess child;
  ASSERT_GT(child.pid(), 0);
  ASSERT_TRUE(Cgroup::open(cg_->path())->moveProc(child.pid()));

  auto tree = setupTree();
  ASSERT_TRUE(tree);
  EXPECT_TRUE(procsOf(cg_->path()).empty());
  EXPECT_TRUE(contains(procsOf(cg_->path() + "/init"), child.pid()));
  EXPECT_TRUE(removed(*tree));
}

// The drain's sweep (here with SIGCONT, which leaves the stranger running) moves it first.
TEST_F(CgroupKernelTest, DrainMovesInitProcessesIntoWorkload) {
  // What `docker exec` does when <root> has controllers enabled: a process appears in init/.
  auto tree = setupTree();
  ASSERT_TRUE(tree);
  ChildProcess stranger;
  ASSERT_TRUE(Cgroup::open(cg_->path() + "/init")->moveProc(stranger.pid()));

  CgroupDrain drain(*tree);
  EXPECT_TRUE(drain.sweep(SIGCONT, false).populated);
  EXPECT_TRUE(contains(procsOf(cg_->path() + "/workload"), stranger.pid()));
  EXPECT_TRUE(procsOf(cg_->path() + "/init").empty());
  EXPECT_EQ(drain.escaped(), 1u);

  EXPECT_TRUE(drain.sweep(SIGKILL, false).populated);
  EXPECT_EQ(WTERMSIG(stranger.waitForExit(std::chrono::seconds(5))), SIGKILL);
  EXPECT_TRUE(removed(*tree));
}

TEST_F(CgroupKernelTest, DrainMovesRootProcessesIntoWorkload) {
  auto tree = setupTree();
  ASSERT_TRUE(tree);
  if (!tree->enabledControllers().empty()) {
    // No-internal-processes: with controllers enabled and init/ populated, nothing can join.
    EXPECT_TRUE(removed(*tree));
    GTEST_SKIP() << "controllers are enabled, so the kernel keeps processes out of <root>";
  }
  ChildProcess stranger;
  ASSERT_TRUE(Cgroup::open(cg_->path())->moveProc(stranger.pid()));

  CgroupDrain drain(*tree);
  EXPECT_TRUE(drain.sweep(SIGCONT, false).populated);
  EXPECT_TRUE(contains(procsOf(cg_->path() + "/workload"), stranger.pid()));
  EXPECT_TRUE(procsOf(cg_->path()).empty());
  EXPECT_TRUE(drain.sweep(SIGKILL, false).populated);
  EXPECT_EQ(WTERMSIG(stranger.waitForExit(std::chrono::seconds(5))), SIGKILL);
  EXPECT_TRUE(removed(*tree));
}

TEST_F(CgroupKernelTest, SignalWorkloadReachesAMovedChild) {
  auto tree = setupTree();
  ASSERT_TRUE(tree);
  ChildProcess child;
  ASSERT_TRUE(tree->movePidToWorkload(child.pid()));
  EXPECT_EQ(procsOf(tree->workloadPath()), std::vector<pid_t>{child.pid()});

  auto sent = CgroupDrain(*tree).signalWorkload(SIGUSR1);
  ASSERT_TRUE(sent) << sent.error().message;
  EXPECT_EQ(*sent, 1u);
  const int status = child.waitForExit(std::chrono::seconds(5));
  ASSERT_TRUE(WIFSIGNALED(status)) << status;
  EXPECT_EQ(WTERMSIG(status), SIGUSR1);
  // Thawed again after signalling.
  if (fs::exists(cg_->path() + "/workload/cgroup.freeze")) {
    EXPECT_EQ(readText(cg_->path() + "/workload/cgroup.freeze"), "0\n");
  }
  EXPECT_TRUE(removed(*tree));
}

TEST_F(CgroupKernelTest, SignalWorkloadReachesNestedCgroupsAndRemoveDeletesThem) {
  auto tree = setupTree();
  ASSERT_TRUE(tree);
  auto workload = Cgroup::open(tree->workloadPath());
  ASSERT_TRUE(workload);
  auto nested = workload->child("nested", true);
  ASSERT_TRUE(nested) << nested.error().message;
  ChildProcess child;
  ASSERT_TRUE(nested->moveProc(child.pid()));

  auto pids = tree->workload().procsRecursive();
  ASSERT_TRUE(pids);
  EXPECT_TRUE(contains(*pids, child.pid()));
  auto sent = CgroupDrain(*tree).signalWorkload(SIGTERM);
  ASSERT_TRUE(sent);
  EXPECT_EQ(*sent, 1u);
  EXPECT_EQ(WTERMSIG(child.waitForExit(std::chrono::seconds(5))), SIGTERM);

  const std::string workloadPath = tree->workloadPath();
  ASSERT_TRUE(removed(*tree));
  EXPECT_FALSE(fs::exists(workloadPath));
}

TEST_F(CgroupKernelTest, KillSweepEmptiesWorkloadAndEventsFdReportsPopulated0) {
  auto tree = setupTree();
  ASSERT_TRUE(tree);
  ChildProcess first;
  ChildProcess second;
  ASSERT_TRUE(tree->movePidToWorkload(first.pid()));
  ASSERT_TRUE(tree->movePidToWorkload(second.pid()));
  auto populated = tree->workloadPopulated();  // also arms EPOLLPRI
  ASSERT_TRUE(populated);
  ASSERT_TRUE(*populated);

  UniqueFd ep(::epoll_create1(EPOLL_CLOEXEC));
  ASSERT_TRUE(ep);
  epoll_event ev{};
  ev.events = EPOLLPRI;
  ASSERT_EQ(::epoll_ctl(ep.get(), EPOLL_CTL_ADD, tree->workloadEventsFd(), &ev), 0);

  const auto swept = CgroupDrain(*tree).sweep(SIGKILL, false);
  EXPECT_TRUE(swept.populated);
  EXPECT_EQ(swept.signalled, 2u);
  // Wait (bounded) for the EPOLLPRI wake-up that says populated 0.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  bool woke = false;
  while (*populated && std::chrono::steady_clock::now() < deadline) {
    epoll_event out{};
    const int n = ::epoll_wait(ep.get(), &out, 1, 5000);
    ASSERT_GE(n, 0) << std::strerror(errno);
    if (n == 1) {
      woke = true;
      EXPECT_TRUE(out.events & EPOLLPRI);
      populated = tree->workloadPopulated();
      ASSERT_TRUE(populated);
    }
  }
  EXPECT_TRUE(woke);
  EXPECT_FALSE(*populated);
  EXPECT_TRUE(procsOf(tree->workloadPath()).empty());
  EXPECT_EQ(WTERMSIG(first.waitForExit(std::chrono::seconds(5))), SIGKILL);
  EXPECT_EQ(WTERMSIG(second.waitForExit(std::chrono::seconds(5))), SIGKILL);
  EXPECT_TRUE(removed(*tree));
}

TEST_F(CgroupKernelTest, RemoveMovesInitProcessesBackToTheRoot) {
  ChildProcess child;
  ASSERT_TRUE(Cgroup::open(cg_->path())->moveProc(child.pid()));
  auto tree = setupTree();
  ASSERT_TRUE(tree);
  ASSERT_TRUE(contains(procsOf(cg_->path() + "/init"), child.pid()));

  ASSERT_TRUE(removed(*tree));
  EXPECT_TRUE(contains(procsOf(cg_->path()), child.pid()));
  EXPECT_FALSE(fs::exists(cg_->path() + "/init"));
}

TEST_F(CgroupKernelTest, MissingPidsControllerWarnsOnceInAutoModeAndSkipsPidsMax) {
  if (controllerAvailable("pids")) {
    GTEST_SKIP() << "the pids controller is available here; this tests its absence";
  }
  LogCapture log;
  CgroupRequest request;
  request.pidsMax = "64";
  auto tree = setupTree(request);
  ASSERT_TRUE(tree);
  EXPECT_EQ(log.count("[warning]"), 1u) << log.text();
  EXPECT_NE(log.text().find("controller pids is not available"), std::string::npos) << log.text();
  EXPECT_EQ(tree->pidsEventsFd(), -1);
  EXPECT_FALSE(fs::exists(tree->workloadPath() + "/pids.max"));
  auto peak = tree->pidsPeak();
  ASSERT_TRUE(peak);
  EXPECT_FALSE(*peak);
  EXPECT_TRUE(removed(*tree));
}

TEST_F(CgroupKernelTest, MissingPidsControllerIsAnErrorInRequiredMode) {
  if (controllerAvailable("pids")) {
    GTEST_SKIP() << "the pids controller is available here; this tests its absence";
  }
  CgroupRequest request;
  request.strict = true;
  request.pidsMax = "64";
  auto tree = CgroupTree::setupAt(openDir(cg_->path()), cg_->path(), request);
  ASSERT_FALSE(tree);
  EXPECT_FALSE(tree.error().usage) << "the layer has no policy: exit 2 is the supervisor's";
  EXPECT_NE(tree.error().message.find("pids"), std::string::npos) << tree.error().message;
  // Nothing was left behind.
  EXPECT_FALSE(fs::exists(cg_->path() + "/init"));
  EXPECT_FALSE(fs::exists(cg_->path() + "/workload"));
}

TEST_F(CgroupKernelTest, PidsMaxIsWrittenWhenTheControllerIsAvailable) {
  if (!controllerAvailable("pids")) {
    GTEST_SKIP() << "pids controller not delegated to " << cg_->path();
  }
  ChildProcess child;
  ASSERT_TRUE(Cgroup::open(cg_->path())->moveProc(child.pid()));
  CgroupRequest request;
  request.pidsMax = "64";
  auto tree = setupTree(request);
  ASSERT_TRUE(tree);
  EXPECT_EQ(readText(tree->workloadPath() + "/pids.max"), "64\n");
  EXPECT_GE(tree->pidsEventsFd(), 0);
  auto events = tree->pidsMaxEvents();
  ASSERT_TRUE(events);
  EXPECT_EQ(*events, 0u);
  EXPECT_NE(readText(cg_->path() + "/cgroup.subtree_control").find("pids"), std::string::npos);
  ASSERT_TRUE(removed(*tree));
  EXPECT_EQ(readText(cg_->path() + "/cgroup.subtree_control").find("pids"), std::string::npos);
  EXPECT_TRUE(contains(procsOf(cg_->path()), child.pid()));
}

TEST_F(CgroupKernelTest, DomainControllerLimitIsAppliedAfterTheRootIsEmptied) {
  // +memory gives EBUSY while <root> has processes: setup must move them out first.
  if (!controllerAvailable("memory")) {
    GTEST_SKIP() << "memory controller not delegated to " << cg_->path();
  }
  ChildProcess child;
  ASSERT_TRUE(Cgroup::open(cg_->path())->moveProc(child.pid()));
  CgroupRequest request;
  request.strict = true;
  request.limits = {{"memory.max", "64M"}};
  auto tree = setupTree(request);
  ASSERT_TRUE(tree);
  EXPECT_EQ(readText(tree->workloadPath() + "/memory.max"), "67108864\n");
  auto oom = tree->oomKills();
  ASSERT_TRUE(oom);
  EXPECT_EQ(*oom, std::optional<uint64_t>(0));
  EXPECT_TRUE(contains(procsOf(cg_->path() + "/init"), child.pid()));
  ASSERT_TRUE(removed(*tree));
  EXPECT_TRUE(contains(procsOf(cg_->path()), child.pid()));
}

// A process in init/ that is an ancestor of "cginit" (here a grandchild of the test that set up
// the tree) is its parent, a tracer or a shell, not a stranger: the drain must not move (and so
// freeze and kill) it. Run in forked processes, whose exit status carries the verdict.
TEST_F(CgroupKernelTest, DrainLeavesAnAncestorInInitAlone) {
  int toParent[2];
  int toChild[2];
  ASSERT_EQ(::pipe2(toParent, O_CLOEXEC), 0);
  ASSERT_EQ(::pipe2(toChild, O_CLOEXEC), 0);
  const std::string root = cg_->path();
  const pid_t parent = ::fork();
  ASSERT_GE(parent, 0);
  if (parent == 0) {
    // The ancestor: waits until "cginit" has set up, joins init/ like a late arrival would,
    // then waits for the verdict and passes it on.
    const pid_t self = ::fork();
    if (self == 0) {
      // "cginit". Only its own pipe ends stay open: a peer that dies is EOF, never a hang.
      ::close(toParent[0]);
      ::close(toChild[1]);
      char byte = 0;
      auto tree = CgroupTree::setupAt(openDir(root), root, {});
      if (!tree) {
        ::_exit(2);
      }
      if (::write(toParent[1], "s", 1) != 1 || ::read(toChild[0], &byte, 1) != 1) {
        ::_exit(3);
      }
      const bool adopted = !CgroupDrain(*tree).sweep(SIGCONT, false).blind;
      const bool stayed = contains(procsOf(root + "/init"), ::getppid()) &&
                          !contains(procsOf(root + "/workload"), ::getppid());
      const bool removedOk = static_cast<bool>(tree->remove());
      ::_exit(!adopted ? 4 : !stayed ? 5 : !removedOk ? 6 : 0);
    }
    ::close(toParent[1]);
    ::close(toChild[0]);
    char byte = 0;
    if (self < 0 || ::read(toParent[0], &byte, 1) != 1 ||
        !Cgroup::open(root + "/init")->moveProc(::getpid()) || ::write(toChild[1], "m", 1) != 1) {
      ::_exit(10);
    }
    int status = 0;
    if (::waitpid(self, &status, 0) != self) {
      ::_exit(11);
    }
    ::_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 12);
  }
  for (int fd : {toParent[0], toParent[1], toChild[0], toChild[1]}) {
    ::close(fd);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(parent, &status, 0), parent);
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0)
      << "4: the sweep was blind, 5: the ancestor was moved, 6: remove failed, else setup";
}

// ---------------------------------------------------------------------------------------------
// Against plain directories: the logic, without the kernel.

class CgroupFakeTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(tmp_.path().empty()); }

  /// A fake cgroup root with init/ and workload/ already present (so no kernel is needed).
  std::string fakeRoot(const std::string& controllers) {
    const std::string root = tmp_.path() + "/root";
    makeFakeCgroup(root, controllers);
    makeFakeCgroup(root + "/init");
    makeFakeCgroup(root + "/workload");
    for (const char* file : {"pids.max", "memory.max", "cpu.max"}) {
      writeText(root + "/workload/" + file, "");
    }
    writeText(root + "/init/pids.max", "");
    return root;
  }

  /// Writes /proc/self/cgroup and mountinfo stand-ins and returns a request that reads them.
  CgroupRequest discoveryRequest(const std::string& selfCgroup, const std::string& mountinfo) {
    CgroupRequest request;
    request.procSelfCgroup = tmp_.path() + "/self-cgroup";
    request.mountinfo = tmp_.path() + "/mountinfo";
    writeText(request.procSelfCgroup, selfCgroup);
    writeText(request.mountinfo, mountinfo);
    return request;
  }

  TempDir tmp_;
};

TEST_F(CgroupFakeTest, HierarchyRootIsRefusedWithAReasonAndNoWarning) {
  const std::string root = tmp_.path() + "/root";
  fs::create_directories(root);
  writeText(root + "/cgroup.procs", "");  // but no cgroup.events: the hierarchy root
  LogCapture log;
  auto tree = CgroupTree::setupAt(openDir(root), root, {});
  ASSERT_FALSE(tree) << "managed";
  EXPECT_EQ(log.count("[warning]"), 0u) << "the caller warns, not the layer: " << log.text();
  EXPECT_NE(tree.error().message.find("root of the cgroup hierarchy"), std::string::npos)
      << tree.error().message;
  EXPECT_FALSE(fs::exists(root + "/init"));
}

TEST_F(CgroupFakeTest, HierarchyRootIsAnErrorInRequiredMode) {
  const std::string root = tmp_.path() + "/root";
  fs::create_directories(root);
  CgroupRequest request;
  request.strict = true;
  auto tree = CgroupTree::setupAt(openDir(root), root, request);
  ASSERT_FALSE(tree);
  EXPECT_FALSE(tree.error().usage) << "the layer has no policy: exit 2 is the supervisor's";
  EXPECT_NE(tree.error().message.find("systemd-run --scope"), std::string::npos);
}

TEST_F(CgroupFakeTest, WritesPidsMaxAndLimitsAndEnablesControllersInOneWrite) {
  const std::string root = fakeRoot("cpuset cpu io memory pids");
  CgroupRequest request;
  request.pidsMax = "64";
  request.limits = {{"memory.max", "512M"}, {"cpu.max", "50000 100000"}};
  auto tree = CgroupTree::setupAt(openDir(root), root, request);
  ASSERT_TRUE(tree) << tree.error().message;
  EXPECT_EQ(readText(root + "/workload/pids.max"), "64");
  EXPECT_EQ(tree->pidsMaxWritten(), "64") << "what pids.max reads back";
  EXPECT_EQ(readText(root + "/init/pids.max"), std::to_string(kInitPidsBudget))
      << "processes that join init/ (docker exec) are capped too";
  EXPECT_EQ(readText(root + "/workload/memory.max"), "512M");
  EXPECT_EQ(readText(root + "/workload/cpu.max"), "50000 100000");
  EXPECT_EQ(readText(root + "/cgroup.subtree_control"), "+pids +memory +cpu");
  EXPECT_EQ(tree->enabledControllers(), (std::vector<std::string>{"pids", "memory", "cpu"}));
}

// Issue 17 item 6: the report shows what the kernel holds, read back after the write.
TEST_F(CgroupFakeTest, PidsMaxIsReadBack) {
  const std::string root = fakeRoot("pids");
  CgroupRequest request;
  request.pidsMax = "max";
  auto tree = CgroupTree::setupAt(openDir(root), root, request);
  ASSERT_TRUE(tree) << tree.error().message;
  EXPECT_EQ(tree->pidsMaxWritten(), "max");
  EXPECT_EQ(readText(root + "/init/pids.max"), "") << "no budget where workload/ has none";
}

// Written, but not readable back: the report shows no pids_max rather than a guess.
TEST_F(CgroupFakeTest, PidsMaxThatCannotBeReadBackIsNotReported) {
  const std::string root2 = fakeRoot("pids");
  CgroupRequest request;
  FaultPlan plan;
  plan.fail(FaultOp::Read, "workload/pids.max", EIO, FaultPlan::kAlways);
  ScopedFaultPlan faults(plan);
  LogCapture log;
  request.pidsMax = "64";
  auto tree2 = CgroupTree::setupAt(openDir(root2), root2, request);
  ASSERT_TRUE(tree2) << tree2.error().message;
  EXPECT_EQ(readText(root2 + "/workload/pids.max"), "64");
  EXPECT_EQ(tree2->pidsMaxWritten(), std::nullopt);
  EXPECT_EQ(log.count("[warning]"), 1u) << log.text();
  EXPECT_NE(log.text().find("cannot be read back"), std::string::npos) << log.text();
}

TEST_F(CgroupFakeTest, EnablesPidsEvenWithoutPidsMaxForThePeakAndEvents) {
  const std::string root = fakeRoot("memory pids");
  auto tree = CgroupTree::setupAt(openDir(root), root, {});
  ASSERT_TRUE(tree);
  EXPECT_EQ(readText(root + "/cgroup.subtree_control"), "+pids");
  EXPECT_EQ(readText(root + "/workload/pids.max"), "");
  EXPECT_EQ(readText(root + "/init/pids.max"), "");
}

// Issue 12: no cgroup bomb by default; --limit cgroup.max.descendants replaces the default.
TEST_F(CgroupFakeTest, WorkloadGetsMaxDescendants1000UnlessALimitSetsIt) {
  const std::string root = fakeRoot("pids");
  {
    auto tree = CgroupTree::setupAt(openDir(root), root, {});
    ASSERT_TRUE(tree) << tree.error().message;
    EXPECT_EQ(readText(root + "/workload/cgroup.max.descendants"), "1000");
  }
  const std::string other = tmp_.path() + "/other";
  makeFakeCgroup(other, "pids");
  makeFakeCgroup(other + "/init");
  makeFakeCgroup(other + "/workload");
  CgroupRequest request;
  request.limits = {{"cgroup.max.descendants", "7"}};
  auto tree = CgroupTree::setupAt(openDir(other), other, request);
  ASSERT_TRUE(tree) << tree.error().message;
  EXPECT_EQ(readText(other + "/workload/cgroup.max.descendants"), "7");
}

TEST_F(CgroupFakeTest, MissingLimitControllerWarnsInAutoModeAndSkipsOnlyThatLimit) {
  const std::string root = fakeRoot("pids");
  LogCapture log;
  CgroupRequest request;
  request.pidsMax = "10";
  request.limits = {{"memory.max", "1G"}};
  auto tree = CgroupTree::setupAt(openDir(root), root, request);
  ASSERT_TRUE(tree);
  EXPECT_EQ(log.count("[warning]"), 1u) << log.text();
  EXPECT_NE(log.text().find("controller memory is not available"), std::string::npos);
  EXPECT_NE(log.text().find("memory.max=1G"), std::string::npos);
  EXPECT_EQ(readText(root + "/workload/memory.max"), "");
  EXPECT_EQ(readText(root + "/workload/pids.max"), "10");
}

TEST_F(CgroupFakeTest, MissingLimitControllerIsAnErrorInRequiredModeAndNothingIsWritten) {
  const std::string root = fakeRoot("pids");
  CgroupRequest request;
  request.strict = true;
  request.pidsMax = "10";
  request.limits = {{"memory.max", "1G"}};
  auto tree = CgroupTree::setupAt(openDir(root), root, request);
  ASSERT_FALSE(tree);
  EXPECT_FALSE(tree.error().usage) << "the layer has no policy: exit 2 is the supervisor's";
  EXPECT_NE(tree.error().message.find("controller memory"), std::string::npos);
  EXPECT_EQ(readText(root + "/cgroup.subtree_control"), "\n");
  EXPECT_EQ(readText(root + "/workload/pids.max"), "");
}

TEST_F(CgroupFakeTest, CountersComeFromTheWorkloadFiles) {
  const std::string root = fakeRoot("pids memory");
  writeText(root + "/workload/cgroup.events", "populated 1\nfrozen 0\n");
  writeText(root + "/workload/pids.events", "max 7\n");
  writeText(root + "/workload/pids.peak", "17\n");
  writeText(root + "/workload/memory.events", "low 0\nhigh 0\nmax 1\noom 2\noom_kill 2\n");
  auto tree = CgroupTree::setupAt(openDir(root), root, {});
  ASSERT_TRUE(tree);
  auto& t = *tree;
  EXPECT_TRUE(*t.workloadPopulated());
  EXPECT_GE(t.pidsEventsFd(), 0);
  EXPECT_EQ(*t.pidsMaxEvents(), 7u);
  EXPECT_EQ(*t.pidsPeak(), std::optional<uint64_t>(17));
  EXPECT_EQ(*t.oomKills(), std::optional<uint64_t>(2));
}

TEST_F(CgroupFakeTest, CountersAreEmptyWhereTheKernelHasNoFile) {
  const std::string root = fakeRoot("");
  auto tree = CgroupTree::setupAt(openDir(root), root, {});
  ASSERT_TRUE(tree);
  auto& t = *tree;
  EXPECT_EQ(t.pidsEventsFd(), -1);
  EXPECT_EQ(*t.pidsMaxEvents(), 0u);
  EXPECT_FALSE(*t.pidsPeak());
  EXPECT_FALSE(*t.oomKills());
}

TEST_F(CgroupFakeTest, DiscoveryFindsOwnCgroupUnderTheLastCgroup2Mount) {
  makeFakeCgroup(tmp_.path() + "/mnt/ctr/sub");
  makeFakeCgroup(tmp_.path() + "/mnt/ctr/sub/init");
  makeFakeCgroup(tmp_.path() + "/mnt/ctr/sub/workload");
  const std::string mnt = tmp_.path() + "/mnt";
  auto request = discoveryRequest("1:cpu:/\n0::/ctr/sub\n",
                                  "41 31 0:38 / /elsewhere rw - cgroup2 cgroup2 rw\n"
                                  "90 22 0:38 / " +
                                      mnt + " rw,relatime - cgroup2 cgroup2 rw,nsdelegate\n");
  auto tree = CgroupTree::setup(request);
  ASSERT_TRUE(tree) << tree.error().message;
  EXPECT_EQ(tree->rootPath(), mnt + "/ctr/sub");
  EXPECT_EQ(tree->workloadPath(), mnt + "/ctr/sub/workload");
}

TEST_F(CgroupFakeTest, DiscoveryReadOnlyCgroupfsNamesTheEngineOptions) {
  auto request = discoveryRequest(
      "0::/\n", "700 690 0:38 / /sys/fs/cgroup ro,nosuid - cgroup2 cgroup2 rw,nsdelegate\n");
  {
    LogCapture log;
    auto tree = CgroupTree::setup(request);
    ASSERT_FALSE(tree) << "managed";
    EXPECT_EQ(log.count("[warning]"), 0u);
    EXPECT_NE(tree.error().message.find("read-only"), std::string::npos) << tree.error().message;
  }
  request.strict = true;
  auto tree = CgroupTree::setup(request);
  ASSERT_FALSE(tree);
  EXPECT_FALSE(tree.error().usage) << "the layer has no policy: exit 2 is the supervisor's";
  for (const char* hint :
       {"--security-opt writable-cgroups=true", "--systemd=always", "--privileged"}) {
    EXPECT_NE(tree.error().message.find(hint), std::string::npos) << tree.error().message;
  }
}

TEST_F(CgroupFakeTest, DiscoveryCgroupV1Only) {
  auto request = discoveryRequest(
      "4:memory:/x\n1:cpu:/\n",
      "43 31 0:40 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n");
  request.strict = true;
  auto tree = CgroupTree::setup(request);
  ASSERT_FALSE(tree);
  EXPECT_NE(tree.error().message.find("cgroup v1 only"), std::string::npos) << tree.error().message;
}

TEST_F(CgroupFakeTest, DiscoveryWithoutAnyCgroupMount) {
  auto request = discoveryRequest("0::/\n", "22 1 0:21 / /sys rw - sysfs sysfs rw\n");
  request.strict = true;
  auto tree = CgroupTree::setup(request);
  ASSERT_FALSE(tree);
  EXPECT_NE(tree.error().message.find("no cgroup2 filesystem"), std::string::npos)
      << tree.error().message;
}

TEST_F(CgroupFakeTest, DiscoveryOwnCgroupOutsideTheMount) {
  auto request =
      discoveryRequest("0::/other\n", "90 22 0:38 /ctr /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n");
  request.strict = true;
  auto tree = CgroupTree::setup(request);
  ASSERT_FALSE(tree);
  EXPECT_NE(tree.error().message.find("not visible"), std::string::npos) << tree.error().message;
}

}  // namespace
}  // namespace cginit
