// SPDX-License-Identifier: MIT
// Tests of loadSettings(): which source wins for every setting that more than one source gives.
#include "cginit/settings.h"

#include <signal.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <map>

#include <gtest/gtest.h>

namespace cginit {
namespace {

using std::chrono::milliseconds;
using Args = std::vector<std::string>;
using Vars = std::map<std::string, std::string>;

/// Writes configuration files into a private temporary directory and loads settings.
class SettingsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "cginit-set-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  /// Writes `text` as a config file and returns its path.
  std::string file(std::string_view text, const std::string& name = "cginit.toml") {
    const std::string path = (dir_ / name).string();
    std::ofstream(path) << text;
    return path;
  }

  static Result<Settings> load(const Args& args, const Vars& vars) {
    Args argv{"cginit"};
    argv.insert(argv.end(), args.begin(), args.end());
    return loadSettings(argv, [&vars](const char* name) -> const char* {
      auto it = vars.find(name);
      return it == vars.end() ? nullptr : it->second.c_str();
    });
  }

  /// The options from a config file with `text`, the environment `vars` and then `args`.
  Options options(std::string_view text, const Vars& vars, const Args& args) {
    Args all{"--config", file(text)};
    all.insert(all.end(), args.begin(), args.end());
    all.emplace_back("prog");
    auto settings = load(all, vars);
    EXPECT_TRUE(settings) << settings.error().message;
    return settings ? settings->options : Options{};
  }

