// SPDX-License-Identifier: MIT
// Fault injection on the cgroup layer: every failing mkdir, open, read, write or rmdir is either
// handled (Auto: one warning, nothing half-done) or an exit-2 Error before the program starts;
// after the start every operation returns an Error instead of giving up.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cginit/cgroup.h"
#include "cginit/cgroup_drain.h"
#include "cginit/cgroup_tree.h"
#include "cginit/fault.h"

#include "cgroup_test_util.h"

namespace cginit::test {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

/// "EACCES" for EACCES: test names for parameterised errnos.
std::string errnoName(int error) {
  const char* name = ::strerrorname_np(error);
  return name != nullptr ? name : std::to_string(error);
}

std::string errnoParamName(const ::testing::TestParamInfo<int>& param) {
  return errnoName(param.param);
}

// ---------------------------------------------------------------------------------------------
// The plan itself.

TEST(FaultPlanTest, WithoutAPlanNothingFailsAndErrnoIsKept) {
  errno = 0;
  EXPECT_FALSE(injectFault(FaultOp::Write, AT_FDCWD, "/x/cgroup.procs"));
  EXPECT_EQ(errno, 0);
}

TEST(FaultPlanTest, SkipsThenFailsTheGivenNumberOfMatchingCalls) {
  FaultPlan plan;
  const size_t rule = plan.fail(FaultOp::Write, "cgroup.procs", EACCES, 2, 1);
  ScopedFaultPlan faults(plan);
  EXPECT_FALSE(injectFault(FaultOp::Write, AT_FDCWD, "/x/cgroup.procs"));  // skipped
  EXPECT_FALSE(injectFault(FaultOp::Read, AT_FDCWD, "/x/cgroup.procs"));   // other op
  EXPECT_TRUE(injectFault(FaultOp::Write, AT_FDCWD, "/x/cgroup.procs"));
  EXPECT_EQ(errno, EACCES);
  EXPECT_TRUE(injectFault(FaultOp::Write, AT_FDCWD, "/y/cgroup.procs"));
  EXPECT_FALSE(injectFault(FaultOp::Write, AT_FDCWD, "/x/cgroup.procs"));  // used up
  EXPECT_EQ(plan.failures(rule), 2);
}

TEST(FaultPlanTest, AWatchCountsMatchingCallsAndRunsItsHookWithoutFailingThem) {
  FaultPlan plan;
  int hooked = 0;
  const size_t watch = plan.watch(FaultOp::Open, "cgroup.procs", [&hooked] { ++hooked; });
  const size_t failing = plan.fail(FaultOp::Open, "cgroup.procs", EIO, 1);
  ScopedFaultPlan faults(plan);
  errno = 0;
  EXPECT_TRUE(injectFault(FaultOp::Open, AT_FDCWD, "/x/cgroup.procs"));  // the rule after it
  EXPECT_EQ(errno, EIO);
  errno = 0;
  EXPECT_FALSE(injectFault(FaultOp::Open, AT_FDCWD, "/x/cgroup.procs"));
  EXPECT_EQ(errno, 0);
  EXPECT_FALSE(injectFault(FaultOp::Read, AT_FDCWD, "/x/cgroup.procs"));  // other op
  EXPECT_EQ(plan.calls(watch), 2);
  EXPECT_EQ(hooked, 2);
  EXPECT_EQ(plan.failures(watch), 0);
  EXPECT_EQ(plan.calls(failing), 2);
  EXPECT_EQ(plan.failures(failing), 1);
}

TEST(FaultPlanTest, MatchesWholePathComponentsFromTheEnd) {
  FaultPlan plan;
  plan.fail(FaultOp::Write, "workload/cgroup.procs", EIO, FaultPlan::kAlways);
  plan.fail(FaultOp::Rmdir, "*", EBUSY, FaultPlan::kAlways);
  ScopedFaultPlan faults(plan);
  EXPECT_TRUE(injectFault(FaultOp::Write, AT_FDCWD, "/c/workload/cgroup.procs"));
  EXPECT_FALSE(injectFault(FaultOp::Write, AT_FDCWD, "/c/init/cgroup.procs"));
  EXPECT_FALSE(injectFault(FaultOp::Write, AT_FDCWD, "/c/myworkload/cgroup.procs"));
  EXPECT_TRUE(injectFault(FaultOp::Rmdir, AT_FDCWD, "/anything"));
}

TEST(FaultPlanTest, ResolvesNamesRelativeToADirectoryFd) {
  TempDir tmp;
  UniqueFd dir = openDir(tmp.path());
  ASSERT_TRUE(dir);
  FaultPlan plan;
  plan.fail(FaultOp::Mkdir, tmp.path() + "/init", EROFS);
  plan.fail(FaultOp::Open, tmp.path(), ENOENT);
  ScopedFaultPlan faults(plan);
  EXPECT_FALSE(injectFault(FaultOp::Mkdir, dir.get(), "workload"));
  EXPECT_TRUE(injectFault(FaultOp::Mkdir, dir.get(), "init"));
  EXPECT_TRUE(injectFault(FaultOp::Open, dir.get(), "."));
}

TEST(FaultPlanTest, ScopedPlanRestoresThePreviousOne) {
  FaultPlan outer;
  outer.fail(FaultOp::Read, "*", EIO, FaultPlan::kAlways);
  ScopedFaultPlan a(outer);
  {
    FaultPlan inner;
    ScopedFaultPlan b(inner);
    EXPECT_FALSE(injectFault(FaultOp::Read, AT_FDCWD, "/f"));
  }
  EXPECT_TRUE(injectFault(FaultOp::Read, AT_FDCWD, "/f"));
}

// ---------------------------------------------------------------------------------------------
// Against a real test cgroup.

class CgroupFaultKernelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) {
      GTEST_SKIP() << "needs root to create cgroups";
    }
    const std::string base = cgroup2Base();
    if (base.empty()) {
      GTEST_SKIP() << "no cgroup2 hierarchy at /sys/fs/cgroup/unified or /sys/fs/cgroup";
    }
    ownCgroup_ = readText("/proc/self/cgroup");
    cg_ = std::make_unique<TestCgroup>(base, "fault");
    ASSERT_FALSE(cg_->path().empty());
    root_ = cg_->path();
  }
  void TearDown() override {
    // The test runner itself must never have been moved, whatever failed.
    if (!ownCgroup_.empty()) {
      EXPECT_EQ(readText("/proc/self/cgroup"), ownCgroup_);
    }
  }

  Result<CgroupTree> setup(const CgroupRequest& request = {}) {
    return CgroupTree::setupAt(openDir(root_), root_, request);
  }

  /// A tree that set up without faults.
  std::optional<CgroupTree> goodTree() {
    auto tree = setup();
    EXPECT_TRUE(tree) << tree.error().message;
    if (!tree) {
      return std::nullopt;
    }
    return std::move(*tree);
  }

  void moveInto(const std::string& dir, const ChildProcess& child) {
    auto cg = Cgroup::open(dir);
    ASSERT_TRUE(cg);
    auto st = cg->moveProc(child.pid());
    ASSERT_TRUE(st) << st.error().message;
  }

  /// A FaultPlan::watch hook: each call makes a new process arrive in workload/, kept (and
  /// killed at the end) in `arrivals`.
  std::function<void()> arriveInWorkload(std::vector<std::unique_ptr<ChildProcess>>& arrivals) {
    return [this, &arrivals] {
      arrivals.push_back(std::make_unique<ChildProcess>());
      writeText(root_ + "/workload/cgroup.procs", std::to_string(arrivals.back()->pid()));
    };
  }

  /// Nothing half-done: no init/ or workload/, and `child` is back in <root>.
  void expectUndone(const ChildProcess& child) {
    EXPECT_FALSE(fs::exists(root_ + "/init"));
    EXPECT_FALSE(fs::exists(root_ + "/workload"));
    EXPECT_TRUE(contains(procsOf(root_), child.pid()));
  }

  std::string ownCgroup_;
  std::unique_ptr<TestCgroup> cg_;
  std::string root_;
};

