// SPDX-License-Identifier: MIT
// Tests of the TOML configuration file: every key, every error class with its position, and
// formatConfig() round trips.
#include "cginit/config_file.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace cginit {
namespace {

using std::chrono::milliseconds;

OptionsLayer parse(std::string_view text) {
  auto layer = parseConfig(text, "cginit.toml");
  EXPECT_TRUE(layer) << layer.error().message;
  return layer ? std::move(layer).value() : OptionsLayer{};
}

/// The message for `text`, which must be rejected as a usage error.
std::string errorOf(std::string_view text) {
  auto layer = parseConfig(text, "cginit.toml");
  EXPECT_FALSE(layer) << text;
  if (layer) {
    return {};
  }
  EXPECT_TRUE(layer.error().usage);
  return layer.error().message;
}

Options roundTrip(const Options& o) {
  auto layer = parseConfig(formatConfig(o), "printed.toml");
  EXPECT_TRUE(layer) << layer.error().message << "\n" << formatConfig(o);
  return layer ? merge({&*layer}) : Options{};
}

/// A directory under $TMPDIR that is removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "cginit-cfg-XXXXXX").string();
    EXPECT_NE(mkdtemp(pattern.data()), nullptr);
    path_ = pattern;
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string write(const std::string& name, std::string_view text) const {
    const std::string file = (path_ / name).string();
    std::ofstream(file) << text;
    return file;
  }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

constexpr std::string_view kContractExample = R"([init]
verbosity = "info"          # "error" | "warn" | "info" | "debug" | "trace"
subreaper = false
pdeathsig = "SIGKILL"
forward = "child"           # "child" | "group" | "cgroup"
remap_exit = [143]
warn_on_reap = false
rewrite = { SIGTERM = "SIGQUIT" }

[shutdown]
grace = "5s"
signal = "SIGTERM"
stop_timeout = "30s"

[cgroup]
mode = "auto"               # "auto" | "required" | "off"
pids_max = 512              # or "max"
limits = { "memory.max" = "512M", "cpu.max" = "50000 100000" }

[report]
path = "/run/cginit/report.json"
)";

TEST(ConfigFileTest, EmptyFileSetsNothing) {
  const OptionsLayer layer = parse("");
  const Options defaults;
  EXPECT_EQ(merge({&layer}), defaults);
  EXPECT_FALSE(layer.verbosity);
  EXPECT_FALSE(layer.rewrite);
  EXPECT_FALSE(layer.limits);
}

TEST(ConfigFileTest, ReadsEveryKeyOfTheContractExample) {
  const OptionsLayer l = parse(kContractExample);
  EXPECT_EQ(l.verbosity, Verbosity::Info);
  EXPECT_EQ(l.subreaper, false);
  EXPECT_EQ(l.pdeathsig, SIGKILL);
  EXPECT_EQ(l.forward, ForwardTarget::Child);
  EXPECT_EQ(l.remapExit, std::vector<int>{143});
  EXPECT_EQ(l.warnOnReap, false);
  EXPECT_EQ(l.rewrite, (std::map<int, int>{{SIGTERM, SIGQUIT}}));
  EXPECT_EQ(l.grace, milliseconds(5000));
  EXPECT_EQ(l.stopSignal, SIGTERM);
  EXPECT_EQ(l.stopTimeout, milliseconds(30000));
  EXPECT_EQ(l.cgroupMode, CgroupMode::Auto);
  EXPECT_EQ(l.pidsMax, (PidsMax{false, 512}));
  EXPECT_EQ(l.limits, (std::vector<Limit>{{"memory.max", "512M"}, {"cpu.max", "50000 100000"}}));
  EXPECT_EQ(l.reportPath, "/run/cginit/report.json");
}

TEST(ConfigFileTest, SignalsAcceptNumbersAndNamesWithoutSig) {
  const OptionsLayer l = parse("[init]\npdeathsig = 9\n[shutdown]\nsignal = \"int\"\n");
  EXPECT_EQ(l.pdeathsig, SIGKILL);
  EXPECT_EQ(l.stopSignal, SIGINT);
}

