// SPDX-License-Identifier: MIT
// An epoll loop over fds and one-shot timerfd timers; it sleeps until something happens.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>

#include "cginit/result.h"
#include "cginit/unique_fd.h"

namespace cginit {

/// Waits on epoll and calls the callback of each ready fd. No periodic wake-ups: a timer exists
/// only while armed. Pinned: callbacks capture `this` of their owners.
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
  /// Calls `callback` once after `delay`. Returns an id for cancelTimer().
  Result<TimerId> addTimer(std::chrono::milliseconds delay, std::function<void()> callback);
  void cancelTimer(TimerId id);

  /// Runs until stop(), at once when stop() was called before. epoll_wait errors other than
  /// EINTR end the loop with an Error.
  Status run();
  void stop() { stopped_ = true; }

 private:
  explicit EventLoop(UniqueFd epfd) : epfd_(std::move(epfd)) {}

  struct Timer {
    UniqueFd fd;
    std::function<void()> callback;
  };

  struct Watch {
    uint32_t generation;  // tells a stale event for a closed and reused fd number from a new one
    std::shared_ptr<Callback> callback;
  };

  UniqueFd epfd_;
  std::map<int, Watch> watches_;
  uint32_t nextGeneration_ = 1;
  std::map<TimerId, Timer> timers_;
  TimerId nextTimer_ = 1;
  bool stopped_ = false;
};

}  // namespace cginit
