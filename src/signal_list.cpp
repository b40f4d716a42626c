// SPDX-License-Identifier: MIT
// SignalByList (list, signal what is new, list until quiet) and PidFollower (bounded pidfds).
#include "cginit/signal_list.h"

#include <signal.h>
#include <sys/epoll.h>

#include <algorithm>
#include <array>
#include <cerrno>

#include <spdlog/spdlog.h>

#include "cginit/proc.h"
#include "cginit/sys.h"

namespace cginit {

SignalByList::SignalByList(pid_t self) : self_(self) {}

bool SignalByList::kept(pid_t pid) {
  if (!ancestors_ && pid > 1 && pid != self_) {
    ancestors_ = ancestorsOf(self_);  // read once, when a list first needs them
  }
  return isKeptPid(pid, self_, ancestors_ ? *ancestors_ : std::vector<pid_t>{});
}

void SignalByList::forget(pid_t pid) {
  const auto it = std::lower_bound(signalled_.begin(), signalled_.end(), pid);
  if (it != signalled_.end() && *it == pid) {
    signalled_.erase(it);
  }
}

Result<SignalByList::Outcome> SignalByList::signalNew(const PidSource& source, int signo,
                                                      bool thenContinue) {
  Outcome out;
  bool frozen = false;
  for (int list = 0;; ++list) {
    const bool last = list == kUnfrozenLists;
    if (last && source.freeze) {
      frozen = source.freeze();
    }
    auto pids = source.list();
    if (!pids) {
      if (frozen && source.thaw) {
        source.thaw();
      }
      if (!out.listed) {
        return std::move(pids).error();
      }
      spdlog::debug("listing again after {} list(s): {}", out.lists, pids.error().message);
      return out;
    }
    out.listed = true;
    ++out.lists;
    std::erase_if(*pids, [this](pid_t pid) { return kept(pid); });  // sorted still
    const auto fresh = newcomers(*pids, signalled_);
    for (const pid_t pid : fresh) {
      if (source.reachedOtherwise && source.reachedOtherwise(pid)) {
        continue;
      }
      if (auto st = sys::kill(pid, signo); st) {
        ++out.signalled;
        if (thenContinue) {
          (void)sys::kill(pid, SIGCONT);
        }
      } else if (st.error().code != ESRCH) {
        spdlog::error("{}", st.error().message);
      }
    }
    if (fresh.empty() || last) {
      break;
    }
  }
  if (frozen && source.thaw) {
    source.thaw();
  }
  return out;
}

PidFollower::PidFollower(size_t capacity)
    : capacity_(capacity), epoll_(::epoll_create1(EPOLL_CLOEXEC)) {
  if (!epoll_) {
    spdlog::warn("{}; processes that are not cginit's children are not waited for at drain",
                 sysError("epoll_create1").message);
  }
}

size_t PidFollower::follow(const std::vector<pid_t>& pids) {
  size_t followed = 0;
  blind_ = false;
  for (const pid_t pid : pids) {
    if (followed_.contains(pid)) {
      ++followed;
      continue;
    }
    if (!epoll_ || followed_.size() >= capacity_) {
      blind_ = true;
      continue;
    }
    auto pidfd = sys::pidfdOpen(pid);
    if (!pidfd) {
      const int err = pidfd.error().code;
      if (err == ESRCH) {
        continue;  // gone already
      }
      blind_ = true;
      if ((err == EMFILE || err == ENFILE || err == ENOMEM) && !exhaustedWarned_) {
        exhaustedWarned_ = true;
        spdlog::warn("{}; following {} process(es), looking again for the rest",
                     pidfd.error().message, followed_.size());
      }
      if (err != ENOSYS) {
        continue;
      }
      break;  // no pidfds on this kernel: none of the others can be followed either
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = static_cast<uint64_t>(pid);  // the key of followed_
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, pidfd->get(), &ev) != 0) {
      spdlog::debug("{}", sysError("epoll_ctl", "pidfd of " + std::to_string(pid)).message);
      blind_ = true;
      continue;
    }
    followed_.emplace(pid, std::move(*pidfd));
    ++followed;
  }
  return followed;
}

size_t PidFollower::collect() {
  if (!epoll_) {
    return 0;
  }
  std::array<epoll_event, 16> events;
  for (;;) {
    const int n = sys::epollWait(epoll_.get(), events.data(), static_cast<int>(events.size()), 0);
    if (n < 0) {
      spdlog::error("{}", sysError("epoll_wait", "followed processes").message);
      break;
    }
    for (int i = 0; i < n; ++i) {
      // Closing the pidfd takes it out of the epoll set.
      followed_.erase(static_cast<pid_t>(events[static_cast<size_t>(i)].data.u64));
    }
    if (n < static_cast<int>(events.size())) {
      break;
    }
  }
  return followed_.size();
}

}  // namespace cginit
