// SPDX-License-Identifier: MIT
// Workload backends: the managed cgroup tree, and plain processes (group, children, kill(-1)).
#include "cginit/workload.h"

#include <malloc.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <map>
#include <string>
#include <utility>

#include <spdlog/spdlog.h>

#include "cginit/cgroup_discovery.h"
#include "cginit/cgroup_paths.h"
#include "cginit/proc.h"
#include "cginit/signal_names.h"
#include "cginit/sys.h"
#include "cginit/tamper_guard.h"

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
// The observed (read-only) own cgroup: counters watched, members signalled at drain.

/// cginit's own cgroup where it cannot write: pids.events and memory.events are watched (where
/// present), and at drain every process listed in cgroup.procs (recursively) but cginit, PID 1
/// and cginit's ancestors gets what the drain sends. Each process signalled is followed by a
/// pidfd in an epoll set of its own, whose readiness says that one of them exited: no polling.
class ObservedCgroup {
 public:
  ObservedCgroup(Cgroup cgroup, bool pid1) : cg_(std::move(cgroup)), pid1_(pid1) {
    self_ = ::getpid();
    epoll_.reset(::epoll_create1(EPOLL_CLOEXEC));
    if (!epoll_) {
      spdlog::warn("{}; processes that joined {} from outside are not waited for",
                   sysError("epoll_create1").message, cg_.path());
    }
    pidsEvents_ = openCounter("pids.events", "max", lastPids_);
    memoryEvents_ = openCounter("memory.events", "oom_kill", lastOom_);
    spdlog::info("observing cgroup {} (read-only: nothing managed)", cg_.path());
  }

  const std::string& path() const { return cg_.path(); }
  int epollFd() const { return epoll_.get(); }

  std::vector<Readiness> eventFds() const {
    std::vector<Readiness> fds;
    for (const UniqueFd* fd : {&pidsEvents_, &memoryEvents_}) {
      if (*fd) {
        fds.push_back({fd->get(), EPOLLPRI});
      }
    }
    return fds;
  }

  bool onEvent(int fd) {
    const bool pids = fd == pidsEvents_.get();
    const char* file = pids ? "pids.events" : "memory.events";
    auto kv = readKeyValuesFd(fd);
    if (!kv) {
      warnOnce(pids ? pidsWarned_ : memoryWarned_, file, kv.error());
      return false;  // level-triggered: a file that keeps failing would wake the loop for ever
    }
    const auto it = kv->find(pids ? "max" : "oom_kill");
    const uint64_t value = it == kv->end() ? 0 : it->second;
    uint64_t& last = pids ? lastPids_ : lastOom_;
    if (value <= last) {
      return true;
    }
    last = value;
    if (pids && pidsRate_.allow()) {
      auto limit = cg_.read("pids.max");
      const std::string shown = limit ? std::string(fileValue(*limit)) : std::string("?");
      if (shown == "max") {
        // The limit is a parent's (a pod's podPidsLimit), outside what this cgroup shows.
        spdlog::warn(
            "fork refused in {}: a pids.max above it reached ({} refusal(s) so far; its own "
            "pids.max is max)",
            cg_.path(), value);
      } else {
        spdlog::warn("fork refused in {}: pids.max={} reached ({} refusal(s) so far)", cg_.path(),
                     shown, value);
      }
    } else if (!pids && oomRate_.allow()) {
      spdlog::warn("the OOM killer killed a process in {} ({} OOM kill(s) so far)", cg_.path(),
                   value);
    }
    return true;
  }

  /// `signo` (SIGCONT after a polite one) to every member not yet given it; as PID 1 only
  /// followed (kill(-1) reached them already). Returns how many were signalled.
  size_t signalMembers(int signo, pid_t programGroup) {
    auto pids = cg_.procsRecursive();
    if (!pids) {
      warnOnce(procsWarned_, "cgroup.procs", pids.error());
      return 0;
    }
    if (!ancestorsKnown_) {
      ancestorsKnown_ = true;
      ancestors_ = ancestorsOf(self_);
    }
    // Never cginit, an init or its ancestors; the polite signal once (procsRecursive() is sorted).
    std::erase_if(*pids, [this](pid_t pid) { return isKeptPid(pid, self_, ancestors_); });
    const bool polite = signo != SIGKILL;
    if (polite) {
      *pids = newcomers(*pids, signalled_);
    }
    size_t count = 0;
    for (const pid_t pid : *pids) {
      // From here on the pidfd names this process, whatever reuses its pid.
      const int pidfd = follow(pid);
      if (pid1_ || (polite && ::getpgid(pid) == programGroup)) {
        continue;  // reached by kill(-1) or with the program's process group
      }
      const auto send = [&](int sig) {
        return pidfd >= 0 ? sys::pidfdSendSignal(pidfd, sig) : sys::kill(pid, sig);
      };
      if (auto st = send(signo); st) {
        ++count;
        if (polite) {
          (void)send(SIGCONT);
        }
      } else if (st.error().code != ESRCH) {
        spdlog::error("{}", st.error().message);
      }
    }
    return count;
  }

