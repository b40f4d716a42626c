// SPDX-License-Identifier: MIT
// The state machine of cginit: start the program, route signals, reap, drain, report.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cginit/cgroup_tree.h"
#include "cginit/event_loop.h"
#include "cginit/options.h"
#include "cginit/report.h"
#include "cginit/result.h"
#include "cginit/signal_router.h"
#include "cginit/signals.h"
#include "cginit/spawn.h"
#include "cginit/workload.h"

namespace cginit {

/// Owns everything cginit holds while the program runs. States: Starting (run() until the
/// program is started), Running, Draining, Done. Once the program has started it never gives up
/// on an error: it logs and carries on, and the only way out is the program's exit plus drain.
class Supervisor {
 public:
  Supervisor(Options options, std::vector<std::string> programArgv);
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;
  ~Supervisor();

  /// Runs the program to the end. Returns the exit status for cginit (the program's, remapped),
  /// or an Error when cginit could not start it (Error::usage set for unmet requirements).
  Result<int> run();

 private:
  enum class State { Starting, Running, Draining, Done };

  Status prepare();
  Status startProgram(int& execExit);
  void onSignals();
  void handleSignal(int signo);
  void forward(int signo);
  /// Books one reaped child: the program's status, or a zombie counted (and warned of with -w).
  void onReaped(pid_t pid, int status);
  void reapChildren();
  void onStopTimeout();
  /// Starts the drain once the program has exited: the stop signal to what is left, the
  /// workload's readiness fd watched, the grace timer armed.
  void startDrain();
  /// Asks the workload whether anything is left (and lets it signal newcomers); ends the drain
  /// when nothing is.
  void checkDrained();
  void onGraceOver();
  void killEverything();
  void finishDrain();
  int finish();

  Options options_;
  std::vector<std::string> argv_;
  SignalRouter router_;
  std::unique_ptr<EventLoop> loop_;
  std::optional<SignalFd> signalFd_;
  /// The managed tree between setup and the start of the program; then the workload owns it.
  std::optional<CgroupTree> tree_;
  /// cginit's own cgroup when it is not managed but can be read (the observer), until the start.
  std::optional<Cgroup> observed_;
  std::unique_ptr<Workload> workload_;
  Child child_;
  State state_ = State::Starting;
  bool pid1_ = false;
  std::optional<int> mainStatus_;
  std::optional<EventLoop::TimerId> stopTimer_;
  std::optional<EventLoop::TimerId> graceTimer_;
  // The drain's readiness fd is watched: refresh on its events only, not after every reap.
  bool drainWatched_ = false;
  std::optional<EventLoop::TimerId> killTimer_;
  /// Armed while the workload is blind() during drain (see checkDrained()).
  std::optional<EventLoop::TimerId> retryTimer_;
  std::chrono::milliseconds retryDelay_{10};
  bool reboot_ = false;
  std::chrono::steady_clock::time_point started_;
  ExitReport report_;
};

}  // namespace cginit
