// SPDX-License-Identifier: MIT
// Pure policy: what to do with a received signal (rewrite, stop requests, reboot requests).
#include "cginit/signal_router.h"

#include <signal.h>

namespace cginit {

Routing SignalRouter::route(int received) const {
  Routing r;
  if (received == SIGCHLD) {
    r.childEvent = true;
    return r;
  }
  const bool halt = received == SIGRTMIN + 3 || received == SIGRTMIN + 4;
  r.reboot = received == SIGRTMIN + 5;
  r.stopRequest =
      halt || r.reboot || received == SIGTERM || received == SIGINT || received == SIGQUIT;
  if (auto it = rewrite_.find(received); it != rewrite_.end()) {
    r.deliver = it->second;
  } else if (halt || r.reboot) {
    r.deliver = stopSignal_;
  } else {
    r.deliver = received;
  }
  return r;
}

bool SignalRouter::endsGrace(int received) {
  return received == SIGTERM || received == SIGINT;
}

}  // namespace cginit
