// SPDX-License-Identifier: MIT
// CgroupDrain: cginit kept out of every target, strangers moved in, the sweep by list.
#include "cginit/cgroup_drain.h"

#include <signal.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <utility>

#include <spdlog/spdlog.h>

#include "cginit/proc.h"

#include "cgroup_tree_helpers.h"

namespace cginit {

namespace {

using namespace tree_detail;  // NOLINT: this module's private helpers

/// The sorted union of `a` and `b`.
std::vector<pid_t> merged(const std::vector<pid_t>& a, const std::vector<pid_t>& b) {
  std::vector<pid_t> out;
  out.reserve(a.size() + b.size());
  std::set_union(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

/// Freezes `cg` unless it is frozen already (by someone else: never thawed by us); true when
/// this call froze it. Waits (bounded) until the kernel says it is frozen.
bool freezeForLastList(const Cgroup& cg) {
  auto state = readIfPresent(cg, "cgroup.freeze");
  if (!state || !*state || (*state)->substr(0, 1) != "0") {
    return false;
  }
  auto frozen = cg.freeze(true, kFreezeWait);
  if (!frozen) {
    spdlog::debug("{}", frozen.error().message);
    return false;
  }
  if (*frozen) {
    spdlog::debug("{} keeps forking: frozen for the last list", cg.path());
  } else {
    spdlog::debug("{} did not freeze in time; signalling anyway", cg.path());
  }
  return true;
}

void thaw(const Cgroup& cg) {
  if (auto st = cg.freeze(false); !st) {
    spdlog::error("thawing {}: {}", cg.path(), st.error().message);
  }
}

}  // namespace

CgroupDrain::CgroupDrain(const CgroupTree& tree)
    : tree_(&tree), epoll_(::epoll_create1(EPOLL_CLOEXEC)), polite_(tree.selfPid()) {
  if (!epoll_) {
    spdlog::warn("{}; the drain looks at the cgroups again after a while instead",
                 sysError("epoll_create1").message);
  }
}

void CgroupDrain::close() {
  targets_.clear();
  epoll_.reset();
}

bool CgroupDrain::ensureSelfInInit() {
  const std::string& file = tree_->procSelfCgroup();
  auto where = currentCgroup(file);
  if (where && !tree_->selfCgroup().empty() && *where == tree_->selfCgroup()) {
    return true;
  }
  if (!where || tree_->selfCgroup().empty()) {
    if (std::exchange(selfUnknownWarned_, true)) {
      return false;  // said once; each sweep asks again
    }
    spdlog::warn(
        "cannot tell from {} whether cginit is still in init/: no cgroup is frozen or "
        "killed as a whole",
        file);
    return false;
  }
  // The workload wrote cginit's pid into a cgroup.procs: freezing or killing that cgroup would
  // stop or kill cginit itself.
  spdlog::warn("cginit was moved out of init/ (into {}); moving it back", *where);
  if (auto st = tree_->init().moveProc(tree_->selfPid()); !st) {
    spdlog::error("moving cginit back into init/: {}; no cgroup is frozen or killed as a whole",
                  st.error().message);
    return false;
  }
  where = currentCgroup(file);
  return where && *where == tree_->selfCgroup();
}

Result<std::vector<pid_t>> CgroupDrain::strangersIn(const Cgroup& from) {
  if (&from == &tree_->root() && tree_->rootHasControllers()) {
    // No-internal-processes: with controllers enabled in <root> and init/ populated, the kernel
    // lets nobody join <root> (EBUSY), so there is nobody to look for.
    return std::vector<pid_t>{};
  }
  auto pids = from.procs();
  if (!pids) {
    if (isGone(pids.error())) {
      return std::vector<pid_t>{};  // removed under us: nobody is in it
    }
    return std::move(pids).error();
  }
  // cginit, what shared <root> with it at start, its ancestors (a tracer as PID 1, a shell that
  // started it) and PID 1 stay where they are.
  const auto& residents = tree_->residents();
  std::erase_if(*pids, [&](pid_t pid) {
    return polite_.kept(pid) ||
           std::find(residents.begin(), residents.end(), pid) != residents.end();
  });
  return pids;
}

bool CgroupDrain::strangersLeft() {
  for (const Cgroup* from : {&tree_->init(), &tree_->root()}) {
    if (auto found = strangersIn(*from); found && !found->empty()) {
      return true;
    }
  }
  return false;
}

std::vector<pid_t> CgroupDrain::adoptStrangers(bool& blind) {
  std::vector<pid_t> loose;
  for (const Cgroup* from : {&tree_->init(), &tree_->root()}) {
    auto found = strangersIn(*from);
    if (!found) {
      spdlog::warn("listing strangers in {}: {}", from->path(), found.error().message);
      blind = true;
      continue;
    }
    (void)newcomers(*found, escaped_);
    for (const pid_t pid : *found) {
      if (auto st = tree_->workload().moveProc(pid); st) {
        spdlog::info("moved process {} from {} into workload/", pid, from->path());
      } else if (st.error().code != ESRCH) {
        spdlog::warn("moving process {} into workload/: {}; signalling it where it is", pid,
                     st.error().message);
        loose.push_back(pid);
      }
    }
  }
  std::sort(loose.begin(), loose.end());
  return loose;
}

std::vector<std::string> CgroupDrain::targetNames(bool& blind) const {
  std::vector<std::string> names;
  if (auto top = tree_->root().children()) {
    for (auto& name : *top) {
      if (name != "init") {
        names.push_back(std::move(name));
      }
    }
  } else {
    spdlog::warn("listing the cgroups of {}: {}", tree_->root().path(), top.error().message);
    blind = true;
    for (const auto& t : targets_) {
      if (!t.name.starts_with("init/")) {
        names.push_back(t.name);  // what is known, at least
      }
    }
  }
  if (auto below = tree_->init().children()) {
    for (const auto& name : *below) {
      names.push_back("init/" + name);
    }
  } else if (!isGone(below.error())) {
    spdlog::warn("listing the cgroups of {}: {}", tree_->init().path(), below.error().message);
    blind = true;
  }
  return names;
}

std::vector<CgroupDrain::Target> CgroupDrain::refreshTargets(bool& blind) {
  const auto names = targetNames(blind);
  std::erase_if(targets_, [&names](const Target& t) { return !contains(names, t.name); });
  std::vector<Target> transient;
  for (const auto& name : names) {
    if (std::any_of(targets_.begin(), targets_.end(),
                    [&name](const Target& t) { return t.name == name; })) {
      continue;
    }
    auto cg = tree_->root().descendant(name);
    auto events = cg ? cg->openFile("cgroup.events") : Result<UniqueFd>(cg.error());
    if (!events) {
      if (!isGone(events.error())) {
        spdlog::warn("watching {}/{}: {}", tree_->root().path(), name, events.error().message);
        blind = true;  // e.g. EMFILE: looked at again on the next sweep
      }
      continue;
    }
    Target t{name, std::move(*cg), std::move(*events)};
    if (targets_.size() >= kMaxWatched || !epoll_) {
      blind = true;  // not watched: read for this sweep, closed after it
      transient.push_back(std::move(t));
      continue;
    }
    epoll_event ev{};
    ev.events = EPOLLPRI;
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, t.events.get(), &ev) == 0) {
      t.watched = true;
    } else {
      spdlog::warn("{}", sysError("epoll_ctl", t.cgroup.path() + "/cgroup.events").message);
      blind = true;
    }
    targets_.push_back(std::move(t));
  }
  return transient;
}

std::vector<CgroupDrain::Target*> CgroupDrain::populatedTargets(std::vector<Target*>& targets,
                                                                bool& blind) {
  std::vector<Target*> populated;
  for (Target* t : targets) {
    auto kv = readKeyValuesFd(t->events.get());
    if (!kv && isGone(kv.error())) {
      continue;  // removed, which the kernel allows only when empty
    }
    if (!kv) {
      // Level-triggered: a file that keeps failing would wake the loop for ever.
      if (t->watched) {
        spdlog::warn("reading {}/cgroup.events: {}; no longer watching it", t->cgroup.path(),
                     kv.error().message);
        (void)::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, t->events.get(), nullptr);
        t->watched = false;
      }
      blind = true;
      populated.push_back(t);  // cannot tell: list it
    } else if (const auto it = kv->find("populated"); it == kv->end() || it->second != 0) {
      populated.push_back(t);
    }
  }
  return populated;
}

