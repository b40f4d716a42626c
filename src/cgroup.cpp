// SPDX-License-Identifier: MIT
// Cgroup: one cgroup v2 directory, every operation openat-relative to its dirfd.
#include "cginit/cgroup.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <optional>

#include <spdlog/spdlog.h>

#include "cginit/cgroup_paths.h"
#include "cginit/sys.h"

namespace cginit {

namespace {

using Clock = std::chrono::steady_clock;

constexpr int kMaxDepth = 64;  // bound for recursion over nested cgroups

int remainingMs(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() <= 0 ? 0 : static_cast<int>(left.count());
}

void pauseBriefly() {
  const timespec ts{0, 5 * 1000 * 1000};
  ::nanosleep(&ts, nullptr);
}

Result<std::vector<pid_t>> collectProcs(const Cgroup& cg, int depth) {
  auto pids = cg.procs();
  if (!pids) {
    return pids;
  }
  if (depth >= kMaxDepth) {
    return pids;
  }
  auto names = cg.children();
  if (!names) {
    return std::move(names).error();
  }
  for (const auto& name : *names) {
    auto sub = cg.child(name);
    if (!sub) {
      if (sub.error().code == ENOENT) {
        continue;  // removed meanwhile
      }
      return std::move(sub).error();
    }
    auto more = collectProcs(*sub, depth + 1);
    if (!more) {
      if (more.error().code == ENOENT) {
        continue;
      }
      return more;
    }
    pids->insert(pids->end(), more->begin(), more->end());
  }
  return pids;
}

Status removeTree(const Cgroup& parent, const std::string& name, Clock::time_point deadline,
                  int depth) {
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
    bool removedChildren = false;
    if (depth < kMaxDepth) {
      if (auto names = cg->children()) {
        for (const auto& sub : *names) {
          if (auto st = removeTree(*cg, sub, deadline, depth + 1); !st) {
            return st;
          }
          removedChildren = true;
        }
      }
    }
    if (removedChildren) {
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
  return removeTree(*this, name, Clock::now() + busyWait, 0);
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

Result<std::map<std::string, uint64_t>> Cgroup::readKeyValues(const std::string& file) const {
  auto text = read(file);
  if (!text) {
    return std::move(text).error();
  }
  auto kv = parseKeyValues(*text);
  if (!kv) {
    return std::move(kv).error().context(path_ + "/" + file);
  }
  return kv;
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

Result<std::vector<pid_t>> Cgroup::procsRecursive() const {
  return collectProcs(*this, 0);
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

}  // namespace cginit
