// SPDX-License-Identifier: MIT
// Tests of SignalRouter: rewrites, stop and reboot requests, SIGCHLD, and the end of grace.
#include "cginit/signal_router.h"

#include <signal.h>

#include <gtest/gtest.h>

namespace cginit {
namespace {

TEST(SignalRouterTest, ForwardsAnOrdinarySignalAsItIs) {
  const SignalRouter router({}, SIGTERM);
  const Routing r = router.route(SIGUSR1);
  EXPECT_EQ(r.deliver, SIGUSR1);
  EXPECT_FALSE(r.stopRequest);
  EXPECT_FALSE(r.reboot);
  EXPECT_FALSE(r.childEvent);
}

TEST(SignalRouterTest, SigchldIsAChildEventAndNeverForwarded) {
  const SignalRouter router({{SIGUSR1, SIGUSR2}}, SIGTERM);
  const Routing r = router.route(SIGCHLD);
  EXPECT_TRUE(r.childEvent);
  EXPECT_EQ(r.deliver, 0);
  EXPECT_FALSE(r.stopRequest);
}

TEST(SignalRouterTest, TermIntAndQuitAreStopRequestsForwardedAsThemselves) {
  const SignalRouter router({}, SIGINT);
  for (const int signo : {SIGTERM, SIGINT, SIGQUIT}) {
    const Routing r = router.route(signo);
    EXPECT_TRUE(r.stopRequest) << signo;
    EXPECT_EQ(r.deliver, signo) << "the stop signal replaces only systemd's requests";
    EXPECT_FALSE(r.reboot) << signo;
  }
}

// systemd-nspawn and machinectl ask a guest to halt or power off with RTMIN+3/+4.
TEST(SignalRouterTest, HaltAndPoweroffRequestsDeliverTheStopSignal) {
  const SignalRouter router({}, SIGINT);
  for (const int signo : {SIGRTMIN + 3, SIGRTMIN + 4}) {
    const Routing r = router.route(signo);
    EXPECT_TRUE(r.stopRequest);
    EXPECT_EQ(r.deliver, SIGINT);
    EXPECT_FALSE(r.reboot);
  }
}

TEST(SignalRouterTest, RebootRequestDrainsThenReboots) {
  const Routing r = SignalRouter({}, SIGTERM).route(SIGRTMIN + 5);
  EXPECT_TRUE(r.reboot);
  EXPECT_TRUE(r.stopRequest);
  EXPECT_EQ(r.deliver, SIGTERM);
}

TEST(SignalRouterTest, RewriteWinsOverTheStopSignal) {
  const SignalRouter router({{SIGRTMIN + 3, SIGUSR1}, {SIGTERM, SIGQUIT}}, SIGINT);
  EXPECT_EQ(router.route(SIGRTMIN + 3).deliver, SIGUSR1);
  EXPECT_TRUE(router.route(SIGRTMIN + 3).stopRequest) << "what was received decides";
  EXPECT_EQ(router.route(SIGTERM).deliver, SIGQUIT);
  EXPECT_TRUE(router.route(SIGTERM).stopRequest);
  EXPECT_EQ(router.route(SIGRTMIN + 4).deliver, SIGINT) << "not rewritten: the stop signal";
}

TEST(SignalRouterTest, RewriteOfAnOrdinarySignalIsNoStopRequest) {
  const Routing r = SignalRouter({{SIGUSR1, SIGTERM}}, SIGTERM).route(SIGUSR1);
  EXPECT_EQ(r.deliver, SIGTERM);
  EXPECT_FALSE(r.stopRequest);
}

TEST(SignalRouterTest, OnlyTermAndIntEndTheGracePeriod) {
  EXPECT_TRUE(SignalRouter::endsGrace(SIGTERM));
  EXPECT_TRUE(SignalRouter::endsGrace(SIGINT));
  for (const int signo : {SIGQUIT, SIGHUP, SIGUSR1, SIGCHLD, SIGRTMIN + 3}) {
    EXPECT_FALSE(SignalRouter::endsGrace(signo)) << signo;
  }
}

}  // namespace
}  // namespace cginit
