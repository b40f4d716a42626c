// SPDX-License-Identifier: MIT
// Tests of the option value parsers and of merging layers.
#include "cginit/options.h"

#include <signal.h>

#include <gtest/gtest.h>

namespace cginit {
namespace {

using std::chrono::milliseconds;

TEST(OptionsTest, MergeOfNoLayersGivesTheDefaults) {
  const Options o = merge({});
  EXPECT_EQ(o.verbosity, Verbosity::Warn);
  EXPECT_FALSE(o.subreaper);
  EXPECT_FALSE(o.pdeathsig);
  EXPECT_EQ(o.forward, ForwardTarget::Child);
  EXPECT_TRUE(o.remapExit.empty());
  EXPECT_FALSE(o.warnOnReap);
  EXPECT_TRUE(o.rewrite.empty());
  EXPECT_EQ(o.grace, milliseconds(5000));
  EXPECT_EQ(o.stopSignal, SIGTERM);
  EXPECT_FALSE(o.stopTimeout);
  EXPECT_EQ(o.cgroupMode, CgroupMode::Auto);
  EXPECT_FALSE(o.pidsMax);
  EXPECT_TRUE(o.limits.empty());
  EXPECT_FALSE(o.reportPath);
}

TEST(OptionsTest, LaterLayerWinsForEverySingleValue) {
  OptionsLayer low;
  low.verbosity = Verbosity::Debug;
  low.subreaper = true;
  low.pdeathsig = SIGKILL;
  low.forward = ForwardTarget::Group;
  low.warnOnReap = true;
  low.grace = milliseconds(1000);
  low.stopSignal = SIGINT;
  low.stopTimeout = milliseconds(2000);
  low.cgroupMode = CgroupMode::Off;
  low.pidsMax = PidsMax{false, 10};
  low.reportPath = "/low";
  OptionsLayer high;
  high.verbosity = Verbosity::Error;
  high.subreaper = false;
  high.pdeathsig = SIGTERM;
  high.forward = ForwardTarget::Cgroup;
  high.warnOnReap = false;
  high.grace = milliseconds(3000);
  high.stopSignal = SIGHUP;
  high.stopTimeout = milliseconds(4000);
  high.cgroupMode = CgroupMode::Required;
  high.pidsMax = PidsMax{true, 0};
  high.reportPath = "-";
  const Options o = merge({&low, &high});
  EXPECT_EQ(o.verbosity, Verbosity::Error);
  EXPECT_FALSE(o.subreaper);
  EXPECT_EQ(o.pdeathsig, SIGTERM);
  EXPECT_EQ(o.forward, ForwardTarget::Cgroup);
  EXPECT_FALSE(o.warnOnReap);
  EXPECT_EQ(o.grace, milliseconds(3000));
  EXPECT_EQ(o.stopSignal, SIGHUP);
  EXPECT_EQ(o.stopTimeout, milliseconds(4000));
  EXPECT_EQ(o.cgroupMode, CgroupMode::Required);
  EXPECT_EQ(o.pidsMax, (PidsMax{true, 0}));
  EXPECT_EQ(o.reportPath, "-");
}

TEST(OptionsTest, UnsetValuesOfALaterLayerKeepTheEarlierOnes) {
  OptionsLayer low;
  low.verbosity = Verbosity::Trace;
  low.pidsMax = PidsMax{false, 7};
  low.remapExit = std::vector<int>{3};
  const OptionsLayer empty;
  const Options o = merge({&low, &empty});
  EXPECT_EQ(o.verbosity, Verbosity::Trace);
  EXPECT_EQ(o.pidsMax, (PidsMax{false, 7}));
  EXPECT_EQ(o.remapExit, std::vector<int>{3});
}

TEST(OptionsTest, RewriteMergesSignalBySignal) {
  OptionsLayer low;
  low.rewrite = std::map<int, int>{{SIGTERM, SIGQUIT}, {SIGINT, SIGQUIT}};
  OptionsLayer high;
  high.rewrite = std::map<int, int>{{SIGTERM, SIGUSR1}};
  const Options o = merge({&low, &high});
  EXPECT_EQ(o.rewrite, (std::map<int, int>{{SIGTERM, SIGUSR1}, {SIGINT, SIGQUIT}}));
}

TEST(OptionsTest, LimitsMergeFileByFileKeepingTheirOrder) {
  OptionsLayer low;
  low.limits = std::vector<Limit>{{"memory.max", "1G"}, {"cpu.max", "max"}};
  OptionsLayer high;
  high.limits = std::vector<Limit>{{"cpu.max", "50000 100000"}, {"io.weight", "50"}};
  const Options o = merge({&low, &high});
  EXPECT_EQ(o.limits, (std::vector<Limit>{
                          {"memory.max", "1G"}, {"cpu.max", "50000 100000"}, {"io.weight", "50"}}));
}

TEST(OptionsTest, RemapExitIsReplacedAsAWhole) {
  OptionsLayer low;
  low.remapExit = std::vector<int>{1, 2};
  OptionsLayer high;
  high.remapExit = std::vector<int>{3};
  EXPECT_EQ(merge({&low, &high}).remapExit, std::vector<int>{3});
  high.remapExit = std::vector<int>{};
  EXPECT_TRUE(merge({&low, &high}).remapExit.empty());
}

TEST(OptionsTest, RemapExitIsSortedWithoutDuplicates) {
  OptionsLayer layer;
  layer.remapExit = std::vector<int>{143, 1, 143, 0};
  EXPECT_EQ(merge({&layer}).remapExit, (std::vector<int>{0, 1, 143}));
}

TEST(OptionsTest, ParsesForwardTargets) {
  EXPECT_EQ(*parseForward("child"), ForwardTarget::Child);
  EXPECT_EQ(*parseForward("group"), ForwardTarget::Group);
  EXPECT_EQ(*parseForward("cgroup"), ForwardTarget::Cgroup);
  auto bad = parseForward("Child");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message,
            "invalid forward target 'Child' (expected child, group or cgroup)");
}

TEST(OptionsTest, ParsesCgroupModes) {
  EXPECT_EQ(*parseCgroupMode("auto"), CgroupMode::Auto);
  EXPECT_EQ(*parseCgroupMode("required"), CgroupMode::Required);
  EXPECT_EQ(*parseCgroupMode("off"), CgroupMode::Off);
  auto bad = parseCgroupMode("on");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "invalid cgroup mode 'on' (expected auto, required or off)");
}