  /// Takes the exits that the epoll set reports; true while a followed process is left.
  bool anyFollowedLeft() {
    if (!epoll_) {
      return false;
    }
    epoll_event events[16];
    for (;;) {
      const int n = sys::epollWait(epoll_.get(), events, 16, 0);
      if (n <= 0) {
        break;
      }
      for (int i = 0; i < n; ++i) {
        const auto it = followed_.find(static_cast<pid_t>(events[i].data.u64));
        if (it != followed_.end()) {
          (void)::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, it->second.get(), nullptr);
          followed_.erase(it);
        }
      }
      if (n < 16) {
        break;
      }
    }
    return !followed_.empty();
  }

  void fillReport(ExitReport& report) {
    report.observedCgroup = cg_.path();
    if (pidsEvents_) {
      if (auto kv = readKeyValuesFd(pidsEvents_.get()); kv) {
        const auto it = kv->find("max");
        report.forkRejections = it == kv->end() ? 0 : it->second;
      } else {
        warnOnce(pidsWarned_, "pids.events", kv.error());
      }
      if (auto peak = cg_.read("pids.peak"); peak) {
        if (const auto v = parseCounter(*peak)) {
          report.pidsPeak = *v;
        }
      }
    }
    if (memoryEvents_) {
      if (auto kv = readKeyValuesFd(memoryEvents_.get()); kv) {
        const auto it = kv->find("oom_kill");
        report.oomKills = it == kv->end() ? 0 : it->second;
      } else {
        warnOnce(memoryWarned_, "memory.events", kv.error());
      }
    }
  }

 private:
  /// The counter file open for EPOLLPRI, and `key`'s value now (later rises are warned of); an
  /// empty fd when the file is not there (no such controller: skipped silently).
  UniqueFd openCounter(const char* file, const char* key, uint64_t& last) {
    if (!cg_.hasFile(file)) {
      return {};
    }
    auto fd = cg_.openFile(file);
    if (!fd) {
      spdlog::warn("{}; not watching it", fd.error().message);
      return {};
    }
    if (auto kv = readKeyValuesFd(fd->get()); kv) {
      if (const auto it = kv->find(key); it != kv->end()) {
        last = it->second;
      }
    }
    return std::move(*fd);
  }

  void warnOnce(bool& warned, const char* file, const Error& error) {
    if (!warned) {
      warned = true;
      spdlog::warn("reading {}/{}: {}; no longer reading it", cg_.path(), file, error.message);
    }
  }

  /// Adds `pid` to the epoll set (once), so that its exit wakes the drain. Returns its pidfd,
  /// or -1 when there is none.
  int follow(pid_t pid) {
    if (const auto it = followed_.find(pid); it != followed_.end()) {
      return it->second.get();
    }
    if (!epoll_) {
      return -1;
    }
    auto pidfd = sys::pidfdOpen(pid);
    if (!pidfd) {
      return -1;  // gone already (or no pidfd on this kernel: kill() still reaches it)
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = static_cast<uint64_t>(pid);  // the key of followed_
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, pidfd->get(), &ev) != 0) {
      spdlog::debug("{}", sysError("epoll_ctl", "pidfd of " + std::to_string(pid)).message);
      return -1;
    }
    return followed_.emplace(pid, std::move(*pidfd)).first->second.get();
  }

  Cgroup cg_;
  bool pid1_;
  pid_t self_ = 0;
  UniqueFd epoll_;
  UniqueFd pidsEvents_;
  UniqueFd memoryEvents_;
  uint64_t lastPids_ = 0;
  uint64_t lastOom_ = 0;
  RateLimit pidsRate_;
  RateLimit oomRate_;
  bool pidsWarned_ = false;
  bool memoryWarned_ = false;
  bool procsWarned_ = false;
  bool ancestorsKnown_ = false;
  std::vector<pid_t> ancestors_;
  std::vector<pid_t> signalled_;        // sorted: members that got the polite signal
  std::map<pid_t, UniqueFd> followed_;  // a pidfd per member signalled, until it exits
};

