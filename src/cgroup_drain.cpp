// SPDX-License-Identifier: MIT
// CgroupTree's drain of the whole root: cginit kept out of every target, strangers, the sweep.
#include <signal.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <utility>

#include <spdlog/spdlog.h>

#include "cginit/cgroup_tree.h"
#include "cginit/proc.h"

#include "cgroup_tree_helpers.h"

namespace cginit {

namespace {

using namespace tree_detail;  // NOLINT: this module's private helpers

void insertSorted(std::vector<pid_t>& set, pid_t pid) {
  const auto it = std::lower_bound(set.begin(), set.end(), pid);
  if (it == set.end() || *it != pid) {
    set.insert(it, pid);
  }
}

}  // namespace

bool CgroupTree::ensureSelfInInit() {
  auto where = currentCgroup(procSelfCgroup_);
  if (where && !selfCgroup_.empty() && *where == selfCgroup_) {
    return true;
  }
  if (!where || selfCgroup_.empty()) {
    if (std::exchange(selfUnknownWarned_, true)) {
      return false;  // said once; each sweep asks again
    }
    spdlog::warn(
        "cannot tell from {} whether cginit is still in init/: no cgroup is frozen or "
        "killed as a whole",
        procSelfCgroup_);
    return false;
  }
  // The workload wrote cginit's pid into a cgroup.procs (17.1): freezing or killing that cgroup
  // would stop or kill cginit itself.
  spdlog::warn("cginit was moved out of init/ (into {}); moving it back", *where);
  if (auto st = init_.moveProc(self_); !st) {
    spdlog::error("moving cginit back into init/: {}; no cgroup is frozen or killed as a whole",
                  st.error().message);
    return false;
  }
  where = currentCgroup(procSelfCgroup_);
  return where && *where == selfCgroup_;
}

bool CgroupTree::strangersLeft() {
  for (const Cgroup* from : {&init_, &root_}) {
    if (auto found = strangersIn(*from); found && !found->empty()) {
      return true;
    }
  }
  return false;
}

void CgroupTree::refreshTargets() {
  if (!drainEpoll_) {
    drainEpoll_.reset(::epoll_create1(EPOLL_CLOEXEC));
    if (!drainEpoll_) {
      spdlog::error("{}", sysError("epoll_create1").message);
    }
  }
  std::vector<std::string> names;
  if (auto top = root_.children()) {
    for (auto& name : *top) {
      if (name != "init") {
        names.push_back(std::move(name));
      }
    }
  } else {
    spdlog::warn("listing the cgroups of {}: {}", root_.path(), top.error().message);
    for (const auto& t : targets_) {
      if (!t.name.starts_with("init/")) {
        names.push_back(t.name);
      }
    }
  }
  if (auto below = init_.children()) {
    for (const auto& name : *below) {
      names.push_back("init/" + name);
    }
  } else if (!isGone(below.error())) {
    spdlog::warn("listing the cgroups of {}: {}", init_.path(), below.error().message);
  }
  std::erase_if(targets_, [&names](const Target& t) { return !contains(names, t.name); });
  for (const auto& name : names) {
    if (std::any_of(targets_.begin(), targets_.end(),
                    [&name](const Target& t) { return t.name == name; })) {
      continue;
    }
    auto cg = root_.descendant(name);
    if (!cg) {
      if (!isGone(cg.error())) {
        spdlog::warn("watching {}/{}: {}", root_.path(), name, cg.error().message);
      }
      continue;
    }
    auto events = cg->openFile("cgroup.events");
    if (!events) {
      if (!isGone(events.error())) {
        spdlog::warn("watching {}/{}: {}", root_.path(), name, events.error().message);
      }
      continue;
    }
    Target t{name, std::move(*cg), std::move(*events)};
    epoll_event ev{};
    ev.events = EPOLLPRI;
    if (drainEpoll_) {
      if (::epoll_ctl(drainEpoll_.get(), EPOLL_CTL_ADD, t.events.get(), &ev) == 0) {
        t.watched = true;
      } else {
        spdlog::warn("{}", sysError("epoll_ctl", t.cgroup.path() + "/cgroup.events").message);
      }
    }
    targets_.push_back(std::move(t));
  }
}

CgroupTree::Sweep CgroupTree::sweep(int signo, bool freezeFirst) {
  Sweep result;
  const bool polite = signo != SIGKILL;
  const bool safe = ensureSelfInInit();
  std::vector<pid_t> loose;  // strangers that could not be moved into workload/

  std::vector<size_t> populated;
  for (int round = 0;;) {
    loose.clear();
    // Strangers of init/ and <root> into workload/, where they are drained with the rest.
    for (const Cgroup* from : {&init_, &root_}) {
      auto found = strangersIn(*from);
      if (!found) {
        spdlog::warn("listing strangers: {}", found.error().message);
        continue;
      }
      for (const pid_t pid : *found) {
        insertSorted(escaped_, pid);
        if (auto st = workload_.moveProc(pid); st) {
          spdlog::info("moved process {} from {} into workload/", pid, from->path());
        } else if (st.error().code != ESRCH) {
          spdlog::warn("moving process {} into workload/: {}; signalling it where it is", pid,
                       st.error().message);
          loose.push_back(pid);
        }
      }
    }

    // Which targets hold anything. The read through each watched fd re-arms its EPOLLPRI.
    refreshTargets();
    populated.clear();
    for (size_t i = 0; i < targets_.size();) {
      Target& t = targets_[i];
      auto kv = readKeyValuesFd(t.events.get());
      if (!kv && isGone(kv.error())) {
        targets_.erase(targets_.begin() + static_cast<std::ptrdiff_t>(i));  // removed: empty
        continue;
      }
      if (!kv) {
        // Level-triggered: a file that keeps failing would wake the loop for ever.
        if (t.watched) {
          spdlog::warn("reading {}/cgroup.events: {}; no longer watching it", t.cgroup.path(),
                       kv.error().message);
          (void)::epoll_ctl(drainEpoll_.get(), EPOLL_CTL_DEL, t.events.get(), nullptr);
          t.watched = false;
        }
        populated.push_back(i);  // cannot tell: list it
      } else if (const auto it = kv->find("populated"); it == kv->end() || it->second != 0) {
        populated.push_back(i);
      }
      ++i;
    }
    if (populated.empty() && loose.empty()) {
      // Empty, unless a stranger moved out of a target into init/ or <root> after the look
      // above (a TERM trap that flees): then once more, so that "empty" is never a race.
      if (++round < kMoveRounds && strangersLeft()) {
        continue;
      }
      return result;
    }
    break;
  }
  result.populated = true;

  // What cginit keeps (PID 1, its ancestors) is never signalled here, and
  // one that the workload moved into a target goes back to init/ before any freeze or kill.
  if (!ancestorsKnown_) {
    ancestorsKnown_ = true;
    ancestors_ = ancestorsOf(self_);
  }
  // Not the residents: one that exited may have left its pid to a process of the workload.
  const auto kept = [this](pid_t pid) { return isKeptPid(pid, self_, ancestors_); };
  const auto signalPid = [&](pid_t pid) {
    if (kept(pid)) {
      return;  // never cginit, an init or its ancestors
    }
    if (::kill(pid, signo) == 0) {
      ++result.signalled;
      if (polite) {
        // A stopped process acts on the signal only once it is continued.
        (void)::kill(pid, SIGCONT);
      }
    } else if (errno != ESRCH) {
      spdlog::error("{}", sysError("kill", std::to_string(pid)).message);
    }
  };

  // SIGKILL is one cgroup.kill per target. The polite signal goes to each process that has not
  // had it, and the targets are listed again until a list shows none: then every process in
  // them at that moment has had it, and one forked after it by a process that had had it. A
  // listed pid stays its process until it is reaped; cginit reaps its children (every orphan)
  // only between sweeps, and another parent's child leaves its pid to a new process only once
  // the kernel's pid counter has come round again (pids are handed out in turn up to pid_max). A
  // workload that forks faster than the lists is frozen for the last one (when `freezeFirst`); a
  // quiet one is spared the freeze and thaw, which wake each of its processes twice.
  std::vector<const Cgroup*> frozenByUs;
  for (int list = 0;; ++list) {
    const bool last = !polite || list == kUnfrozenLists;
    if (polite && last && freezeFirst && safe) {
      for (const size_t i : populated) {
        const Cgroup& cg = targets_[i].cgroup;
        if (auto state = readIfPresent(cg, "cgroup.freeze");
            state && *state && (*state)->substr(0, 1) == "0" && cg.write("cgroup.freeze", "1")) {
          frozenByUs.push_back(&cg);
        }
      }
      const auto deadline = std::chrono::steady_clock::now() + kFreezeWait;
      for (const Cgroup* cg : frozenByUs) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (auto done = cg->waitForEvent("frozen", 1, std::max(left, std::chrono::milliseconds(0)));
            !done || !*done) {
          spdlog::debug("{} did not freeze in time; signalling anyway", cg->path());
        } else {
          spdlog::debug("{} keeps forking: frozen for the last list", cg->path());
        }
      }
    }
    size_t fresh = 0;
    for (const size_t i : populated) {
      const Target& t = targets_[i];
      auto pids = t.cgroup.procsRecursive();
      if (!pids) {
        spdlog::warn("listing {}: {}", t.cgroup.path(), pids.error().message);
        if (!polite && safe) {
          (void)t.cgroup.kill();
        }
        continue;
      }
      for (const pid_t pid : *pids) {
        if (pid > 0 && pid != self_ && kept(pid)) {
          spdlog::warn(
              "process {} (which cginit keeps) was moved into {}; moving it back into init/", pid,
              t.cgroup.path());
          if (auto st = init_.moveProc(pid); !st && st.error().code != ESRCH) {
            spdlog::warn("{}", st.error().message);
          }
        }
      }
      std::erase_if(*pids, kept);  // sorted still
      if (t.name != "workload") {
        (void)newcomers(*pids, escaped_);
      }
      if (polite) {
        const auto unsignalled = newcomers(*pids, politeSignalled_);
        fresh += unsignalled.size();
        std::for_each(unsignalled.begin(), unsignalled.end(), signalPid);
        continue;
      }
      (void)newcomers(*pids, killed_);
      if (safe) {
        if (auto st = t.cgroup.kill(); st) {
          result.signalled += pids->size();
          continue;
        } else if (!isGone(st.error())) {
          spdlog::warn("killing {}: {}; killing its processes one by one", t.cgroup.path(),
                       st.error().message);
        }
      }
      std::for_each(pids->begin(), pids->end(), signalPid);
    }
    if (list == 0) {
      std::sort(loose.begin(), loose.end());
      if (polite) {
        loose = newcomers(loose, politeSignalled_);
      } else {
        (void)newcomers(loose, killed_);
      }
      std::for_each(loose.begin(), loose.end(), signalPid);
    }
    if (fresh == 0 || last) {
      break;
    }
  }

  for (const Cgroup* cg : frozenByUs) {
    if (auto st = cg->freeze(false); !st) {
      spdlog::error("thawing {}: {}", cg->path(), st.error().message);
    }
  }
  return result;
}

Status CgroupTree::removeMadeByWorkload() {
  auto names = root_.children();
  if (!names) {
    return isGone(names.error()) ? Status{} : Status(std::move(names).error());
  }
  Status first;
  for (const auto& name : *names) {
    if (name == "init" || name == "workload" || contains(preexisting_, name)) {
      continue;
    }
    if (auto st = root_.removeChild(name); !st && first) {
      first = std::move(st);
    }
  }
  return first;
}

}  // namespace cginit