/// One failing step of setup: the operation, the path under <root>, and what the message says.
struct SetupFault {
  const char* name;
  FaultOp op;
  const char* file;      // relative to <root>; "" is <root> itself
  const char* fragment;  // expected in the message, "{root}" standing for <root>
  int error;
};

void PrintTo(const SetupFault& f, std::ostream* os) {
  *os << f.name << " " << errnoName(f.error);
}

std::string expand(std::string text, const std::string& root) {
  for (auto pos = text.find("{root}"); pos != std::string::npos; pos = text.find("{root}")) {
    text.replace(pos, 6, root);
  }
  return text;
}

class CgroupSetupFaultTest : public CgroupFaultKernelTest,
                             public ::testing::WithParamInterface<SetupFault> {
 protected:
  /// Sets up with the fault installed; a child waits in <root> so that undoing has work to do.
  Result<CgroupTree> setupWithFault(const ChildProcess& child, bool required, int& failures) {
    const SetupFault& f = GetParam();
    moveInto(root_, child);
    FaultPlan plan;
    const std::string file = *f.file != '\0' ? root_ + "/" + f.file : root_;
    const size_t rule = plan.fail(f.op, file, f.error);
    CgroupRequest request;
    request.strict = required;
    ScopedFaultPlan faults(plan);
    auto tree = setup(request);
    failures = plan.failures(rule);
    return tree;
  }
};

TEST_P(CgroupSetupFaultTest, ReturnsTheReasonWithoutWarningAndLeavesNothingHalfDone) {
  const SetupFault& f = GetParam();
  ChildProcess child;
  LogCapture log;
  int failures = 0;
  auto tree = setupWithFault(child, false, failures);
  EXPECT_EQ(failures, 1);
  ASSERT_FALSE(tree) << "managed";
  EXPECT_EQ(log.count("[warning]"), 0u) << "the caller warns, not the layer: " << log.text();
  EXPECT_TRUE(has(tree.error().message, expand(f.fragment, root_))) << tree.error().message;
  EXPECT_TRUE(has(tree.error().message, std::strerror(f.error))) << tree.error().message;
  expectUndone(child);
}

