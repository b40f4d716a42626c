// SPDX-License-Identifier: MIT
// The state machine of cginit: start the program, route signals, reap, drain, report.
#include "cginit/supervisor.h"

#include <sys/epoll.h>
#include <sys/reboot.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>

#include <spdlog/spdlog.h>

#include "cginit/duration.h"
#include "cginit/process_attrs.h"
#include "cginit/reaper.h"
#include "cginit/signal_names.h"
#include "cginit/sys.h"
#include "cginit/text.h"
#include "cginit/workload.h"

namespace cginit {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

/// How long cginit waits for the kernel to finish a SIGKILL / cgroup.kill before it gives up.
constexpr milliseconds kKillWait{5000};
/// How long cginit waits for the zombies of a drained cgroup to become reapable.
constexpr milliseconds kReapWait{1000};
/// How soon the drain looks again at what it could not watch, at first and at most.
constexpr milliseconds kRetryMin{10};
constexpr milliseconds kRetryMax{250};

std::string describeStatus(int status) {
  if (WIFSIGNALED(status)) {
    return "killed by " + signalName(WTERMSIG(status));
  }
  return "exited with status " + std::to_string(WEXITSTATUS(status));
}

}  // namespace

Supervisor::Supervisor(Options options, std::vector<std::string> programArgv)
    : options_(std::move(options)),
      argv_(std::move(programArgv)),
      router_(options_.rewrite, options_.stopSignal) {}

Supervisor::~Supervisor() = default;

Status Supervisor::prepare() {
  pid1_ = isPid1();
  if (auto limit = raiseFileLimit(); !limit) {
    spdlog::warn("{}: keeping the soft limit of open files", limit.error().message);
  } else if (limit->rlim_cur != limit->rlim_max) {
    inheritedFileLimit_ = *limit;
  }
  if (!pid1_) {
    if (options_.subreaper) {
      if (auto st = setChildSubreaper(); !st) {
        return st;
      }
    } else if (auto already = isChildSubreaper(); !already || !*already) {
      // A starter may have made cginit a subreaper before its exec (tini's tests do).
      if (!already) {
        spdlog::debug("{}", already.error().message);
      }
      spdlog::warn(
          "cginit is not PID 1 and not a child subreaper: orphans will not be re-parented to it "
          "and cannot be reaped; use -s or TINI_SUBREAPER=1, or run it as PID 1");
    }
  }
  if (options_.pdeathsig) {
    if (auto st = setParentDeathSignal(*options_.pdeathsig); !st) {
      return st;
    }
  }
  // What the program gets back before its exec: the state cginit was started with.
  auto inherited = currentSignalState();
  if (!inherited) {
    return std::move(inherited).error();
  }
  inheritedSignals_ = *inherited;
  const sigset_t mask = handledSignals();
  if (auto st = blockSignals(mask); !st) {
    return st;
  }
  if (auto st = takeIgnoredSignals(inheritedSignals_.ignored, mask); !st) {
    return st;
  }
  auto sfd = SignalFd::open(mask);
  if (!sfd) {
    return std::move(sfd).error();
  }
  signalFd_.emplace(std::move(*sfd));
  auto loop = EventLoop::create();
  if (!loop) {
    return std::move(loop).error();
  }
  loop_ = std::move(*loop);

  if (options_.cgroupMode != CgroupMode::Off) {
    CgroupRequest request;
    const bool required = options_.cgroupMode == CgroupMode::Required;
    request.strict = required;
    if (options_.pidsMax) {
      request.pidsMax = options_.pidsMax->str();
    }
    for (const Limit& limit : options_.limits) {
      request.limits.emplace_back(limit.file, limit.value);
    }
    auto tree = CgroupTree::setup(request);
    if (!tree) {
      // Why it cannot manage: exit 2 when the user required it, else one warning.
      Error err = std::move(tree).error();
      if (required) {
        err.usage = true;
        return std::move(err).context("--cgroup required");
      }
      spdlog::warn("not managing a cgroup, running without one: {}", err.message);
      observed_ = openObservedCgroup();
    } else {
      tree_.emplace(std::move(*tree));
      if (!options_.workloadCgroupns) {
        spdlog::info(
            "--workload-cgroupns=false: the program sees the whole cgroup tree, and a root program "
            "can change its limits and leave workload/ (cginit undoes each change)");
      } else if (!tree_->nsdelegate()) {
        spdlog::warn(
            "cgroup2 is mounted without nsdelegate: a root program can change its limits and "
            "leave workload/, and cginit only undoes each change (the host mounts cgroup2 with "
            "nsdelegate to prevent it; systemd does)");
      }
    }
  }
  return {};
}