TEST(ConfigFileTest, DurationsAcceptIntegerSeconds) {
  const OptionsLayer l = parse("[shutdown]\ngrace = 10\nstop_timeout = \"1.5m\"\n");
  EXPECT_EQ(l.grace, milliseconds(10000));
  EXPECT_EQ(l.stopTimeout, milliseconds(90000));
}

TEST(ConfigFileTest, PidsMaxAcceptsMax) {
  EXPECT_EQ(parse("[cgroup]\npids_max = \"max\"\n").pidsMax, (PidsMax{true, 0}));
}

// A TOML table is sorted by key; the limits must still be written in the order of the file.
TEST(ConfigFileTest, LimitsKeepTheOrderOfTheFile) {
  const OptionsLayer l = parse(
      "[cgroup.limits]\n\"memory.max\" = \"1G\"\n\"cpu.max\" = \"max\"\n\"io.weight\" = 50\n");
  EXPECT_EQ(l.limits,
            (std::vector<Limit>{{"memory.max", "1G"}, {"cpu.max", "max"}, {"io.weight", "50"}}));
}

TEST(ConfigFileTest, RewriteMayBeASubTableWithAnySignalSpelling) {
  const OptionsLayer l =
      parse("[init.rewrite]\nTERM = \"QUIT\"\n\"rtmin+3\" = 15\n\"SIGINT\" = \"sigusr1\"\n");
  EXPECT_EQ(l.rewrite,
            (std::map<int, int>{{SIGTERM, SIGQUIT}, {SIGRTMIN + 3, SIGTERM}, {SIGINT, SIGUSR1}}));
}

TEST(ConfigFileTest, AcceptsDottedKeysAtTopLevel) {
  const OptionsLayer l = parse("init.subreaper = true\ncgroup.mode = \"off\"\n");
  EXPECT_EQ(l.subreaper, true);
  EXPECT_EQ(l.cgroupMode, CgroupMode::Off);
}

TEST(ConfigFileTest, EmptyArraysAndTablesAreSet) {
  const OptionsLayer l = parse("[init]\nremap_exit = []\nrewrite = {}\n[cgroup]\nlimits = {}\n");
  EXPECT_EQ(l.remapExit, std::vector<int>{});
  EXPECT_EQ(l.rewrite, (std::map<int, int>{}));
  EXPECT_EQ(l.limits, std::vector<Limit>{});
}

// Syntax errors

TEST(ConfigFileTest, MalformedTomlGivesLineAndColumn) {
  EXPECT_EQ(errorOf("[init]\nforward = \"child\nsubreaper = true\n"),
            "cginit.toml:2:17: TOML syntax error in string: unescaped control characters other "
            "than TAB (U+0009) are explicitly prohibited");
  EXPECT_EQ(errorOf("[init\n"),
            "cginit.toml:1:6: TOML syntax error in table header: expected "
            "']', saw '\\n'");
}

TEST(ConfigFileTest, DuplicateKeyGivesLineAndColumn) {
  EXPECT_EQ(errorOf("[init]\nsubreaper = true\nsubreaper = false\n"),
            "cginit.toml:3:13: TOML syntax error in key-value pair: cannot redefine existing "
            "boolean 'subreaper'");
}

TEST(ConfigFileTest, DuplicateTableGivesLineAndColumn) {
  EXPECT_EQ(errorOf("[init]\n[shutdown]\n[init]\n"),
            "cginit.toml:3:1: TOML syntax error in table header: cannot redefine existing table "
            "'init'");
}

TEST(ConfigFileTest, InvalidUtf8GivesLineAndColumn) {
  EXPECT_EQ(errorOf("[report]\npath = \"\xff\"\n"),
            "cginit.toml:2:8: TOML syntax error: encountered invalid utf-8 sequence");
}

