// SPDX-License-Identifier: MIT
// Test-only fault injection: matching a file operation against the rules of a FaultPlan.
#include "cginit/fault.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <optional>

namespace cginit {

namespace {

/// The path `fd` refers to, without the " (deleted)" that the kernel appends for removed files.
std::string fdPath(int fd) {
  if (fd == AT_FDCWD) {
    char cwd[PATH_MAX];
    return ::getcwd(cwd, sizeof cwd) != nullptr ? std::string(cwd) : std::string();
  }
  const std::string link = "/proc/self/fd/" + std::to_string(fd);
  char target[PATH_MAX];
  const ssize_t n = ::readlink(link.c_str(), target, sizeof target);
  if (n <= 0) {
    return {};
  }
  std::string path(target, static_cast<size_t>(n));
  constexpr std::string_view kDeleted = " (deleted)";
  if (path.size() > kDeleted.size() &&
      path.compare(path.size() - kDeleted.size(), kDeleted.size(), kDeleted) == 0) {
    path.resize(path.size() - kDeleted.size());
  }
  return path;
}

std::string resolve(int dirfd, std::string_view name) {
  if (!name.empty() && name.front() == '/') {
    return std::string(name);
  }
  std::string path = fdPath(dirfd);
  if (!name.empty() && name != ".") {
    path += '/';
    path += name;
  }
  return path;
}

bool matches(const std::string& path, const std::string& file) {
  if (file == "*" || path == file) {
    return true;
  }
  return path.size() > file.size() && path[path.size() - file.size() - 1] == '/' &&
         path.compare(path.size() - file.size(), file.size(), file) == 0;
}

}  // namespace

size_t FaultPlan::fail(FaultOp op, std::string file, int error, int times, int skip) {
  rules_.push_back(Rule{op, std::move(file), error, times, skip, 0, 0, {}});
  return rules_.size() - 1;
}

size_t FaultPlan::watch(FaultOp op, std::string file, std::function<void()> onCall) {
  const size_t index = fail(op, std::move(file), 0, 0);
  rules_[index].onCall = std::move(onCall);
  return index;
}

bool FaultPlan::fire(FaultOp op, int dirfd, std::string_view name) {
  const int savedErrno = errno;
  std::optional<std::string> path;  // resolved once, and only when a rule has this op
  for (Rule& rule : rules_) {
    if (rule.op != op) {
      continue;
    }
    if (!path) {
      path = resolve(dirfd, name);
    }
    if (!matches(*path, rule.file)) {
      continue;
    }
    ++rule.calls;
    if (rule.onCall) {
      rule.onCall();
    }
    if (rule.times != kAlways && rule.failed >= rule.times) {
      continue;
    }
    if (rule.skip > 0) {
      --rule.skip;
      continue;
    }
    ++rule.failed;
    errno = rule.error;
    return true;
  }
  errno = savedErrno;
  return false;
}

}  // namespace cginit
