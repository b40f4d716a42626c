// SPDX-License-Identifier: MIT
// An epoll loop over fds and one-shot timerfd timers; it sleeps until something happens.
#include "cginit/event_loop.h"

#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>

#include <spdlog/spdlog.h>

#include "cginit/sys.h"

namespace cginit {

Result<std::unique_ptr<EventLoop>> EventLoop::create() {
  UniqueFd epfd(::epoll_create1(EPOLL_CLOEXEC));
  if (!epfd) {
    return sysError("epoll_create1");
  }
  UniqueFd tfd(::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK));
  if (!tfd) {
    return sysError("timerfd_create");
  }
  std::unique_ptr<EventLoop> loop(new EventLoop(std::move(epfd), std::move(tfd)));
  EventLoop* self = loop.get();
  if (auto st = loop->watch(loop->timerFd_.get(), EPOLLIN, [self](uint32_t) { self->onTimerFd(); });
      !st) {
    return std::move(st).error();
  }
  return loop;
}

EventLoop::~EventLoop() = default;

Status EventLoop::watch(int fd, uint32_t events, Callback callback) {
  const uint32_t generation = nextGeneration_++;
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = (static_cast<uint64_t>(generation) << 32) | static_cast<uint32_t>(fd);
  if (::epoll_ctl(epfd_.get(), EPOLL_CTL_ADD, fd, &ev) < 0) {
    return sysError("epoll_ctl ADD", "fd " + std::to_string(fd));
  }
  watches_[fd] = Watch{generation, std::make_shared<Callback>(std::move(callback))};
  return {};
}

void EventLoop::unwatch(int fd) {
  if (watches_.erase(fd) == 0) {
    return;
  }
  if (::epoll_ctl(epfd_.get(), EPOLL_CTL_DEL, fd, nullptr) < 0) {
    spdlog::debug("epoll_ctl DEL fd {}: {}", fd, sysError("").message);
  }
}

EventLoop::TimerId EventLoop::addTimer(std::chrono::milliseconds delay,
                                       std::function<void()> callback) {
  const TimerId id = nextTimer_++;
  timers_[id] = Timer{std::chrono::steady_clock::now() + delay, std::move(callback)};
  rearm();
  return id;
}

void EventLoop::cancelTimer(TimerId id) {
  if (timers_.erase(id) != 0) {
    rearm();
  }
}

void EventLoop::onTimerFd() {
  uint64_t expirations = 0;
  if (::read(timerFd_.get(), &expirations, sizeof expirations) < 0 && errno != EAGAIN) {
    spdlog::error("{}", sysError("read", "timerfd").message);
  }
  // Each due timer is taken out before its callback runs, which may add or cancel others.
  for (;;) {
    const auto now = std::chrono::steady_clock::now();
    const auto due = std::find_if(timers_.begin(), timers_.end(),
                                  [now](const auto& t) { return t.second.deadline <= now; });
    if (due == timers_.end()) {
      break;
    }
    auto callback = std::move(due->second.callback);
    timers_.erase(due);
    callback();
  }
  rearm();
}

void EventLoop::rearm() {
  itimerspec spec{};  // all zero: disarmed
  const auto next = std::min_element(
      timers_.begin(), timers_.end(),
      [](const auto& a, const auto& b) { return a.second.deadline < b.second.deadline; });
  if (next != timers_.end()) {
    // steady_clock is CLOCK_MONOTONIC on Linux; an absolute expiry never drifts with the delay
    // between now() and the settime call. A deadline that has passed fires at once (0 would
    // disarm).
    const auto ns = std::max<int64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                          next->second.deadline.time_since_epoch())
                                          .count(),
                                      1);
    spec.it_value.tv_sec = static_cast<time_t>(ns / 1000000000);
    spec.it_value.tv_nsec = static_cast<long>(ns % 1000000000);
  }
  if (::timerfd_settime(timerFd_.get(), TFD_TIMER_ABSTIME, &spec, nullptr) < 0) {
    // Only EINVAL/EFAULT, i.e. a bug: say so, the timers stay pending.
    spdlog::error("{}", sysError("timerfd_settime").message);
  }
}

Status EventLoop::run() {
  std::array<epoll_event, 16> events;
  while (!stopped_) {
    const int n = sys::epollWait(epfd_.get(), events.data(), static_cast<int>(events.size()), -1);
    if (n < 0) {
      return sysError("epoll_wait");
    }
    spdlog::trace("event loop woke up with {} event(s)", n);
    for (int i = 0; i < n && !stopped_; ++i) {
      const epoll_event& ev = events[static_cast<size_t>(i)];
      const int fd = static_cast<int>(ev.data.u64 & 0xffffffffU);
      auto it = watches_.find(fd);
      if (it == watches_.end() || it->second.generation != ev.data.u64 >> 32) {
        continue;  // unwatched (and maybe reused) by an earlier callback of this round
      }
      // Hold the callback: it may unwatch its own fd while it runs.
      const std::shared_ptr<Callback> cb = it->second.callback;
      (*cb)(ev.events);
    }
  }
  return {};
}

}  // namespace cginit