// Unknown keys

TEST(ConfigFileTest, UnknownKeySuggestsTheNearestKnownKey) {
  EXPECT_EQ(errorOf("[init]\nsubreper = true\n"),
            "cginit.toml:2:1: unknown key 'init.subreper' (did you mean 'init.subreaper'?)");
  EXPECT_EQ(errorOf("[cgroup]\n  pid_max = 5\n"),
            "cginit.toml:2:3: unknown key 'cgroup.pid_max' (did you mean 'cgroup.pids_max'?)");
  EXPECT_EQ(errorOf("[shutdown]\nstop_timout = \"1s\"\n"),
            "cginit.toml:2:1: unknown key 'shutdown.stop_timout' (did you mean "
            "'shutdown.stop_timeout'?)");
}

TEST(ConfigFileTest, UnknownTableSuggestsTheNearestTable) {
  EXPECT_EQ(errorOf("[shutdwn]\ngrace = \"1s\"\n"),
            "cginit.toml:1:2: unknown key 'shutdwn' (did you mean 'shutdown'?)");
  EXPECT_EQ(errorOf("[cgroups]\n"),
            "cginit.toml:1:2: unknown key 'cgroups' (did you mean 'cgroup'?)");
}

TEST(ConfigFileTest, KeyInTheWrongTableSuggestsItsTable) {
  EXPECT_EQ(errorOf("[init]\ngrace = \"5s\"\n"),
            "cginit.toml:2:1: unknown key 'init.grace' (did you mean 'shutdown.grace'?)");
  EXPECT_EQ(errorOf("verbosity = \"info\"\n"),
            "cginit.toml:1:1: unknown key 'verbosity' (did you mean 'init.verbosity'?)");
}

TEST(ConfigFileTest, UnknownKeyFarFromEveryKnownKeySuggestsNothing) {
  EXPECT_EQ(errorOf("[init]\nfoo = 1\n"), "cginit.toml:2:1: unknown key 'init.foo'");
  EXPECT_EQ(errorOf("[init.subreaper_extra]\n"),
            "cginit.toml:1:7: unknown key 'init.subreaper_extra'");
}

// Wrong types

TEST(ConfigFileTest, WrongTypeNamesTheKeyTheExpectedAndTheActualType) {
  EXPECT_EQ(errorOf("[init]\nsubreaper = \"yes\"\n"),
            "cginit.toml:2:13: init.subreaper: expected a boolean, got a string");
  EXPECT_EQ(errorOf("[init]\nforward = 1\n"),
            "cginit.toml:2:11: init.forward: expected a string, got an integer");
  EXPECT_EQ(errorOf("[shutdown]\ngrace = 1.5\n"),
            "cginit.toml:2:9: shutdown.grace: expected a string or an integer, got a "
            "floating-point number");
  EXPECT_EQ(errorOf("[init]\nremap_exit = 143\n"),
            "cginit.toml:2:14: init.remap_exit: expected an array of exit codes, got an integer");
  EXPECT_EQ(errorOf("[init]\nremap_exit = [143, \"1\"]\n"),
            "cginit.toml:2:20: init.remap_exit[1]: expected an integer, got a string");
  EXPECT_EQ(errorOf("[init]\nrewrite = \"TERM:QUIT\"\n"),
            "cginit.toml:2:11: init.rewrite: expected a table of signals such as { SIGTERM = "
            "\"SIGQUIT\" }, got a string");
  EXPECT_EQ(errorOf("[cgroup]\nlimits = [\"memory.max=1G\"]\n"),
            "cginit.toml:2:10: cgroup.limits: expected a table of cgroup files such as { "
            "\"memory.max\" = \"512M\" }, got an array");
  EXPECT_EQ(errorOf("[report]\npath = 1979-05-27\n"),
            "cginit.toml:2:8: report.path: expected a string, got a date");
}