TEST_P(CgroupSetupFaultTest, StrictReasonNamesTheFileAndErrno) {
  const SetupFault& f = GetParam();
  ChildProcess child;
  int failures = 0;
  auto tree = setupWithFault(child, true, failures);
  EXPECT_EQ(failures, 1);
  ASSERT_FALSE(tree);
  EXPECT_FALSE(tree.error().usage) << "the layer has no policy: exit 2 is the supervisor's";
  EXPECT_EQ(tree.error().code, f.error);
  EXPECT_TRUE(has(tree.error().message, expand(f.fragment, root_))) << tree.error().message;
  EXPECT_TRUE(has(tree.error().message, std::strerror(f.error))) << tree.error().message;
  expectUndone(child);
}

const SetupFault kSetupFaults[] = {
    {"ReadControllers", FaultOp::Read, "cgroup.controllers", "{root}: read cgroup.controllers", 0},
    // The first write into <root> is where a cgroup that is not delegated shows.
    {"MkdirInit", FaultOp::Mkdir, "init", "{root} is not writable (mkdir {root}/init", 0},
    {"MkdirWorkload", FaultOp::Mkdir, "workload", "mkdir {root}/workload", 0},
    {"OpenInit", FaultOp::Open, "init", "open {root}/init", 0},
    {"OpenWorkload", FaultOp::Open, "workload", "open {root}/workload", 0},
    {"ReadRootProcs", FaultOp::Read, "cgroup.procs", "{root}: read cgroup.procs", 0},
    {"WriteInitProcs", FaultOp::Write, "init/cgroup.procs",
     "into init/: {root}/init: write cgroup.procs", 0},
    {"OpenWorkloadEvents", FaultOp::Open, "workload/cgroup.events",
     "open {root}/workload/cgroup.events", 0},
};

/// Each step with EACCES and EROFS, and the opens also with ENOENT (a cgroup removed under us).
std::vector<SetupFault> setupFaultCases() {
  std::vector<SetupFault> cases;
  for (SetupFault f : kSetupFaults) {
    for (const int error : {EACCES, EROFS, ENOENT}) {
      if (error == ENOENT && f.op != FaultOp::Open) {
        continue;
      }
      f.error = error;
      cases.push_back(f);
    }
  }
  return cases;
}

std::string setupFaultName(const ::testing::TestParamInfo<SetupFault>& info) {
  return std::string(info.param.name) + "_" + errnoName(info.param.error);
}

INSTANTIATE_TEST_SUITE_P(Steps, CgroupSetupFaultTest, ::testing::ValuesIn(setupFaultCases()),
                         setupFaultName);

TEST_F(CgroupFaultKernelTest, FailedSecondMoveIntoInitMovesTheFirstProcessBack) {
  ChildProcess first;
  ChildProcess second;
  moveInto(root_, first);
  moveInto(root_, second);
  FaultPlan plan;
  const size_t rule = plan.fail(FaultOp::Write, "init/cgroup.procs", EACCES, 1, 1);
  CgroupRequest request;
  request.strict = true;
  ScopedFaultPlan faults(plan);
  auto tree = setup(request);
  ASSERT_FALSE(tree);
  EXPECT_EQ(plan.failures(rule), 1);
  EXPECT_TRUE(has(tree.error().message, "moving process")) << tree.error().message;
  expectUndone(first);
  EXPECT_TRUE(contains(procsOf(root_), second.pid()));
}

TEST_F(CgroupFaultKernelTest, EsrchWhileMovingIntoInitIsAProcessGoneNotAFailure) {
  ChildProcess child;
  moveInto(root_, child);
  FaultPlan plan;
  const size_t rule = plan.fail(FaultOp::Write, "init/cgroup.procs", ESRCH);
  std::optional<CgroupTree> tree;
  {
    ScopedFaultPlan faults(plan);
    tree = goodTree();
  }
  ASSERT_TRUE(tree);
  EXPECT_EQ(plan.failures(rule), 1);
  EXPECT_TRUE(contains(procsOf(root_ + "/init"), child.pid()));  // moved on the next round
  EXPECT_TRUE(tree->remove());
}

TEST_F(CgroupFaultKernelTest, EintrOnReadsAndWritesIsRetried) {
  ChildProcess child;
  moveInto(root_, child);
  FaultPlan plan;
  const size_t readProcs = plan.fail(FaultOp::Read, root_ + "/cgroup.procs", EINTR);
  const size_t writeProcs = plan.fail(FaultOp::Write, "init/cgroup.procs", EINTR);
  const size_t readEvents = plan.fail(FaultOp::Read, "workload/cgroup.events", EINTR);
  ScopedFaultPlan faults(plan);
  auto tree = goodTree();
  ASSERT_TRUE(tree);
  EXPECT_EQ(plan.failures(readProcs), 1);
  EXPECT_EQ(plan.failures(writeProcs), 1);
  EXPECT_TRUE(contains(procsOf(root_ + "/init"), child.pid()));
  auto populated = tree->workloadPopulated();
  ASSERT_TRUE(populated) << populated.error().message;
  EXPECT_FALSE(*populated);
  EXPECT_EQ(plan.failures(readEvents), 1);
  EXPECT_TRUE(tree->remove());
}

