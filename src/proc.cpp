// SPDX-License-Identifier: MIT
// Readers of /proc for processes: a parent from /proc/PID/stat, the ancestors, cginit's children.
#include "cginit/proc.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <iterator>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "cginit/sys.h"
#include "cginit/text.h"

namespace cginit {

namespace {
constexpr int kMaxAncestors = 256;  // bound for the walk up the process tree
}  // namespace

std::optional<pid_t> parseStatParent(std::string_view stat) {
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so start after the last ')'.
  const auto close = stat.rfind(')');
  if (close == std::string_view::npos || stat.size() < close + 4) {
    return std::nullopt;
  }
  std::string_view rest = stat.substr(close + 2);  // "S ppid ..."
  const auto space = rest.find(' ');
  if (space == std::string_view::npos) {
    return std::nullopt;
  }
  rest.remove_prefix(space + 1);
  const auto ppid = parseInt<pid_t>(rest.substr(0, rest.find(' ')));
  if (!ppid || *ppid < 0) {
    return std::nullopt;
  }
  return ppid;
}

std::vector<pid_t> ancestorsOf(pid_t pid) {
  std::vector<pid_t> chain;
  pid_t current = pid;
  pid_t parent = pid == ::getpid() ? ::getppid() : -1;
  for (int depth = 0; depth < kMaxAncestors; ++depth) {
    if (parent < 0) {
      auto stat = sys::readFileAt(AT_FDCWD, fmt::format("/proc/{}/stat", current));
      const auto ppid = stat ? parseStatParent(*stat) : std::nullopt;
      if (!ppid) {
        break;  // gone, or /proc not readable: the chain known so far
      }
      parent = *ppid;
    }
    // 0: the parent is outside this PID namespace (or `current` is the kernel's init).
    if (parent == 0 || std::find(chain.begin(), chain.end(), parent) != chain.end()) {
      break;
    }
    chain.push_back(parent);
    current = std::exchange(parent, -1);
  }
  return chain;
}

Result<std::vector<pid_t>> parseChildList(std::string_view text) {
  std::vector<pid_t> pids;
  while (!text.empty()) {
    const auto end = text.find_first_of(" \n");
    const std::string_view word = text.substr(0, end);
    if (!word.empty()) {
      const auto pid = parseInt<pid_t>(word);
      if (!pid || *pid <= 0) {
        return Error{0, "invalid pid '" + std::string(word) + "' in a children list"};
      }
      pids.push_back(*pid);
    }
    if (end == std::string_view::npos) {
      break;
    }
    text.remove_prefix(end + 1);
  }
  return pids;
}

std::optional<pid_t> parseStatusTgid(std::string_view status) {
  constexpr std::string_view kKey = "Tgid:";
  size_t pos = 0;
  while (pos < status.size()) {
    size_t end = status.find('\n', pos);
    if (end == std::string_view::npos) {
      end = status.size();
    }
    std::string_view line = status.substr(pos, end - pos);
    if (line.starts_with(kKey)) {
      line.remove_prefix(kKey.size());
      while (!line.empty() && (line.front() == '\t' || line.front() == ' ')) {
        line.remove_prefix(1);
      }
      const auto tgid = parseInt<pid_t>(line);
      if (!tgid || *tgid <= 0) {
        return std::nullopt;
      }
      return tgid;
    }
    pos = end + 1;
  }
  return std::nullopt;
}

std::optional<pid_t> tgidOf(pid_t tid) {
  auto text = sys::readFileAt(AT_FDCWD, fmt::format("/proc/{}/status", tid));
  return text ? parseStatusTgid(*text) : std::nullopt;
}

bool isKeptPid(pid_t pid, pid_t self, const std::vector<pid_t>& ancestors) {
  return pid <= 1 || pid == self ||
         std::find(ancestors.begin(), ancestors.end(), pid) != ancestors.end();
}

std::vector<pid_t> newcomers(const std::vector<pid_t>& listed, std::vector<pid_t>& seen) {
  std::vector<pid_t> fresh;
  fresh.reserve(listed.size());  // one buffer, not a doubling series left behind in the heap
  std::set_difference(listed.begin(), listed.end(), seen.begin(), seen.end(),
                      std::back_inserter(fresh));
  if (!fresh.empty()) {
    std::vector<pid_t> merged;
    merged.reserve(seen.size() + fresh.size());
    std::merge(seen.begin(), seen.end(), fresh.begin(), fresh.end(), std::back_inserter(merged));
    seen.swap(merged);
  }
  return fresh;
}

Result<std::vector<pid_t>> listChildren() {
  auto text = sys::readFileAt(AT_FDCWD, "/proc/thread-self/children");
  if (!text) {
    return std::move(text).error();
  }
  return parseChildList(*text);
}

}  // namespace cginit