TEST(ConfigFileTest, TableOfTheWrongTypeIsRejected) {
  EXPECT_EQ(errorOf("init = true\n"), "cginit.toml:1:8: init: expected a table, got a boolean");
  EXPECT_EQ(errorOf("[[report]]\npath = \"x\"\n"),
            "cginit.toml:1:1: report: expected a table, got an array");
}

// Invalid values

TEST(ConfigFileTest, InvalidValueNamesTheKeyAndTheValue) {
  EXPECT_EQ(errorOf("[init]\nforward = \"x\"\n"),
            "cginit.toml:2:11: init.forward: invalid forward target 'x' (expected child, group or "
            "cgroup)");
  EXPECT_EQ(errorOf("[init]\nverbosity = \"loud\"\n"),
            "cginit.toml:2:13: init.verbosity: invalid verbosity 'loud' (expected error, warn, "
            "info, debug or trace)");
  EXPECT_EQ(errorOf("[cgroup]\nmode = \"on\"\n"),
            "cginit.toml:2:8: cgroup.mode: invalid cgroup mode 'on' (expected auto, required or "
            "off)");
  EXPECT_EQ(errorOf("[report]\npath = \"\"\n"), "cginit.toml:2:8: report.path: empty path");
}

TEST(ConfigFileTest, InvalidSignalGivesItsPosition) {
  EXPECT_EQ(errorOf("[init]\npdeathsig = \"SIGFOO\"\n"),
            "cginit.toml:2:13: init.pdeathsig: invalid signal 'SIGFOO'");
  EXPECT_EQ(errorOf("[shutdown]\nsignal = 0\n"),
            "cginit.toml:2:10: shutdown.signal: invalid signal '0'");
}

TEST(ConfigFileTest, InvalidDurationGivesItsPosition) {
  EXPECT_EQ(errorOf("[shutdown]\ngrace = \"5 s\"\n"),
            "cginit.toml:2:9: shutdown.grace: invalid duration '5 s' (expected e.g. 500ms, 5s, "
            "1m; at most 24h)");
  EXPECT_EQ(errorOf("[shutdown]\nstop_timeout = -1\n"),
            "cginit.toml:2:16: shutdown.stop_timeout: invalid duration '-1' (expected e.g. 500ms, "
            "5s, 1m; at most 24h)");
}

TEST(ConfigFileTest, InvalidExitCodeGivesThePositionOfTheElement) {
  EXPECT_EQ(errorOf("[init]\nremap_exit = [143, 256]\n"),
            "cginit.toml:2:20: init.remap_exit[1]: invalid exit code '256' (expected 0..255)");
  EXPECT_EQ(errorOf("[init]\nremap_exit = [\n  1,\n  -1,\n]\n"),
            "cginit.toml:4:3: init.remap_exit[1]: invalid exit code '-1' (expected 0..255)");
}

TEST(ConfigFileTest, InvalidPidsMaxGivesItsPosition) {
  EXPECT_EQ(errorOf("[cgroup]\npids_max = 0\n"),
            "cginit.toml:2:12: cgroup.pids_max: invalid pids.max '0' (expected 1..4194304 or max)");
  EXPECT_EQ(errorOf("[cgroup]\npids_max = \"lots\"\n"),
            "cginit.toml:2:12: cgroup.pids_max: invalid pids.max 'lots' (expected 1..4194304 or "
            "max)");
}

TEST(ConfigFileTest, InvalidLimitFileGivesThePositionOfTheKey) {
  EXPECT_EQ(errorOf("[cgroup]\nlimits = { \"memory.max\" = \"1G\", \"cgroup.procs\" = \"1\" }\n"),
            "cginit.toml:2:33: cgroup.limits: invalid limit file 'cgroup.procs': cginit manages "
            "the cgroup.* files itself, except cgroup.max.descendants and cgroup.max.depth");
}