TEST(OptionsTest, NamesRoundTripThroughTheParsers) {
  for (auto t : {ForwardTarget::Child, ForwardTarget::Group, ForwardTarget::Cgroup}) {
    EXPECT_EQ(*parseForward(forwardName(t)), t);
  }
  for (auto m : {CgroupMode::Auto, CgroupMode::Required, CgroupMode::Off}) {
    EXPECT_EQ(*parseCgroupMode(cgroupModeName(m)), m);
  }
}

TEST(OptionsTest, ParsesPidsMaxNumberOrMax) {
  EXPECT_EQ(*parsePidsMax("max"), (PidsMax{true, 0}));
  EXPECT_EQ(*parsePidsMax("1"), (PidsMax{false, 1}));
  EXPECT_EQ(*parsePidsMax("4194304"), (PidsMax{false, 4194304}));
  EXPECT_EQ(parsePidsMax("512")->str(), "512");
  EXPECT_EQ(parsePidsMax("max")->str(), "max");
}

// 0 would keep the program itself from starting; the kernel's PID_MAX_LIMIT is 4194304.
TEST(OptionsTest, RejectsPidsMaxOutOfRange) {
  for (const char* text : {"0", "4194305", "-1", "", "10k", "MAX", " 5"}) {
    EXPECT_FALSE(parsePidsMax(text)) << text;
  }
  EXPECT_EQ(parsePidsMax("0").error().message, "invalid pids.max '0' (expected 1..4194304 or max)");
}

