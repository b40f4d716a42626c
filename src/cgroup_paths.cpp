// SPDX-License-Identifier: MIT
// Pure parsers for the cgroup v2 files cginit reads (/proc/self/cgroup, mountinfo, *.events,
// procs) and the check of what --limit may write.
#include "cginit/cgroup_paths.h"

#include <algorithm>
#include <array>
#include <limits>
#include <optional>

#include <fmt/format.h>

#include "cginit/text.h"

namespace cginit {

namespace {

/// Calls `fn` for every line of `text` (without the newline).
template <typename Fn>
void forEachLine(std::string_view text, Fn&& fn) {
  while (!text.empty()) {
    const auto nl = text.find('\n');
    fn(text.substr(0, nl));
    if (nl == std::string_view::npos) {
      break;
    }
    text.remove_prefix(nl + 1);
  }
}

/// Takes the next space-separated field off the front of `text`; empty when none is left.
/// Mountinfo fields never contain a raw space (it is escaped as \040).
std::string_view nextField(std::string_view& text) {
  size_t start = 0;
  while (start < text.size() && text[start] == ' ') {
    ++start;
  }
  const size_t end = std::min(text.find(' ', start), text.size());
  const auto field = text.substr(start, end - start);
  text.remove_prefix(end);
  return field;
}

bool hasOption(std::string_view options, std::string_view name) {
  while (!options.empty()) {
    const auto comma = options.find(',');
    if (options.substr(0, comma) == name) {
      return true;
    }
    if (comma == std::string_view::npos) {
      break;
    }
    options.remove_prefix(comma + 1);
  }
  return false;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

template <typename T>
std::optional<T> parseNumber(std::string_view s) {
  return parseInt<T>(s);
}

constexpr std::array<std::string_view, 8> kControllers = {"cpu",  "cpuset",  "io",   "memory",
                                                          "pids", "hugetlb", "rdma", "misc"};

/// The core files that --limit may write (cgroup-v2.rst, "Core Interface Files"); the other
/// cgroup.* files are how cginit itself manages the tree.
constexpr std::array<std::string_view, 2> kCoreLimits = {"cgroup.max.descendants",
                                                         "cgroup.max.depth"};

bool isCoreLimit(std::string_view file) {
  return std::find(kCoreLimits.begin(), kCoreLimits.end(), file) != kCoreLimits.end();
}

/// The fields of one mountinfo line: the mount's root, mount point, per-mount options, and
/// after the "-" separator the fstype and super options. Empty when the line is malformed.
struct MountLine {
  std::string_view root, mountPoint, mountOptions, fstype, superOptions;
};

/// Views into `line`, no allocation: this runs for every line of mountinfo.
std::optional<MountLine> splitMountLine(std::string_view line) {
  // id parent major:minor root mount-point options [optional fields...] - fstype source super
  MountLine m;
  for (int i = 0; i < 3; ++i) {
    nextField(line);
  }
  m.root = nextField(line);
  m.mountPoint = nextField(line);
  m.mountOptions = nextField(line);
  std::string_view field;
  do {
    field = nextField(line);
  } while (!field.empty() && field != "-");
  m.fstype = nextField(line);
  nextField(line);  // source
  m.superOptions = nextField(line);
  if (m.superOptions.empty()) {
    return std::nullopt;  // no "-" separator, or fewer than three fields after it
  }
  return m;
}

}  // namespace

Result<std::string> parseProcSelfCgroup(std::string_view text) {
  std::optional<std::string> path;
  forEachLine(text, [&](std::string_view line) {
    // "hierarchy-ID:controller-list:cgroup-path"; the path itself may contain ':'.
    if (!path && line.substr(0, 3) == "0::") {
      path = std::string(line.substr(3));
    }
  });
  if (!path) {
    return Error{0, "no cgroup v2 entry (a \"0::\" line) in /proc/self/cgroup"};
  }
  if (path->empty() || path->front() != '/') {
    return Error{0, "invalid cgroup v2 path " + quoted(*path) + " in /proc/self/cgroup"};
  }
  return *path;
}

std::string unescapeMountField(std::string_view field) {
  std::string out;
  out.reserve(field.size());
  for (size_t i = 0; i < field.size(); ++i) {
    const auto isOctal = [&](size_t j) {
      return j < field.size() && field[j] >= '0' && field[j] <= '7';
    };
    if (field[i] == '\\' && isOctal(i + 1) && isOctal(i + 2) && isOctal(i + 3)) {
      const int value = (field[i + 1] - '0') * 64 + (field[i + 2] - '0') * 8 + (field[i + 3] - '0');
      out += static_cast<char>(value);
      i += 3;
    } else {
      out += field[i];
    }
  }
  return out;
}

Result<Cgroup2Mount> findCgroup2Mount(std::string_view mountinfo) {
  std::optional<MountLine> found;
  forEachLine(mountinfo, [&](std::string_view line) {
    // Most lines are other filesystems: a line without the word cannot have it as its fstype.
    if (line.find("cgroup2") == std::string_view::npos) {
      return;
    }
    auto m = splitMountLine(line);
    if (m && m->fstype == "cgroup2") {
      found = m;
    }
  });
  if (!found) {
    return Error{0, "no cgroup2 filesystem in /proc/self/mountinfo"};
  }
  return Cgroup2Mount{unescapeMountField(found->mountPoint), unescapeMountField(found->root),
                      hasOption(found->mountOptions, "ro") || hasOption(found->superOptions, "ro"),
                      hasOption(found->superOptions, "nsdelegate")};
}

bool hasCgroup1Mount(std::string_view mountinfo) {
  bool found = false;
  forEachLine(mountinfo, [&](std::string_view line) {
    if (found || line.find("cgroup") == std::string_view::npos) {
      return;  // as in findCgroup2Mount: the fstype must be in the line
    }
    const auto m = splitMountLine(line);
    found = m && m->fstype == "cgroup";
  });
  return found;
}

Result<std::string> cgroupDirectory(const Cgroup2Mount& mount, std::string_view ownPath) {
  const auto outside = [&] {
    return Error{0, "cgroup " + std::string(ownPath) +
                        " is not visible under the cgroup2 mount at " + mount.mountPoint +
                        " (which shows " + mount.root + ")"};
  };
  // A process outside its cgroup namespace's root sees "/../..." paths. The kernel writes no
  // other ".", ".." or empty components; refuse them all rather than leave the mount.
  if (ownPath.empty() || ownPath.front() != '/') {
    return outside();
  }
  if (ownPath.size() > 1) {
    for (size_t pos = 1; pos <= ownPath.size();) {
      const size_t slash = std::min(ownPath.find('/', pos), ownPath.size());
      const std::string_view part = ownPath.substr(pos, slash - pos);
      if (part.empty() || part == "." || part == "..") {
        return outside();
      }
      pos = slash + 1;
    }
  }
  std::string_view root = mount.root;
  while (root.size() > 1 && root.back() == '/') {
    root.remove_suffix(1);
  }
  std::string_view rel = ownPath;
  if (root != "/") {
    if (rel.substr(0, root.size()) != root ||
        (rel.size() > root.size() && rel[root.size()] != '/')) {
      return outside();
    }
    rel.remove_prefix(root.size());
  }
  while (!rel.empty() && rel.front() == '/') {
    rel.remove_prefix(1);
  }
  std::string dir = mount.mountPoint;
  if (!rel.empty()) {
    if (dir.empty() || dir.back() != '/') {
      dir += '/';
    }
    dir += rel;
  }
  return dir;
}

Result<std::map<std::string, uint64_t>> parseKeyValues(std::string_view text) {
  std::map<std::string, uint64_t> out;
  std::optional<Error> error;
  forEachLine(text, [&](std::string_view raw) {
    const auto line = trim(raw);
    if (line.empty() || error) {
      return;
    }
    const auto sp = line.find(' ');
    const auto value =
        sp == std::string_view::npos ? std::nullopt : parseNumber<uint64_t>(trim(line.substr(sp)));
    if (!value) {
      error = Error{0, "invalid key/value line " + quoted(line)};
      return;
    }
    out[std::string(line.substr(0, sp))] = *value;
  });
  if (error) {
    return *std::move(error);
  }
  return out;
}

Result<std::vector<pid_t>> parsePidList(std::string_view text, size_t* outside) {
  std::vector<pid_t> pids;
  std::optional<Error> error;
  if (outside != nullptr) {
    *outside = 0;
  }
  forEachLine(text, [&](std::string_view raw) {
    const auto line = trim(raw);
    if (line.empty() || error) {
      return;
    }
    const auto pid = parseNumber<pid_t>(line);
    if (pid && *pid == 0) {
      // The kernel lists a process of another PID namespace as 0: it has no pid that could be
      // signalled or moved from here, but the rest of the list still counts.
      if (outside != nullptr) {
        ++*outside;
      }
      return;
    }
    if (!pid || *pid < 0) {
      error = Error{0, "invalid pid " + quoted(line)};
      return;
    }
    pids.push_back(*pid);
  });
  if (error) {
    return *std::move(error);
  }
  return pids;
}

std::vector<std::string> parseControllerList(std::string_view text) {
  std::vector<std::string> out;
  text = trim(text.substr(0, text.find('\n')));
  for (auto word = nextField(text); !word.empty(); word = nextField(text)) {
    out.emplace_back(word);
  }
  return out;
}

bool isValidLimitFile(std::string_view file) {
  if (isCoreLimit(file)) {
    return true;
  }
  const auto dot = file.find('.');
  if (dot == std::string_view::npos || dot + 1 >= file.size()) {
    return false;
  }
  if (std::find(kControllers.begin(), kControllers.end(), file.substr(0, dot)) ==
      kControllers.end()) {
    return false;
  }
  // Upper case for hugetlb.<size>.max ("hugetlb.2MB.max"); no '/', so never another directory.
  return std::all_of(file.begin(), file.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
  });
}

std::string_view limitController(std::string_view file) {
  return isCoreLimit(file) ? std::string_view() : file.substr(0, file.find('.'));
}

std::optional<uint64_t> parsePlainDecimal(std::string_view text) {
  if (text.size() > 1 && text[0] == '0') {
    return std::nullopt;  // the kernel reads "010" as octal 8
  }
  return parseInt<uint64_t>(text);
}

std::string_view fileValue(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
    text.remove_suffix(1);
  }
  return text;
}