Result<std::vector<pid_t>> CgroupDrain::listTargets(const std::vector<Target*>& targets,
                                                    bool& blind) {
  std::vector<pid_t> all;
  std::optional<Error> firstError;
  size_t listed = 0;
  for (const Target* t : targets) {
    auto pids = t->cgroup.procsRecursive();
    if (!pids) {
      if (!isGone(pids.error())) {
        spdlog::warn("listing {}: {}", t->cgroup.path(), pids.error().message);
        blind = true;
        firstError = firstError ? firstError : pids.error();
      }
      continue;
    }
    ++listed;
    for (const pid_t pid : *pids) {
      if (pid > 0 && pid != tree_->selfPid() && polite_.kept(pid)) {
        spdlog::warn("process {} (which cginit keeps) was moved into {}; moving it back into init/",
                     pid, t->cgroup.path());
        if (auto st = tree_->init().moveProc(pid); !st && st.error().code != ESRCH) {
          spdlog::warn("{}", st.error().message);
        }
      }
    }
    if (t->name != "workload") {
      (void)newcomers(*pids, escaped_);
    }
    all = merged(all, *pids);
  }
  if (listed == 0 && firstError) {
    return *std::move(firstError);
  }
  return all;
}

std::vector<const Cgroup*> CgroupDrain::freezeTargets(const std::vector<Target*>& targets) {
  std::vector<const Cgroup*> frozen;
  for (const Target* t : targets) {
    if (freezeForLastList(t->cgroup)) {
      frozen.push_back(&t->cgroup);
    }
  }
  return frozen;
}