TEST_F(CgroupFaultKernelTest, EbusyOnRmdirIsRetriedUntilItSucceeds) {
  auto tree = goodTree();
  ASSERT_TRUE(tree);
  FaultPlan plan;
  const size_t rule = plan.fail(FaultOp::Rmdir, "workload", EBUSY, 3);
  ScopedFaultPlan faults(plan);
  auto st = tree->remove();
  EXPECT_TRUE(st) << st.error().message;
  EXPECT_EQ(plan.failures(rule), 3);
  EXPECT_FALSE(fs::exists(root_ + "/workload"));
  EXPECT_FALSE(fs::exists(root_ + "/init"));
}

TEST_F(CgroupFaultKernelTest, PersistentEbusyOnRmdirIsReportedAndTheRestIsStillRemoved) {
  auto tree = goodTree();
  ASSERT_TRUE(tree);
  FaultPlan plan;
  const size_t rule = plan.fail(FaultOp::Rmdir, "workload", EBUSY, FaultPlan::kAlways);
  ScopedFaultPlan faults(plan);
  const auto start = Clock::now();
  auto st = tree->remove();
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(2));  // bounded retry
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, EBUSY);
  EXPECT_TRUE(has(st.error().message, "rmdir " + root_ + "/workload: Device or resource busy"))
      << st.error().message;
  EXPECT_GT(plan.failures(rule), 1);
  EXPECT_FALSE(fs::exists(root_ + "/init"));  // teardown went on after the failure
}

TEST_F(CgroupFaultKernelTest, WorkloadRemovedUnderUsIsGoneNotAFailure) {
  auto tree = goodTree();
  ASSERT_TRUE(tree);
  ASSERT_EQ(::rmdir((root_ + "/workload").c_str()), 0) << std::strerror(errno);

  CgroupDrain drain(*tree);
  auto sent = drain.signalWorkload(SIGTERM);
  ASSERT_TRUE(sent) << sent.error().message;
  EXPECT_EQ(*sent, 0u);
  const auto killed = drain.sweep(SIGKILL, false);
  EXPECT_FALSE(killed.populated);
  EXPECT_FALSE(killed.blind);
  auto populated = tree->workloadPopulated();
  ASSERT_TRUE(populated) << populated.error().message;
  EXPECT_FALSE(*populated);
  // The kernel keeps a removed cgroup's events fd POLLPRI|POLLERR-ready for good: whoever
  // watches it must stop once it reads "not populated".
  pollfd pfd{tree->workloadEventsFd(), POLLPRI, 0};
  EXPECT_EQ(::poll(&pfd, 1, 0), 1);
  EXPECT_FALSE(drain.sweep(SIGTERM, true).blind);
  EXPECT_TRUE(tree->pidsMaxEvents() || tree->pidsEventsFd() >= 0);
  drain.close();
  auto st = tree->remove();
  EXPECT_TRUE(st) << st.error().message;
  EXPECT_FALSE(fs::exists(root_ + "/init"));
}

TEST_F(CgroupFaultKernelTest, InitRemovedUnderUsIsGoneNotAFailure) {
  auto tree = goodTree();
  ASSERT_TRUE(tree);
  ASSERT_EQ(::rmdir((root_ + "/init").c_str()), 0) << std::strerror(errno);
  const auto swept = CgroupDrain(*tree).sweep(SIGTERM, true);
  EXPECT_FALSE(swept.blind);
  EXPECT_FALSE(swept.populated);
  auto st = tree->remove();
  EXPECT_TRUE(st) << st.error().message;
  EXPECT_FALSE(fs::exists(root_ + "/workload"));
}

TEST_F(CgroupFaultKernelTest, EsrchWhileAdoptingIsAProcessGoneNotAFailure) {
  // A stranger that cannot be moved for ESRCH is gone, not loose: nothing is signalled where it
  // is; the next sweep, which the stranger's cgroup.procs write no longer fails, moves it.
  auto tree = goodTree();
  ASSERT_TRUE(tree);
  ChildProcess stranger;
  moveInto(root_ + "/init", stranger);
  FaultPlan plan;
  const size_t rule = plan.fail(FaultOp::Write, "workload/cgroup.procs", ESRCH);
  CgroupDrain drain(*tree);
  {
    ScopedFaultPlan faults(plan);
    EXPECT_FALSE(drain.sweep(SIGCONT, false).blind);
  }
  EXPECT_EQ(plan.failures(rule), 1);
  EXPECT_FALSE(drain.sweep(SIGCONT, false).blind);  // a later sweep still adopts it
  EXPECT_TRUE(contains(procsOf(root_ + "/workload"), stranger.pid()));
  EXPECT_TRUE(drain.sweep(SIGKILL, false).populated);
  EXPECT_EQ(WTERMSIG(stranger.waitForExit(std::chrono::seconds(5))), SIGKILL);
  EXPECT_TRUE(tree->remove());
}

