// SPDX-License-Identifier: MIT
// Workload backends: the managed cgroup tree, and plain processes (group, children, kill(-1)).
#include "cginit/workload.h"

#include <signal.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <string>

#include <spdlog/spdlog.h>

#include "cginit/proc.h"
#include "cginit/signal_names.h"
#include "cginit/sys.h"

namespace cginit {

namespace {

using std::chrono::steady_clock;

/// At most one warning a second for a counter that keeps rising (forks refused, OOM kills).
class RateLimit {
 public:
  bool allow() {
    const auto now = steady_clock::now();
    if (now - last_ < std::chrono::seconds(1)) {
      return false;
    }
    last_ = now;
    return true;
  }

 private:
  steady_clock::time_point last_{};
};

// ---------------------------------------------------------------------------------------------
// Plain processes.

class ProcessWorkload final : public Workload {
 public:
  ProcessWorkload(bool pid1, pid_t program) : pid1_(pid1), program_(program) {}

  void forwardToAll(int signo) override {
    if (!groupFallbackWarned_) {
      spdlog::warn("--forward cgroup without a managed cgroup: forwarding to the process group");
      groupFallbackWarned_ = true;
    }
    forwardToGroup(program_, signo);
  }

  size_t signalLeftovers(int signo) override {
    phase_ = signo;
    size_t count = 0;
    // From PID 1 of a namespace, kill(-1) reaches every other process in it.
    const pid_t target = pid1_ ? -1 : -program_;
    if (auto st = sys::kill(target, signo); st) {
      ++count;
      (void)sys::kill(target, SIGCONT);  // so that stopped processes can act on the stop signal
    } else if (st.error().code != ESRCH) {
      spdlog::error("{}", st.error().message);
    }
    // Not PID 1, kill(-1) is out of the question, and the process group misses the orphans that
    // called setsid: they are cginit's own children now.
    if (!pid1_) {
      count += signalChildren(signo);
    }
    return count;
  }

  void killAll() override {
    phase_ = SIGKILL;
    killing_ = true;
    if (pid1_) {
      if (auto st = sys::kill(-1, SIGKILL); !st && st.error().code != ESRCH) {
        spdlog::error("{}", st.error().message);
      }
      return;
    }
    if (auto st = sys::kill(-program_, SIGKILL); !st && st.error().code != ESRCH) {
      spdlog::error("{}", st.error().message);
    }
    if (!programReaped_) {
      (void)sys::kill(program_, SIGKILL);
    }
    signalChildren(SIGKILL);
  }

  Readiness readiness() const override { return {}; }

  Liveness refresh() override {
    // Without a cgroup, "no child left" is the only sign that all are gone.
    auto left = sys::anyChildLeft();
    if (!left) {
      spdlog::error("{}", left.error().message);
      return Liveness::Populated;
    }
    if (!*left) {
      return Liveness::Empty;
    }
    // A child that died may have left children of its own, now re-parented to cginit: they get
    // what the others got.
    if (phase_ && !pid1_) {
      signalChildren(*phase_);
    }
    return Liveness::Populated;
  }

  void reaped(pid_t pid, int status) override {
    // Its pid may now be reused by a new child, which has not had the stop signal.
    std::erase(drainSignalled_, pid);
    if (pid == program_) {
      programReaped_ = true;
    } else if (killing_ && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) {
      ++killed_;
    }
  }

  void fillReport(ExitReport& report) override { report.killed += killed_; }
  void teardown() override {}

 private:
  /// `signo` to each child of cginit (re-parented orphans); a polite signal (plus SIGCONT) only
  /// once per child and not to the program's process group, which gets it as a group. Returns
  /// how many were signalled.
  size_t signalChildren(int signo) {
    auto children = listChildren();
    if (!children) {
      if (!childrenWarned_) {
        childrenWarned_ = true;
        spdlog::warn(
            "listing cginit's children: {}; orphans that left the program's process group "
            "are not signalled",
            children.error().message);
      }
      return 0;
    }
    // No reaping happens in this loop, so every listed pid is still the child it was (a zombie
    // at worst): kill() cannot hit a stranger that reused a pid.
    size_t count = 0;
    for (const pid_t pid : *children) {
      if (signo != SIGKILL) {
        if (std::find(drainSignalled_.begin(), drainSignalled_.end(), pid) !=
            drainSignalled_.end()) {
          continue;  // once is enough for the polite signal
        }
        drainSignalled_.push_back(pid);
        if (::getpgid(pid) == program_) {
          continue;  // a member of the program's process group, which got it with the group
        }
      }
      if (auto st = sys::kill(pid, signo); st) {
        ++count;
        if (signo != SIGKILL) {
          (void)sys::kill(pid, SIGCONT);
        }
      } else if (st.error().code != ESRCH) {
        spdlog::error("{}", st.error().message);
      }
    }
    return count;
  }