TEST(OptionsTest, ParsesExitCodesFrom0To255) {
  EXPECT_EQ(*parseExitCode("0"), 0);
  EXPECT_EQ(*parseExitCode("143"), 143);
  EXPECT_EQ(*parseExitCode("255"), 255);
  for (const char* text : {"256", "-1", "x", "", "1.0"}) {
    EXPECT_FALSE(parseExitCode(text)) << text;
  }
  EXPECT_EQ(parseExitCode("256").error().message, "invalid exit code '256' (expected 0..255)");
}

TEST(OptionsTest, ParsesRewriteWithNamesOrNumbers) {
  EXPECT_EQ(*parseRewrite("TERM:QUIT"), std::make_pair(SIGTERM, SIGQUIT));
  EXPECT_EQ(*parseRewrite("15:3"), std::make_pair(SIGTERM, SIGQUIT));
  EXPECT_EQ(*parseRewrite("rtmin+3:SIGTERM"), std::make_pair(SIGRTMIN + 3, SIGTERM));
  EXPECT_EQ(*parseRewrite("TERM:KILL"), std::make_pair(SIGTERM, SIGKILL));
}

TEST(OptionsTest, RejectsRewriteOfSignalsThatCannotBeCaughtOrAreNotForwarded) {
  for (const char* text : {"KILL:TERM", "STOP:TERM", "CHLD:TERM"}) {
    EXPECT_FALSE(parseRewrite(text)) << text;
  }
  EXPECT_EQ(parseRewrite("KILL:TERM").error().message,
            "invalid rewrite 'KILL:TERM': SIGKILL cannot be rewritten");
}

TEST(OptionsTest, RejectsMalformedRewrite) {
  EXPECT_EQ(parseRewrite("TERM").error().message, "invalid rewrite 'TERM' (expected FROM:TO)");
  EXPECT_EQ(parseRewrite("TERM:BOGUS").error().message,
            "invalid rewrite 'TERM:BOGUS': invalid signal 'BOGUS'");
  EXPECT_FALSE(parseRewrite("BOGUS:TERM"));
  EXPECT_FALSE(parseRewrite(":TERM"));
}

TEST(OptionsTest, ParsesLimitFileAndValue) {
  EXPECT_EQ(*parseLimit("memory.max=512M"), (Limit{"memory.max", "512M"}));
  EXPECT_EQ(*parseLimit("cpu.max=50000 100000"), (Limit{"cpu.max", "50000 100000"}));
  EXPECT_EQ(*parseLimit("hugetlb.2MB.max=0"), (Limit{"hugetlb.2MB.max", "0"}));
}

TEST(OptionsTest, RejectsLimitFilesOutsideTheKnownControllers) {
  for (const char* text : {"cgroup.procs=1", "cgroup.kill=1", "foo.bar=1", "memory=1", "memory.=1",
                           "../memory.max=1", "memory.max/x=1", "=1", "memory.max"}) {
    EXPECT_FALSE(parseLimit(text)) << text;
  }
  EXPECT_EQ(parseLimit("cgroup.procs=1").error().message,
            "invalid limit file 'cgroup.procs': cginit manages the cgroup.* files itself, except "
            "cgroup.max.descendants and cgroup.max.depth");
  EXPECT_EQ(parseLimit("foo.bar=1").error().message,
            "invalid limit file 'foo.bar' (expected a controller's interface file such as "
            "memory.max)");
}

