// SPDX-License-Identifier: MIT
// An epoll loop over fds and one-shot timerfd timers; it sleeps until something happens.
#include "cginit/event_loop.h"

#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <array>
#include <cerrno>

#include <spdlog/spdlog.h>

#include "cginit/sys.h"

namespace cginit {

Result<std::unique_ptr<EventLoop>> EventLoop::create() {
  UniqueFd epfd(::epoll_create1(EPOLL_CLOEXEC));
  if (!epfd) {
    return sysError("epoll_create1");
  }
  return std::unique_ptr<EventLoop>(new EventLoop(std::move(epfd)));
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

Result<EventLoop::TimerId> EventLoop::addTimer(std::chrono::milliseconds delay,
                                               std::function<void()> callback) {
  UniqueFd tfd(::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK));
  if (!tfd) {
    return sysError("timerfd_create");
  }
  itimerspec spec{};
  const auto ms = delay.count() > 0 ? delay.count() : 1;  // 0 would disarm the timer
  spec.it_value.tv_sec = static_cast<time_t>(ms / 1000);
  spec.it_value.tv_nsec = static_cast<long>((ms % 1000) * 1000000);
  if (::timerfd_settime(tfd.get(), 0, &spec, nullptr) < 0) {
    return sysError("timerfd_settime");
  }
  const TimerId id = nextTimer_++;
  const int fd = tfd.get();
  timers_[id] = Timer{std::move(tfd), std::move(callback)};
  auto st = watch(fd, EPOLLIN, [this, id](uint32_t) {
    auto it = timers_.find(id);
    if (it == timers_.end()) {
      return;
    }
    auto cb = std::move(it->second.callback);
    cancelTimer(id);
    cb();
  });
  if (!st) {
    timers_.erase(id);
    return std::move(st).error();
  }
  return id;
}

void EventLoop::cancelTimer(TimerId id) {
  auto it = timers_.find(id);
  if (it == timers_.end()) {
    return;
  }
  unwatch(it->second.fd.get());
  timers_.erase(it);
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