// `memory.max = "1G"` is the TOML table memory = { max = "1G" }.
TEST(ConfigFileTest, UnquotedDottedLimitFileSaysToQuoteIt) {
  EXPECT_EQ(errorOf("[cgroup]\nlimits = { memory.max = \"1G\" }\n"),
            "cginit.toml:2:12: cgroup.limits: 'memory' is a table: quote file names that contain "
            "a dot (\"memory.max\" = \"512M\")");
}

TEST(ConfigFileTest, InvalidLimitValueGivesThePositionOfTheValue) {
  EXPECT_EQ(
      errorOf("[cgroup.limits]\n\"memory.max\" = \"\"\n"),
      "cginit.toml:2:16: cgroup.limits.\"memory.max\": invalid limit value '' for memory.max");
  EXPECT_EQ(errorOf("[cgroup.limits]\n\"memory.max\" = true\n"),
            "cginit.toml:2:16: cgroup.limits.\"memory.max\": expected a string or an integer, got "
            "a boolean");
}

TEST(ConfigFileTest, InvalidRewriteSignalGivesItsPosition) {
  EXPECT_EQ(errorOf("[init]\nrewrite = { TERM = \"QUIT\", FOO = \"TERM\" }\n"),
            "cginit.toml:2:28: init.rewrite: invalid signal 'FOO'");
  EXPECT_EQ(errorOf("[init]\nrewrite = { TERM = \"BAR\" }\n"),
            "cginit.toml:2:20: init.rewrite.TERM: invalid signal 'BAR'");
}

TEST(ConfigFileTest, RewriteOfSigkillIsRejectedAtTheKey) {
  EXPECT_EQ(errorOf("[init.rewrite]\nINT = \"TERM\"\nKILL = \"TERM\"\n"),
            "cginit.toml:3:1: init.rewrite: invalid rewrite 'SIGKILL:SIGTERM': SIGKILL cannot be "
            "rewritten");
}

TEST(ConfigFileTest, RewriteOfOneSignalUnderTwoNamesIsRejected) {
  EXPECT_EQ(errorOf("[init.rewrite]\nTERM = \"QUIT\"\nSIGTERM = \"USR1\"\n"),
            "cginit.toml:3:1: init.rewrite: 'TERM' and 'SIGTERM' are both SIGTERM");
}

// toml::table is sorted by key; errors must still come in the order of the file.
TEST(ConfigFileTest, ReportsTheFirstErrorInTheFile) {
  EXPECT_EQ(errorOf("[shutdown]\ngrace = \"x\"\n[init]\nforward = \"y\"\n"),
            "cginit.toml:2:9: shutdown.grace: invalid duration 'x' (expected e.g. 500ms, 5s, 1m; "
            "at most 24h)");
}

TEST(ConfigFileTest, ErrorNamesThePathItWasGiven) {
  auto layer = parseConfig("[init]\nforward = \"x\"\n", "/etc/cginit/cginit.toml");
  ASSERT_FALSE(layer);
  EXPECT_EQ(layer.error().message.rfind("/etc/cginit/cginit.toml:2:11: init.forward: ", 0), 0u)
      << layer.error().message;
}

// Loading files

TEST(ConfigFileTest, LoadsAFile) {
  const TempDir dir;
  const std::string file = dir.write("cginit.toml", "[cgroup]\npids_max = 64\n");
  auto layer = loadConfig(file);
  ASSERT_TRUE(layer) << layer.error().message;
  EXPECT_EQ(layer->pidsMax, (PidsMax{false, 64}));
}

TEST(ConfigFileTest, LoadErrorNamesTheFile) {
  const TempDir dir;
  const std::string file = dir.write("bad.toml", "\n[init]\nwarn_on_reap = 1\n");
  auto layer = loadConfig(file);
  ASSERT_FALSE(layer);
  EXPECT_EQ(layer.error().message,
            file + ":3:16: init.warn_on_reap: expected a boolean, got an integer");
}

