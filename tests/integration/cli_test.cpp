// SPDX-License-Identifier: MIT
// The built binary's command line: bad input exits 2 and starts nothing; help, version, license.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>
#include <vector>

#include "harness.h"

namespace cginit::it {
namespace {

class CliTest : public IntegrationTest {};

struct BadInput {
  std::string name;
  std::vector<std::string> options;
  std::vector<std::string> env;
  std::vector<std::string> mentions;  // the stderr line must contain each
  bool withProgram = true;
};

std::vector<BadInput> badInputs() {
  return {
      {"unknown long option", {"--bogus"}, {}, {"--bogus"}},
      {"unknown short option", {"-x"}, {}, {"-x"}},
      {"bad pdeathsig", {"-p", "NOPE"}, {}, {"-p", "NOPE"}},
      {"bad stop signal", {"--stop-signal", "FOO"}, {}, {"--stop-signal", "FOO"}},
      {"bad rewrite target", {"--rewrite", "USR1:BOGUS"}, {}, {"--rewrite", "BOGUS"}},
      {"rewrite without colon", {"--rewrite", "USR1"}, {}, {"--rewrite", "USR1"}},
      {"bad grace", {"--grace", "5x"}, {}, {"--grace", "5x"}},
      {"bad stop timeout", {"--stop-timeout", "abc"}, {}, {"--stop-timeout", "abc"}},
      {"bad pids-max", {"--pids-max", "lots"}, {}, {"--pids-max", "lots"}},
      {"negative pids-max", {"--pids-max", "-1"}, {}, {"--pids-max", "-1"}},
      {"limit without value", {"--limit", "memory.max"}, {}, {"--limit", "memory.max"}},
      {"limit on a cgroup core file",
       {"--limit", "cgroup.procs=1"},
       {},
       {"--limit", "cgroup.procs"}},
      {"bad forward", {"--forward", "sideways"}, {}, {"--forward", "sideways"}},
      {"bad cgroup mode", {"--cgroup", "sometimes"}, {}, {"--cgroup", "sometimes"}},
      {"exit code too big", {"-e", "256"}, {}, {"-e", "256"}},
      {"exit code not a number", {"--remap-exit", "x"}, {}, {"remap-exit", "'x'"}},
      {"bad CGINIT_GRACE", {}, {"CGINIT_GRACE=x"}, {"CGINIT_GRACE", "'x'"}},
      {"bad CGINIT_PIDS_MAX", {}, {"CGINIT_PIDS_MAX=lots"}, {"CGINIT_PIDS_MAX", "lots"}},
      {"bad CGINIT_CGROUP", {}, {"CGINIT_CGROUP=maybe"}, {"CGINIT_CGROUP", "maybe"}},
      {"missing config file",
       {"--config", "/nonexistent/cginit.toml"},
       {},
       {"/nonexistent/cginit.toml"}},
      // Issue 17 item 9: one line, the value escaped, however it is spelt.
      {"CGINIT_PIDS_MAX with a forged log line",
       {},
       {"CGINIT_PIDS_MAX=64\n[cginit] [info] pids.max applied, all good"},
       {"CGINIT_PIDS_MAX", "'64\\n[cginit]"}},
      {"option value with an escape sequence", {"--grace", "\x1b[2J"}, {}, {"--grace", "\\x1b[2J"}},
      {"pids-max in octal", {"--pids-max", "010"}, {}, {"--pids-max", "010"}},
      {"limit pids.max in hex", {"--limit", "pids.max=0x10"}, {}, {"--limit", "0x10"}},
      {"limit on cgroup.kill", {"--limit", "cgroup.kill=1"}, {}, {"--limit", "cgroup.kill"}},
      {"bad workload-cgroupns",
       {"--workload-cgroupns=maybe"},
       {},
       {"--workload-cgroupns", "maybe"}},
      {"bad CGINIT_WORKLOAD_CGROUPNS",
       {},
       {"CGINIT_WORKLOAD_CGROUPNS=on"},
       {"CGINIT_WORKLOAD_CGROUPNS", "'on'"}},
      {"bad CGINIT_STOP_SIGNAL", {}, {"CGINIT_STOP_SIGNAL=NOPE"}, {"CGINIT_STOP_SIGNAL", "NOPE"}},
      {"report directory missing",
       {"--report", "/nonexistent/dir/r.json"},
       {},
       {"--report", "/nonexistent"}},
      {"CGINIT_REPORT directory missing",
       {},
       {"CGINIT_REPORT=/nonexistent/dir/r.json"},
       {"--report", "/nonexistent"}},
      {"missing program", {"--cgroup", "off"}, {}, {}, false},
      {"missing program after --", {"--cgroup", "off", "--"}, {}, {}, false},
  };
}

// Every invalid input: exit 2, one line on stderr naming the option and the value, nothing on
// stdout, and the program never runs (it would create a marker file).
TEST_F(CliTest, BadInputExitsTwoAndStartsNothing) {
  for (const auto& input : badInputs()) {
    SCOPED_TRACE(input.name);
    Sandbox sb;
    const std::string marker = sb.file("started");
    auto args = input.options;
    if (input.withProgram) {
      args = concat(args, payload({"touch", marker}));
    }
    ASSERT_TRUE(sb.start(RunSpec(Mode::Plain, args).withEnv(input.env)));
    EXPECT_EQ(sb.wait(10s), ExitStatus::exited(2));
    // A program that was started would keep the namespace's reaper alive until it ended.
    EXPECT_TRUE(waitUntil([&] { return sb.cgroup().procs().empty(); }, 5s));
    EXPECT_FALSE(fileExists(marker)) << "the program was started";
    EXPECT_EQ(sb.stdoutText(), "");
    const auto lines = sb.stderrLines();
    ASSERT_EQ(lines.size(), 1u) << sb.stderrText();
    for (const auto& word : input.mentions) {
      EXPECT_NE(lines[0].find(word), std::string::npos) << "'" << word << "' not in: " << lines[0];
    }
  }
}

/// cginit with `options` and `env` exits 2 within the deadline, with one line on stderr that
/// contains `mention`, and never starts the program.
void expectRefusedAtOnce(const std::vector<std::string>& options,
                         const std::vector<std::string>& env, const std::string& mention) {
  Sandbox sb;
  const std::string marker = sb.file("started");
  ASSERT_TRUE(
      sb.start(RunSpec(Mode::Plain, concat(options, payload({"touch", marker}))).withEnv(env)));
  EXPECT_EQ(sb.wait(10s), ExitStatus::exited(2)) << sb.stderrText();
  EXPECT_FALSE(fileExists(marker)) << "the program was started";
  const auto lines = sb.stderrLines();
  ASSERT_EQ(lines.size(), 1u) << sb.stderrText();
  EXPECT_NE(lines[0].find(mention), std::string::npos) << lines[0];
}

/// A FIFO in a directory of its own (the sandbox's files are inside the test's cgroup dir).
class Fifo {
 public:
  Fifo() {
    std::string pattern = "/tmp/cginit-fifo-XXXXXX";
    EXPECT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    EXPECT_EQ(mkfifo(path().c_str(), 0600), 0);
  }
  ~Fifo() {
    unlink(path().c_str());
    rmdir(dir_.c_str());
  }
  Fifo(const Fifo&) = delete;
  Fifo& operator=(const Fifo&) = delete;
  std::string path() const { return dir_ + "/fifo"; }

