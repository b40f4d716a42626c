// SPDX-License-Identifier: MIT
// The observer (ProcessWorkload with a read-only own cgroup): counters read through the watched
// fds, absent files skipped silently, a counter that vanishes while watched logged once.
#include <unistd.h>

#include <cerrno>
#include <string>

#include <gtest/gtest.h>

#include "cginit/cgroup.h"
#include "cginit/fault.h"
#include "cginit/report.h"
#include "cginit/workload.h"

#include "cgroup_test_util.h"

namespace cginit::test {
namespace {

/// A directory that stands in for the observed cgroup (every Cgroup operation is openat-relative).
std::optional<Cgroup> fakeCgroup(const TempDir& dir) {
  auto cg = Cgroup::open(dir.path());
  return cg ? std::optional<Cgroup>(std::move(*cg)) : std::nullopt;
}

TEST(ObserverTest, NoControllerFilesMeansNothingWatchedAndNullCounters) {
  TempDir dir;
  LogCapture log;
  auto workload = makeObservedWorkload(false, ::getpid(), *fakeCgroup(dir));
  EXPECT_TRUE(workload->eventFds().empty());
  ExitReport report;
  workload->fillReport(report);
  EXPECT_EQ(report.observedCgroup, dir.path());
  EXPECT_FALSE(report.forkRejections);
  EXPECT_FALSE(report.oomKills);
  EXPECT_FALSE(report.pidsPeak);
  EXPECT_EQ(log.count("[warning]"), 0u) << log.text();
}

TEST(ObserverTest, RisingCountersWarnWithTheLimitAndFillTheReport) {
  TempDir dir;
  writeText(dir.path() + "/pids.events", "max 2\n");
  writeText(dir.path() + "/pids.max", "32\n");
  writeText(dir.path() + "/pids.peak", "32\n");
  writeText(dir.path() + "/memory.events", "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n");
  LogCapture log;
  auto workload = makeObservedWorkload(false, ::getpid(), *fakeCgroup(dir));
  const auto fds = workload->eventFds();
  ASSERT_EQ(fds.size(), 2u);
  EXPECT_TRUE(workload->onEvent(fds[0].fd));
  EXPECT_EQ(log.count("fork refused"), 0u) << "no rise since the start: " << log.text();
  writeText(dir.path() + "/pids.events", "max 5\n");
  writeText(dir.path() + "/memory.events", "low 0\nhigh 0\nmax 1\noom 1\noom_kill 1\n");
  EXPECT_TRUE(workload->onEvent(fds[0].fd));
  EXPECT_TRUE(workload->onEvent(fds[1].fd));
  EXPECT_EQ(log.count("fork refused"), 1u) << log.text();
  EXPECT_EQ(log.count("pids.max=32 reached (5 refusal(s)"), 1u) << log.text();
  EXPECT_EQ(log.count("OOM killer"), 1u) << log.text();
  writeText(dir.path() + "/pids.events", "max 9\n");
  EXPECT_TRUE(workload->onEvent(fds[0].fd));
  EXPECT_EQ(log.count("fork refused"), 1u) << "at most one warning a second: " << log.text();
  ExitReport report;
  workload->fillReport(report);
  EXPECT_EQ(report.forkRejections, 9u);
  EXPECT_EQ(report.oomKills, 1u);
  EXPECT_EQ(report.pidsPeak, 32u);
}

// pids.events vanishes while watched (its controller disabled above: reads fail with ENODEV):
// one warning, the fd is no longer watched, the report leaves the counter out, nothing stops.
TEST(ObserverTest, ACounterThatVanishesWhileWatchedIsLoggedOnce) {
  TempDir dir;
  writeText(dir.path() + "/pids.events", "max 0\n");
  LogCapture log;
  auto workload = makeObservedWorkload(false, ::getpid(), *fakeCgroup(dir));
  const auto fds = workload->eventFds();
  ASSERT_EQ(fds.size(), 1u);
  FaultPlan plan;
  plan.fail(FaultOp::Read, "pids.events", ENODEV, FaultPlan::kAlways);
  ScopedFaultPlan faults(plan);
  EXPECT_FALSE(workload->onEvent(fds[0].fd)) << "a broken counter must no longer be watched";
  ExitReport report;
  workload->fillReport(report);
  EXPECT_FALSE(report.forkRejections);
  EXPECT_EQ(report.observedCgroup, dir.path());
  EXPECT_EQ(log.count("pids.events"), 1u) << log.text();
  EXPECT_EQ(log.count("No such device"), 1u) << log.text();
}

}  // namespace
}  // namespace cginit::test