TEST(ConfigFileTest, MissingFileGivesTheErrnoText) {
  const TempDir dir;
  const std::string file = dir.path() + "/missing.toml";
  auto layer = loadConfig(file);
  ASSERT_FALSE(layer);
  EXPECT_EQ(layer.error().message, "open " + file + ": No such file or directory");
  EXPECT_EQ(layer.error().code, ENOENT);
  EXPECT_TRUE(layer.error().usage);
}

TEST(ConfigFileTest, DirectoryGivesTheErrnoText) {
  const TempDir dir;
  auto layer = loadConfig(dir.path());
  ASSERT_FALSE(layer);
  EXPECT_EQ(layer.error().message, "read " + dir.path() + ": Is a directory");
  EXPECT_TRUE(layer.error().usage);
}

TEST(ConfigFileTest, UnreadableFileGivesTheErrnoText) {
  if (geteuid() == 0) {
    GTEST_SKIP() << "root can read any file";
  }
  const TempDir dir;
  const std::string file = dir.write("secret.toml", "");
  std::filesystem::permissions(file, std::filesystem::perms::none);
  auto layer = loadConfig(file);
  ASSERT_FALSE(layer);
  EXPECT_EQ(layer.error().message, "open " + file + ": Permission denied");
}

TEST(ConfigFileTest, EndlessFileIsRejected) {
  const TempDir dir;
  const std::string file = dir.write("huge.toml", "");
  std::filesystem::resize_file(file, 2 * 1024 * 1024);  // sparse: reads as NUL bytes
  auto layer = loadConfig(file);
  ASSERT_FALSE(layer);
  EXPECT_EQ(layer.error().message, file + ": larger than 1048576 bytes: not a configuration file");
  // A device is no configuration file either, however much it would give.
  layer = loadConfig("/dev/zero");
  ASSERT_FALSE(layer);
  EXPECT_EQ(layer.error().message, "/dev/zero: not a regular file (a character device)");
  EXPECT_TRUE(layer.error().usage);
}

// Issue 17 item 4: opening a FIFO for reading blocked until a writer came, before anything had
// started. It is refused at once (the test would hang without O_NONBLOCK; ctest's timeout ends it).
TEST(ConfigFileTest, FifoIsRefusedWithoutBlocking) {
  const TempDir dir;
  const std::string fifo = dir.path() + "/fifo.toml";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0) << std::strerror(errno);
  auto layer = loadConfig(fifo);
  ASSERT_FALSE(layer);
  EXPECT_EQ(layer.error().message, fifo + ": not a regular file (a FIFO)");
  EXPECT_TRUE(layer.error().usage);
}

TEST(ConfigFileTest, ReadsWorkloadCgroupns) {
  EXPECT_EQ(parse("[cgroup]\nworkload_cgroupns = false\n").workloadCgroupns, false);
  EXPECT_EQ(parse("[cgroup]\nworkload_cgroupns = true\n").workloadCgroupns, true);
  EXPECT_FALSE(parse("").workloadCgroupns);
  EXPECT_EQ(errorOf("[cgroup]\nworkload_cgroupns = \"no\"\n"),
            "cginit.toml:2:21: cgroup.workload_cgroupns: expected a boolean, got a string");
  EXPECT_EQ(errorOf("[cgroup]\nworkload_cgroupn = false\n"),
            "cginit.toml:2:1: unknown key 'cgroup.workload_cgroupn' (did you mean "
            "'cgroup.workload_cgroupns'?)");
}

TEST(ConfigFileTest, LimitsAcceptTheCoreLimitsAndCheckCountedValues) {
  const OptionsLayer l = parse(
      "[cgroup]\nlimits = { \"cgroup.max.descendants\" = 7, \"cgroup.max.depth\" = \"max\" }\n");
  EXPECT_EQ(l.limits,
            (std::vector<Limit>{{"cgroup.max.descendants", "7"}, {"cgroup.max.depth", "max"}}));
  EXPECT_EQ(errorOf("[cgroup]\nlimits = { \"pids.max\" = \"0x10\" }\n"),
            "cginit.toml:2:25: cgroup.limits.\"pids.max\": invalid limit value '0x10' for pids.max "
            "(expected 1..4194304 or max)");
  EXPECT_FALSE(parseConfig("[cgroup]\npids_max = \"010\"\n", "cginit.toml"));
}