 private:
  std::string dir_;
};

// Issue 17 item 4: `--config FIFO` blocked in open() before anything started.
TEST_F(CliTest, ConfigFifoIsRefusedAtOnce) {
  const Fifo fifo;
  expectRefusedAtOnce({"--config", fifo.path()}, {}, "not a regular file (a FIFO)");
  expectRefusedAtOnce({}, {"CGINIT_CONFIG=" + fifo.path()}, "not a regular file (a FIFO)");
}

// Issue 17 item 4: `--report FIFO` blocked after the program had exited; now the path is checked
// before the program starts.
TEST_F(CliTest, ReportFifoIsRefusedBeforeTheProgramStarts) {
  const Fifo fifo;
  expectRefusedAtOnce({"--cgroup", "off", "--report", fifo.path()}, {},
                      "a FIFO, not a regular file");
}

// Issue 17: a misspelt CGINIT_* variable is named in one warning (its value is not printed), and
// the program runs.
TEST_F(CliTest, UnknownCginitVariableIsWarnedAboutByName) {
  Sandbox sb;
  ASSERT_TRUE(
      sb.start(RunSpec(Mode::Plain, concat({"-s", "--cgroup", "off"}, payload({"exit", "0"})))
                   .withEnv({"CGINIT_PIDSMAX=secret-value", "CGINIT_GRACE=1s"})));
  EXPECT_EQ(sb.wait(10s), ExitStatus::exited(0)) << sb.stderrText();
  const auto lines = sb.stderrLines();
  ASSERT_FALSE(lines.empty()) << sb.stderrText();
  EXPECT_EQ(lines[0], "[cginit] [warning] ignoring unknown environment variable 'CGINIT_PIDSMAX'");
  EXPECT_EQ(std::count_if(lines.begin(), lines.end(),
                          [](const std::string& l) {
                            return l.find("CGINIT_") != std::string::npos &&
                                   l.find("unknown") != std::string::npos;
                          }),
            1);
  EXPECT_EQ(sb.stderrText().find("secret-value"), std::string::npos);
}

// Issue 17 item 9: a program whose name holds a newline and a forged prefix cannot forge a log
// line: every line of stderr is one of cginit's, and the name appears escaped.
TEST_F(CliTest, ProgramNameCannotForgeALogLine) {
  Sandbox sb;
  const std::string link = sb.file("x\n[cginit] [info] all good");
  ASSERT_EQ(symlink(payloadBin().c_str(), link.c_str()), 0);
  ASSERT_TRUE(sb.start(RunSpec(Mode::Pid1, {"-v", "--cgroup", "off", link, "exit", "0"})));
  EXPECT_EQ(sb.wait(10s), ExitStatus::exited(0)) << sb.stderrText();
  const auto lines = sb.stderrLines();
  ASSERT_FALSE(lines.empty());
  for (const auto& line : lines) {
    EXPECT_EQ(line.rfind("[cginit] [", 0), 0u) << line;
    EXPECT_NE(line.rfind("[cginit] [info] all good", 0), 0u) << "a forged line: " << line;
  }
  EXPECT_NE(sb.stderrText().find("x\\n"), std::string::npos) << sb.stderrText();
}

/// "cginit version X.Y.Z - git.<commit>\n", or "cginit version X.Y.Z\n" when `withCommit` is false
/// (a tarball build). No std::regex: GCC 12 warns inside it under ASan.
bool hasVersionShape(std::string_view text, bool withCommit = true) {
  auto skip = [&](std::string_view prefix) {
    if (!text.starts_with(prefix)) {
      return false;
    }
    text.remove_prefix(prefix.size());
    return true;
  };
  auto number = [&] {
    size_t n = 0;
    while (n < text.size() && std::isdigit(static_cast<unsigned char>(text[n])) != 0) {
      ++n;
    }
    text.remove_prefix(n);
    return n > 0;
  };
  if (!skip("cginit version ") || !number() || !skip(".") || !number() || !skip(".") || !number()) {
    return false;
  }
  if (!withCommit) {
    return text == "\n";
  }
  if (!skip(" - git.") || !text.ends_with("\n")) {
    return false;
  }
  text.remove_suffix(1);
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '-' || c == '_';
  });
}

