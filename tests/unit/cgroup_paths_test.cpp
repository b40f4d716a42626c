// SPDX-License-Identifier: MIT
// Tests for the pure cgroup parsers: /proc/self/cgroup, mountinfo, *.events, cgroup.procs.
#include "cginit/cgroup_paths.h"

#include <gtest/gtest.h>

namespace cginit {
namespace {

// The hybrid host of this project: v1 lines around the 0:: line.
constexpr std::string_view kHybridSelfCgroup =
    "9:name=systemd:/\n"
    "4:memory:/process_api/83ad\n"
    "1:cpu:/\n"
    "0::/user.slice/session-1.scope\n";

TEST(CgroupPathsTest, ProcSelfCgroupTakesTheV2LineAndIgnoresV1Lines) {
  auto path = parseProcSelfCgroup(kHybridSelfCgroup);
  ASSERT_TRUE(path) << path.error().message;
  EXPECT_EQ(*path, "/user.slice/session-1.scope");
}

TEST(CgroupPathsTest, ProcSelfCgroupNamespaceRoot) {
  auto path = parseProcSelfCgroup("0::/\n");
  ASSERT_TRUE(path);
  EXPECT_EQ(*path, "/");
}

TEST(CgroupPathsTest, ProcSelfCgroupKeepsColonsInThePath) {
  auto path = parseProcSelfCgroup("0::/a:b/c\n");
  ASSERT_TRUE(path);
  EXPECT_EQ(*path, "/a:b/c");
}

TEST(CgroupPathsTest, ProcSelfCgroupWithoutV2LineIsV1Only) {
  auto path = parseProcSelfCgroup("4:memory:/x\n1:cpu,cpuacct:/\n");
  ASSERT_FALSE(path);
  EXPECT_NE(path.error().message.find("0::"), std::string::npos);
}

TEST(CgroupPathsTest, ProcSelfCgroupRejectsRelativePath) {
  EXPECT_FALSE(parseProcSelfCgroup("0::relative\n"));
}

// /sys/fs/cgroup is first a tmpfs (v1 hybrid), then a cgroup2 mount made over it in a namespace.
constexpr std::string_view kStackedMountinfo =
    "22 1 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw\n"
    "31 22 0:26 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime shared:10 - cgroup2 cgroup2 rw\n"
    "43 31 0:40 / /sys/fs/cgroup/memory rw,relatime shared:12 - cgroup cgroup rw,memory\n"
    "90 22 0:38 /ctr /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime - cgroup2 cgroup2 "
    "rw,nsdelegate\n";

TEST(CgroupPathsTest, MountinfoLastCgroup2LineWins) {
  auto mount = findCgroup2Mount(kStackedMountinfo);
  ASSERT_TRUE(mount) << mount.error().message;
  EXPECT_EQ(mount->mountPoint, "/sys/fs/cgroup");
  EXPECT_EQ(mount->root, "/ctr");
  EXPECT_FALSE(mount->readOnly);
  EXPECT_TRUE(mount->nsdelegate);
}

TEST(CgroupPathsTest, MountinfoHostHybridLayout) {
  auto mount = findCgroup2Mount(
      "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime shared:10 - cgroup2 cgroup2 rw\n");
  ASSERT_TRUE(mount);
  EXPECT_EQ(mount->mountPoint, "/sys/fs/cgroup/unified");
  EXPECT_EQ(mount->root, "/");
  EXPECT_FALSE(mount->nsdelegate);
}

TEST(CgroupPathsTest, MountinfoReadOnlyFromMountOptions) {
  // Podman's default: a read-only bind of the container's cgroup.
  auto mount = findCgroup2Mount(
      "700 690 0:38 / /sys/fs/cgroup ro,nosuid,nodev,noexec,relatime - cgroup2 cgroup2 "
      "rw,nsdelegate\n");
  ASSERT_TRUE(mount);
  EXPECT_TRUE(mount->readOnly);
}

TEST(CgroupPathsTest, MountinfoReadOnlyFromSuperOptions) {
  auto mount = findCgroup2Mount("700 690 0:38 / /cg rw,relatime - cgroup2 none ro\n");
  ASSERT_TRUE(mount);
  EXPECT_TRUE(mount->readOnly);
  EXPECT_FALSE(mount->nsdelegate);
}

TEST(CgroupPathsTest, MountinfoDecodesOctalEscapes) {
  auto mount = findCgroup2Mount(
      "700 690 0:38 /my\\040group /mnt/with\\040space\\011tab\\134x rw - cgroup2 cgroup2 rw\n");
  ASSERT_TRUE(mount);
  EXPECT_EQ(mount->mountPoint, "/mnt/with space\ttab\\x");
  EXPECT_EQ(mount->root, "/my group");
}

TEST(CgroupPathsTest, MountinfoOptionalFieldsAreSkipped) {
  auto mount = findCgroup2Mount(
      "700 690 0:38 / /cg rw shared:1 master:2 propagate_from:3 - cgroup2 cgroup2 rw,nsdelegate\n");
  ASSERT_TRUE(mount);
  EXPECT_EQ(mount->mountPoint, "/cg");
  EXPECT_TRUE(mount->nsdelegate);
}

TEST(CgroupPathsTest, MountinfoWithoutCgroup2IsAnError) {
  constexpr std::string_view v1Only =
      "43 31 0:40 / /sys/fs/cgroup/memory rw,relatime shared:12 - cgroup cgroup rw,memory\n";
  EXPECT_FALSE(findCgroup2Mount(v1Only));
  EXPECT_TRUE(hasCgroup1Mount(v1Only));
  EXPECT_FALSE(hasCgroup1Mount("22 1 0:21 / /sys rw - sysfs sysfs rw\n"));
}

TEST(CgroupPathsTest, MountinfoIgnoresMalformedLines) {
  auto mount = findCgroup2Mount("garbage cgroup2\n\n41 31 0:38 / /cg rw - cgroup2 cgroup2 rw");
  ASSERT_TRUE(mount);
  EXPECT_EQ(mount->mountPoint, "/cg");
}

// The separator is the first "-" after the sixth field, followed by fstype, source and options.
TEST(CgroupPathsTest, MountinfoSeparatorRules) {
  // A root, mount point or options field that is "-" is not the separator.
  auto mount = findCgroup2Mount("1 2 0:3 - /- - - cgroup2 cgroup2 rw,nsdelegate\n");
  ASSERT_TRUE(mount) << mount.error().message;
  EXPECT_EQ(mount->root, "-");
  EXPECT_EQ(mount->mountPoint, "/-");
  EXPECT_TRUE(mount->nsdelegate);
  // Fewer than three fields after the separator, or none at all: malformed.
  EXPECT_FALSE(findCgroup2Mount("1 2 0:3 / /cg rw - cgroup2 cgroup2\n"));
  EXPECT_FALSE(findCgroup2Mount("1 2 0:3 / /cg rw cgroup2 cgroup2 rw\n"));
  // Runs of spaces do not make empty fields.
  mount = findCgroup2Mount("1  2 0:3 /  /cg   rw -  cgroup2 cgroup2  rw \n");
  ASSERT_TRUE(mount);
  EXPECT_EQ(mount->mountPoint, "/cg");
  EXPECT_FALSE(hasCgroup1Mount("1 2 0:3 / /cg rw - cgroup\n"));
}

TEST(CgroupPathsTest, DirectoryJoinsMountPointAndOwnCgroup) {
  const Cgroup2Mount host{"/sys/fs/cgroup/unified", "/", false, false};
  EXPECT_EQ(*cgroupDirectory(host, "/"), "/sys/fs/cgroup/unified");
  EXPECT_EQ(*cgroupDirectory(host, "/a/b"), "/sys/fs/cgroup/unified/a/b");
  const Cgroup2Mount bound{"/sys/fs/cgroup", "/ctr", false, false};
  EXPECT_EQ(*cgroupDirectory(bound, "/ctr"), "/sys/fs/cgroup");
  EXPECT_EQ(*cgroupDirectory(bound, "/ctr/sub"), "/sys/fs/cgroup/sub");
}

TEST(CgroupPathsTest, DirectoryRejectsCgroupOutsideTheMount) {
  const Cgroup2Mount bound{"/sys/fs/cgroup", "/ctr", false, false};
  EXPECT_FALSE(cgroupDirectory(bound, "/other"));
  EXPECT_FALSE(cgroupDirectory(bound, "/ctrx"));
  const Cgroup2Mount nsRoot{"/sys/fs/cgroup", "/", false, false};
  EXPECT_FALSE(cgroupDirectory(nsRoot, "/../sibling"));
}

TEST(CgroupPathsTest, KeyValuesOfCgroupEvents) {
  auto kv = parseKeyValues("populated 1\nfrozen 0\n");
  ASSERT_TRUE(kv) << kv.error().message;
  EXPECT_EQ(kv->at("populated"), 1u);
  EXPECT_EQ(kv->at("frozen"), 0u);
}

TEST(CgroupPathsTest, KeyValuesOfMemoryEventsWithLargeCounters) {
  auto kv = parseKeyValues("low 0\nhigh 0\nmax 18446744073709551615\noom 2\noom_kill 3\n");
  ASSERT_TRUE(kv);
  EXPECT_EQ(kv->at("max"), UINT64_MAX);
  EXPECT_EQ(kv->at("oom_kill"), 3u);
}

TEST(CgroupPathsTest, KeyValuesOfPidsEventsWithoutTrailingNewline) {
  auto kv = parseKeyValues("max 217");
  ASSERT_TRUE(kv);
  EXPECT_EQ(kv->at("max"), 217u);
}

TEST(CgroupPathsTest, KeyValuesRejectsMalformedLines) {
  EXPECT_FALSE(parseKeyValues("populated\n"));
  EXPECT_FALSE(parseKeyValues("populated yes\n"));
  EXPECT_FALSE(parseKeyValues("populated -1\n"));
  EXPECT_TRUE(parseKeyValues("")->empty());
}

TEST(CgroupPathsTest, PidListParsesOnePerLine) {
  auto pids = parsePidList("1\n42\n31337\n");
  ASSERT_TRUE(pids);
  EXPECT_EQ(*pids, (std::vector<pid_t>{1, 42, 31337}));
  EXPECT_TRUE(parsePidList("")->empty());
}

TEST(CgroupPathsTest, PidListRejectsJunk) {
  EXPECT_FALSE(parsePidList("12\nabc\n"));
  EXPECT_FALSE(parsePidList("-3\n"));
  EXPECT_FALSE(parsePidList("99999999999999\n"));
}

// A process of another PID namespace is listed as 0: it is skipped (and counted), and the pids
// around it are still parsed, so that a drain can still signal them.
TEST(CgroupPathsTest, PidListSkipsProcessesOfOtherPidNamespaces) {
  size_t outside = 99;
  auto pids = parsePidList("12\n0\n34\n0\n", &outside);
  ASSERT_TRUE(pids) << pids.error().message;
  EXPECT_EQ(*pids, (std::vector<pid_t>{12, 34}));
  EXPECT_EQ(outside, 2u);
  auto only = parsePidList("0\n");
  ASSERT_TRUE(only) << only.error().message;
  EXPECT_TRUE(only->empty());
  ASSERT_TRUE(parsePidList("5\n", &outside));
  EXPECT_EQ(outside, 0u);
}

TEST(CgroupPathsTest, ControllerListSplitsOnSpaces) {
  EXPECT_EQ(parseControllerList("cpuset cpu io memory pids\n"),
            (std::vector<std::string>{"cpuset", "cpu", "io", "memory", "pids"}));
  EXPECT_TRUE(parseControllerList("\n").empty());
}

}  // namespace
}  // namespace cginit