std::optional<uint64_t> parseCounter(std::string_view text) {
  return parseInt<uint64_t>(fileValue(text));
}

Status checkLimit(std::string_view file, std::string_view value) {
  if (!isValidLimitFile(file)) {
    if (file.substr(0, 7) == "cgroup.") {
      return usageError("invalid limit file " + quoted(file) +
                        ": cginit manages the cgroup.* files itself, except "
                        "cgroup.max.descendants and cgroup.max.depth");
    }
    return usageError("invalid limit file " + quoted(file) +
                      " (expected a controller's interface file such as memory.max)");
  }
  // Cgroup interface files take ASCII values: anything else is a mistake (and a byte that is not
  // UTF-8 would make --print-config print TOML that cannot be read back).
  const bool printable =
      std::all_of(value.begin(), value.end(), [](char c) { return c >= ' ' && c <= '~'; });
  if (value.empty() || !printable) {
    return usageError("invalid limit value " + quoted(value) + " for " + std::string(file));
  }
  // The values cginit reads back or reports: plain decimal or "max" (the kernel would also take
  // "+16", and "0x10" or "010" in base 0, which no report can show as it was meant).
  if (file == "pids.max" || isCoreLimit(file)) {
    const uint64_t most = file == "pids.max" ? kPidsMaxLimit : 2147483647;
    const uint64_t least = file == "pids.max" ? 1 : 0;
    const auto n = parsePlainDecimal(value);
    if (value != "max" && (!n || *n < least || *n > most)) {
      return usageError(fmt::format("invalid limit value {} for {} (expected {}..{} or max)",
                                    quoted(value), file, least, most));
    }
  }
  return {};
}

}  // namespace cginit