// Issue 12 item 3: the limits that stop a cgroup bomb are accepted; cginit's own files are not.
TEST(OptionsTest, LimitAcceptsCgroupMaxDescendantsAndDepthOnlyOfTheCoreFiles) {
  EXPECT_EQ(*parseLimit("cgroup.max.descendants=7"), (Limit{"cgroup.max.descendants", "7"}));
  EXPECT_EQ(*parseLimit("cgroup.max.depth=max"), (Limit{"cgroup.max.depth", "max"}));
  EXPECT_EQ(limitController("cgroup.max.depth"), "");
  for (const char* file :
       {"cgroup.procs", "cgroup.threads", "cgroup.kill", "cgroup.freeze", "cgroup.subtree_control",
        "cgroup.type", "cgroup.max", "cgroup.", "cgroup.max.depth/x"}) {
    EXPECT_FALSE(isValidLimitFile(file)) << file;
    auto limit = parseLimit(std::string(file) + "=1");
    ASSERT_FALSE(limit) << file;
    EXPECT_NE(limit.error().message.find(file), std::string::npos) << limit.error().message;
  }
}

// Issue 17 item 6: the kernel parses these in base 0 ("010" is 8) and takes "+16": only plain
// decimal or "max", so that the report shows what the kernel holds.
TEST(OptionsTest, CountedLimitsArePlainDecimalOrMax) {
  for (const char* file : {"pids.max", "cgroup.max.descendants", "cgroup.max.depth"}) {
    for (const char* value : {"0x10", "+16", "010", "-1", " 16", "16 ", "1e3", "max "}) {
      EXPECT_FALSE(parseLimit(std::string(file) + "=" + value)) << file << "=" << value;
    }
    EXPECT_TRUE(parseLimit(std::string(file) + "=16")) << file;
    EXPECT_TRUE(parseLimit(std::string(file) + "=max")) << file;
  }
  EXPECT_EQ(parseLimit("pids.max=010").error().message,
            "invalid limit value '010' for pids.max (expected 1..4194304 or max)");
  EXPECT_TRUE(parseLimit("cgroup.max.depth=0"));
  EXPECT_FALSE(parseLimit("cgroup.max.depth=2147483648"));
  EXPECT_FALSE(parseLimit("pids.max=0"));
  // Other files keep what the kernel takes: memory.max=0x10 is the kernel's to refuse.
  EXPECT_TRUE(parseLimit("memory.max=010"));
  for (const char* text : {"0x10", "+16", "010", "00"}) {
    EXPECT_FALSE(parsePidsMax(text)) << text;
  }
  EXPECT_EQ(*parsePidsMax("16"), (PidsMax{false, 16}));
}

TEST(OptionsTest, RejectsEmptyOrMultiLineLimitValues) {
  EXPECT_EQ(parseLimit("memory.max=").error().message, "invalid limit value '' for memory.max");
  EXPECT_FALSE(parseLimit("memory.max=1\n2"));
}

TEST(OptionsTest, NamesTheControllerALimitNeeds) {
  EXPECT_EQ(limitController("memory.max"), "memory");
  EXPECT_EQ(limitController("cpu.weight.nice"), "cpu");
  EXPECT_TRUE(isValidLimitFile("pids.max"));
  EXPECT_TRUE(isValidLimitFile("misc.max"));
  EXPECT_FALSE(isValidLimitFile("cgroup.subtree_control"));
}

TEST(OptionsTest, StopSignalAcceptsAnySignal) {
  EXPECT_EQ(*parseStopSignal("INT"), SIGINT);
  EXPECT_EQ(*parseStopSignal("rtmin+3"), SIGRTMIN + 3);
  EXPECT_FALSE(parseStopSignal("0"));
}

// Found by fuzzing: a byte that is not UTF-8 made --print-config print TOML that it could not read.
TEST(OptionsTest, RejectsLimitValuesThatAreNotPrintableAscii) {
  EXPECT_EQ(parseLimit("memory.max=51\x81S").error().message,
            "invalid limit value '51\\x81S' for memory.max");
  EXPECT_FALSE(parseLimit("memory.max=1\t2"));
  EXPECT_FALSE(parseLimit(std::string_view("memory.max=1\0", 13)));
  EXPECT_FALSE(parseLimit("memory.max=1\x7f"));
  EXPECT_EQ(*parseLimit("io.max=8:0 rbps=1048576 wiops=max"),
            (Limit{"io.max", "8:0 rbps=1048576 wiops=max"}));
}

}  // namespace
}  // namespace cginit