// After a clean exit workload/ is empty: signalling it is one read of cgroup.events, without
// touching cgroup.freeze or cgroup.procs (a freeze + thaw for nothing, and a list to read).
TEST_F(CgroupFaultKernelTest, SignallingAnEmptyWorkloadNeitherFreezesNorLists) {
  auto tree = goodTree();
  ASSERT_TRUE(tree);
  FaultPlan plan;
  const size_t readFreeze =
      plan.fail(FaultOp::Read, "workload/cgroup.freeze", EIO, FaultPlan::kAlways);
  const size_t writeFreeze =
      plan.fail(FaultOp::Write, "workload/cgroup.freeze", EIO, FaultPlan::kAlways);
  const size_t openFreeze =
      plan.fail(FaultOp::Open, "workload/cgroup.freeze", EIO, FaultPlan::kAlways);
  const size_t readProcs =
      plan.fail(FaultOp::Read, "workload/cgroup.procs", EIO, FaultPlan::kAlways);
  const size_t accessFreeze =
      plan.fail(FaultOp::Access, "workload/cgroup.freeze", EIO, FaultPlan::kAlways);
  {
    ScopedFaultPlan faults(plan);
    auto sent = CgroupDrain(*tree).signalWorkload(SIGTERM, true);
    ASSERT_TRUE(sent) << sent.error().message;
    EXPECT_EQ(*sent, 0u);
  }
  for (const size_t rule : {readFreeze, writeFreeze, openFreeze, readProcs, accessFreeze}) {
    EXPECT_EQ(plan.failures(rule), 0) << "rule " << rule;
  }
  EXPECT_TRUE(tree->remove());
}

// A workload that does not fork while it is signalled: each process gets the signal from the
// first list, a second list finds nothing new, and workload/ is never frozen.
TEST_F(CgroupFaultKernelTest, AQuietWorkloadIsSignalledWithoutAFreeze) {
  auto tree = goodTree();
  ASSERT_TRUE(tree);
  auto nested = Cgroup::open(root_ + "/workload")->child("nested", true);
  ASSERT_TRUE(nested) << nested.error().message;
  ChildProcess a;
  ChildProcess b;
  ChildProcess c;
  ASSERT_TRUE(tree->movePidToWorkload(a.pid()));
  ASSERT_TRUE(tree->movePidToWorkload(b.pid()));
  ASSERT_TRUE(nested->moveProc(c.pid()));
  FaultPlan plan;
  const size_t freezes = plan.watch(FaultOp::Write, "workload/cgroup.freeze");
  const size_t lists = plan.watch(FaultOp::Open, "workload/cgroup.procs");
  {
    ScopedFaultPlan faults(plan);
    auto sent = CgroupDrain(*tree).signalWorkload(SIGUSR1);
    ASSERT_TRUE(sent) << sent.error().message;
    EXPECT_EQ(*sent, 3u);
  }
  EXPECT_EQ(plan.calls(freezes), 0);
  EXPECT_EQ(plan.calls(lists), 2);
  for (ChildProcess* child : {&a, &b, &c}) {
    const int status = child->waitForExit(std::chrono::seconds(5));
    ASSERT_TRUE(WIFSIGNALED(status)) << status;
    EXPECT_EQ(WTERMSIG(status), SIGUSR1);
  }
  EXPECT_TRUE(tree->remove());
}

// A workload that forks faster than it can be listed shows a new process in every list (here
// one arrives as each list is opened): the last list is read with workload/ frozen, so that
// nothing can fork past it; every arrival gets the signal, and workload/ is thawed.
TEST_F(CgroupFaultKernelTest, AWorkloadThatKeepsForkingIsFrozenForTheLastList) {
  auto tree = goodTree();
  ASSERT_TRUE(tree);
  std::vector<std::unique_ptr<ChildProcess>> arrivals;
  FaultPlan plan;
  const size_t freezes = plan.watch(FaultOp::Write, "workload/cgroup.freeze");
  const size_t lists =
      plan.watch(FaultOp::Open, "workload/cgroup.procs", arriveInWorkload(arrivals));
  ChildProcess first;
  ASSERT_TRUE(tree->movePidToWorkload(first.pid()));
  {
    ScopedFaultPlan faults(plan);
    auto sent = CgroupDrain(*tree).signalWorkload(SIGUSR1);
    ASSERT_TRUE(sent) << sent.error().message;
    EXPECT_EQ(*sent, 5u);
  }
  EXPECT_EQ(plan.calls(lists), 4);
  EXPECT_EQ(plan.calls(freezes), 2);  // "1", then "0"
  EXPECT_EQ(readText(root_ + "/workload/cgroup.freeze"), "0\n");
  ASSERT_EQ(arrivals.size(), 4u);
  arrivals.push_back(nullptr);
  for (auto& child : arrivals) {
    ChildProcess& c = child ? *child : first;
    const int status = c.waitForExit(std::chrono::seconds(5));
    ASSERT_TRUE(WIFSIGNALED(status)) << status;
    EXPECT_EQ(WTERMSIG(status), SIGUSR1);
  }
  EXPECT_TRUE(tree->remove());
}

