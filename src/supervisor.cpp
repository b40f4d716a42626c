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

namespace cginit {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

/// How long cginit waits for the kernel to finish a SIGKILL / cgroup.kill before it gives up.
constexpr milliseconds kKillWait{5000};
/// How long cginit waits for the zombies of a drained cgroup to become reapable.
constexpr milliseconds kReapWait{1000};

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
  if (!pid1_) {
    if (options_.subreaper) {
      if (auto st = setChildSubreaper(); !st) {
        return st;
      }
    } else {
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
  const sigset_t mask = handledSignals();
  if (auto st = blockSignals(mask); !st) {
    return st;
  }
  if (auto st = keepChildExitStatus(); !st) {
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
    request.required = options_.cgroupMode == CgroupMode::Required;
    if (options_.pidsMax) {
      request.pidsMax = options_.pidsMax->str();
    }
    for (const Limit& limit : options_.limits) {
      request.limits.emplace_back(limit.file, limit.value);
    }
    auto tree = CgroupTree::setup(request);
    if (!tree) {
      Error err = std::move(tree).error();
      if (request.required) {
        err.usage = true;  // --cgroup required that cannot be met is exit 2
        return std::move(err).context("--cgroup required");
      }
      spdlog::warn("not managing a cgroup: {}", err.message);
    } else if (*tree) {
      cgroup_.emplace(std::move(**tree));
      report_.cgroup = cgroup_->rootPath();
      report_.pidsMax = cgroup_->pidsMaxWritten();
    }
  }
  return {};
}

Status Supervisor::startProgram(int& execExit) {
  SpawnRequest request;
  request.argv = argv_;
  if (cgroup_) {
    request.cgroupFd = cgroup_->workloadDirFd();
    request.placeInCgroup = [this](pid_t pid) { return cgroup_->movePidToWorkload(pid); };
  }
  auto spawned = spawnProgram(request);
  if (!spawned) {
    return std::move(spawned).error().context("starting " + escaped(argv_[0]));
  }
  if (spawned->execErrno != 0) {
    execExit = exitCodeForExecErrno(spawned->execErrno);
    spdlog::error("{}", errnoError(spawned->execErrno, "exec", argv_[0]).message);
    return {};
  }
  child_ = std::move(spawned->child);
  report_.mainPid = child_.pid;
  spdlog::info("started {} as pid {}{}", escaped(argv_[0]), child_.pid,
               cgroup_ ? " in " + cgroup_->workloadPath() : std::string());
  return {};
}

Result<int> Supervisor::run() {
  started_ = steady_clock::now();
  if (auto st = prepare(); !st) {
    return std::move(st).error();
  }
  int execExit = 0;
  if (auto st = startProgram(execExit); !st) {
    if (cgroup_) {
      (void)cgroup_->remove();
    }
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
  if (cgroup_ && cgroup_->pidsEventsFd() >= 0) {
    auto st = loop_->watch(cgroup_->pidsEventsFd(), EPOLLPRI, [this](uint32_t) { onPidsEvent(); });
    if (!st) {
      spdlog::warn("watching pids.events: {}", st.error().message);
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
    if (SignalRouter::endsGrace(signo) && graceTimer_) {
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
    auto timer = loop_->addTimer(*options_.stopTimeout, [this] { onStopTimeout(); });
    if (timer) {
      stopTimer_ = *timer;
    } else {
      spdlog::error("arming --stop-timeout: {}", timer.error().message);
    }
  }
}

void Supervisor::forward(int signo) {
  ++report_.forwarded[signo];
  switch (options_.forward) {
    case ForwardTarget::Child: {
      Status st = child_.pidfd
                      ? sys::pidfdSendSignal(child_.pidfd.get(), signo)
                      : (::kill(child_.pid, signo) < 0 ? Status(sysError("kill")) : Status());
      if (!st) {
        if (st.error().code == ESRCH) {
          spdlog::warn("the program was gone when forwarding {}", signalName(signo));
        } else {
          spdlog::error("forwarding {} to pid {}: {}", signalName(signo), child_.pid,
                        st.error().message);
        }
      }
      return;
    }
    case ForwardTarget::Cgroup:
      if (cgroup_) {
        auto n = cgroup_->signalWorkload(signo);
        if (!n) {
          spdlog::error("forwarding {} to the workload cgroup: {}", signalName(signo),
                        n.error().message);
        } else {
          spdlog::debug("forwarded {} to {} process(es) of the workload", signalName(signo), *n);
        }
        return;
      }
      if (!groupFallbackWarned_) {
        spdlog::warn("--forward cgroup without a managed cgroup: forwarding to the process group");
        groupFallbackWarned_ = true;
      }
      sendToGroup(signo);
      return;
    case ForwardTarget::Group:
      sendToGroup(signo);
      return;
  }
}

void Supervisor::sendToGroup(int signo) {
  if (::kill(-child_.pid, signo) < 0) {
    if (errno == ESRCH) {
      spdlog::warn("the program's process group was gone when forwarding {}", signalName(signo));
    } else {
      spdlog::error("{}", sysError("kill", "process group " + std::to_string(child_.pid)).message);
    }
  }
}

void Supervisor::onReaped(pid_t pid, int status) {
  // Its pid may now be reused by a new child, which has not had the stop signal.
  std::erase(drainSignalled_, pid);
  if (pid == child_.pid) {
    mainStatus_ = status;
    spdlog::info("{} (pid {}) {}", escaped(argv_[0]), pid, describeStatus(status));
    return;
  }
  ++report_.reaped;
  if (killed_ && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL && !cgroup_) {
    ++report_.killed;
  }
  if (options_.warnOnReap) {
    spdlog::warn("reaped zombie pid {} ({})", pid, describeStatus(status));
  } else {
    spdlog::debug("reaped zombie pid {} ({})", pid, describeStatus(status));
  }
}

void Supervisor::reapChildren() {
  auto none = reapAll([this](pid_t pid, int status) { onReaped(pid, status); });
  if (!none) {
    spdlog::error("{}", none.error().message);
  }
  if (mainStatus_ && child_.pidfd) {
    child_.pidfd.reset();  // the pid may be reused from now on: signals go nowhere
  }
  if (state_ == State::Running && mainStatus_) {
    startDrain(none && *none);
  } else if (state_ == State::Draining && none && !cgroup_) {
    if (*none) {
      finishDrain();  // without a cgroup, "no child left" is the only sign that all are gone
    } else if (!pid1_) {
      // A child that died may have left children of its own, now re-parented to cginit: they
      // get what the others got.
      signalChildren(report_.drain == DrainOutcome::Killed ? SIGKILL : options_.stopSignal);
    }
  }
}

void Supervisor::onPidsEvent() {
  auto events = cgroup_->pidsMaxEvents();
  if (!events) {
    // The watch is level-triggered: an fd that keeps failing (workload/ removed under us) would
    // wake the loop forever. Stop watching; the final count is read again at exit.
    spdlog::warn("reading pids.events: {}; no longer watching it", events.error().message);
    loop_->unwatch(cgroup_->pidsEventsFd());
    return;
  }
  if (*events <= lastPidsEvents_) {
    return;
  }
  lastPidsEvents_ = *events;
  const auto now = steady_clock::now();
  if (now - lastPidsWarning_ >= std::chrono::seconds(1)) {
    lastPidsWarning_ = now;
    spdlog::warn("fork refused: workload reached pids.max={} ({} refusal(s) so far)",
                 options_.pidsMax ? options_.pidsMax->str() : "?", *events);
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
  if (cgroup_) {
    if (auto pids = cgroup_->workloadPids(); pids) {
      report_.killed += pids->size();
    }
    if (auto st = cgroup_->killWorkload(); !st) {
      spdlog::error("killing the workload: {}", st.error().message);
    }
    return;
  }
  killed_ = true;
  if (pid1_) {
    // From PID 1 of a namespace, kill(-1) reaches every other process in it.
    if (::kill(-1, SIGKILL) < 0 && errno != ESRCH) {
      spdlog::error("{}", sysError("kill", "-1").message);
    }
    return;
  }
  if (::kill(-child_.pid, SIGKILL) < 0 && errno != ESRCH) {
    spdlog::error("{}", sysError("kill", "process group " + std::to_string(child_.pid)).message);
  }
  if (!mainStatus_) {
    ::kill(child_.pid, SIGKILL);
  }
  signalChildren(SIGKILL);
}

size_t Supervisor::signalChildren(int signo) {
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
  // No reaping happens in this loop, so every listed pid is still the child it was (a zombie at
  // worst): kill() cannot hit a stranger that reused a pid.
  size_t count = 0;
  for (const pid_t pid : *children) {
    if (signo != SIGKILL) {
      if (std::find(drainSignalled_.begin(), drainSignalled_.end(), pid) != drainSignalled_.end()) {
        continue;  // once is enough for the polite signal
      }
      drainSignalled_.push_back(pid);
      if (::getpgid(pid) == child_.pid) {
        continue;  // a member of the program's process group, which got it with the group
      }
    }
    if (::kill(pid, signo) == 0) {
      ++count;
      if (signo != SIGKILL) {
        ::kill(pid, SIGCONT);
      }
    } else if (errno != ESRCH) {
      spdlog::error("{}", sysError("kill", std::to_string(pid)).message);
    }
  }
  return count;
}

bool Supervisor::signalLeftovers(int signo, bool childless) {
  if (cgroup_) {
    // SIGCONT goes with the stop signal in the same freeze, so that stopped processes can act on
    // it.
    auto n = cgroup_->signalWorkload(signo, true);
    if (!n) {
      spdlog::error("signalling the workload: {}", n.error().message);
      return true;
    }
    return *n > 0;
  }
  bool anyone = false;
  const pid_t target = pid1_ ? -1 : -child_.pid;
  if (::kill(target, signo) == 0) {
    anyone = true;
    ::kill(target, SIGCONT);  // so that stopped processes can act on the stop signal
  } else if (errno != ESRCH) {
    spdlog::error("{}", sysError("kill", std::to_string(target)).message);
  }
  // Not PID 1, kill(-1) is out of the question, and the process group misses the orphans that
  // called setsid: they are cginit's own children now.
  if (!pid1_ && !childless && signalChildren(signo) > 0) {
    anyone = true;
  }
  return anyone;
}

void Supervisor::startDrain(bool childless) {
  state_ = State::Draining;
  if (stopTimer_) {
    loop_->cancelTimer(*stopTimer_);
    stopTimer_.reset();
  }
  if (cgroup_) {
    if (auto st = cgroup_->adoptStrangers(); !st) {
      spdlog::warn("moving late processes into the workload: {}", st.error().message);
    }
    // After a clean exit workload/ is empty: nothing to freeze, signal or wait for.
    if (auto populated = cgroup_->workloadPopulated(); !populated) {
      spdlog::debug("drain: {}", populated.error().message);
    } else if (!*populated) {
      spdlog::debug("drain: {} is empty", cgroup_->workloadPath());
      finishDrain();
      return;
    }
  }
  const bool anyone = signalLeftovers(options_.stopSignal, childless);
  if (anyone) {
    spdlog::info("drain: sent {} to what is left; grace period {}", signalName(options_.stopSignal),
                 formatDuration(options_.grace));
    report_.drain = DrainOutcome::Clean;
  }
  if (!cgroup_ && childless) {
    // Without a cgroup, drain waits for cginit's children only, and there are none.
    finishDrain();
    return;
  }
  if (cgroup_) {
    auto st =
        loop_->watch(cgroup_->workloadEventsFd(), EPOLLPRI, [this](uint32_t) { checkDrained(); });
    if (!st) {
      spdlog::error("watching cgroup.events: {}", st.error().message);
    }
  }
  auto timer = loop_->addTimer(options_.grace, [this] {
    graceTimer_.reset();
    onGraceOver();
  });
  if (timer) {
    graceTimer_ = *timer;
  } else {
    spdlog::error("arming the grace timer: {}", timer.error().message);
  }
  checkDrained();
}

void Supervisor::checkDrained() {
  if (cgroup_) {
    // Read first, whatever the state: the read through the watched fd is what re-arms EPOLLPRI.
    auto populated = cgroup_->workloadPopulated();
    if (!populated) {
      // Level-triggered as above: stop watching, and let the grace and kill timers end the drain.
      spdlog::error("reading cgroup.events: {}; no longer watching it", populated.error().message);
      loop_->unwatch(cgroup_->workloadEventsFd());
      return;
    }
    if (state_ == State::Draining && !*populated) {
      finishDrain();
    }
    return;
  }
  if (state_ == State::Draining) {
    reapChildren();
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
  auto timer = loop_->addTimer(kKillWait, [this] {
    spdlog::error("drain: processes are still left {} after the kill", formatDuration(kKillWait));
    state_ = State::Done;
    loop_->stop();
  });
  if (timer) {
    killTimer_ = *timer;
  }
  checkDrained();
}

void Supervisor::finishDrain() {
  if (state_ != State::Draining) {
    return;
  }
  state_ = State::Done;
  if (cgroup_) {
    loop_->unwatch(cgroup_->workloadEventsFd());
  }
  loop_->stop();
}

int Supervisor::finish() {
  // Zombies of a drained cgroup may become reapable a moment after cgroup.events says empty
  // (the kernel leaves the cgroup before it notifies the parent): reap them, bounded. SIGCHLD is
  // blocked, so one that arrives between reapAll() and sigtimedwait() stays pending: no lost
  // wake-up.
  if (cgroup_ && report_.mainPid > 0) {
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
  if (cgroup_) {
    if (auto v = cgroup_->pidsPeak(); v) {
      report_.pidsPeak = *v;
    }
    if (auto v = cgroup_->pidsMaxEvents(); v && cgroup_->pidsEventsFd() >= 0) {
      report_.forkRejections = *v;
    }
    if (auto v = cgroup_->oomKills(); v) {
      report_.oomKills = *v;
    }
    if (auto st = cgroup_->remove(); !st) {
      spdlog::warn("removing cgroups: {}", st.error().message);
    }
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