// ---------------------------------------------------------------------------------------------
// Plain processes.

class ProcessWorkload final : public Workload {
 public:
  ProcessWorkload(bool pid1, pid_t program, std::optional<Cgroup> observed)
      : pid1_(pid1), program_(program) {
    if (observed) {
      observed_.emplace(std::move(*observed), pid1);
    }
  }

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
    // Processes that joined the cgroup from outside (docker exec, kubectl exec): no children.
    if (observed_) {
      count += observed_->signalMembers(signo, program_);
    }
    return count;
  }

  void killAll() override {
    phase_ = SIGKILL;
    killing_ = true;
    if (observed_) {
      (void)observed_->signalMembers(SIGKILL, program_);
    }
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

  Readiness readiness() const override {
    if (observed_ && observed_->epollFd() >= 0) {
      return {observed_->epollFd(), EPOLLIN};  // a followed member exited
    }
    return {};
  }

  Liveness refresh() override {
    // Members of the observed cgroup that are not cginit's children: newcomers get what the
    // others got; the drain waits for those that were signalled.
    bool membersLeft = false;
    if (observed_ && phase_) {
      (void)observed_->signalMembers(*phase_, program_);
      membersLeft = observed_->anyFollowedLeft();
    }
    // Without a managed cgroup, "no child left" is the only sign that all are gone.
    auto left = sys::anyChildLeft();
    if (!left) {
      spdlog::error("{}", left.error().message);
      return Liveness::Populated;
    }
    if (!*left) {
      return membersLeft ? Liveness::Populated : Liveness::Empty;
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

  std::vector<Readiness> eventFds() const override {
    return observed_ ? observed_->eventFds() : std::vector<Readiness>{};
  }
  bool onEvent(int fd) override { return observed_ ? observed_->onEvent(fd) : false; }

  void fillReport(ExitReport& report) override {
    report.killed += killed_;
    if (observed_) {
      observed_->fillReport(report);
    }
  }
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
  std::optional<ObservedCgroup> observed_;
};

// ---------------------------------------------------------------------------------------------
// The managed cgroup tree.

class ManagedWorkload final : public Workload {
 public:
  ManagedWorkload(CgroupTree tree, bool guardTampering) : tree_(std::move(tree)) {
    if (guardTampering) {
      if (auto guard = TamperGuard::create(tree_); guard) {
        guard_ = std::move(*guard);
      } else {
        spdlog::warn("{}; changes to the limits are not undone", guard.error().message);
      }
    }
  }

  void forwardToAll(int signo) override {
    auto n = tree_.signalWorkload(signo);
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
    report.killed += tree_.killedBySweep();
    report.escaped = tree_.escaped();
    report.tampered = guard_ ? guard_->tampered() : 0;
  }

  void teardown() override {
    if (auto st = tree_.remove(); !st) {
      spdlog::warn("removing cgroups: {}", st.error().message);
    }
  }

 private:
  CgroupTree tree_;
  std::unique_ptr<TamperGuard> guard_;  // watches tree_: declared after it
  std::optional<int> phase_;            // the signal of the drain step under way
  uint64_t lastPidsEvents_ = 0;
  RateLimit pidsWarning_;
};

}  // namespace

std::unique_ptr<Workload> makeProcessWorkload(bool pid1, pid_t program,
                                              std::optional<Cgroup> observed) {
  return std::make_unique<ProcessWorkload>(pid1, program, std::move(observed));
}

std::optional<Cgroup> openObservedCgroup() {
  const OwnCgroup own = discoverOwnCgroup();
  if (!own.directory) {
    return std::nullopt;
  }
  auto cg = Cgroup::open(*own.directory);
  if (!cg) {
    spdlog::debug("not observing a cgroup: {}", cg.error().message);
    return std::nullopt;
  }
  // Never the root of the whole hierarchy: its cgroup.procs lists every process of the machine.
  if (auto st = checkManageable(*cg); !st) {
    spdlog::debug("not observing a cgroup: {}", st.error().message);
    return std::nullopt;
  }
  return std::move(*cg);
}

std::unique_ptr<Workload> makeManagedWorkload(CgroupTree tree, bool guardTampering) {
  return std::make_unique<ManagedWorkload>(std::move(tree), guardTampering);
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