// The same for the drain's polite signal: a quiet workload is never frozen; one that keeps
// forking is frozen for the last list of the first sweep, not of those that follow.
TEST_F(CgroupFaultKernelTest, DrainFreezesOnlyAWorkloadThatKeepsForking) {
  auto tree = goodTree();
  ASSERT_TRUE(tree);
  CgroupDrain drain(*tree);
  {
    ChildProcess quiet;
    ASSERT_TRUE(tree->movePidToWorkload(quiet.pid()));
    FaultPlan plan;
    const size_t freezes = plan.watch(FaultOp::Write, "workload/cgroup.freeze");
    {
      ScopedFaultPlan faults(plan);
      const auto swept = drain.sweep(SIGTERM, true);
      EXPECT_TRUE(swept.populated);
      EXPECT_EQ(swept.signalled, 1u);
    }
    EXPECT_EQ(plan.calls(freezes), 0);
    EXPECT_EQ(WTERMSIG(quiet.waitForExit(std::chrono::seconds(5))), SIGTERM);
  }
  std::vector<std::unique_ptr<ChildProcess>> arrivals;
  FaultPlan plan;
  const size_t freezes = plan.watch(FaultOp::Write, "workload/cgroup.freeze");
  const size_t lists =
      plan.watch(FaultOp::Open, "workload/cgroup.procs", arriveInWorkload(arrivals));
  ChildProcess first;
  ASSERT_TRUE(tree->movePidToWorkload(first.pid()));
  {
    ScopedFaultPlan faults(plan);
    EXPECT_EQ(drain.sweep(SIGTERM, true).signalled, 5u);
    EXPECT_EQ(plan.calls(lists), 4);
    EXPECT_EQ(plan.calls(freezes), 2);
  }
  // A later sweep (after cgroup.events changed) finds one more process and, while it lists,
  // four arrivals: the newcomer and each arrival get the signal; nothing is frozen.
  ChildProcess late;
  ASSERT_TRUE(tree->movePidToWorkload(late.pid()));
  {
    ScopedFaultPlan faults(plan);
    EXPECT_EQ(drain.sweep(SIGTERM, false).signalled, 5u);
    EXPECT_EQ(plan.calls(lists), 8);
    EXPECT_EQ(plan.calls(freezes), 2);
    EXPECT_EQ(WTERMSIG(late.waitForExit(std::chrono::seconds(5))), SIGTERM);
  }
  EXPECT_EQ(readText(root_ + "/workload/cgroup.freeze"), "0\n");
  ASSERT_EQ(arrivals.size(), 8u);
  for (auto& child : arrivals) {
    EXPECT_EQ(WTERMSIG(child->waitForExit(std::chrono::seconds(5))), SIGTERM);
  }
  EXPECT_EQ(WTERMSIG(first.waitForExit(std::chrono::seconds(5))), SIGTERM);
  EXPECT_TRUE(tree->remove());
}

TEST_F(CgroupFaultKernelTest, WithoutCgroupKillEveryProcessGetsSigkill) {
  // What a kernel before 5.14 looks like: there is no cgroup.kill to open.
  auto tree = goodTree();
  ASSERT_TRUE(tree);
  ChildProcess child;
  ASSERT_TRUE(tree->movePidToWorkload(child.pid()));
  FaultPlan plan;
  const size_t rule = plan.fail(FaultOp::Open, "workload/cgroup.kill", ENOENT, FaultPlan::kAlways);
  {
    ScopedFaultPlan faults(plan);
    const auto swept = CgroupDrain(*tree).sweep(SIGKILL, false);
    EXPECT_TRUE(swept.populated);
    EXPECT_EQ(swept.signalled, 1u);
  }
  EXPECT_EQ(plan.failures(rule), 1);
  const int status = child.waitForExit(std::chrono::seconds(5));
  ASSERT_TRUE(WIFSIGNALED(status)) << status;
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
  EXPECT_TRUE(tree->remove());
}

TEST_F(CgroupFaultKernelTest, EventsFdThatErrorsIsAnErrorAndStaysUsable) {
  auto tree = goodTree();
  ASSERT_TRUE(tree);
  FaultPlan plan;
  plan.fail(FaultOp::Read, "workload/cgroup.events", EIO, 2);
  {
    ScopedFaultPlan faults(plan);
    for (int i = 0; i < 2; ++i) {
      auto populated = tree->workloadPopulated();
      ASSERT_FALSE(populated);
      EXPECT_EQ(populated.error().code, EIO);
      EXPECT_TRUE(has(populated.error().message, root_ + "/workload/cgroup.events"))
          << populated.error().message;
      EXPECT_TRUE(has(populated.error().message, "Input/output error"));
    }
  }
  auto populated = tree->workloadPopulated();
  ASSERT_TRUE(populated);
  EXPECT_FALSE(*populated);
  EXPECT_TRUE(tree->remove());
}

