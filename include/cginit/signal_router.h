// SPDX-License-Identifier: MIT
// Pure policy: what to do with a received signal (rewrite, stop requests, reboot requests).
#pragma once

#include <map>

namespace cginit {

/// The decision for one received signal.
struct Routing {
  int deliver = 0;           // the signal to send to the --forward target; 0 for none
  bool stopRequest = false;  // TERM, INT, QUIT, RTMIN+3, RTMIN+4 (and RTMIN+5): arms --stop-timeout
  bool reboot = false;       // RTMIN+5: drain, then reboot(RB_AUTOBOOT) as PID 1
  bool childEvent = false;   // SIGCHLD: reap, never forward
};

class SignalRouter {
 public:
  SignalRouter(std::map<int, int> rewrite, int stopSignal)
      : rewrite_(std::move(rewrite)), stopSignal_(stopSignal) {}

  /// While the program runs: rewrite first; RTMIN+3/+4/+5 (systemd's halt, poweroff and reboot
  /// requests) deliver the stop signal instead, unless a rewrite names them.
  Routing route(int received) const;

  /// During drain, a second SIGTERM or SIGINT ends the grace period at once.
  static bool endsGrace(int received);

 private:
  std::map<int, int> rewrite_;
  int stopSignal_;
};

}  // namespace cginit