TEST_F(CliTest, VersionHasTinisShape) {
  EXPECT_TRUE(hasVersionShape("cginit version 0.1.0 - git.923d8ca\n"));
  EXPECT_FALSE(hasVersionShape("cginit version 0.1 - git.923d8ca\n"));
  EXPECT_FALSE(hasVersionShape("cginit version 0.1.0 - git.\n"));
  EXPECT_TRUE(hasVersionShape("cginit version 0.1.0\n", false));
  EXPECT_FALSE(hasVersionShape("cginit version 0.1.0 - git.923d8ca\n", false));
  Sandbox sb;
  ASSERT_TRUE(sb.start(RunSpec(Mode::Plain, {"--version"})));
  EXPECT_EQ(sb.wait(10s), ExitStatus::exited(0));
  EXPECT_TRUE(hasVersionShape(sb.stdoutText(), CGINIT_HAS_COMMIT)) << sb.stdoutText();
  EXPECT_EQ(sb.stderrText(), "");
}

TEST_F(CliTest, HelpGoesToStdout) {
  for (const char* option : {"-h", "--help"}) {
    SCOPED_TRACE(option);
    Sandbox sb;
    ASSERT_TRUE(sb.start(RunSpec(Mode::Plain, {option})));
    EXPECT_EQ(sb.wait(10s), ExitStatus::exited(0));
    EXPECT_NE(sb.stdoutText().find("Usage:"), std::string::npos) << sb.stdoutText();
    EXPECT_NE(sb.stdoutText().find("--grace"), std::string::npos);
    EXPECT_EQ(sb.stderrText(), "");
  }
}