Status Supervisor::startProgram(int& execExit) {
  SpawnRequest request;
  request.argv = argv_;
  request.signals = inheritedSignals_;
  request.fileLimit = inheritedFileLimit_;
  if (tree_) {
    request.cgroupFd = tree_->workloadDirFd();
    request.placeInCgroup = [this](pid_t pid) { return tree_->movePidToWorkload(pid); };
    request.newCgroupNs = options_.workloadCgroupns;
  }
  auto spawned = spawnProgram(request);
  if (!spawned) {
    if (tree_) {
      (void)tree_->remove();
    }
    return std::move(spawned).error().context("starting " + escaped(argv_[0]));
  }
  const std::string where = tree_ ? " in " + tree_->workloadPath() : std::string();
  if (tree_) {  // unmanaged: null, nothing cginit set to enforce
    report_.enforced = spawned->cgroupNs && tree_->nsdelegate();
  }
  if (tree_) {
    // Where the kernel cannot refuse the program changes to its limits, cginit undoes them.
    workload_ = makeManagedWorkload(*std::exchange(tree_, std::nullopt), !*report_.enforced);
  } else if (observed_) {
    workload_ = makeObservedWorkload(pid1_, spawned->child.pid, *std::exchange(observed_, {}));
  } else {
    workload_ = makeProcessWorkload(pid1_, spawned->child.pid);
  }
  if (spawned->execErrno != 0) {
    execExit = exitCodeForExecErrno(spawned->execErrno);
    spdlog::error("{}", errnoError(spawned->execErrno, "exec", argv_[0]).message);
    return {};
  }
  child_ = std::move(spawned->child);
  report_.mainPid = child_.pid;
  spdlog::info("started {} as pid {}{}", escaped(argv_[0]), child_.pid, where);
  return {};
}

Result<int> Supervisor::run() {
  started_ = steady_clock::now();
  if (auto st = prepare(); !st) {
    return std::move(st).error();
  }
  int execExit = 0;
  if (auto st = startProgram(execExit); !st) {
    return std::move(st).error();
  }
  if (execExit != 0) {
    report_.exitCode = execExit;
    return finish();
  }

  // From here on the PID 1 rule holds: errors are logged and the loop goes on.
  state_ = State::Running;
  if (auto st = loop_->watch(signalFd_->fd(), EPOLLIN, [this](uint32_t) { onSignals(); }); !st) {
    spdlog::error("watching signals: {}", st.error().message);
  }
  for (const Readiness& r : workload_->eventFds()) {
    const int fd = r.fd;
    auto st = loop_->watch(fd, r.events, [this, fd](uint32_t) {
      if (!workload_->onEvent(fd)) {
        loop_->unwatch(fd);
      }
    });
    if (!st) {
      spdlog::warn("watching the workload's counters: {}", st.error().message);
    }
  }
  // SIGCHLD was blocked before the program started, so an exit that came before these watches
  // is queued in the signalfd, which is level-triggered: the first epoll_wait reports it.
  if (auto st = loop_->run(); !st) {
    // Only a broken epoll fd gets here; spinning on it would be worse than ending. Leave nothing
    // running behind, and do not report success for a program whose status is unknown.
    spdlog::error("event loop: {}", st.error().message);
    if (!mainStatus_) {
      killEverything();
      report_.exitCode = 1;
    }
  }
  return finish();
}

void Supervisor::onSignals() {
  std::array<signalfd_siginfo, 8> buffer;
  for (;;) {
    auto got = signalFd_->read(buffer);
    if (!got) {
      spdlog::error("{}", got.error().message);
      return;
    }
    for (const signalfd_siginfo& info : *got) {
      handleSignal(static_cast<int>(info.ssi_signo));
    }
    // A read that did not fill the buffer emptied the queue: a read that could only return
    // EAGAIN would be one more system call per wake-up. A signal arriving now wakes epoll again.
    if (got->size() < buffer.size()) {
      return;
    }
  }
}

