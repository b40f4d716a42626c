// SPDX-License-Identifier: MIT
// An epoll loop over fds and one-shot timers on one timerfd; it sleeps until something happens.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>

#include "cginit/result.h"
#include "cginit/unique_fd.h"

namespace cginit {

/// Waits on epoll and calls the callback of each ready fd. Every timer runs on the one timerfd
/// that create() opens, armed for the earliest deadline: arming a timer needs no fd, so no
/// shortage of fds (the drain's deadline under EMFILE) can leave it unarmed. No periodic
/// wake-ups: the timerfd is disarmed while no timer is pending. Pinned: callbacks capture `this`
/// of their owners.
class EventLoop {
 public:
  using Callback = std::function<void(uint32_t events)>;
  using TimerId = uint64_t;

  static Result<std::unique_ptr<EventLoop>> create();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;
  ~EventLoop();

  /// Watches a borrowed fd (the caller keeps it open until unwatch()).
  Status watch(int fd, uint32_t events, Callback callback);
  /// Stops watching; unknown fds are ignored.
  void unwatch(int fd);
  /// Calls `callback` once after `delay` (from the loop, never from within addTimer()). Returns
  /// an id for cancelTimer().
  TimerId addTimer(std::chrono::milliseconds delay, std::function<void()> callback);
  /// Forgets a pending timer; an id that already fired or was cancelled is ignored.
  void cancelTimer(TimerId id);

  /// Runs until stop(), at once when stop() was called before. epoll_wait errors other than
  /// EINTR end the loop with an Error.
  Status run();
  void stop() { stopped_ = true; }

 private:
  EventLoop(UniqueFd epfd, UniqueFd timerFd)
      : epfd_(std::move(epfd)), timerFd_(std::move(timerFd)) {}

  using TimePoint = std::chrono::steady_clock::time_point;
  struct Timer {
    TimePoint deadline;
    std::function<void()> callback;
  };
  /// Runs the timers that are due, then arms the timerfd for the next one (or disarms it).
  void onTimerFd();
  /// Arms the timerfd for the earliest pending deadline, or disarms it when none is left.
  void rearm();

  struct Watch {
    uint32_t generation;  // tells a stale event for a closed and reused fd number from a new one
    std::shared_ptr<Callback> callback;
  };

  UniqueFd epfd_;
  UniqueFd timerFd_;
  std::map<int, Watch> watches_;
  uint32_t nextGeneration_ = 1;
  std::map<TimerId, Timer> timers_;
  TimerId nextTimer_ = 1;
  bool stopped_ = false;
};

}  // namespace cginit
