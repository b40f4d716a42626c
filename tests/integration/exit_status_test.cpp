// SPDX-License-Identifier: MIT
// Exit status of cginit: the program's code, 128+N for death by signal N, 126/127, -e remapping.
#include <signal.h>
#include <sys/stat.h>

#include <string>

#include "harness.h"

namespace cginit::it {
namespace {

class ExitStatusTest : public IntegrationTest {};

/// Runs cginit with `--cgroup off OPTIONS PROGRAM` to the end and returns its status.
std::optional<ExitStatus> runProgram(Mode mode, const std::vector<std::string>& options,
                                     const std::vector<std::string>& program,
                                     std::string* stderrText = nullptr) {
  Sandbox sb;
  auto started = sb.start(RunSpec(mode, concat(concat({"--cgroup", "off"}, options), program)));
  if (!started) {
    ADD_FAILURE() << started.message();
    return std::nullopt;
  }
  auto status = sb.wait(10s);
  if (stderrText != nullptr) {
    *stderrText = sb.stderrText();
  }
  return status;
}

TEST_F(ExitStatusTest, EveryExitCodeAsPid1) {
  for (int code = 0; code <= 255; ++code) {
    std::string err;
    EXPECT_EQ(runProgram(Mode::Pid1, {}, payload({"exit", std::to_string(code)}), &err),
              ExitStatus::exited(code))
        << err;
  }
}

TEST_F(ExitStatusTest, ExitCodesWhenNotPid1) {
  for (int code : {0, 1, 2, 3, 42, 125, 126, 127, 128, 137, 143, 254, 255}) {
    std::string err;
    EXPECT_EQ(runProgram(Mode::Plain, {"-s"}, payload({"exit", std::to_string(code)}), &err),
              ExitStatus::exited(code))
        << err;
  }
}

TEST_F(ExitStatusTest, DeathBySignalIs128PlusN) {
  for (int sig : {SIGHUP, SIGINT, SIGQUIT, SIGABRT, SIGKILL, SIGUSR1, SIGSEGV, SIGTERM}) {
    for (Mode mode : {Mode::Pid1, Mode::Plain}) {
      SCOPED_TRACE(recordName(sig) + (mode == Mode::Pid1 ? " as PID 1" : " as subreaper"));
      std::string err;
      EXPECT_EQ(runProgram(mode, {"-s"}, payload({"kill-self", std::to_string(sig)}), &err),
                ExitStatus::exited(128 + sig))
          << err;
    }
  }
}

TEST_F(ExitStatusTest, MissingProgramIs127) {
  for (const char* program : {"/nonexistent/cginit-it-program", "cginit-it-no-such-program"}) {
    SCOPED_TRACE(program);
    std::string err;
    EXPECT_EQ(runProgram(Mode::Pid1, {}, {program}, &err), ExitStatus::exited(127));
    EXPECT_NE(err.find(program), std::string::npos) << "stderr does not name the program: " << err;
  }
}

TEST_F(ExitStatusTest, NonExecutableIs126) {
  TempDir dir;
  const std::string script = dir.path() + "/not-executable";
  FILE* f = fopen(script.c_str(), "w");
  ASSERT_NE(f, nullptr);
  fputs("#!/bin/sh\nexit 0\n", f);
  fclose(f);
  ASSERT_EQ(chmod(script.c_str(), 0644), 0);
  for (const std::string& program : {script, dir.path()}) {
    SCOPED_TRACE(program);
    std::string err;
    EXPECT_EQ(runProgram(Mode::Pid1, {}, {program}, &err), ExitStatus::exited(126));
    EXPECT_NE(err.find(program), std::string::npos) << "stderr does not name the program: " << err;
  }
}

TEST_F(ExitStatusTest, RemapExitTurnsCodesIntoZero) {
  EXPECT_EQ(runProgram(Mode::Pid1, {"-e", "3"}, payload({"exit", "3"})), ExitStatus::exited(0));
  EXPECT_EQ(runProgram(Mode::Pid1, {"-e", "3"}, payload({"exit", "4"})), ExitStatus::exited(4));
  EXPECT_EQ(runProgram(Mode::Pid1, {"-e", "3", "--remap-exit", "5"}, payload({"exit", "5"})),
            ExitStatus::exited(0));
  EXPECT_EQ(runProgram(Mode::Pid1, {"-e", "3", "--remap-exit", "5"}, payload({"exit", "3"})),
            ExitStatus::exited(0));
  // 128+N is an exit code like any other (the contract's example remaps 143).
  EXPECT_EQ(runProgram(Mode::Pid1, {"-e", "143"}, payload({"kill-self", "TERM"})),
            ExitStatus::exited(0));
  EXPECT_EQ(runProgram(Mode::Plain, {"-s", "-e", "7"}, payload({"exit", "7"})),
            ExitStatus::exited(0));
}

}  // namespace
}  // namespace cginit::it