void Supervisor::handleSignal(int signo) {
  const Routing r = router_.route(signo);
  if (r.childEvent) {
    reapChildren();
    return;
  }
  if (state_ == State::Draining) {
    if (SignalRouter::endsGrace(signo) && !killTimer_) {
      spdlog::info("{} during drain: ending the grace period", signalName(signo));
      onGraceOver();
    } else {
      spdlog::debug("{} during drain: ignored", signalName(signo));
    }
    return;
  }
  if (state_ != State::Running) {
    return;
  }
  reboot_ = reboot_ || r.reboot;
  spdlog::debug("received {}, forwarding {}", signalName(signo), signalName(r.deliver));
  forward(r.deliver);
  if (r.stopRequest && options_.stopTimeout && !stopTimer_) {
    stopTimer_ = loop_->addTimer(*options_.stopTimeout, [this] { onStopTimeout(); });
  }
}

void Supervisor::forward(int signo) {
  ++report_.forwarded[signo];
  switch (options_.forward) {
    case ForwardTarget::Child:
      forwardToProgram(child_, signo);
      return;
    case ForwardTarget::Cgroup:
      workload_->forwardToAll(signo);
      return;
    case ForwardTarget::Group:
      forwardToGroup(child_.pid, signo);
      return;
  }
}

void Supervisor::onReaped(pid_t pid, int status) {
  workload_->reaped(pid, status);
  if (pid == child_.pid) {
    mainStatus_ = status;
    spdlog::info("{} (pid {}) {}", escaped(argv_[0]), pid, describeStatus(status));
    return;
  }
  ++report_.reaped;
  if (options_.warnOnReap) {
    spdlog::warn("reaped zombie pid {} ({})", pid, describeStatus(status));
  } else {
    spdlog::debug("reaped zombie pid {} ({})", pid, describeStatus(status));
  }
}

void Supervisor::reapChildren() {
  if (killTimer_ && drainWatched_ && !workload_->refreshAfterReap()) {
    // Killing, and the cgroup's events say when it is empty: each waitpid() of a reap per
    // SIGCHLD wake-up scans every child still alive (5,000 orphans dying of cgroup.kill: most of
    // the time beyond the grace period). finish() reaps them in one pass, each found at once.
    return;
  }
  auto none = reapAll([this](pid_t pid, int status) { onReaped(pid, status); });
  if (!none) {
    spdlog::error("{}", none.error().message);
  }
  if (mainStatus_ && child_.pidfd) {
    child_.pidfd.reset();  // the pid may be reused from now on: signals go nowhere
  }
  if (state_ == State::Running && mainStatus_) {
    startDrain();
  } else if (state_ == State::Draining && (!drainWatched_ || workload_->refreshAfterReap())) {
    // Where the readiness fd covers everything (cgroup.events), a refresh per SIGCHLD would
    // re-read the whole tree once per batch of orphans: at N = 1,000 daemons dying of
    // SIGTERM, 23 system calls per process instead of 5.
    checkDrained();
  }
}

void Supervisor::onStopTimeout() {
  stopTimer_.reset();
  if (state_ != State::Running) {
    return;
  }
  spdlog::warn(
      "the program did not exit within --stop-timeout {} of a stop request: killing the "
      "workload",
      formatDuration(*options_.stopTimeout));
  killEverything();
}

void Supervisor::killEverything() {
  workload_->killAll();
}

void Supervisor::startDrain() {
  state_ = State::Draining;
  if (stopTimer_) {
    loop_->cancelTimer(*stopTimer_);
    stopTimer_.reset();
  }
  // Armed first: the grace period counts from the program's exit, as the engine's own stop
  // timeout does, and signalling thousands of processes takes part of it instead of adding to it.
  graceTimer_ = loop_->addTimer(options_.grace, [this] {
    graceTimer_.reset();
    onGraceOver();
  });
  // The count says what was really sent: processes, or (without a cgroup) a group or kill(-1).
  if (const size_t sent = workload_->signalLeftovers(options_.stopSignal); sent > 0) {
    spdlog::info("drain: sent {} to what is left ({} delivered); grace period {}",
                 signalName(options_.stopSignal), sent, formatDuration(options_.grace));
    report_.drain = DrainOutcome::Clean;
  }
  if (const Readiness r = workload_->readiness(); r.fd >= 0) {
    if (auto st = loop_->watch(r.fd, r.events, [this](uint32_t) { checkDrained(); }); st) {
      drainWatched_ = true;
    } else {
      spdlog::error("watching the workload: {}", st.error().message);
    }
  }
  checkDrained();
}