// The PID 1 rule at the API level: with every file operation failing, each operation used after
// the program started returns (an Error or a value) in bounded time; none aborts or hangs.
class CgroupPostStartFaultTest : public CgroupFaultKernelTest,
                                 public ::testing::WithParamInterface<int> {};

TEST_P(CgroupPostStartFaultTest, EveryOperationReturnsAnError) {
  const int error = GetParam();
  auto tree = goodTree();
  ASSERT_TRUE(tree);
  ChildProcess child;
  ASSERT_TRUE(tree->movePidToWorkload(child.pid()));
  const bool memoryAvailable =
      (" " + readText(root_ + "/cgroup.controllers")).find(" memory") != std::string::npos;
  FaultPlan plan;
  for (const FaultOp op : {FaultOp::Open, FaultOp::Mkdir, FaultOp::Rmdir, FaultOp::Read,
                           FaultOp::Write, FaultOp::Access}) {
    plan.fail(op, "*", error, FaultPlan::kAlways);
  }
  const auto expectError = [error](const auto& result, const char* what) {
    ASSERT_FALSE(result) << what;
    EXPECT_EQ(result.error().code, error) << what << ": " << result.error().message;
    EXPECT_TRUE(has(result.error().message, std::strerror(error)))
        << what << ": " << result.error().message;
  };
  const auto start = Clock::now();
  {
    ScopedFaultPlan faults(plan);
    CgroupDrain drain(*tree);
    expectError(drain.signalWorkload(SIGTERM), "signalWorkload");
    // The drain cannot see anything: it says so, and the caller looks again later.
    EXPECT_TRUE(drain.sweep(SIGTERM, true).blind);
    EXPECT_TRUE(drain.sweep(SIGKILL, false).blind);
    expectError(tree->workloadPopulated(), "workloadPopulated");
    expectError(tree->movePidToWorkload(child.pid()), "movePidToWorkload");
    if (tree->pidsEventsFd() >= 0) {
      expectError(tree->pidsMaxEvents(), "pidsMaxEvents");
    } else {
      EXPECT_TRUE(tree->pidsMaxEvents());
    }
    // Read only where the controller can have them (the cgroup v2 VM); else no value.
    if (tree->pidsEventsFd() >= 0) {
      expectError(tree->pidsPeak(), "pidsPeak");
    } else {
      EXPECT_TRUE(tree->pidsPeak());
    }
    if (memoryAvailable) {
      expectError(tree->oomKills(), "oomKills");
    } else {
      EXPECT_TRUE(tree->oomKills());
    }
    expectError(tree->remove(), "remove");
  }
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(3));
  // Nothing was signalled under the faults: the program is still running.
  EXPECT_EQ(child.waitForExit(std::chrono::milliseconds(0)), -1);
}

INSTANTIATE_TEST_SUITE_P(Errnos, CgroupPostStartFaultTest,
                         ::testing::Values(EACCES, EROFS, EIO, ENOMEM, EMFILE), errnoParamName);

// ---------------------------------------------------------------------------------------------
// Against a plain directory standing in for a cgroup with controllers (the host has none).

class CgroupFaultFakeTest : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    ASSERT_FALSE(tmp_.path().empty());
    ownCgroup_ = readText("/proc/self/cgroup");
    root_ = tmp_.path() + "/root";
    makeFakeCgroup(root_, "pids memory");
    makeFakeCgroup(root_ + "/init");
    makeFakeCgroup(root_ + "/workload");
    writeText(root_ + "/workload/pids.max", "");
    writeText(root_ + "/init/pids.max", "");
  }
  void TearDown() override { EXPECT_EQ(readText("/proc/self/cgroup"), ownCgroup_); }

  Result<CgroupTree> setup(const CgroupRequest& request) {
    return CgroupTree::setupAt(openDir(root_), root_, request);
  }

  TempDir tmp_;
  std::string ownCgroup_;
  std::string root_;
};

TEST_P(CgroupFaultFakeTest, FailedSubtreeControlWriteIsTheReasonNotToManage) {
  FaultPlan plan;
  plan.fail(FaultOp::Write, "cgroup.subtree_control", GetParam());
  LogCapture log;
  ScopedFaultPlan faults(plan);
  CgroupRequest request;
  request.pidsMax = "64";
  auto tree = setup(request);
  ASSERT_FALSE(tree) << "managed";
  EXPECT_EQ(log.count("[warning]"), 0u) << "the caller warns, not the layer: " << log.text();
  EXPECT_TRUE(has(tree.error().message,
                  "enabling controllers: " + root_ + ": write cgroup.subtree_control"))
      << tree.error().message;
  EXPECT_TRUE(has(tree.error().message, std::strerror(GetParam()))) << tree.error().message;
  EXPECT_EQ(readText(root_ + "/cgroup.subtree_control"), "\n");
  EXPECT_EQ(readText(root_ + "/workload/pids.max"), "");
}

