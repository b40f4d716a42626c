// SPDX-License-Identifier: MIT
// Tests of command-line parsing.
#include "cginit/cli.h"

#include <signal.h>

#include <algorithm>
#include <array>
#include <cstdio>

#include <gtest/gtest.h>

#include "cginit/version.h"

namespace cginit {
namespace {

using std::chrono::milliseconds;
using Args = std::vector<std::string>;

Args withArgv0(const Args& args) {
  Args argv{"cginit"};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

CliResult parse(const Args& args) {
  auto result = parseCommandLine(withArgv0(args));
  EXPECT_TRUE(result) << result.error().message;
  return result ? std::move(result).value() : CliResult{};
}

std::string errorOf(const Args& args) {
  auto result = parseCommandLine(withArgv0(args));
  EXPECT_FALSE(result);
  if (result) {
    return {};
  }
  EXPECT_TRUE(result.error().usage);
  return result.error().message;
}

TEST(CliTest, StopsAtTheFirstWordThatIsNotAnOption) {
  const CliResult r = parse({"-s", "prog", "-x", "--grace", "1s"});
  EXPECT_EQ(r.action, Action::Run);
  EXPECT_EQ(r.programArgv, (Args{"prog", "-x", "--grace", "1s"}));
  EXPECT_EQ(r.layer.subreaper, true);
  EXPECT_FALSE(r.layer.grace);
}

TEST(CliTest, DoubleDashEndsTheOptions) {
  EXPECT_EQ(parse({"--", "-v"}).programArgv, Args{"-v"});
  EXPECT_EQ(parse({"-v", "--", "prog", "--"}).programArgv, (Args{"prog", "--"}));
}

TEST(CliTest, LoneDashIsTheProgram) {
  EXPECT_EQ(parse({"-", "x"}).programArgv, (Args{"-", "x"}));
}

TEST(CliTest, RunWithoutAProgramIsAnError) {
  EXPECT_EQ(errorOf({}), "no program given (usage: cginit [OPTION]... [--] PROGRAM [ARG]...)");
  EXPECT_EQ(errorOf({"-s", "--"}),
            "no program given (usage: cginit [OPTION]... [--] PROGRAM [ARG]...)");
}

TEST(CliTest, InformationalActionsNeedNoProgram) {
  EXPECT_EQ(parse({"-h"}).action, Action::Help);
  EXPECT_EQ(parse({"--help"}).action, Action::Help);
  EXPECT_EQ(parse({"--version"}).action, Action::Version);
  EXPECT_EQ(parse({"-l"}).action, Action::License);
  EXPECT_EQ(parse({"--license"}).action, Action::License);
  EXPECT_EQ(parse({"--print-config"}).action, Action::PrintConfig);
  EXPECT_TRUE(parse({"--help", "prog"}).programArgv.empty());
}

TEST(CliTest, HelpWinsOverVersionLicenseAndPrintConfig) {
  EXPECT_EQ(parse({"--print-config", "--version", "-h", "-l"}).action, Action::Help);
  EXPECT_EQ(parse({"--print-config", "-l", "--version"}).action, Action::Version);
  EXPECT_EQ(parse({"--print-config", "-l"}).action, Action::License);
}

TEST(CliTest, EachVRaisesTheVerbosity) {
  EXPECT_FALSE(parse({"prog"}).layer.verbosity);
  EXPECT_EQ(parse({"-v", "prog"}).layer.verbosity, Verbosity::Info);
  EXPECT_EQ(parse({"-vv", "prog"}).layer.verbosity, Verbosity::Debug);
  EXPECT_EQ(parse({"-v", "-v", "-v", "prog"}).layer.verbosity, Verbosity::Trace);
  EXPECT_EQ(parse({"-vvvvv", "prog"}).layer.verbosity, Verbosity::Trace);
}

TEST(CliTest, ShortFlagsCanBeClustered) {
  const CliResult r = parse({"-sgw", "prog"});
  EXPECT_EQ(r.layer.subreaper, true);
  EXPECT_EQ(r.layer.forward, ForwardTarget::Group);
  EXPECT_EQ(r.layer.warnOnReap, true);
}

TEST(CliTest, ShortOptionValueMayBeAttachedOrSeparate) {
  EXPECT_EQ(parse({"-pSIGKILL", "prog"}).layer.pdeathsig, SIGKILL);
  EXPECT_EQ(parse({"-p", "KILL", "prog"}).layer.pdeathsig, SIGKILL);
  EXPECT_EQ(parse({"-se143", "prog"}).layer.remapExit, std::vector<int>{143});
}

TEST(CliTest, LongOptionValueMayFollowAnEqualsSignOrBeSeparate) {
  EXPECT_EQ(parse({"--grace=10s", "prog"}).layer.grace, milliseconds(10000));
  EXPECT_EQ(parse({"--grace", "10s", "prog"}).layer.grace, milliseconds(10000));
  EXPECT_EQ(parse({"--limit=cpu.max=50000 100000", "prog"}).layer.limits,
            (std::vector<Limit>{{"cpu.max", "50000 100000"}}));
}

TEST(CliTest, TiniLongNamesMatchTheirLetters) {
  const CliResult r = parse({"--subreaper", "--pdeathsig", "TERM", "--kill-process-group",
                             "--remap-exit", "1", "--warn-on-reap", "prog"});
  EXPECT_EQ(r.layer.subreaper, true);
  EXPECT_EQ(r.layer.pdeathsig, SIGTERM);
  EXPECT_EQ(r.layer.forward, ForwardTarget::Group);
  EXPECT_EQ(r.layer.remapExit, std::vector<int>{1});
  EXPECT_EQ(r.layer.warnOnReap, true);
}

TEST(CliTest, StoresEveryCginitOption) {
  const CliResult r = parse({"--config",
                             "/etc/cginit.toml",
                             "--cgroup",
                             "required",
                             "--pids-max",
                             "max",
                             "--limit",
                             "memory.max=512M",
                             "--forward",
                             "cgroup",
                             "--rewrite",
                             "TERM:QUIT",
                             "--grace",
                             "500ms",
                             "--stop-signal",
                             "INT",
                             "--stop-timeout",
                             "30s",
                             "--report",
                             "-",
                             "prog"});
  EXPECT_EQ(r.configPath, "/etc/cginit.toml");
  EXPECT_EQ(r.layer.cgroupMode, CgroupMode::Required);
  EXPECT_EQ(r.layer.pidsMax, (PidsMax{true, 0}));
  EXPECT_EQ(r.layer.limits, (std::vector<Limit>{{"memory.max", "512M"}}));
  EXPECT_EQ(r.layer.forward, ForwardTarget::Cgroup);
  EXPECT_EQ(r.layer.rewrite, (std::map<int, int>{{SIGTERM, SIGQUIT}}));
  EXPECT_EQ(r.layer.grace, milliseconds(500));
  EXPECT_EQ(r.layer.stopSignal, SIGINT);
  EXPECT_EQ(r.layer.stopTimeout, milliseconds(30000));
  EXPECT_EQ(r.layer.reportPath, "-");
}

TEST(CliTest, RepeatedRemapExitAccumulates) {
  EXPECT_EQ(parse({"-e", "143", "-e", "1", "prog"}).layer.remapExit, (std::vector<int>{143, 1}));
}

TEST(CliTest, RepeatedRewriteOfTheSameSignalKeepsTheLast) {
  EXPECT_EQ(
      parse({"--rewrite", "TERM:QUIT", "--rewrite", "INT:QUIT", "--rewrite", "15:USR1", "prog"})
          .layer.rewrite,
      (std::map<int, int>{{SIGINT, SIGQUIT}, {SIGTERM, SIGUSR1}}));
}

TEST(CliTest, RepeatedLimitOfTheSameFileKeepsTheLast) {
  EXPECT_EQ(parse({"--limit", "memory.max=1G", "--limit", "cpu.max=max", "--limit", "memory.max=2G",
                   "prog"})
                .layer.limits,
            (std::vector<Limit>{{"cpu.max", "max"}, {"memory.max", "2G"}}));
}

TEST(CliTest, LaterValueOfASingleOptionWins) {
  const CliResult r = parse({"--forward", "cgroup", "-g", "--grace", "1s", "--grace", "2s", "p"});
  EXPECT_EQ(r.layer.forward, ForwardTarget::Group);
  EXPECT_EQ(r.layer.grace, milliseconds(2000));
}

TEST(CliTest, RejectsUnknownOptions) {
  EXPECT_EQ(errorOf({"--bogus", "prog"}), "unknown option '--bogus' (see --help)");
  EXPECT_EQ(errorOf({"-x", "prog"}), "unknown option '-x' (see --help)");
  EXPECT_EQ(errorOf({"-sx", "prog"}), "unknown option '-x' (see --help)");
}

TEST(CliTest, RejectsAMissingValue) {
  EXPECT_EQ(errorOf({"--grace"}), "option --grace needs a value");
  EXPECT_EQ(errorOf({"-p"}), "option -p needs a value");
}

TEST(CliTest, RejectsAValueForAFlag) {
  EXPECT_EQ(errorOf({"--subreaper=yes", "prog"}), "option --subreaper takes no value");
}

TEST(CliTest, InvalidValueErrorNamesTheOption) {
  EXPECT_EQ(errorOf({"--grace", "soon", "prog"}),
            "option --grace: invalid duration 'soon' (expected e.g. 500ms, 5s, 1m; at most 24h)");
  EXPECT_EQ(errorOf({"-p", "FOO", "prog"}), "option -p/--pdeathsig: invalid signal 'FOO'");
  EXPECT_EQ(errorOf({"-e", "256", "prog"}),
            "option -e/--remap-exit: invalid exit code '256' (expected 0..255)");
  EXPECT_EQ(errorOf({"--pids-max", "0", "prog"}),
            "option --pids-max: invalid pids.max '0' (expected 1..4194304 or max)");
  EXPECT_EQ(errorOf({"--cgroup", "on", "prog"}),
            "option --cgroup: invalid cgroup mode 'on' (expected auto, required or off)");
  EXPECT_EQ(errorOf({"--forward", "all", "prog"}),
            "option --forward: invalid forward target 'all' (expected child, group or cgroup)");
  EXPECT_EQ(errorOf({"--rewrite", "KILL:TERM", "prog"}),
            "option --rewrite: invalid rewrite 'KILL:TERM': SIGKILL cannot be rewritten");
  EXPECT_EQ(errorOf({"--limit", "cgroup.procs=1", "prog"}),
            "option --limit: invalid limit file 'cgroup.procs': cginit manages the cgroup.* "
            "files itself, except cgroup.max.descendants and cgroup.max.depth");
  EXPECT_EQ(errorOf({"--stop-signal", "0", "prog"}), "option --stop-signal: invalid signal '0'");
  EXPECT_EQ(errorOf({"--stop-timeout", "2d", "prog"}),
            "option --stop-timeout: invalid duration '2d' (expected e.g. 500ms, 5s, 1m; at most "
            "24h)");
}

// GNU's rule for an optional value: only `--workload-cgroupns=BOOL`; the next word is never its
// value, so `cginit --workload-cgroupns false` runs false(1) with the namespace on.
TEST(CliTest, WorkloadCgroupnsTakesAnOptionalBoolean) {
  EXPECT_EQ(parse({"--workload-cgroupns", "prog"}).layer.workloadCgroupns, true);
  EXPECT_EQ(parse({"--workload-cgroupns=false", "prog"}).layer.workloadCgroupns, false);
  EXPECT_EQ(parse({"--workload-cgroupns=no", "prog"}).layer.workloadCgroupns, false);
  EXPECT_EQ(parse({"--workload-cgroupns=1", "prog"}).layer.workloadCgroupns, true);
  const CliResult r = parse({"--workload-cgroupns", "false"});
  EXPECT_EQ(r.layer.workloadCgroupns, true);
  EXPECT_EQ(r.programArgv, (std::vector<std::string>{"false"}));
  EXPECT_EQ(errorOf({"--workload-cgroupns=maybe", "prog"}),
            "option --workload-cgroupns: invalid boolean 'maybe' (expected true, false, 1, 0, yes "
            "or no)");
  EXPECT_FALSE(parse({"prog"}).layer.workloadCgroupns);
}

TEST(CliTest, LimitAcceptsTheCoreLimitsAndPlainDecimalCounts) {
  const CliResult r =
      parse({"--limit", "cgroup.max.descendants=7", "--limit", "cgroup.max.depth=3", "prog"});
  EXPECT_EQ(r.layer.limits,
            (std::vector<Limit>{{"cgroup.max.descendants", "7"}, {"cgroup.max.depth", "3"}}));
  for (const char* file : {"cgroup.procs", "cgroup.threads", "cgroup.kill", "cgroup.freeze",
                           "cgroup.subtree_control", "cgroup.type", "cgroup.events"}) {
    EXPECT_NE(errorOf({"--limit", std::string(file) + "=1", "prog"}).find(file), std::string::npos)
        << file;
  }
  EXPECT_EQ(errorOf({"--pids-max", "010", "prog"}),
            "option --pids-max: invalid pids.max '010' (expected 1..4194304 or max)");
}

// Issue 17 item 9: the text of an unknown option is escaped, so it cannot forge a log line.
TEST(CliTest, UnknownOptionIsEscaped) {
  EXPECT_EQ(errorOf({"--x\n[cginit] [info] ok", "prog"}),
            "unknown option '--x\\n[cginit] [info] ok' (see --help)");
}

TEST(CliTest, RejectsEmptyPaths) {
  EXPECT_EQ(errorOf({"--report", "", "prog"}), "option --report: empty path");
  EXPECT_EQ(errorOf({"--config=", "prog"}), "option --config: empty file name");
}

// "cginit version X.Y.Z - git.<commit>", which `docker info` parses as it parses tini's; a build
// from a tree that is neither a checkout nor a `git archive` has no commit to name and says
// "cginit version X.Y.Z" alone.
TEST(CliTest, VersionHasTinisShape) {
  const std::string text = versionText();
  const std::string prefix = "cginit version ";
  ASSERT_EQ(text.rfind(prefix, 0), 0u) << text;
  ASSERT_EQ(text.back(), '\n');
  const size_t dash = text.find(" - git.");
  const size_t end = dash == std::string::npos ? text.size() - 1 : dash;
  const std::string version = text.substr(prefix.size(), end - prefix.size());
  EXPECT_EQ(version, kVersion);
  EXPECT_EQ(std::count(version.begin(), version.end(), '.'), 2) << version;
  EXPECT_EQ(version.find_first_not_of("0123456789."), std::string::npos) << version;
  if (CGINIT_HAS_COMMIT) {
    ASSERT_NE(dash, std::string::npos) << text;
    EXPECT_EQ(text.substr(dash + 7), std::string(kGitCommit) + "\n");
  } else {
    EXPECT_EQ(dash, std::string::npos) << text;
    EXPECT_EQ(text, prefix + kVersion + "\n");
  }
}

// Built from a git checkout, the commit is the checkout's HEAD (vcs_tag reads it at every build).
TEST(CliTest, VersionNamesTheCheckoutsCommit) {
  if (!CGINIT_FROM_GIT) {
    GTEST_SKIP() << "built from a tarball: no commit to name";
  }
  const std::string command = "git -C '" CGINIT_SOURCE_DIR "' rev-parse --short=7 HEAD";
  FILE* pipe = ::popen(command.c_str(), "re");
  ASSERT_NE(pipe, nullptr) << command;
  std::array<char, 128> buffer{};
  std::string head;
  while (std::fgets(buffer.data(), static_cast<int>(buffer.size()), pipe) != nullptr) {
    head += buffer.data();
  }
  ASSERT_EQ(::pclose(pipe), 0) << command;
  EXPECT_EQ(versionText(), std::string("cginit version ") + kVersion + " - git." + head);
}

TEST(CliTest, UsageNamesTheProgramAndEveryOption) {
  const std::string usage = usageText("/cginit");
  EXPECT_NE(usage.find("Usage: /cginit [OPTION]... [--] PROGRAM [ARG]..."), std::string::npos);
  for (const char* option : {"--help",       "--version",      "-v",
                             "--subreaper",  "--pdeathsig",    "--kill-process-group",
                             "--remap-exit", "--warn-on-reap", "--license",
                             "--config",     "--cgroup",       "--pids-max",
                             "--limit",      "--forward",      "--rewrite",
                             "--grace",      "--stop-signal",  "--stop-timeout",
                             "--report",     "--print-config", "--workload-cgroupns"}) {
    EXPECT_NE(usage.find(option), std::string::npos) << option;
  }
}

// Found by fuzzing: --print-config printed such a path into TOML that it could not read back.
TEST(CliTest, ReportPathMustBeUtf8) {
  EXPECT_EQ(errorOf({"--report", "/tmp/\xe9.json", "prog"}),
            "option --report: path is not valid UTF-8");
  EXPECT_FALSE(parseCommandLine(withArgv0({"--report=/\xc0\xaf", "prog"})));          // overlong
  EXPECT_FALSE(parseCommandLine(withArgv0({"--report=/\xed\xa0\x80", "prog"})));      // surrogate
  EXPECT_FALSE(parseCommandLine(withArgv0({"--report=/\xf4\x90\x80\x80", "prog"})));  // > U+10FFFF
  EXPECT_FALSE(parseCommandLine(withArgv0({"--report=/\xe2\x82", "prog"})));          // truncated
  EXPECT_EQ(parse({"--report", "/tmp/\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80.json", "prog"})
                .layer.reportPath,
            "/tmp/\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80.json");
}

}  // namespace
}  // namespace cginit
