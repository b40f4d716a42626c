// SPDX-License-Identifier: MIT
// The managed backend: the CgroupTree (init/ + workload/) and its CgroupDrain.
#include <malloc.h>
#include <signal.h>
#include <sys/epoll.h>

#include <memory>
#include <optional>
#include <utility>

#include <spdlog/spdlog.h>

#include "cginit/cgroup_drain.h"
#include "cginit/signal_names.h"
#include "cginit/tamper_guard.h"

#include "workload_backends.h"

namespace cginit {

namespace {

class ManagedWorkload final : public Workload {
 public:
  ManagedWorkload(CgroupTree tree, bool guardTampering) : tree_(std::move(tree)), drain_(tree_) {
    if (guardTampering) {
      if (auto guard = TamperGuard::create(tree_); guard) {
        guard_ = std::move(*guard);
      } else {
        spdlog::warn("{}; changes to the limits are not undone", guard.error().message);
      }
    }
  }
  ManagedWorkload(const ManagedWorkload&) = delete;
  ManagedWorkload& operator=(const ManagedWorkload&) = delete;
  ~ManagedWorkload() override = default;

  void forwardToAll(int signo) override {
    auto n = drain_.signalWorkload(signo);
    if (!n) {
      spdlog::error("forwarding {} to the workload cgroup: {}", signalName(signo),
                    n.error().message);
    } else {
      spdlog::debug("forwarded {} to {} process(es) of the workload", signalName(signo), *n);
    }
    // The lists of a large workload (10,000 pids: the text, the pids, those signalled) were
    // freed in pieces below the mmap threshold that glibc keeps resident; an init that forwards
    // for as long as its container lives gives them back after each burst.
    (void)::malloc_trim(0);
  }

  size_t signalLeftovers(int signo) override {
    phase_ = signo;
    if (guard_) {
      guard_->stop();  // the drain moves strangers itself
    }
    // The whole root but cginit: workload/, what anyone made beside it, strangers of init/.
    const auto swept = drain_.sweep(signo, true);
    blind_ = swept.blind;
    if (!swept.populated) {
      // After a clean exit nothing is left: nothing to freeze, signal or wait for.
      spdlog::debug("drain: {} is empty and nothing is left beside it", tree_.workloadPath());
    }
    return swept.signalled;
  }

  void killAll() override {
    phase_ = SIGKILL;
    blind_ = drain_.sweep(SIGKILL, false).blind;
  }

  Readiness readiness() const override { return {drain_.fd(), EPOLLIN}; }

  Liveness refresh() override {
    if (!phase_) {
      auto populated = tree_.workloadPopulated();
      if (!populated) {
        spdlog::error("reading cgroup.events: {}", populated.error().message);
        return Liveness::Broken;
      }
      return *populated ? Liveness::Populated : Liveness::Empty;
    }
    // Reads every watched cgroup.events (re-arming them), finds newcomers and strangers that
    // moved (into init/ or a new cgroup) and gives them what the others got.
    const auto swept = drain_.sweep(*phase_, false);
    blind_ = swept.blind;
    if (swept.signalled > 0) {
      spdlog::info("drain: sent {} to {} more process(es)", signalName(*phase_), swept.signalled);
    }
    return swept.populated ? Liveness::Populated : Liveness::Empty;
  }

  bool blind() const override { return blind_; }
  bool zombiesMayLag() const override { return true; }
  bool refreshAfterReap() const override { return false; }

  std::vector<Readiness> eventFds() const override {
    std::vector<Readiness> fds;
    if (tree_.pidsEventsFd() >= 0) {
      fds.push_back({tree_.pidsEventsFd(), EPOLLPRI});
    }
    if (guard_) {
      fds.push_back({guard_->fd(), EPOLLIN});
    }
    return fds;
  }

  bool onEvent(int fd) override {
    if (guard_ && fd == guard_->fd()) {
      return guard_->onEvent();
    }
    auto events = tree_.pidsMaxEvents();
    if (!events) {
      // The watch is level-triggered: an fd that keeps failing (workload/ removed under us)
      // would wake the loop forever. Stop watching; the final count is read again at exit.
      spdlog::warn("reading pids.events: {}; no longer watching it", events.error().message);
      return false;
    }
    if (*events <= lastPidsEvents_) {
      return true;
    }
    lastPidsEvents_ = *events;
    if (pidsWarning_.allow()) {
      spdlog::warn("fork refused: workload reached pids.max={} ({} refusal(s) so far)",
                   tree_.pidsMaxWritten().value_or("?"), *events);
    }
    return true;
  }

  void fillReport(ExitReport& report) override {
    report.cgroup = tree_.rootPath();
    report.observedCgroup = tree_.workloadPath();  // where the counters are read
    report.pidsMax = tree_.pidsMaxWritten();
    if (auto v = tree_.pidsPeak(); v) {
      report.pidsPeak = *v;
    }
    if (auto v = tree_.pidsMaxEvents(); v && tree_.pidsEventsFd() >= 0) {
      report.forkRejections = *v;
    }
    if (auto v = tree_.oomKills(); v) {
      report.oomKills = *v;
    }
    report.killed += drain_.killed();
    report.escaped = drain_.escaped();
    report.tampered = guard_ ? guard_->tampered() : 0;
  }

  void teardown() override {
    drain_.close();
    if (auto st = tree_.remove(); !st) {
      spdlog::warn("removing cgroups: {}", st.error().message);
    }
  }

 private:
  CgroupTree tree_;
  CgroupDrain drain_;                   // borrows tree_, declared after it
  std::unique_ptr<TamperGuard> guard_;  // watches tree_: declared after it
  std::optional<int> phase_;            // the signal of the drain step under way
  bool blind_ = false;
  uint64_t lastPidsEvents_ = 0;
  backend::RateLimit pidsWarning_;
};

}  // namespace

std::unique_ptr<Workload> makeManagedWorkload(CgroupTree tree, bool guardTampering) {
  return std::make_unique<ManagedWorkload>(std::move(tree), guardTampering);
}

}  // namespace cginit
