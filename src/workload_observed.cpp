// SPDX-License-Identifier: MIT
// The observer: the process backend plus a read-only own cgroup, its counters and its members.
#include <signal.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include <spdlog/spdlog.h>

#include "cginit/cgroup_paths.h"
#include "cginit/signal_list.h"

#include "workload_backends.h"

namespace cginit {

namespace {

using backend::EventCounter;
using backend::ProcessWorkload;

/// cginit's own cgroup where it cannot write. The processes backend does what it does without a
/// cgroup; besides, pids.events and memory.events are watched (where present), and at drain
/// every process listed in cgroup.procs (recursively) but cginit, PID 1 and cginit's ancestors
/// gets what the drain sends: processes that joined from outside (`docker exec`, `kubectl
/// exec`), which are nobody's children here. They are followed by a bounded set of pidfds,
/// whose readiness says that one of them exited: no polling while they fit.
class ObservedWorkload final : public Workload {
 public:
  ObservedWorkload(bool pid1, pid_t program, Cgroup cgroup)
      : processes_(pid1, program),
        cg_(std::move(cgroup)),
        pids_(cg_, "pids.events", "max"),
        oom_(cg_, "memory.events", "oom_kill") {
    // Open now, so that a list needs no new fd when the drain runs short of them.
    if (auto fd = cg_.openFile("cgroup.procs"); fd) {
      procsFd_ = std::move(*fd);
    } else {
      spdlog::debug("{}", fd.error().message);
    }
    spdlog::info("observing cgroup {} (read-only: nothing managed)", cg_.path());
  }

  void forwardToAll(int signo) override { processes_.forwardToAll(signo); }

  size_t signalLeftovers(int signo) override {
    size_t count = processes_.signalLeftovers(signo);
    count += signalMembers(signo, true);
    return count;
  }

  void killAll() override {
    processes_.killAll();  // a new signal: every process is new to it
    (void)signalMembers(SIGKILL, true);
  }

  Readiness readiness() const override {
    return follower_.fd() >= 0 ? Readiness{follower_.fd(), EPOLLIN} : Readiness{};
  }

  Liveness refresh() override {
    if (const auto phase = processes_.phase()) {
      // Listed again once half of the followed are gone (or some could not be followed, or
      // the list failed): newcomers get what the others got, and more are followed.
      const size_t left = follower_.collect();
      if (membersBlind_ || left <= PidFollower::kDefaultCapacity / 2) {
        (void)signalMembers(*phase, false);
      }
    }
    const Liveness liveness = processes_.refresh();
    if (liveness == Liveness::Empty && (follower_.size() > 0 || membersLeft_)) {
      return Liveness::Populated;
    }
    return liveness;
  }

  bool blind() const override { return processes_.blind() || membersBlind_; }

  void reaped(pid_t pid, int status) override { processes_.reaped(pid, status); }

  std::vector<Readiness> eventFds() const override {
    std::vector<Readiness> fds;
    for (const EventCounter* c : {&pids_, &oom_}) {
      if (*c) {
        fds.push_back({c->fd(), EPOLLPRI});
      }
    }
    return fds;
  }

  bool onEvent(int fd) override {
    EventCounter& counter = fd == pids_.fd() ? pids_ : oom_;
    auto rose = counter.rose();
    if (!rose) {
      return false;  // level-triggered: a file that keeps failing would wake the loop for ever
    }
    if (!*rose || !counter.allowWarning()) {
      return true;
    }
    if (&counter == &oom_) {
      spdlog::warn("the OOM killer killed a process in {} ({} OOM kill(s) so far)", cg_.path(),
                   **rose);
      return true;
    }
    auto limit = cg_.read("pids.max");
    const std::string shown = limit ? std::string(fileValue(*limit)) : std::string("?");
    if (shown == "max") {
      // The limit is a parent's (a pod's podPidsLimit), outside what this cgroup shows.
      spdlog::warn(
          "fork refused in {}: a pids.max above it reached ({} refusal(s) so far; its own "
          "pids.max is max)",
          cg_.path(), **rose);
    } else {
      spdlog::warn("fork refused in {}: pids.max={} reached ({} refusal(s) so far)", cg_.path(),
                   shown, **rose);
    }
    return true;
  }

  void fillReport(ExitReport& report) override {
    processes_.fillReport(report);
    report.observedCgroup = cg_.path();
    if (pids_) {
      report.forkRejections = pids_.value();
      if (auto peak = cg_.read("pids.peak"); peak) {
        if (const auto v = parseCounter(*peak)) {
          report.pidsPeak = *v;
        }
      }
    }
    if (oom_) {
      report.oomKills = oom_.value();
    }
  }

  void teardown() override {}

 private:
  /// The members now: cgroup.procs of the cgroup and those below it; when that cannot be read
  /// (no fd or memory to spare), the cgroup's own list through the fd opened at start.
  Result<std::vector<pid_t>> listMembers() {
    auto pids = cg_.procsRecursive();
    if (pids || !procsFd_) {
      return pids;
    }
    spdlog::debug("listing {}: {}; reading its own list only", cg_.path(), pids.error().message);
    membersBlind_ = true;
    return readPidsFd(procsFd_.get());
  }

  /// `signo` (SIGCONT after a polite one) to every member not yet given it, and follows them.
  /// `stepStart`: right after the processes backend sent the step's signal, so that as PID 1
  /// every member had it through kill(-1). Returns how many were signalled.
  size_t signalMembers(int signo, bool stepStart) {
    membersBlind_ = false;
    std::vector<pid_t> listed;
    PidSource source;
    source.list = [this, &listed]() -> Result<std::vector<pid_t>> {
      auto pids = listMembers();
      if (pids) {
        listed = *pids;
      }
      return pids;
    };
    source.reachedOtherwise = [this, stepStart](pid_t pid) {
      return (stepStart && processes_.pid1()) || processes_.reachedByGroup(pid);
    };
    auto sent = processes_.signalled().signalNew(source, signo, signo != SIGKILL);
    if (!sent) {
      membersBlind_ = true;
      membersLeft_ = true;  // cannot tell
      if (!std::exchange(listWarned_, true)) {
        spdlog::warn("listing {}: {}; trying again", cg_.path(), sent.error().message);
      }
      return 0;
    }
    std::erase_if(listed, [this](pid_t pid) { return processes_.signalled().kept(pid); });
    membersLeft_ = !listed.empty();
    (void)follower_.follow(listed);
    membersBlind_ = membersBlind_ || follower_.isBlind();
    return sent->signalled;
  }

  ProcessWorkload processes_;
  Cgroup cg_;
  UniqueFd procsFd_;
  PidFollower follower_;
  EventCounter pids_;
  EventCounter oom_;
  bool membersLeft_ = false;
  bool membersBlind_ = false;
  bool listWarned_ = false;
};

}  // namespace

std::unique_ptr<Workload> makeObservedWorkload(bool pid1, pid_t program, Cgroup observed) {
  return std::make_unique<ObservedWorkload>(pid1, program, std::move(observed));
}

}  // namespace cginit
