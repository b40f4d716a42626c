// SPDX-License-Identifier: MIT
// TamperGuard: where the kernel cannot refuse the workload, undoes its changes to what cginit set.
#include "cginit/tamper_guard.h"

#include <fcntl.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <bitset>
#include <cerrno>
#include <cstring>
#include <utility>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cginit/proc.h"
#include "cginit/sys.h"
#include "cginit/text.h"

namespace cginit {

namespace {

/// The most limit files watched: pids.max, cgroup.max.descendants, init/'s pids.max and the
/// --limit files (one per controller file; far fewer in practice).
constexpr size_t kMaxLimits = 64;
/// Lists per cgroup and event batch: a workload that keeps moving processes out is answered
/// again on its next write, which is an event of its own.
constexpr int kListsPerScan = 3;

/// The content of a one-value file without its trailing newlines.
std::string_view trimmed(std::string_view text) {
  while (!text.empty() && text.back() == '\n') {
    text.remove_suffix(1);
  }
  return text;
}

/// The command name of `pid` for a message, or "?" when it is gone.
std::string commOf(pid_t pid) {
  auto text = sys::readFileAt(AT_FDCWD, fmt::format("/proc/{}/comm", pid));
  return text ? std::string(quoted(trimmed(*text))) : std::string("?");
}

}  // namespace

Origin originOf(pid_t pid, const std::vector<pid_t>& ancestors, pid_t self) {
  if (pid == self || std::find(ancestors.begin(), ancestors.end(), self) != ancestors.end()) {
    return Origin::Workload;
  }
  const pid_t top = ancestors.empty() ? pid : ancestors.back();
  return top == 1 ? Origin::Other : Origin::ExecSession;
}

Result<std::unique_ptr<TamperGuard>> TamperGuard::create(const CgroupTree& tree) {
  UniqueFd fd(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
  if (!fd) {
    return sysError("inotify_init1");
  }
  std::unique_ptr<TamperGuard> guard(new TamperGuard(tree, std::move(fd)));
  for (const auto& written : tree.limitsWritten()) {
    if (guard->limits_.size() == kMaxLimits) {
      break;
    }
    const Cgroup& cg = written.inInit ? tree.init() : tree.workload();
    Limit limit{&written, guard->addWatch(cg, written.file.c_str(), IN_MODIFY)};
    guard->limits_.push_back(limit);
  }
  guard->rootDirWd_ = guard->addWatch(tree.root(), ".", IN_CREATE | IN_ONLYDIR);
  guard->rootProcsWd_ = guard->addWatch(tree.root(), "cgroup.procs", IN_MODIFY);
  guard->initProcsWd_ = guard->addWatch(tree.init(), "cgroup.procs", IN_MODIFY);
  if (auto controllers = tree.root().subtreeControl(); controllers) {
    guard->controllers_ = std::move(*controllers);
    guard->subtreeWd_ = guard->addWatch(tree.root(), "cgroup.subtree_control", IN_MODIFY);
  } else {
    spdlog::warn("{}; controllers disabled there are not enabled again",
                 controllers.error().message);
  }
  // Cgroups beside workload/ that were there before the program: a workload may move into one.
  if (auto children = tree.root().children(); children) {
    for (const auto& name : *children) {
      guard->follow(name);
    }
  }
  return guard;
}

TamperGuard::TamperGuard(const CgroupTree& tree, UniqueFd fd) : tree_(tree), fd_(std::move(fd)) {
  self_ = ::getpid();
  keep_ = ancestorsOf(self_);
  keep_.insert(keep_.end(), tree.residents().begin(), tree.residents().end());
  limits_.reserve(std::min(tree.limitsWritten().size(), kMaxLimits));
}

TamperGuard::~TamperGuard() = default;

int TamperGuard::addWatch(const Cgroup& cg, const char* file, uint32_t mask) {
  // Through the dirfd: the watch is on the cgroup cginit holds, wherever it is mounted.
  const std::string path = fmt::format("/proc/self/fd/{}/{}", cg.fd(), file);
  const int wd = ::inotify_add_watch(fd_.get(), path.c_str(), mask);
  if (wd < 0) {
    spdlog::warn("{}; changes to it are not undone",
                 sysError("inotify_add_watch", cg.path() + "/" + file).message);
  }
  return wd;
}

void TamperGuard::follow(const std::string& name) {
  if (name == "init" || name == "workload") {
    return;
  }
  Followed* slot = nullptr;
  for (Followed& f : followed_) {
    if (f.name == name) {
      return;  // followed already
    }
    if (slot == nullptr && f.name.empty()) {
      slot = &f;
    }
  }
  if (slot == nullptr) {
    if (!capWarned_) {
      capWarned_ = true;
      spdlog::warn(
          "{} cgroups beside workload/ are followed already: {} and later ones are not (the "
          "drain still covers them)",
          kMaxFollowedCgroups, quoted(name));
    }
    return;
  }
  auto cg = tree_.root().child(name);
  if (!cg) {
    spdlog::debug("following {}: {}", quoted(name), cg.error().message);
    return;
  }
  slot->name = name;
  slot->cgroup = std::move(*cg);
  slot->procsWd = addWatch(slot->cgroup, "cgroup.procs", IN_MODIFY);
  // cgroup.events changes when the first process arrives anywhere below it.
  slot->eventsWd = addWatch(slot->cgroup, "cgroup.events", IN_MODIFY);
  spdlog::debug("following cgroup {} made beside workload/", quoted(name));
  // It may have been made and joined before the watches existed.
  bringBack(slot->cgroup, name + "/", true);
}

void TamperGuard::unfollow(Followed& f) {
  for (int* wd : {&f.procsWd, &f.eventsWd}) {
    if (*wd >= 0) {
      (void)::inotify_rm_watch(fd_.get(), *wd);  // EINVAL once the kernel dropped it itself
      *wd = -1;
    }
  }
  f.cgroup = Cgroup();
  f.name.clear();
}

bool TamperGuard::onEvent() {
  // A bounded buffer, read until the queue is empty; what it says is collected first and answered
  // once per batch.
  alignas(inotify_event) char buffer[4096];
  bool rootProcs = false;
  bool subtree = false;
  bool initProcs = false;
  bool everything = false;
  std::bitset<kMaxLimits> limits;
  std::bitset<kMaxFollowedCgroups> followed;
  for (;;) {
    const ssize_t n = ::read(fd_.get(), buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      if (errno == EAGAIN) {
        break;
      }
      spdlog::error("{}; changes to the limits are no longer undone",
                    sysError("read", "inotify fd").message);
      return false;
    }
    for (ssize_t at = 0; at < n;) {
      inotify_event event;
      std::memcpy(&event, buffer + at, sizeof event);
      const char* name = buffer + at + sizeof event;
      at += static_cast<ssize_t>(sizeof event + event.len);
      if (stopped_) {
        continue;
      }
      if ((event.mask & IN_Q_OVERFLOW) != 0) {
        everything = true;
        continue;
      }
      if (event.wd == rootDirWd_ && (event.mask & IN_CREATE) != 0 && event.len > 0) {
        follow(std::string(name, ::strnlen(name, event.len)));
      } else if (event.wd == rootProcsWd_) {
        rootProcs = true;
      } else if (event.wd == initProcsWd_) {
        initProcs = true;
      } else if (event.wd == subtreeWd_) {
        subtree = true;
      }
      for (size_t i = 0; i < limits_.size(); ++i) {
        if (event.wd == limits_[i].wd) {
          limits.set(i);
        }
      }
      for (size_t i = 0; i < followed_.size(); ++i) {
        Followed& f = followed_[i];
        if (f.name.empty() || (event.wd != f.procsWd && event.wd != f.eventsWd)) {
          continue;
        }
        if ((event.mask & IN_IGNORED) != 0) {
          // The cgroup was removed (its files went with it).
          (event.wd == f.procsWd ? f.procsWd : f.eventsWd) = -1;
          if (f.procsWd < 0 && f.eventsWd < 0) {
            unfollow(f);
          }
        } else {
          followed.set(i);
        }
      }
    }
  }
  if (stopped_) {
    return false;
  }
  if (everything || subtree) {
    checkControllers();
  }
  for (size_t i = 0; i < limits_.size(); ++i) {
    if (everything || limits.test(i)) {
      checkLimit(limits_[i]);
    }
  }
  if (everything || initProcs) {
    bringBack(tree_.init(), "init/", false);
  }
  if (everything || rootProcs) {
    bringBack(tree_.root(), "the root of the managed cgroup", false);
  }
  for (size_t i = 0; i < followed_.size(); ++i) {
    if (!followed_[i].name.empty() && (everything || followed.test(i))) {
      bringBack(followed_[i].cgroup, followed_[i].name + "/", true);
    }
  }
  if (everything) {
    if (auto children = tree_.root().children(); children) {
      for (const auto& name : *children) {
        follow(name);
      }
    }
  }
  return true;
}

void TamperGuard::checkLimit(Limit& limit) {
  if (limit.gone) {
    return;
  }
  const CgroupTree::WrittenLimit& w = *limit.written;
  const Cgroup& cg = w.inInit ? tree_.init() : tree_.workload();
  const std::string shown = std::string(w.inInit ? "init/" : "workload/") + w.file;
  auto text = cg.read(w.file);
  if (!text) {
    // Its controller was disabled, or the cgroup went: nothing to write back into.
    limit.gone = true;
    spdlog::warn("reading {}: {}; changes to it are no longer undone", shown, text.error().message);
    return;
  }
  const std::string_view now = trimmed(*text);
  if (now == w.readBack) {
    return;  // unchanged, or cginit's own write back
  }
  if (auto st = cg.write(w.file, w.value); !st) {
    spdlog::error("writing {} back after it was changed to {}: {}", shown, quoted(now),
                  st.error().message);
    return;
  }
  undone(fmt::format("{} was changed to {}: wrote {} back", shown, quoted(now), quoted(w.value)));
}

void TamperGuard::checkControllers() {
  auto now = tree_.root().subtreeControl();
  if (!now) {
    spdlog::debug("reading cgroup.subtree_control: {}", now.error().message);
    return;
  }
  std::vector<std::string> lost;
  for (const auto& c : controllers_) {
    if (std::find(now->begin(), now->end(), c) == now->end()) {
      lost.push_back(c);
    }
  }
  if (lost.empty()) {
    return;
  }
  if (auto st = tree_.root().setControllers(lost, true); !st) {
    spdlog::error("enabling {} again: {}", lost.front(), st.error().message);
    return;
  }
  undone(fmt::format("{} was disabled in cgroup.subtree_control of the root: enabled it again",
                     lost.front()));
  // The controller's files are new inodes: watch them, and write what setup wrote.
  for (Limit& limit : limits_) {
    const Cgroup& cg = limit.written->inInit ? tree_.init() : tree_.workload();
    if (limit.wd >= 0) {
      (void)::inotify_rm_watch(fd_.get(), limit.wd);  // EINVAL where the kernel dropped it
    }
    limit.wd = addWatch(cg, limit.written->file.c_str(), IN_MODIFY);
    limit.gone = false;
    checkLimit(limit);
  }
}

void TamperGuard::bringBack(const Cgroup& cg, const std::string& where, bool recursive) {
  for (int list = 0; list < kListsPerScan; ++list) {
    auto pids = recursive ? cg.procsRecursive() : cg.procs();
    if (!pids) {
      spdlog::debug("listing {}: {}", where, pids.error().message);
      return;
    }
    size_t moved = 0;
    for (const pid_t pid : *pids) {
      // Never cginit, PID 1, cginit's ancestors or the residents of <root> at setup.
      if (isKeptPid(pid, self_, keep_) ||
          originOf(pid, ancestorsOf(pid), self_) != Origin::Workload) {
        continue;  // an exec session stays in init/ under its own budget
      }
      if (auto st = tree_.workload().moveProc(pid); !st) {
        if (st.error().code != ESRCH) {
          spdlog::error("moving pid {} back into workload/: {}", pid, st.error().message);
        }
        continue;
      }
      ++moved;
      undone(
          fmt::format("pid {} ({}) left workload/ for {}: moved it back", pid, commOf(pid), where));
    }
    if (moved == 0) {
      return;
    }
  }
}

void TamperGuard::undone(const std::string& what) {
  ++tampered_;
  const auto now = std::chrono::steady_clock::now();
  if (now - lastWarning_ < std::chrono::seconds(1)) {
    spdlog::debug("tampering undone: {} ({} change(s) undone so far)", what, tampered_);
    return;
  }
  lastWarning_ = now;
  spdlog::warn(
      "tampering undone: {} ({} change(s) undone so far; the kernel cannot refuse them here, "
      "limits are only restored)",
      what, tampered_);
}

}  // namespace cginit