size_t CgroupDrain::killTargets(const std::vector<Target*>& targets,
                                const std::vector<pid_t>& loose, bool safe, bool& blind) {
  size_t count = 0;
  std::vector<pid_t> byPid = loose;
  for (const Target* t : targets) {
    auto pids = t->cgroup.procsRecursive();
    size_t fresh = 0;  // not found by an earlier SIGKILL sweep: a later one finds the dying again
    if (pids) {
      std::erase_if(*pids, [this](pid_t pid) { return polite_.kept(pid); });
      fresh = newcomers(*pids, killed_).size();
    } else if (!isGone(pids.error())) {
      spdlog::warn("listing {}: {}", t->cgroup.path(), pids.error().message);
      blind = true;
    }
    if (safe) {
      if (auto st = t->cgroup.kill(); st) {
        count += fresh;
        continue;
      } else if (st.error().code != ENOENT && st.error().code != ENODEV) {
        spdlog::warn("killing {}: {}; killing its processes one by one", t->cgroup.path(),
                     st.error().message);
      }
      // ENOENT: no cgroup.kill before Linux 5.14 (or the cgroup is gone): by pid, and each
      // sweep after it kills what arrived since.
    }
    if (pids) {
      byPid = merged(byPid, *pids);
    }
  }
  SignalByList once(tree_->selfPid());  // a fresh set: SIGKILL to every listed process
  PidSource source;
  source.list = [&byPid]() -> Result<std::vector<pid_t>> { return byPid; };
  if (auto sent = once.signalNew(source, SIGKILL, false); sent) {
    count += sent->signalled;
  }
  return count;
}

CgroupDrain::Sweep CgroupDrain::sweep(int signo, bool freezeFirst) {
  Sweep result;
  const bool safe = ensureSelfInInit();
  std::vector<pid_t> loose;
  std::vector<Target> transient;
  std::vector<Target*> populated;
  for (int round = 0;; ++round) {
    loose = adoptStrangers(result.blind);
    transient = refreshTargets(result.blind);
    std::vector<Target*> all;
    for (auto* list : {&targets_, &transient}) {
      for (Target& t : *list) {
        all.push_back(&t);
      }
    }
    populated = populatedTargets(all, result.blind);
    // Empty, unless a stranger moved out of a target into init/ or <root> after the look above
    // (a TERM trap that flees): then once more, so that "empty" is never a race.
    if (!populated.empty() || !loose.empty() || round + 1 >= kMoveRounds || !strangersLeft()) {
      break;
    }
  }
  if (populated.empty() && loose.empty()) {
    return result;
  }
  result.populated = true;
  if (signo == SIGKILL) {
    result.signalled = killTargets(populated, loose, safe, result.blind);
    return result;
  }
  std::vector<const Cgroup*> frozen;
  PidSource source;
  source.list = [&]() -> Result<std::vector<pid_t>> {
    auto pids = listTargets(populated, result.blind);
    return pids ? merged(*pids, loose) : pids;
  };
  if (freezeFirst && safe) {
    source.freeze = [&] {
      frozen = freezeTargets(populated);
      return !frozen.empty();
    };
    source.thaw = [&] {
      for (const Cgroup* cg : frozen) {
        thaw(*cg);
      }
    };
  }
  if (auto sent = polite_.signalNew(source, signo, true); sent) {
    result.signalled = sent->signalled;
  } else {
    spdlog::warn("listing the drained cgroups: {}", sent.error().message);
    result.blind = true;
  }
  return result;
}

Result<size_t> CgroupDrain::signalWorkload(int signo, bool thenContinue) {
  // An empty workload/ (the usual state after a clean exit) needs no list: one read through the
  // events fd that is open anyway.
  auto populated = tree_->workloadPopulated();
  if (!populated) {
    return std::move(populated).error();
  }
  if (!*populated) {
    return size_t{0};
  }
  const Cgroup& workload = tree_->workload();
  PidSource source;
  source.list = [&workload]() -> Result<std::vector<pid_t>> {
    auto pids = workload.procsRecursive();
    if (!pids && isGone(pids.error())) {
      return std::vector<pid_t>{};  // removed under us: nothing is in it
    }
    return pids;
  };
  // Never a cgroup that holds cginit (it would freeze itself), never a freeze someone else set.
  source.freeze = [&] { return ensureSelfInInit() && freezeForLastList(workload); };
  source.thaw = [&workload] { thaw(workload); };
  SignalByList once(tree_->selfPid());  // every forward reaches every process again
  auto sent = once.signalNew(source, signo, thenContinue);
  if (!sent) {
    return std::move(sent).error();
  }
  return sent->signalled;
}

}  // namespace cginit