  std::filesystem::path dir_;
};

TEST_F(SettingsTest, DefaultsWhenNothingIsGiven) {
  auto settings = load({"prog", "arg"}, {});
  ASSERT_TRUE(settings) << settings.error().message;
  EXPECT_EQ(settings->action, Action::Run);
  EXPECT_EQ(settings->options, Options{});
  EXPECT_EQ(settings->programArgv, (Args{"prog", "arg"}));
}

// verbosity: file < CGINIT_VERBOSITY / TINI_VERBOSITY < -v

TEST_F(SettingsTest, VerbosityFromFileOverridesTheDefault) {
  EXPECT_EQ(options("[init]\nverbosity = \"error\"\n", {}, {}).verbosity, Verbosity::Error);
}

TEST_F(SettingsTest, VerbosityFromEnvironmentOverridesTheFile) {
  const std::string f = "[init]\nverbosity = \"error\"\n";
  EXPECT_EQ(options(f, {{"CGINIT_VERBOSITY", "debug"}}, {}).verbosity, Verbosity::Debug);
  EXPECT_EQ(options(f, {{"TINI_VERBOSITY", "2"}}, {}).verbosity, Verbosity::Info);
}

TEST_F(SettingsTest, VerbosityFromCommandLineOverridesEnvironmentAndFile) {
  EXPECT_EQ(
      options("[init]\nverbosity = \"trace\"\n", {{"CGINIT_VERBOSITY", "error"}}, {"-v"}).verbosity,
      Verbosity::Info);
  EXPECT_EQ(options("[init]\nverbosity = \"error\"\n", {}, {"-vv"}).verbosity, Verbosity::Debug);
}

// subreaper: file < TINI_SUBREAPER < -s

TEST_F(SettingsTest, SubreaperFromEnvironmentOverridesTheFile) {
  const std::string f = "[init]\nsubreaper = false\n";
  EXPECT_FALSE(options(f, {}, {}).subreaper);
  EXPECT_TRUE(options(f, {{"TINI_SUBREAPER", "1"}}, {}).subreaper);
}

TEST_F(SettingsTest, SubreaperFromCommandLineOverridesTheFile) {
  EXPECT_TRUE(options("[init]\nsubreaper = false\n", {}, {"-s"}).subreaper);
}

// forward: file < TINI_KILL_PROCESS_GROUP < --forward / -g

TEST_F(SettingsTest, ForwardFromEnvironmentOverridesTheFile) {
  const std::string f = "[init]\nforward = \"cgroup\"\n";
  EXPECT_EQ(options(f, {}, {}).forward, ForwardTarget::Cgroup);
  EXPECT_EQ(options(f, {{"TINI_KILL_PROCESS_GROUP", "1"}}, {}).forward, ForwardTarget::Group);
}

TEST_F(SettingsTest, ForwardFromCommandLineOverridesEnvironmentAndFile) {
  const std::string f = "[init]\nforward = \"cgroup\"\n";
  EXPECT_EQ(options(f, {{"TINI_KILL_PROCESS_GROUP", "1"}}, {"--forward", "child"}).forward,
            ForwardTarget::Child);
  EXPECT_EQ(options(f, {}, {"-g"}).forward, ForwardTarget::Group);
}

// pids_max: file < CGINIT_PIDS_MAX < --pids-max

TEST_F(SettingsTest, PidsMaxFromEnvironmentOverridesTheFile) {
  const std::string f = "[cgroup]\npids_max = 100\n";
  EXPECT_EQ(options(f, {}, {}).pidsMax, (PidsMax{false, 100}));
  EXPECT_EQ(options(f, {{"CGINIT_PIDS_MAX", "max"}}, {}).pidsMax, (PidsMax{true, 0}));
}

TEST_F(SettingsTest, PidsMaxFromCommandLineOverridesEnvironmentAndFile) {
  EXPECT_EQ(
      options("[cgroup]\npids_max = 100\n", {{"CGINIT_PIDS_MAX", "200"}}, {"--pids-max", "300"})
          .pidsMax,
      (PidsMax{false, 300}));
}

// cgroup mode: file < CGINIT_CGROUP < --cgroup

TEST_F(SettingsTest, CgroupModeFromEnvironmentOverridesTheFile) {
  const std::string f = "[cgroup]\nmode = \"off\"\n";
  EXPECT_EQ(options(f, {}, {}).cgroupMode, CgroupMode::Off);
  EXPECT_EQ(options(f, {{"CGINIT_CGROUP", "required"}}, {}).cgroupMode, CgroupMode::Required);
}

TEST_F(SettingsTest, CgroupModeFromCommandLineOverridesEnvironmentAndFile) {
  EXPECT_EQ(
      options("[cgroup]\nmode = \"off\"\n", {{"CGINIT_CGROUP", "required"}}, {"--cgroup", "auto"})
          .cgroupMode,
      CgroupMode::Auto);
}

// grace: file < CGINIT_GRACE < --grace

TEST_F(SettingsTest, GraceFromEnvironmentOverridesTheFile) {
  const std::string f = "[shutdown]\ngrace = \"1s\"\n";
  EXPECT_EQ(options(f, {}, {}).grace, milliseconds(1000));
  EXPECT_EQ(options(f, {{"CGINIT_GRACE", "2s"}}, {}).grace, milliseconds(2000));
}

TEST_F(SettingsTest, GraceFromCommandLineOverridesEnvironmentAndFile) {
  EXPECT_EQ(
      options("[shutdown]\ngrace = \"1s\"\n", {{"CGINIT_GRACE", "2s"}}, {"--grace", "3s"}).grace,
      milliseconds(3000));
}

// The settings that only the file and the command line give: the command line wins.

TEST_F(SettingsTest, PdeathsigFromCommandLineOverridesTheFile) {
  const std::string f = "[init]\npdeathsig = \"KILL\"\n";
  EXPECT_EQ(options(f, {}, {}).pdeathsig, SIGKILL);
  EXPECT_EQ(options(f, {}, {"-p", "TERM"}).pdeathsig, SIGTERM);
}

TEST_F(SettingsTest, RemapExitFromCommandLineReplacesTheFilesList) {
  const std::string f = "[init]\nremap_exit = [1, 2]\n";
  EXPECT_EQ(options(f, {}, {}).remapExit, (std::vector<int>{1, 2}));
  EXPECT_EQ(options(f, {}, {"-e", "3"}).remapExit, std::vector<int>{3});
}

TEST_F(SettingsTest, WarnOnReapFromCommandLineOverridesTheFile) {
  const std::string f = "[init]\nwarn_on_reap = false\n";
  EXPECT_FALSE(options(f, {}, {}).warnOnReap);
  EXPECT_TRUE(options(f, {}, {"-w"}).warnOnReap);
}

TEST_F(SettingsTest, RewriteMergesFileAndCommandLineSignalBySignal) {
  const std::string f = "[init]\nrewrite = { TERM = \"QUIT\", INT = \"QUIT\" }\n";
  EXPECT_EQ(options(f, {}, {"--rewrite", "SIGTERM:USR1", "--rewrite", "HUP:TERM"}).rewrite,
            (std::map<int, int>{{SIGTERM, SIGUSR1}, {SIGINT, SIGQUIT}, {SIGHUP, SIGTERM}}));
}

TEST_F(SettingsTest, StopSignalFromCommandLineOverridesTheFile) {
  const std::string f = "[shutdown]\nsignal = \"INT\"\n";
  EXPECT_EQ(options(f, {}, {}).stopSignal, SIGINT);
  EXPECT_EQ(options(f, {}, {"--stop-signal", "HUP"}).stopSignal, SIGHUP);
}

TEST_F(SettingsTest, StopTimeoutFromCommandLineOverridesTheFile) {
  const std::string f = "[shutdown]\nstop_timeout = \"30s\"\n";
  EXPECT_EQ(options(f, {}, {}).stopTimeout, milliseconds(30000));
  EXPECT_EQ(options(f, {}, {"--stop-timeout", "10s"}).stopTimeout, milliseconds(10000));
}

TEST_F(SettingsTest, LimitsMergeFileAndCommandLineFileByFile) {
  const std::string f = "[cgroup]\nlimits = { \"memory.max\" = \"1G\", \"cpu.max\" = \"max\" }\n";
  EXPECT_EQ(options(f, {}, {"--limit", "memory.max=2G", "--limit", "io.weight=50"}).limits,
            (std::vector<Limit>{{"memory.max", "2G"}, {"cpu.max", "max"}, {"io.weight", "50"}}));
}

TEST_F(SettingsTest, ReportPathFromCommandLineOverridesTheFile) {
  const std::string f = "[report]\npath = \"/run/a.json\"\n";
  EXPECT_EQ(options(f, {}, {}).reportPath, "/run/a.json");
  EXPECT_EQ(options(f, {}, {"--report", "-"}).reportPath, "-");
}

// The config file itself: --config < CGINIT_CONFIG

TEST_F(SettingsTest, ConfigFromEnvironmentIsLoaded) {
  auto settings = load({"prog"}, {{"CGINIT_CONFIG", file("[cgroup]\npids_max = 7\n")}});
  ASSERT_TRUE(settings) << settings.error().message;
  EXPECT_EQ(settings->options.pidsMax, (PidsMax{false, 7}));
}

TEST_F(SettingsTest, ConfigFromCommandLineReplacesTheOneFromEnvironment) {
  const std::string broken = file("this is not toml", "broken.toml");
  const std::string good = file("[cgroup]\npids_max = 8\n", "good.toml");
  auto settings = load({"--config", good, "prog"}, {{"CGINIT_CONFIG", broken}});
  ASSERT_TRUE(settings) << settings.error().message;
  EXPECT_EQ(settings->options.pidsMax, (PidsMax{false, 8}));
}

// Errors and actions

TEST_F(SettingsTest, BrokenFileIsAUsageErrorWithItsPosition) {
  const std::string f = file("[init]\nforward = \"x\"\n");
  auto settings = load({"--config", f, "prog"}, {});
  ASSERT_FALSE(settings);
  EXPECT_TRUE(settings.error().usage);
  EXPECT_EQ(
      settings.error().message,
      f + ":2:11: init.forward: invalid forward target 'x' (expected child, group or cgroup)");
}

TEST_F(SettingsTest, MissingFileIsAUsageError) {
  const std::string missing = (dir_ / "missing.toml").string();
  auto settings = load({"prog"}, {{"CGINIT_CONFIG", missing}});
  ASSERT_FALSE(settings);
  EXPECT_TRUE(settings.error().usage);
  EXPECT_EQ(settings.error().message, "open " + missing + ": No such file or directory");
}

TEST_F(SettingsTest, BadEnvironmentIsAUsageError) {
  auto settings = load({"prog"}, {{"CGINIT_GRACE", "x"}});
  ASSERT_FALSE(settings);
  EXPECT_TRUE(settings.error().usage);
  EXPECT_EQ(settings.error().message.rfind("CGINIT_GRACE: ", 0), 0u) << settings.error().message;
}

TEST_F(SettingsTest, BadCommandLineIsAUsageError) {
  auto settings = load({"--bogus"}, {});
  ASSERT_FALSE(settings);
  EXPECT_TRUE(settings.error().usage);
  EXPECT_EQ(settings.error().message, "unknown option '--bogus' (see --help)");
}

// --help must work whatever is wrong with the file or the environment.
TEST_F(SettingsTest, InformationalActionsReadNeitherFileNorEnvironment) {
  const std::string broken = file("[init\n");
  const Vars vars = {{"CGINIT_CONFIG", broken}, {"CGINIT_GRACE", "x"}};
  for (const auto& [flag, action] : std::vector<std::pair<std::string, Action>>{
           {"--help", Action::Help}, {"--version", Action::Version}, {"-l", Action::License}}) {
    auto settings = load({"--config", broken, flag}, vars);
    ASSERT_TRUE(settings) << flag << ": " << settings.error().message;
    EXPECT_EQ(settings->action, action);
  }
}

TEST_F(SettingsTest, PrintConfigLoadsTheFile) {
  const std::string good = file("[cgroup]\nmode = \"off\"\n", "good.toml");
  auto settings = load({"--print-config", "--config", good}, {{"CGINIT_PIDS_MAX", "9"}});
  ASSERT_TRUE(settings) << settings.error().message;
  EXPECT_EQ(settings->action, Action::PrintConfig);
  EXPECT_EQ(settings->options.cgroupMode, CgroupMode::Off);
  EXPECT_EQ(settings->options.pidsMax, (PidsMax{false, 9}));
  EXPECT_TRUE(settings->programArgv.empty());

  const std::string broken = file("[init\n", "broken.toml");
  EXPECT_FALSE(load({"--print-config", "--config", broken}, {}));
}

}  // namespace
}  // namespace cginit
