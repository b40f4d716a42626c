// SPDX-License-Identifier: MIT
// What the program inherits (fds, signal state, process group, terminal) and cginit's idle cost.
#include <signal.h>

#include <sstream>
#include <string>

#include "harness.h"

namespace cginit::it {
namespace {

class HygieneTest : public IntegrationTest {};

std::string modeName(Mode mode) {
  return mode == Mode::Pid1 ? "as PID 1" : "as subreaper";
}

/// Runs `payload CMD` under cginit and returns its stdout.
std::string programOutput(Mode mode, const std::vector<std::string>& program, bool pty = false) {
  Sandbox sb;
  auto started = sb.start(RunSpec(mode, concat({"--cgroup", "off", "-s"}, program)).withPty(pty));
  if (!started) {
    ADD_FAILURE() << started.message();
    return "";
  }
  EXPECT_EQ(sb.wait(10s), ExitStatus::exited(0)) << sb.stderrText();
  return sb.stdoutText();
}

struct Pgrp {
  long pid = 0, pgrp = 0, sid = 0, tpgrp = 0;
};

Pgrp parsePgrp(const std::string& line) {
  Pgrp p;
  std::istringstream in(line);
  std::string field;
  while (in >> field) {
    const auto eq = field.find('=');
    const long value = std::stol(field.substr(eq + 1));
    const std::string key = field.substr(0, eq);
    (key == "pid" ? p.pid : key == "pgrp" ? p.pgrp : key == "sid" ? p.sid : p.tpgrp) = value;
  }
  return p;
}

// Only 0, 1 and 2 reach the program (the payload leaves out the fd it lists /proc/self/fd with).
TEST_F(HygieneTest, NoFdOfCginitLeaks) {
  for (Mode mode : {Mode::Pid1, Mode::Plain}) {
    SCOPED_TRACE(modeName(mode));
    EXPECT_EQ(programOutput(mode, payload({"list-fds"})), "0\n1\n2\n");
  }
}

// cginit blocks signals for its signalfd; started clean, the program starts with none blocked or
// ignored.
TEST_F(HygieneTest, ProgramStartsWithCleanSignalState) {
  for (Mode mode : {Mode::Pid1, Mode::Plain}) {
    SCOPED_TRACE(modeName(mode));
    EXPECT_EQ(programOutput(mode, payload({"sigstate"})),
              "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n");
  }
}

// SIG_IGN survives exec: what cginit inherits as ignored (nohup, a shell's `trap ''`) reaches the
// program as it would without an init (issue 24). Here a shell ignores SIGHUP, SIGPIPE and
// signal 40 (a real-time one), shows that its children inherit that, then execs a second cginit.
TEST_F(HygieneTest, SignalsIgnoredWhenCginitStartsStayIgnoredForTheProgram) {
  const std::string script =
      "trap '' 1 13 40; \"$0\" sigstate; exec \"$1\" --cgroup off -s -- \"$0\" sigstate";
  for (Mode mode : {Mode::Pid1, Mode::Plain}) {
    SCOPED_TRACE(modeName(mode));
    EXPECT_EQ(programOutput(mode, {"/bin/sh", "-c", script, payloadBin(), cginitBin()}),
              "SigBlk:\t0000000000000000\nSigIgn:\t0000008000001001\n"
              "SigBlk:\t0000000000000000\nSigIgn:\t0000008000001001\n");
  }
}

// A SIGCHLD inherited as SIG_IGN would make the kernel reap the program itself: cginit would never
// learn its status. It must still pass the program's exit code on, orphans included, while the
// program gets SIGCHLD ignored as cginit's starter set it (as under tini; the program here sets
// it back to SIG_DFL before it waits for a child of its own).
TEST_F(HygieneTest, InheritedIgnoredSigchldDoesNotLoseTheExitStatus) {
  for (Mode mode : {Mode::Pid1, Mode::Plain}) {
    SCOPED_TRACE(modeName(mode));
    Sandbox sb;
    const std::string adopter = sb.file("adopter");
    // The outer cginit runs `payload ignore CHLD exec` a second cginit, whose status it passes on.
    ASSERT_TRUE(sb.start(
        RunSpec(mode, concat({"--cgroup", "off", "-s"},
                             payload({"ignore", "CHLD", "exec", cginitBin(), "--cgroup", "off",
                                      "-s", "--", payloadBin(), "sigstate", "default", "CHLD",
                                      "orphans", "3", adopter, "exit", "7"})))));
    EXPECT_EQ(sb.wait(20s), ExitStatus::exited(7)) << sb.stderrText();
    EXPECT_NE(sb.stdoutText().find("SigIgn:\t0000000000010000"), std::string::npos)
        << sb.stdoutText();
  }
}

TEST_F(HygieneTest, ProgramLeadsItsOwnProcessGroup) {
  for (Mode mode : {Mode::Pid1, Mode::Plain}) {
    SCOPED_TRACE(modeName(mode));
    const auto p = parsePgrp(programOutput(mode, payload({"pgrp"})));
    EXPECT_NE(p.pid, 0);
    EXPECT_EQ(p.pgrp, p.pid);
    EXPECT_EQ(p.tpgrp, -1) << "there is no terminal";
  }
}

// With a controlling terminal, the program's group is the terminal's foreground group.
TEST_F(HygieneTest, ProgramIsTheForegroundGroupOfTheTerminal) {
  const auto p = parsePgrp(programOutput(Mode::Pid1, payload({"pgrp"}), /*pty=*/true));
  EXPECT_NE(p.pid, 0);
  EXPECT_EQ(p.pgrp, p.pid);
  EXPECT_EQ(p.sid, 1) << "cginit's session, with the terminal";
  EXPECT_EQ(p.tpgrp, p.pgrp);
}

// While the program sleeps, cginit sleeps too: no timer, no polling. Its context-switch count
// must not move over a 2 s window.
TEST_F(HygieneTest, NoWakeUpsWhenIdle) {
  for (Mode mode : {Mode::Pid1, Mode::Plain}) {
    SCOPED_TRACE(modeName(mode));
    Sandbox sb;
    const std::string pidFile = sb.file("program.pid");
    ASSERT_TRUE(sb.start(RunSpec(
        mode, concat({"--cgroup", "off", "-s"}, payload({"pidfile", pidFile, "sleep", "30"})))));
    ASSERT_TRUE(waitForFile(pidFile, 10s)) << sb.stderrText();
    // Let cginit finish the start-up it does after the exec of the program.
    std::this_thread::sleep_for(200ms);
    const auto before = contextSwitches(sb.pid());
    std::this_thread::sleep_for(2s);
    const auto after = contextSwitches(sb.pid());
    ASSERT_TRUE(before && after);
    EXPECT_EQ(*after, *before) << "cginit woke up " << (*after - *before) << " times while idle";
    EXPECT_TRUE(sb.signal(SIGTERM));
    EXPECT_EQ(sb.wait(10s), ExitStatus::exited(128 + SIGTERM));
  }
}

}  // namespace
}  // namespace cginit::it