// Found by fuzzing: "." / ".." / empty components must never lead outside the cgroup2 mount.
TEST(CgroupPathsTest, CgroupDirectoryRefusesDotAndEmptyComponents) {
  const cginit::Cgroup2Mount mount{"/sys/fs/cgroup", "/", false, false};
  for (const char* path : {"/./..", "//..", "/ctr/..", "/ctr/./x", "/ctr//x", "/ctr/"}) {
    EXPECT_FALSE(cginit::cgroupDirectory(mount, path).has_value()) << path;
  }
  ASSERT_TRUE(cginit::cgroupDirectory(mount, "/ctr/x").has_value());
  EXPECT_EQ(*cginit::cgroupDirectory(mount, "/ctr/x"), "/sys/fs/cgroup/ctr/x");
  EXPECT_EQ(*cginit::cgroupDirectory(mount, "/"), "/sys/fs/cgroup");
}

TEST(CgroupPaths, FileValueDropsTheTrailingNewlineOnly) {
  EXPECT_EQ(cginit::fileValue("max\n"), "max");
  EXPECT_EQ(cginit::fileValue("17 \n"), "17");
  EXPECT_EQ(cginit::fileValue(" 17"), " 17");
  EXPECT_EQ(cginit::fileValue("\n"), "");
}

TEST(CgroupPaths, ParseCounterTakesOneDecimalValue) {
  EXPECT_EQ(cginit::parseCounter("42\n"), 42u);
  EXPECT_EQ(cginit::parseCounter("0\n"), 0u);
  EXPECT_EQ(cginit::parseCounter("max\n"), std::nullopt);
  EXPECT_EQ(cginit::parseCounter("\n"), std::nullopt);
  EXPECT_EQ(cginit::parseCounter("-1\n"), std::nullopt);
  EXPECT_EQ(cginit::parseCounter("18446744073709551616\n"), std::nullopt);  // overflows uint64_t
}
