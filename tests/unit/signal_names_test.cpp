// SPDX-License-Identifier: MIT
// Tests of signal names and numbers in both directions.
#include "cginit/signal_names.h"

#include <signal.h>

#include <gtest/gtest.h>

namespace cginit {
namespace {

int parsed(std::string_view text) {
  auto signo = parseSignal(text);
  EXPECT_TRUE(signo) << text << ": " << signo.error().message;
  return signo ? *signo : -1;
}

TEST(SignalNamesTest, AcceptsNameWithSigPrefix) {
  EXPECT_EQ(parsed("SIGTERM"), SIGTERM);
}

TEST(SignalNamesTest, AcceptsNameWithoutSigPrefix) {
  EXPECT_EQ(parsed("TERM"), SIGTERM);
  EXPECT_EQ(parsed("KILL"), SIGKILL);
}

TEST(SignalNamesTest, IgnoresCase) {
  EXPECT_EQ(parsed("sigterm"), SIGTERM);
  EXPECT_EQ(parsed("Hup"), SIGHUP);
  EXPECT_EQ(parsed("winch"), SIGWINCH);
}

TEST(SignalNamesTest, AcceptsNumbers) {
  EXPECT_EQ(parsed("1"), 1);
  EXPECT_EQ(parsed("15"), 15);
  EXPECT_EQ(parsed(std::to_string(SIGRTMAX)), SIGRTMAX);
}

TEST(SignalNamesTest, AcceptsAliases) {
  EXPECT_EQ(parsed("IOT"), SIGABRT);
  EXPECT_EQ(parsed("CLD"), SIGCHLD);
  EXPECT_EQ(parsed("POLL"), SIGIO);
}

TEST(SignalNamesTest, RejectsZeroNegativeAndTooLargeNumbers) {
  EXPECT_FALSE(parseSignal("0"));
  EXPECT_FALSE(parseSignal("-1"));
  EXPECT_FALSE(parseSignal(std::to_string(SIGRTMAX + 1)));
  EXPECT_FALSE(parseSignal("99999999999999999999"));
}

TEST(SignalNamesTest, RejectsUnknownNameNamingTheText) {
  auto signo = parseSignal("SIGFOO");
  ASSERT_FALSE(signo);
  EXPECT_EQ(signo.error().message, "invalid signal 'SIGFOO'");
  EXPECT_TRUE(signo.error().usage);
}

TEST(SignalNamesTest, RejectsEmptyAndPaddedText) {
  EXPECT_FALSE(parseSignal(""));
  EXPECT_FALSE(parseSignal("SIG"));
  EXPECT_FALSE(parseSignal(" TERM"));
  EXPECT_FALSE(parseSignal("15 "));
  EXPECT_FALSE(parseSignal("+15"));
}

// RTMIN is glibc's run-time SIGRTMIN (34), the number systemd and nspawn mean by SIGRTMIN+3.
TEST(SignalNamesTest, ParsesRealTimeSignalsRelativeToRtmin) {
  EXPECT_EQ(parsed("RTMIN"), SIGRTMIN);
  EXPECT_EQ(parsed("rtmin+3"), SIGRTMIN + 3);
  EXPECT_EQ(parsed("SIGRTMIN+4"), SIGRTMIN + 4);
  EXPECT_EQ(parsed("SIGRTMAX"), SIGRTMAX);
  EXPECT_EQ(parsed("RTMAX-2"), SIGRTMAX - 2);
}

TEST(SignalNamesTest, RejectsRealTimeSignalsOutOfRange) {
  EXPECT_FALSE(parseSignal("RTMIN+99"));
  EXPECT_FALSE(parseSignal("RTMAX-99"));
  EXPECT_FALSE(parseSignal("RTMIN-1"));
  EXPECT_FALSE(parseSignal("RTMAX+1"));
  EXPECT_FALSE(parseSignal("RTMIN+"));
  EXPECT_FALSE(parseSignal("RTMIN3"));
}

TEST(SignalNamesTest, NamesStandardSignalsByTheirCanonicalName) {
  EXPECT_EQ(signalName(SIGTERM), "SIGTERM");
  EXPECT_EQ(signalName(SIGABRT), "SIGABRT");
  EXPECT_EQ(signalName(SIGCHLD), "SIGCHLD");
  EXPECT_EQ(signalName(SIGIO), "SIGIO");
}

TEST(SignalNamesTest, NamesRealTimeSignalsRelativeToRtmin) {
  EXPECT_EQ(signalName(SIGRTMIN), "SIGRTMIN");
  EXPECT_EQ(signalName(SIGRTMIN + 3), "SIGRTMIN+3");
  EXPECT_EQ(signalName(SIGRTMAX), "SIGRTMIN+" + std::to_string(SIGRTMAX - SIGRTMIN));
}

// 32 and 33 lie below glibc's SIGRTMIN and have no name.
TEST(SignalNamesTest, NamesUnnamedSignalsByNumber) {
  EXPECT_EQ(signalName(32), "SIG32");
  EXPECT_EQ(parsed("SIG32"), 32);
}

TEST(SignalNamesTest, EveryNameReadsBackAsItsNumber) {
  for (int signo = 1; signo <= SIGRTMAX; ++signo) {
    EXPECT_EQ(parsed(signalName(signo)), signo) << signalName(signo);
  }
}

}  // namespace
}  // namespace cginit