TEST_F(CliTest, LicensePrintsTheLicenseFile) {
  auto license = readFile(std::string(CGINIT_SOURCE_DIR) + "/LICENSE");
  ASSERT_TRUE(license) << "LICENSE missing in the source tree";
  for (const char* option : {"-l", "--license"}) {
    SCOPED_TRACE(option);
    Sandbox sb;
    ASSERT_TRUE(sb.start(RunSpec(Mode::Plain, {option})));
    EXPECT_EQ(sb.wait(10s), ExitStatus::exited(0));
    auto trim = [](std::string s) {
      while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) {
        s.pop_back();
      }
      return s;
    };
    EXPECT_EQ(trim(sb.stdoutText()), trim(*license));
    EXPECT_EQ(sb.stderrText(), "");
  }
}

// Even with the most logging, a normal run writes nothing to stdout.
TEST_F(CliTest, NothingOnStdoutWhenRunning) {
  Sandbox sb;
  ASSERT_TRUE(
      sb.start(RunSpec(Mode::Pid1, concat({"-vvv", "--cgroup", "off"}, payload({"exit", "0"})))));
  EXPECT_EQ(sb.wait(10s), ExitStatus::exited(0));
  EXPECT_EQ(sb.stdoutText(), "");
  EXPECT_NE(sb.stderrText(), "") << "-vvv should log something";
}

// Option parsing stops at the first non-option word: the program's own options stay its own.
TEST_F(CliTest, ParsingStopsAtTheProgram) {
  Sandbox sb;
  ASSERT_TRUE(sb.start(RunSpec(
      Mode::Pid1, concat({"--cgroup", "off"}, payload({"args", "-x", "--grace", "--", "-v"})))));
  EXPECT_EQ(sb.wait(10s), ExitStatus::exited(0)) << sb.stderrText();
  EXPECT_EQ(sb.stdoutText(), "-x\n--grace\n--\n-v\n");
}

TEST_F(CliTest, DoubleDashEndsOptions) {
  Sandbox sb;
  ASSERT_TRUE(
      sb.start(RunSpec(Mode::Pid1, concat({"--cgroup", "off", "--"}, payload({"args", "-h"})))));
  EXPECT_EQ(sb.wait(10s), ExitStatus::exited(0)) << sb.stderrText();
  EXPECT_EQ(sb.stdoutText(), "-h\n");
}

}  // namespace
}  // namespace cginit::it
