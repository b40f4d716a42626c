// SPDX-License-Identifier: MIT
// Tests of the CGINIT_* and TINI_* environment variables.
#include "cginit/env.h"

#include <signal.h>

#include <array>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace cginit {
namespace {

using std::chrono::milliseconds;
using Vars = std::map<std::string, std::string>;

EnvLookup lookupIn(const Vars& vars) {
  return [&vars](const char* name) -> const char* {
    auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  };
}

EnvResult parse(const Vars& vars) {
  auto result = parseEnvironment(lookupIn(vars));
  EXPECT_TRUE(result) << result.error().message;
  return result ? std::move(result).value() : EnvResult{};
}

std::string errorOf(const Vars& vars) {
  auto result = parseEnvironment(lookupIn(vars));
  EXPECT_FALSE(result);
  return result ? std::string() : result.error().message;
}

TEST(EnvTest, EmptyEnvironmentSetsNothing) {
  const EnvResult r = parse({});
  EXPECT_FALSE(r.configPath);
  const Options defaults;
  EXPECT_EQ(merge({&r.layer}), defaults);
}

TEST(EnvTest, ReadsTheConfigPath) {
  EXPECT_EQ(parse({{"CGINIT_CONFIG", "/etc/cginit.toml"}}).configPath, "/etc/cginit.toml");
}

TEST(EnvTest, EmptyCginitVariablesCountAsUnset) {
  const EnvResult r = parse({{"CGINIT_CONFIG", ""},
                             {"CGINIT_VERBOSITY", ""},
                             {"CGINIT_PIDS_MAX", ""},
                             {"CGINIT_CGROUP", ""},
                             {"CGINIT_GRACE", ""}});
  EXPECT_FALSE(r.configPath);
  EXPECT_FALSE(r.layer.verbosity);
  EXPECT_FALSE(r.layer.pidsMax);
  EXPECT_FALSE(r.layer.cgroupMode);
  EXPECT_FALSE(r.layer.grace);
}

TEST(EnvTest, ReadsCginitVariables) {
  const EnvResult r = parse({{"CGINIT_VERBOSITY", "debug"},
                             {"CGINIT_PIDS_MAX", "512"},
                             {"CGINIT_CGROUP", "required"},
                             {"CGINIT_GRACE", "1m"}});
  EXPECT_EQ(r.layer.verbosity, Verbosity::Debug);
  EXPECT_EQ(r.layer.pidsMax, (PidsMax{false, 512}));
  EXPECT_EQ(r.layer.cgroupMode, CgroupMode::Required);
  EXPECT_EQ(r.layer.grace, milliseconds(60000));
}

// tini tests these two with getenv() != NULL: any value, even "" or "0", turns them on.
TEST(EnvTest, TiniFlagsAreOnWhenSetAtAll) {
  EXPECT_EQ(parse({{"TINI_SUBREAPER", ""}}).layer.subreaper, true);
  EXPECT_EQ(parse({{"TINI_SUBREAPER", "0"}}).layer.subreaper, true);
  EXPECT_EQ(parse({{"TINI_KILL_PROCESS_GROUP", "1"}}).layer.forward, ForwardTarget::Group);
  EXPECT_FALSE(parse({}).layer.subreaper);
  EXPECT_FALSE(parse({}).layer.forward);
}

// tini's default verbosity is 1; cginit maps it to its own default, warn.
TEST(EnvTest, TiniVerbosityNumbersMapOntoLevels) {
  EXPECT_EQ(parse({{"TINI_VERBOSITY", "0"}}).layer.verbosity, Verbosity::Error);
  EXPECT_EQ(parse({{"TINI_VERBOSITY", "1"}}).layer.verbosity, Verbosity::Warn);
  EXPECT_EQ(parse({{"TINI_VERBOSITY", "2"}}).layer.verbosity, Verbosity::Info);
  EXPECT_EQ(parse({{"TINI_VERBOSITY", "3"}}).layer.verbosity, Verbosity::Debug);
  EXPECT_EQ(parse({{"TINI_VERBOSITY", "4"}}).layer.verbosity, Verbosity::Trace);
  EXPECT_EQ(parse({{"TINI_VERBOSITY", "9"}}).layer.verbosity, Verbosity::Trace);
}

TEST(EnvTest, VerbosityAcceptsNames) {
  EXPECT_EQ(parse({{"CGINIT_VERBOSITY", "trace"}}).layer.verbosity, Verbosity::Trace);
  EXPECT_EQ(parse({{"TINI_VERBOSITY", "info"}}).layer.verbosity, Verbosity::Info);
}

TEST(EnvTest, CginitVerbosityWinsOverTiniVerbosity) {
  EXPECT_EQ(parse({{"TINI_VERBOSITY", "4"}, {"CGINIT_VERBOSITY", "error"}}).layer.verbosity,
            Verbosity::Error);
}

TEST(EnvTest, ErrorNamesTheVariable) {
  EXPECT_EQ(errorOf({{"CGINIT_GRACE", "soon"}}),
            "CGINIT_GRACE: invalid duration 'soon' (expected e.g. 500ms, 5s, 1m; at most 24h)");
  EXPECT_EQ(errorOf({{"CGINIT_PIDS_MAX", "0"}}),
            "CGINIT_PIDS_MAX: invalid pids.max '0' (expected 1..4194304 or max)");
  EXPECT_EQ(errorOf({{"CGINIT_CGROUP", "yes"}}),
            "CGINIT_CGROUP: invalid cgroup mode 'yes' (expected auto, required or off)");
  EXPECT_EQ(errorOf({{"CGINIT_VERBOSITY", "loud"}}),
            "CGINIT_VERBOSITY: invalid verbosity 'loud' (expected error, warn, info, debug, trace "
            "or 0..4)");
  EXPECT_EQ(errorOf({{"TINI_VERBOSITY", "-1"}}),
            "TINI_VERBOSITY: invalid verbosity '-1' (expected error, warn, info, debug, trace or "
            "0..4)");
}

TEST(EnvTest, IgnoresVariablesItDoesNotKnow) {
  const EnvResult r = parse({{"CGINIT_FROBNICATE", "x"}, {"PATH", "/bin"}});
  const Options defaults;
  EXPECT_EQ(merge({&r.layer}), defaults);
}

// Issue 14: `docker run --init` passes no options, so every setting that a line of text can
// hold has a variable.
TEST(EnvTest, ReadsTheVariablesOfEverySetting) {
  const EnvResult r = parse({{"CGINIT_SUBREAPER", "yes"},
                             {"CGINIT_PDEATHSIG", "KILL"},
                             {"CGINIT_FORWARD", "cgroup"},
                             {"CGINIT_REMAP_EXIT", "143,137"},
                             {"CGINIT_WARN_ON_REAP", "1"},
                             {"CGINIT_REWRITE", "TERM:QUIT,INT:TERM"},
                             {"CGINIT_STOP_SIGNAL", "SIGINT"},
                             {"CGINIT_STOP_TIMEOUT", "30s"},
                             {"CGINIT_WORKLOAD_CGROUPNS", "false"},
                             {"CGINIT_REPORT", "/run/report.json"}});
  EXPECT_EQ(r.layer.subreaper, true);
  EXPECT_EQ(r.layer.pdeathsig, SIGKILL);
  EXPECT_EQ(r.layer.forward, ForwardTarget::Cgroup);
  EXPECT_EQ(r.layer.remapExit, (std::vector<int>{143, 137}));
  EXPECT_EQ(r.layer.warnOnReap, true);
  EXPECT_EQ(r.layer.rewrite, (std::map<int, int>{{SIGTERM, SIGQUIT}, {SIGINT, SIGTERM}}));
  EXPECT_EQ(r.layer.stopSignal, SIGINT);
  EXPECT_EQ(r.layer.stopTimeout, milliseconds(30000));
  EXPECT_EQ(r.layer.workloadCgroupns, false);
  EXPECT_EQ(r.layer.reportPath, "/run/report.json");
}

TEST(EnvTest, BooleansAcceptTheUsualSpellings) {
  for (const char* on : {"true", "1", "yes"}) {
    EXPECT_EQ(parse({{"CGINIT_WORKLOAD_CGROUPNS", on}}).layer.workloadCgroupns, true) << on;
  }
  for (const char* off : {"false", "0", "no"}) {
    EXPECT_EQ(parse({{"CGINIT_WORKLOAD_CGROUPNS", off}}).layer.workloadCgroupns, false) << off;
  }
  EXPECT_EQ(
      errorOf({{"CGINIT_WORKLOAD_CGROUPNS", "on"}}),
      "CGINIT_WORKLOAD_CGROUPNS: invalid boolean 'on' (expected true, false, 1, 0, yes or no)");
}

TEST(EnvTest, CginitVariablesWinOverTinis) {
  EXPECT_EQ(parse({{"TINI_SUBREAPER", ""}, {"CGINIT_SUBREAPER", "no"}}).layer.subreaper, false);
  EXPECT_EQ(parse({{"TINI_KILL_PROCESS_GROUP", "1"}, {"CGINIT_FORWARD", "child"}}).layer.forward,
            ForwardTarget::Child);
}

TEST(EnvTest, InvalidListElementNamesTheVariable) {
  EXPECT_EQ(errorOf({{"CGINIT_REMAP_EXIT", "143,,1"}}),
            "CGINIT_REMAP_EXIT: invalid exit code '' (expected 0..255)");
  EXPECT_EQ(errorOf({{"CGINIT_STOP_SIGNAL", "NOPE"}}), "CGINIT_STOP_SIGNAL: invalid signal 'NOPE'");
}

// Issue 17 item 9: a value from outside never reaches a log line unescaped.
TEST(EnvTest, ValuesInErrorsAreEscaped) {
  EXPECT_EQ(errorOf({{"CGINIT_PIDS_MAX", "64\n[cginit] [info] pids.max applied, all good"}}),
            "CGINIT_PIDS_MAX: invalid pids.max '64\\n[cginit] [info] pids.max applied, all good' "
            "(expected 1..4194304 or max)");
  EXPECT_EQ(errorOf({{"CGINIT_GRACE", "\x1b[2J"}}),
            "CGINIT_GRACE: invalid duration '\\x1b[2J' (expected e.g. 500ms, 5s, 1m; at most 24h)");
}

// Issue 17: a misspelt variable must not be silent (main() warns about each of these).
TEST(EnvTest, UnknownVariablesAreTheCginitNamesNotInTheTable) {
  std::string a = "CGINIT_PIDSMAX=64", b = "CGINIT_PIDS_MAX=64", c = "CGINIT_CONFIG=/x",
              d = "TINI_FOO=1", e = "PATH=/bin", f = "CGINIT_=1";
  std::array<char*, 7> envp = {a.data(), b.data(), c.data(), d.data(), e.data(), f.data(), nullptr};
  EXPECT_EQ(unknownVariables(envp.data()), (std::vector<std::string>{"CGINIT_PIDSMAX", "CGINIT_"}));
}

TEST(EnvTest, EnvironmentLookupFindsCginitAndTiniVariablesOnly) {
  std::string path = "PATH=/bin";
  std::string longer = "CGINIT_GRACEFUL=1";
  std::string grace = "CGINIT_GRACE=2s";
  std::string subreaper = "TINI_SUBREAPER=";
  std::string again = "CGINIT_GRACE=9s";
  std::array<char*, 6> envp = {path.data(),      longer.data(), grace.data(),
                               subreaper.data(), again.data(),  nullptr};
  const EnvLookup lookup = environmentLookup(envp.data());
  EXPECT_STREQ(lookup("CGINIT_GRACE"), "2s");  // the first entry wins, as with getenv()
  EXPECT_STREQ(lookup("TINI_SUBREAPER"), "");
  EXPECT_STREQ(lookup("CGINIT_GRACEFUL"), "1");
  EXPECT_EQ(lookup("CGINIT_PIDS_MAX"), nullptr);
  EXPECT_EQ(lookup("PATH"), nullptr);  // not collected: parseEnvironment never asks for it
  EXPECT_EQ(lookup("CGINIT"), nullptr);
}

}  // namespace
}  // namespace cginit