// formatConfig

TEST(ConfigFileTest, FormatsTheDefaults) {
  EXPECT_EQ(
      formatConfig(Options{}),
      R"(# The effective configuration of cginit (defaults < file < environment < command line).
[init]
verbosity = "warn"
subreaper = false
# pdeathsig is not set: no signal when the parent dies
forward = "child"
remap_exit = []
warn_on_reap = false
rewrite = {}

[shutdown]
grace = "5s"
signal = "SIGTERM"
# stop_timeout is not set: the container manager decides when to kill

[cgroup]
mode = "auto"
# pids_max is not set: pids.max is not written
limits = {}
workload_cgroupns = true

[report]
# path is not set: no exit report
)");
}

Options everySetting() {
  Options o;
  o.verbosity = Verbosity::Trace;
  o.subreaper = true;
  o.pdeathsig = SIGRTMIN + 3;
  o.forward = ForwardTarget::Cgroup;
  o.remapExit = {0, 1, 143};
  o.warnOnReap = true;
  o.rewrite = {{SIGTERM, SIGQUIT}, {SIGRTMIN + 3, SIGTERM}, {SIGINT, 32}};
  o.grace = milliseconds(1500);
  o.stopSignal = SIGINT;
  o.stopTimeout = milliseconds(3600000);
  o.cgroupMode = CgroupMode::Required;
  o.pidsMax = PidsMax{false, 4194304};
  o.limits = {{"memory.max", "512M"}, {"cpu.max", "50000 100000"}, {"hugetlb.2MB.max", "0"}};
  o.workloadCgroupns = false;
  o.reportPath = "/run/cginit/report.json";
  return o;
}

TEST(ConfigFileTest, FormatsEverySetting) {
  EXPECT_EQ(
      formatConfig(everySetting()),
      R"(# The effective configuration of cginit (defaults < file < environment < command line).
[init]
verbosity = "trace"
subreaper = true
pdeathsig = "SIGRTMIN+3"
forward = "cgroup"
remap_exit = [0, 1, 143]
warn_on_reap = true
rewrite = { "SIGINT" = "SIG32", "SIGTERM" = "SIGQUIT", "SIGRTMIN+3" = "SIGTERM" }

[shutdown]
grace = "1500ms"
signal = "SIGINT"
stop_timeout = "1h"

[cgroup]
mode = "required"
pids_max = 4194304
limits = { "memory.max" = "512M", "cpu.max" = "50000 100000", "hugetlb.2MB.max" = "0" }
workload_cgroupns = false

[report]
path = "/run/cginit/report.json"
)");
}

TEST(ConfigFileTest, FormattedDefaultsReadBackAsTheDefaults) {
  EXPECT_EQ(roundTrip(Options{}), Options{});
}

TEST(ConfigFileTest, FormattedSettingsReadBackAsTheSameSettings) {
  const Options o = everySetting();
  EXPECT_EQ(roundTrip(o), o);
  EXPECT_EQ(formatConfig(roundTrip(o)), formatConfig(o));
}

TEST(ConfigFileTest, FormattedPidsMaxMaxReadsBack) {
  Options o;
  o.pidsMax = PidsMax{true, 0};
  EXPECT_NE(formatConfig(o).find("pids_max = \"max\"\n"), std::string::npos);
  EXPECT_EQ(roundTrip(o), o);
}

TEST(ConfigFileTest, FormattedStringsAreEscaped) {
  Options o;
  o.reportPath.emplace("/tmp/a \"quoted\" \\ path\twith\ncontrol\x01\x7f and ü");
  o.limits = {{"memory.max", "a\"b\\c"}};
  const std::string text = formatConfig(o);
  EXPECT_NE(
      text.find(R"(path = "/tmp/a \"quoted\" \\ path\u0009with\u000Acontrol\u0001\u007F and ü")"),
      std::string::npos)
      << text;
  EXPECT_EQ(roundTrip(o), o);
}

