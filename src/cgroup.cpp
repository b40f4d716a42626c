// SPDX-License-Identifier: MIT
// Cgroup: one cgroup v2 directory, every operation openat-relative to its dirfd.
#include "cginit/cgroup.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <optional>

#include <spdlog/spdlog.h>

#include "cginit/cgroup_paths.h"
#include "cginit/proc.h"
#include "cginit/sys.h"

namespace cginit {

namespace {

using Clock = std::chrono::steady_clock;

/// A relative path shorter than this is opened with one openat; a longer one in steps (PATH_MAX
/// is 4096, and a cgroup tree has no depth limit of its own).
constexpr size_t kPathStep = 2048;

int remainingMs(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() <= 0 ? 0 : static_cast<int>(left.count());
}

/// rmdir can answer EBUSY a moment after `populated 0`: cgroup_destroy_locked() also refuses a
/// cgroup whose child, removed just before by this walk, is still online (css_has_online_children:
/// a removed cgroup's css goes offline from a work item after an RCU grace period). Nothing
/// tells when that has happened, so the loop pauses briefly and tries again (bounded by its
/// deadline).
void pauseBriefly() {
  const timespec ts{0, 5 * 1000 * 1000};
  ::nanosleep(&ts, nullptr);
}

Status removeTree(const Cgroup& parent, const std::string& name, Clock::time_point deadline) {
  // rmdir first: an empty leaf, the usual case, needs nothing else. Only EBUSY calls for a look
  // inside.
  std::optional<Cgroup> cg;
  for (;;) {
    if (sys::rmdirAt(parent.fd(), name) == 0) {
      return {};
    }
    if (errno == ENOENT) {
      return {};
    }
    // EBUSY: a child cgroup, or still populated (a process is exiting).
    if (errno != EBUSY || remainingMs(deadline) == 0) {
      return sysError("rmdir", parent.path() + "/" + name);
    }
    if (!cg) {
      auto opened = parent.child(name);
      if (!opened) {
        return opened.error().code == ENOENT ? Status{} : Status(std::move(opened).error());
      }
      cg.emplace(std::move(*opened));
    }
    // Children before their parents, at any depth, without recursion: each removal opens the
    // parent of one leaf (a leaf that turns out busy, or that got children meanwhile, is
    // removed the same way, which nests only as deep as the races go).
    const auto below = cg->descendants();
    for (auto it = below.rbegin(); it != below.rend(); ++it) {
      const auto slash = it->rfind('/');
      if (slash == std::string::npos) {
        if (auto st = removeTree(*cg, *it, deadline); !st) {
          return st;
        }
        continue;
      }
      auto dir = cg->descendant(it->substr(0, slash));
      if (!dir) {
        if (isGone(dir.error())) {
          continue;
        }
        return std::move(dir).error();
      }
      if (auto st = removeTree(*dir, it->substr(slash + 1), deadline); !st) {
        return st;
      }
    }
    if (!below.empty()) {
      continue;  // perhaps they were all that kept it busy
    }
    if (auto emptied =
            cg->waitForEvent("populated", 0, std::chrono::milliseconds(remainingMs(deadline)));
        !emptied) {
      return std::move(emptied).error();
    }
    pauseBriefly();
  }
}

}  // namespace

Result<std::map<std::string, uint64_t>> readKeyValuesFd(int fd) {
  std::string text;
  char buf[1024];
  for (;;) {
    const ssize_t n = sys::preadFd(fd, buf, sizeof buf, static_cast<off_t>(text.size()));
    if (n < 0) {
      return sysError("pread");
    }
    text.append(buf, static_cast<size_t>(n));
    // A *.events file is one seq_file record, produced whole on each read: a read that did not
    // fill the buffer returned all of it, and a read for the EOF would be one more system call.
    if (static_cast<size_t>(n) < sizeof buf) {
      break;
    }
  }
  return parseKeyValues(text);
}

Result<std::vector<pid_t>> readPidsFd(int fd) {
  std::string text;
  char buf[4096];
  for (;;) {
    // From offset 0 again on every call: seq_file starts the list anew there.
    const ssize_t n = sys::preadFd(fd, buf, sizeof buf, static_cast<off_t>(text.size()));
    if (n < 0) {
      return sysError("pread", "cgroup.procs");
    }
    if (n == 0) {
      break;
    }
    text.append(buf, static_cast<size_t>(n));
  }
  auto pids = parsePidList(text);
  if (pids) {
    std::sort(pids->begin(), pids->end());
    pids->erase(std::unique(pids->begin(), pids->end()), pids->end());
  }
  return pids;
}

Result<Cgroup> Cgroup::open(const std::string& path) {
  UniqueFd dir(sys::openAt(AT_FDCWD, path, O_RDONLY | O_DIRECTORY));
  if (!dir) {
    return sysError("open", path);
  }
  return Cgroup(std::move(dir), path);
}

Result<Cgroup> Cgroup::child(const std::string& name, bool create, bool* created) const {
  const std::string childPath = path_ + "/" + name;
  if (created) {
    *created = false;
  }
  if (create) {
    if (sys::mkdirAt(fd(), name) == 0) {
      if (created) {
        *created = true;
      }
    } else if (errno != EEXIST) {
      return sysError("mkdir", childPath);
    }
  }
  UniqueFd dir(sys::openAt(fd(), name, O_RDONLY | O_DIRECTORY));
  if (!dir) {
    return sysError("open", childPath);
  }
  return Cgroup(std::move(dir), childPath);
}

Result<std::vector<std::string>> Cgroup::children() const {
  // A fresh open description, so that readdir's position is our own.
  const int dup = sys::openAt(fd(), ".", O_RDONLY | O_DIRECTORY);
  if (dup < 0) {
    return sysError("open", path_);
  }
  DIR* dir = ::fdopendir(dup);
  if (dir == nullptr) {
    auto err = sysError("fdopendir", path_);
    ::close(dup);
    return err;
  }
  std::vector<std::string> names;
  errno = 0;
  while (const dirent* ent = ::readdir(dir)) {
    const std::string_view name = ent->d_name;
    if (name == "." || name == "..") {
      continue;
    }
    bool isDir = ent->d_type == DT_DIR;
    if (ent->d_type == DT_UNKNOWN) {
      struct stat st {};
      isDir = ::fstatat(fd(), ent->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
    }
    if (isDir) {
      names.emplace_back(name);
    }
  }
  const int readErr = errno;
  ::closedir(dir);
  if (readErr != 0) {
    return errnoError(readErr, "readdir", path_);
  }
  return names;
}

Status Cgroup::removeChild(const std::string& name, std::chrono::milliseconds busyWait) const {
  return removeTree(*this, name, Clock::now() + busyWait);
}

bool Cgroup::hasFile(const std::string& file) const {
  return sys::existsAt(fd(), file);
}

Result<std::string> Cgroup::read(const std::string& file) const {
  auto text = sys::readFileAt(fd(), file);
  if (!text) {
    return std::move(text).error().context(path_);
  }
  return text;
}

Status Cgroup::write(const std::string& file, std::string_view value) const {
  auto st = sys::writeFileAt(fd(), file, value);
  if (!st) {
    return std::move(st).error().context(path_);
  }
  return st;
}

Result<UniqueFd> Cgroup::openFile(const std::string& file) const {
  UniqueFd fileFd(sys::openAt(fd(), file, O_RDONLY | O_NOCTTY));
  if (!fileFd) {
    return sysError("open", path_ + "/" + file);
  }
  return fileFd;
}

Result<std::vector<pid_t>> Cgroup::procs(size_t* outside) const {
  auto text = read("cgroup.procs");
  if (!text) {
    return std::move(text).error();
  }
  auto pids = parsePidList(*text, outside);
  if (!pids) {
    return std::move(pids).error().context(path_ + "/cgroup.procs");
  }
  return pids;
}

Result<std::vector<pid_t>> Cgroup::members() const {
  auto pids = procs();
  if (pids || pids.error().code != EOPNOTSUPP) {
    return pids;
  }
  // A threaded cgroup: its processes are listed by its threaded domain; cgroup.threads names
  // the threads here, each of which belongs to one process.
  auto text = read("cgroup.threads");
  if (!text) {
    return std::move(text).error();
  }
  auto tids = parsePidList(*text);
  if (!tids) {
    return std::move(tids).error().context(path_ + "/cgroup.threads");
  }
  std::vector<pid_t> tgids;
  for (const pid_t tid : *tids) {
    if (const auto tgid = tgidOf(tid);
        tgid && std::find(tgids.begin(), tgids.end(), *tgid) == tgids.end()) {
      tgids.push_back(*tgid);
    }
  }
  return tgids;
}

Result<std::vector<pid_t>> Cgroup::procsRecursive() const {
  auto pids = members();
  if (!pids) {
    return pids;
  }
  for (const auto& rel : descendants()) {
    auto sub = descendant(rel);
    auto more = sub ? sub->members() : Result<std::vector<pid_t>>(std::move(sub).error());
    if (!more) {
      if (!isGone(more.error())) {
        spdlog::debug("listing {}/{}: {}", path_, rel, more.error().message);
      }
      continue;
    }
    pids->insert(pids->end(), more->begin(), more->end());
  }
  // A process with threads in several cgroups of a threaded subtree is listed by each.
  std::sort(pids->begin(), pids->end());
  pids->erase(std::unique(pids->begin(), pids->end()), pids->end());
  return pids;
}

Result<Cgroup> Cgroup::descendant(const std::string& relative) const {
  const std::string fullPath = path_ + "/" + relative;
  if (relative.size() < kPathStep) {
    UniqueFd dir(sys::openAt(fd(), relative, O_RDONLY | O_DIRECTORY));
    if (!dir) {
      return sysError("open", fullPath);
    }
    return Cgroup(std::move(dir), fullPath);
  }
  UniqueFd current;
  size_t pos = 0;
  while (pos < relative.size()) {
    // The longest run of whole components that fits in one step (a single component is at most
    // NAME_MAX, far below it).
    size_t end = relative.size();
    if (end - pos > kPathStep) {
      end = relative.rfind('/', pos + kPathStep);
      if (end == std::string::npos || end <= pos) {
        end = relative.find('/', pos);
        if (end == std::string::npos) {
          end = relative.size();
        }
      }
    }
    const int base = current ? current.get() : fd();
    UniqueFd next(sys::openAt(base, relative.substr(pos, end - pos), O_RDONLY | O_DIRECTORY));
    if (!next) {
      return sysError("open", fullPath);
    }
    current = std::move(next);
    pos = end + 1;
  }
  return Cgroup(std::move(current), fullPath);
}

std::vector<std::string> Cgroup::descendants() const {
  std::vector<std::string> found;
  // Paths whose children are still to be listed; pushed in reverse so that siblings come out in
  // directory order.
  std::vector<std::string> pending{""};
  while (!pending.empty()) {
    const std::string rel = std::move(pending.back());
    pending.pop_back();
    Result<std::vector<std::string>> names = std::vector<std::string>{};
    if (rel.empty()) {
      names = children();
    } else {
      found.push_back(rel);
      auto sub = descendant(rel);
      names = sub ? sub->children() : Result<std::vector<std::string>>(std::move(sub).error());
    }
    if (!names) {
      if (!isGone(names.error())) {
        spdlog::debug("listing the cgroups below {}/{}: {}", path_, rel, names.error().message);
      } else if (!rel.empty()) {
        found.pop_back();  // removed meanwhile
      }
      continue;
    }
    for (auto it = names->rbegin(); it != names->rend(); ++it) {
      pending.push_back(rel.empty() ? *it : rel + "/" + *it);
    }
  }
  return found;
}

Status Cgroup::moveProc(pid_t pid) const {
  return write("cgroup.procs", std::to_string(pid));
}

Result<std::vector<std::string>> Cgroup::controllers() const {
  auto text = read("cgroup.controllers");
  if (!text) {
    return std::move(text).error();
  }
  return parseControllerList(*text);
}

Result<std::vector<std::string>> Cgroup::subtreeControl() const {
  auto text = read("cgroup.subtree_control");
  if (!text) {
    return std::move(text).error();
  }
  return parseControllerList(*text);
}

Status Cgroup::setControllers(const std::vector<std::string>& names, bool enable) const {
  if (names.empty()) {
    return {};
  }
  std::string value;
  for (const auto& name : names) {
    if (!value.empty()) {
      value += ' ';
    }
    value += enable ? '+' : '-';
    value += name;
  }
  return write("cgroup.subtree_control", value);
}

Status Cgroup::kill() const {
  return write("cgroup.kill", "1");
}

Result<bool> Cgroup::freeze(bool frozen, std::chrono::milliseconds wait) const {
  if (auto st = write("cgroup.freeze", frozen ? "1" : "0"); !st) {
    return std::move(st).error();
  }
  if (!frozen) {
    return true;
  }
  // Freezing is asynchronous: "frozen 1" appears once every task has stopped.
  auto done = waitForEvent("frozen", 1, wait);
  if (!done) {
    spdlog::debug("waiting for {} to freeze: {}", path_, done.error().message);
    return false;
  }
  return done;
}

Result<bool> Cgroup::waitForEvent(const std::string& key, uint64_t value,
                                  std::chrono::milliseconds timeout) const {
  auto events = openFile("cgroup.events");
  if (!events) {
    return std::move(events).error();
  }
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    // Reading first re-arms POLLPRI, so a change after this read wakes the poll below.
    auto kv = readKeyValuesFd(events->get());
    if (!kv) {
      return std::move(kv).error().context(path_ + "/cgroup.events");
    }
    if (const auto it = kv->find(key); it != kv->end() && it->second == value) {
      return true;
    }
    const int left = remainingMs(deadline);
    if (left == 0) {
      return false;
    }
    if (sys::pollPri(events->get(), left) < 0) {
      return sysError("poll", path_ + "/cgroup.events");
    }
  }
}

bool isGone(const Error& error) {
  return error.code == ENOENT || error.code == ENODEV;
}

}  // namespace cginit
