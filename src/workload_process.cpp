// SPDX-License-Identifier: MIT
// The plain-process backend: the program's process group, cginit's children, kill(-1) as PID 1.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include <spdlog/spdlog.h>

#include "cginit/proc.h"
#include "cginit/sys.h"

#include "workload_backends.h"

namespace cginit {

namespace backend {

ProcessWorkload::ProcessWorkload(bool pid1, pid_t program)
    : pid1_(pid1), program_(program), signalled_(::getpid()) {}

void ProcessWorkload::forwardToAll(int signo) {
  if (!groupFallbackWarned_) {
    spdlog::warn("--forward cgroup without a managed cgroup: forwarding to the process group");
    groupFallbackWarned_ = true;
  }
  forwardToGroup(program_, signo);
}

bool ProcessWorkload::reachedByGroup(pid_t pid) const {
  return phase_ && *phase_ != SIGKILL && ::getpgid(pid) == program_;
}

size_t ProcessWorkload::signalLeftovers(int signo) {
  phase_ = signo;
  blind_ = false;
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

void ProcessWorkload::killAll() {
  phase_ = SIGKILL;
  killing_ = true;
  blind_ = false;
  signalled_.clear();  // the polite signal's set: every child gets SIGKILL
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

Liveness ProcessWorkload::refresh() {
  blind_ = false;
  // Without a managed cgroup, "no child left" is the only sign that all are gone.
  auto left = sys::anyChildLeft();
  if (!left) {
    spdlog::error("{}", left.error().message);
    blind_ = true;
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

void ProcessWorkload::reaped(pid_t pid, int status) {
  // Its pid may now be reused by a new child, which has not had the stop signal.
  signalled_.forget(pid);
  if (pid == program_) {
    programReaped_ = true;
  } else if (killing_ && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) {
    ++killed_;
  }
}

void ProcessWorkload::fillReport(ExitReport& report) {
  report.killed += killed_;
}

size_t ProcessWorkload::signalChildren(int signo) {
  PidSource source;
  source.list = []() -> Result<std::vector<pid_t>> {
    auto children = listChildren();
    if (children) {
      std::sort(children->begin(), children->end());
    }
    return children;
  };
  // A member of the program's process group got the polite signal with the group.
  source.reachedOtherwise = [this](pid_t pid) { return reachedByGroup(pid); };
  // No reaping happens while it lists, so every listed pid is still the child it was (a zombie
  // at worst): kill() cannot hit a stranger that reused a pid.
  auto sent = signalled_.signalNew(source, signo, signo != SIGKILL);
  if (!sent) {
    // EMFILE or ENOMEM, say: the supervisor refreshes again after a while.
    blind_ = true;
    if (!std::exchange(childrenWarned_, true)) {
      spdlog::warn("listing cginit's children: {}; trying again", sent.error().message);
    }
    return 0;
  }
  return sent->signalled;
}

}  // namespace backend

std::unique_ptr<Workload> makeProcessWorkload(bool pid1, pid_t program) {
  return std::make_unique<backend::ProcessWorkload>(pid1, program);
}

}  // namespace cginit