TEST(ConfigFileTest, FormattedRealTimeAndUnnamedSignalsReadBack) {
  for (int signo = 1; signo <= SIGRTMAX; ++signo) {
    Options o;
    o.stopSignal = signo;
    o.pdeathsig = signo;
    EXPECT_EQ(roundTrip(o), o) << signo;
  }
}

// Found by fuzzing (tests/fuzz/config_fuzz.cpp)

// toml++ 3.3 asserted (abort) on these instead of reporting them (marzer/tomlplusplus#301).
TEST(ConfigFileTest, KeylessTableHeaderIsASyntaxErrorNotAnAbort) {
  EXPECT_EQ(errorOf("[)nit\nverbosity = \"info\"\n"),
            "cginit.toml:1:2: TOML syntax error in key: expected bare key starting character or "
            "string delimiter, saw ')'");
  EXPECT_EQ(errorOf("[[[1]]]\n"),
            "cginit.toml:1:3: TOML syntax error in key: expected bare key starting character or "
            "string delimiter, saw '['");
}

TEST(ConfigFileTest, ArrayWithAClosingBraceIsASyntaxErrorNotAnAbort) {
  EXPECT_EQ(errorOf("[cgroup]\nlimits =[}\n"),
            "cginit.toml:2:10: TOML syntax error in value: could not determine value type");
}

// toml++ 3.3 reached __builtin_unreachable() testing these for being whitespace
// (marzer/tomlplusplus#190, #295).
TEST(ConfigFileTest, NonAsciiOutsideAStringIsASyntaxError) {
  EXPECT_EQ(errorOf("[i\xef\xbb\xb5"),
            "cginit.toml:1:3: TOML syntax error: unexpected non-ASCII character");
  EXPECT_EQ(errorOf("[init]\nverbosity = \"info\"\xc2\xa7\n"),
            "cginit.toml:2:19: TOML syntax error: unexpected non-ASCII character");
  EXPECT_EQ(errorOf("[report]\npath = \"\"\"\\\n  \xc2\xa7\"\"\"\n"),
            "cginit.toml:3:3: TOML syntax error: unexpected non-ASCII character");
  // A quote in the middle of a value does not start a string.
  EXPECT_EQ(errorOf("[init]\nrewrite = { TERM = 5\"INT\xc2\xa7 }\n"),
            "cginit.toml:2:25: TOML syntax error: unexpected non-ASCII character");
  EXPECT_EQ(errorOf("[shutdown]\ngrace = 86['8\xc2\xa7']\n"),
            "cginit.toml:2:14: TOML syntax error: unexpected non-ASCII character");
}

TEST(ConfigFileTest, NonAsciiInStringsAndCommentsIsAccepted) {
  const OptionsLayer l = parse(
      "\xef\xbb\xbf# r\xc3\xa9sum\xc3\xa9 \xc2\xa7\n[report] # \xc2\xa7\n"
      "path = \"\"\"/tmp/\xc2\xa7\\\"\"\\\n  /\xc3\xa9\xc2\xa7.json\"\"\"\n");
  EXPECT_EQ(l.reportPath, "/tmp/\xc2\xa7\"\"/\xc3\xa9\xc2\xa7.json");
  EXPECT_EQ(parse("[report]\npath='/\xc2\xa7'\n[cgroup]\nlimits={\"io.max\"=\"x\"}#\xc2\xa7\n")
                .reportPath,
            "/\xc2\xa7");
}

TEST(ConfigFileTest, ReportPathWithANulCharacterIsRejected) {
  EXPECT_EQ(errorOf("[report]\npath = \"/tmp/a\\u0000b\"\n"),
            "cginit.toml:2:8: report.path: path contains a NUL character");
}

}  // namespace
}  // namespace cginit