TEST_P(CgroupFaultFakeTest, FailedPidsMaxWriteIsAnErrorInRequiredModeAndControllersAreDisabled) {
  FaultPlan plan;
  plan.fail(FaultOp::Write, "workload/pids.max", GetParam());
  ScopedFaultPlan faults(plan);
  CgroupRequest request;
  request.strict = true;
  request.pidsMax = "64";
  auto tree = setup(request);
  ASSERT_FALSE(tree);
  EXPECT_FALSE(tree.error().usage) << "the layer has no policy: exit 2 is the supervisor's";
  EXPECT_TRUE(has(tree.error().message, root_ + "/workload: write pids.max"))
      << tree.error().message;
  EXPECT_TRUE(has(tree.error().message, std::strerror(GetParam()))) << tree.error().message;
  // Enabled, then disabled again by the undo (a plain file keeps the last write).
  EXPECT_EQ(readText(root_ + "/cgroup.subtree_control"), "-pids");
}

TEST_P(CgroupFaultFakeTest, FailedLimitWriteWarnsAndSkipsOnlyThatLimitInAutoMode) {
  // The documented Auto fallback for one limit: a warning naming it; the rest is managed.
  writeText(root_ + "/workload/memory.max", "");
  FaultPlan plan;
  plan.fail(FaultOp::Write, "workload/memory.max", GetParam());
  LogCapture log;
  ScopedFaultPlan faults(plan);
  CgroupRequest request;
  request.pidsMax = "64";
  request.limits = {{"memory.max", "1G"}};
  auto tree = setup(request);
  ASSERT_TRUE(tree);
  EXPECT_EQ(log.count("[warning]"), 1u) << log.text();
  EXPECT_TRUE(has(log.text(), "memory.max not applied")) << log.text();
  EXPECT_TRUE(has(log.text(), std::strerror(GetParam()))) << log.text();
  EXPECT_EQ(readText(root_ + "/workload/pids.max"), "64");
  EXPECT_EQ(readText(root_ + "/workload/memory.max"), "");
}

INSTANTIATE_TEST_SUITE_P(Errnos, CgroupFaultFakeTest, ::testing::Values(EACCES, EROFS),
                         errnoParamName);

TEST(CgroupFaultFakeRetryTest, EbusyOnEnablingControllersIsRetriedThenReported) {
  TempDir tmp;
  const std::string root = tmp.path() + "/root";
  makeFakeCgroup(root, "pids");
  makeFakeCgroup(root + "/init");
  makeFakeCgroup(root + "/workload");
  {
    FaultPlan plan;
    const size_t rule = plan.fail(FaultOp::Write, "cgroup.subtree_control", EBUSY, 2);
    ScopedFaultPlan faults(plan);
    auto tree = CgroupTree::setupAt(openDir(root), root, {});
    ASSERT_TRUE(tree);
    EXPECT_EQ(plan.failures(rule), 2);
    EXPECT_EQ(readText(root + "/cgroup.subtree_control"), "+pids");
  }
  writeText(root + "/cgroup.subtree_control", "\n");
  FaultPlan plan;
  const size_t rule =
      plan.fail(FaultOp::Write, root + "/cgroup.subtree_control", EBUSY, FaultPlan::kAlways);
  ScopedFaultPlan faults(plan);
  CgroupRequest request;
  request.strict = true;
  auto tree = CgroupTree::setupAt(openDir(root), root, request);
  ASSERT_FALSE(tree);
  EXPECT_EQ(plan.failures(rule), 3);
  EXPECT_TRUE(has(tree.error().message, "enabling controllers")) << tree.error().message;
  EXPECT_TRUE(has(tree.error().message, "Device or resource busy")) << tree.error().message;
}

TEST(CgroupFaultDiscoveryTest, UnreadableMountinfoIsTheReasonNotToManage) {
  TempDir tmp;
  CgroupRequest request;
  request.procSelfCgroup = tmp.path() + "/self-cgroup";
  request.mountinfo = tmp.path() + "/mountinfo";
  writeText(request.procSelfCgroup, "0::/\n");
  writeText(request.mountinfo, "90 22 0:38 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n");
  FaultPlan plan;
  plan.fail(FaultOp::Read, "mountinfo", EACCES, FaultPlan::kAlways);
  ScopedFaultPlan faults(plan);
  {
    LogCapture log;
    auto tree = CgroupTree::setup(request);
    ASSERT_FALSE(tree) << "managed";
    EXPECT_EQ(log.count("[warning]"), 0u) << "the caller warns, not the layer: " << log.text();
    EXPECT_TRUE(has(tree.error().message, "read " + request.mountinfo + ": Permission denied"))
        << tree.error().message;
  }
  request.strict = true;
  auto tree = CgroupTree::setup(request);
  ASSERT_FALSE(tree);
  EXPECT_FALSE(tree.error().usage) << "the layer has no policy: exit 2 is the supervisor's";
}

}  // namespace
}  // namespace cginit::test