  bool pid1_;
  pid_t program_;
  bool programReaped_ = false;
  std::optional<int> phase_;  // the signal of the drain step under way
  bool killing_ = false;
  bool groupFallbackWarned_ = false;
  bool childrenWarned_ = false;
  /// Children that got the polite stop signal during drain (not PID 1).
  std::vector<pid_t> drainSignalled_;
  uint64_t killed_ = 0;
};

// ---------------------------------------------------------------------------------------------
// The managed cgroup tree.

class ManagedWorkload final : public Workload {
 public:
  explicit ManagedWorkload(CgroupTree tree) : tree_(std::move(tree)) {}

  void forwardToAll(int signo) override {
    auto n = tree_.signalWorkload(signo);
    if (!n) {
      spdlog::error("forwarding {} to the workload cgroup: {}", signalName(signo),
                    n.error().message);
    } else {
      spdlog::debug("forwarded {} to {} process(es) of the workload", signalName(signo), *n);
    }
  }

  size_t signalLeftovers(int signo) override {
    phase_ = signo;
    // The whole root but cginit: workload/, what anyone made beside it, strangers of init/.
    const auto swept = tree_.sweep(signo, true);
    if (!swept.populated) {
      // After a clean exit nothing is left: nothing to freeze, signal or wait for.
      spdlog::debug("drain: {} is empty and nothing is left beside it", tree_.workloadPath());
    }
    return swept.signalled;
  }

  void killAll() override {
    phase_ = SIGKILL;
    (void)tree_.sweep(SIGKILL, false);
  }

  Readiness readiness() const override { return {tree_.drainFd(), EPOLLIN}; }

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
    const auto swept = tree_.sweep(*phase_, false);
    if (swept.signalled > 0) {
      spdlog::info("drain: sent {} to {} more process(es)", signalName(*phase_), swept.signalled);
    }
    return swept.populated ? Liveness::Populated : Liveness::Empty;
  }

  bool zombiesMayLag() const override { return true; }

  std::vector<int> eventFds() const override {
    if (tree_.pidsEventsFd() < 0) {
      return {};
    }
    return {tree_.pidsEventsFd()};
  }

  bool onEvent(int /*fd*/) override {
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
    report.killed += tree_.killedBySweep();
    report.escaped = tree_.escaped();
  }

  void teardown() override {
    if (auto st = tree_.remove(); !st) {
      spdlog::warn("removing cgroups: {}", st.error().message);
    }
  }

 private:
  CgroupTree tree_;
  std::optional<int> phase_;  // the signal of the drain step under way
  uint64_t lastPidsEvents_ = 0;
  RateLimit pidsWarning_;
};

}  // namespace

std::unique_ptr<Workload> makeProcessWorkload(bool pid1, pid_t program) {
  return std::make_unique<ProcessWorkload>(pid1, program);
}

std::unique_ptr<Workload> makeManagedWorkload(CgroupTree tree) {
  return std::make_unique<ManagedWorkload>(std::move(tree));
}

void forwardToProgram(const Child& child, int signo) {
  Status st =
      child.pidfd ? sys::pidfdSendSignal(child.pidfd.get(), signo) : sys::kill(child.pid, signo);
  if (!st) {
    if (st.error().code == ESRCH) {
      spdlog::warn("the program was gone when forwarding {}", signalName(signo));
    } else {
      spdlog::error("forwarding {} to pid {}: {}", signalName(signo), child.pid,
                    st.error().message);
    }
  }
}

void forwardToGroup(pid_t pgid, int signo) {
  if (auto st = sys::kill(-pgid, signo); !st) {
    if (st.error().code == ESRCH) {
      spdlog::warn("the program's process group was gone when forwarding {}", signalName(signo));
    } else {
      spdlog::error(
          "{}",
          errnoError(st.error().code, "kill", "process group " + std::to_string(pgid)).message);
    }
  }
}

}  // namespace cginit