void Supervisor::checkDrained() {
  const Liveness liveness = workload_->refresh();
  if (liveness == Liveness::Broken) {
    // Stop watching; the grace and kill timers end the drain.
    if (const int fd = workload_->readiness().fd; fd >= 0 && drainWatched_) {
      loop_->unwatch(fd);
      drainWatched_ = false;
    }
    return;
  }
  if (state_ != State::Draining) {
    return;
  }
  if (liveness == Liveness::Empty) {
    finishDrain();
    return;
  }
  // Something left cannot wake the loop (a list that failed for lack of fds or memory, more
  // processes than are followed): look again after a while, backing off to kRetryMax.
  if (!workload_->blind()) {
    retryDelay_ = kRetryMin;
  } else if (!retryTimer_) {
    retryTimer_ = loop_->addTimer(retryDelay_, [this] {
      retryTimer_.reset();
      checkDrained();
    });
    retryDelay_ = std::min(retryDelay_ * 2, kRetryMax);
  }
}

void Supervisor::onGraceOver() {
  if (graceTimer_) {
    loop_->cancelTimer(*graceTimer_);
    graceTimer_.reset();
  }
  if (state_ != State::Draining || killTimer_) {
    return;
  }
  report_.drain = DrainOutcome::Killed;
  spdlog::warn("drain: grace period {} is over; killing what is left",
               formatDuration(options_.grace));
  killEverything();
  killTimer_ = loop_->addTimer(kKillWait, [this] {
    spdlog::error("drain: processes are still left {} after the kill", formatDuration(kKillWait));
    state_ = State::Done;
    loop_->stop();
  });
  checkDrained();
}

void Supervisor::finishDrain() {
  if (state_ != State::Draining) {
    return;
  }
  state_ = State::Done;
  for (auto* timer : {&graceTimer_, &retryTimer_}) {
    if (*timer) {
      loop_->cancelTimer(**timer);
      timer->reset();
    }
  }
  if (const int fd = workload_->readiness().fd; fd >= 0) {
    loop_->unwatch(fd);
  }
  loop_->stop();
}

int Supervisor::finish() {
  // Zombies of a drained cgroup may become reapable a moment after cgroup.events says empty
  // (the kernel leaves the cgroup before it notifies the parent): reap them, bounded. SIGCHLD is
  // blocked, so one that arrives between reapAll() and sigtimedwait() stays pending: no lost
  // wake-up.
  if (workload_ && workload_->zombiesMayLag() && report_.mainPid > 0) {
    const auto deadline = steady_clock::now() + kReapWait;
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    for (;;) {
      auto none = reapAll([this](pid_t pid, int status) { onReaped(pid, status); });
      const auto left =
          std::chrono::duration_cast<std::chrono::nanoseconds>(deadline - steady_clock::now());
      if (!none || *none || left.count() <= 0) {
        break;
      }
      timespec ts{static_cast<time_t>(left.count() / 1000000000),
                  static_cast<long>(left.count() % 1000000000)};
      ::sigtimedwait(&chld, nullptr, &ts);
    }
  }
  if (workload_) {
    workload_->fillReport(report_);
    workload_->teardown();
  }
  if (mainStatus_) {
    report_.exitCode = exitCodeFromStatus(*mainStatus_);
    if (WIFSIGNALED(*mainStatus_)) {
      report_.signal = WTERMSIG(*mainStatus_);
    }
  }
  int code = report_.exitCode;
  if (std::binary_search(options_.remapExit.begin(), options_.remapExit.end(), code)) {
    spdlog::debug("exit status {} remapped to 0", code);
    code = 0;
  }
  report_.durationMs =
      std::chrono::duration_cast<milliseconds>(steady_clock::now() - started_).count();
  if (options_.reportPath) {
    if (auto st = writeReport(report_, *options_.reportPath); !st) {
      spdlog::error("writing the report: {}", st.error().message);
    }
  }
  if (reboot_ && pid1_) {
    // In a PID namespace this ends the namespace's init as if killed by SIGHUP, which tells the
    // container manager (systemd-nspawn) to start the guest again.
    spdlog::info("reboot requested: rebooting the container");
    ::sync();
    if (::reboot(RB_AUTOBOOT) < 0) {
      spdlog::error("{}", sysError("reboot", "RB_AUTOBOOT").message);
    }
  }
  return code;
}

}  // namespace cginit
