// SPDX-License-Identifier: MIT
// The JSON exit report (--report): counters collected by the supervisor, and their output.
#include "cginit/report.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include "cginit/cgroup_paths.h"
#include "cginit/signal_names.h"
#include "cginit/sys.h"
#include "cginit/text.h"
#include "cginit/unique_fd.h"

namespace cginit {
namespace {

std::string jsonString(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

template <typename T>
std::string orNull(const std::optional<T>& v) {
  return v ? fmt::format("{}", *v) : "null";
}

std::string_view drainName(DrainOutcome d) {
  switch (d) {
    case DrainOutcome::None:
      return "none";
    case DrainOutcome::Clean:
      return "clean";
    case DrainOutcome::Killed:
      return "killed";
  }
  return "none";
}

}  // namespace

std::string toJson(const ExitReport& r) {
  std::string forwarded = "{";
  for (const auto& [signo, count] : r.forwarded) {
    if (forwarded.size() > 1) {
      forwarded += ", ";
    }
    forwarded += fmt::format("{}: {}", jsonString(signalName(signo)), count);
  }
  forwarded += "}";
  std::string pidsMax = "null";
  if (r.pidsMax) {
    // A JSON number only where it is one: anything else ("0x10", "010") as a string.
    pidsMax = parsePlainDecimal(*r.pidsMax) ? *r.pidsMax : jsonString(*r.pidsMax);
  }
  return fmt::format(
      "{{\"exit_code\": {}, \"signal\": {}, \"main_pid\": {}, \"duration_ms\": {}, \"reaped\": {}, "
      "\"forwarded\": {}, \"pids_peak\": {}, \"pids_max\": {}, \"fork_rejections\": {}, "
      "\"oom_kills\": {}, \"drain\": \"{}\", \"killed\": {}, \"cgroup\": {}, \"observed_cgroup\": "
      "{}, "
      "\"escaped\": {}, \"enforced\": {}, \"tampered\": {}}}\n",
      r.exitCode, r.signal ? jsonString(signalName(*r.signal)) : "null", r.mainPid, r.durationMs,
      r.reaped, forwarded, orNull(r.pidsPeak), pidsMax, orNull(r.forkRejections),
      orNull(r.oomKills), drainName(r.drain), r.killed, r.cgroup ? jsonString(*r.cgroup) : "null",
      r.observedCgroup ? jsonString(*r.observedCgroup) : "null", r.escaped,
      r.enforced ? (*r.enforced ? "true" : "false") : "null", orNull(r.tampered));
}

namespace {

struct Target {
  std::string dir;   // "." when the path has no '/'
  std::string name;  // the last component
};

Target splitPath(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) {
    return {".", path};
  }
  return {slash == 0 ? "/" : path.substr(0, slash), path.substr(slash + 1)};
}

std::string_view fileType(mode_t mode) {
  if (S_ISLNK(mode)) {
    return "a symbolic link";
  }
  if (S_ISDIR(mode)) {
    return "a directory";
  }
  if (S_ISFIFO(mode)) {
    return "a FIFO";
  }
  if (S_ISSOCK(mode)) {
    return "a socket";
  }
  return "a device";
}

/// An Error when `name` in `dirfd` exists and is not a regular file: the report never follows a
/// symbolic link (one that the workload planted would make cginit overwrite its target) and never
/// opens a FIFO (which would block).
Status refuseNonRegular(int dirfd, const std::string& name, const std::string& path) {
  struct stat st {};
  if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) {
    return errno == ENOENT ? Status{} : Status{sysError("stat", path)};
  }
  if (!S_ISREG(st.st_mode)) {
    return usageError(fmt::format("report {} is {}, not a regular file: not writing it",
                                  quoted(path), fileType(st.st_mode)));
  }
  return {};
}

Result<UniqueFd> openDirectory(const std::string& dir) {
  UniqueFd fd(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!fd) {
    return sysError("open", dir);
  }
  return fd;
}

}  // namespace

Status checkReportPath(const std::string& path) {
  if (path == "-") {
    return {};
  }
  const Target t = splitPath(path);
  const auto usage = [](Error e) {
    e.usage = true;
    return e.context("--report");
  };
  if (t.name.empty() || t.name == "." || t.name == "..") {
    return usage(usageError(quoted(path) + " names a directory, not a file"));
  }
  // writeReport() creates a missing directory (one level): then its parent must be writable.
  std::string dir = t.dir;
  auto dirfd = openDirectory(dir);
  if (!dirfd && dirfd.error().code == ENOENT) {
    dir = splitPath(t.dir).dir;
    dirfd = openDirectory(dir);
  } else if (dirfd) {
    if (auto st = refuseNonRegular(dirfd->get(), t.name, path); !st) {
      return usage(std::move(st).error());
    }
  }
  if (!dirfd) {
    return usage(std::move(dirfd).error());
  }
  if (::faccessat(AT_FDCWD, dir.c_str(), W_OK | X_OK, AT_EACCESS) < 0) {
    return usage(sysError("access", dir));
  }
  return {};
}

Status writeReport(const ExitReport& report, const std::string& path) {
  const std::string json = toJson(report);
  if (path == "-") {
    return sys::writeAll(STDERR_FILENO, json);
  }
  const Target t = splitPath(path);
  if (::mkdir(t.dir.c_str(), 0755) < 0 && errno != EEXIST) {
    return sysError("mkdir", t.dir);
  }
  auto dirfd = openDirectory(t.dir);
  if (!dirfd) {
    return std::move(dirfd).error();
  }
  if (auto st = refuseNonRegular(dirfd->get(), t.name, path); !st) {
    return st;
  }
  // A new file beside the target, renamed over it once complete: never a truncation in place,
  // never a half-written report, and rename() replaces a link that appears meanwhile instead of
  // following it. O_EXCL | O_NOFOLLOW: the temporary name itself cannot be a planted link.
  std::string tmp;
  UniqueFd fd;
  for (int attempt = 0; attempt < 100 && !fd; ++attempt) {
    tmp = fmt::format(".{}.{}.{}.tmp", t.name, ::getpid(), attempt);
    fd = UniqueFd(::openat(dirfd->get(), tmp.c_str(),
                           O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0644));
    if (!fd && errno != EEXIST) {
      break;
    }
  }
  if (!fd) {
    return sysError("open", t.dir + "/" + tmp);
  }
  const auto discard = [&](Error e) {
    ::unlinkat(dirfd->get(), tmp.c_str(), 0);
    return e;
  };
  if (auto st = sys::writeAll(fd.get(), json); !st) {
    return discard(std::move(st).error().context(path));
  }
  if (::fsync(fd.get()) < 0) {
    return discard(sysError("fsync", path));
  }
  if (::renameat(dirfd->get(), tmp.c_str(), dirfd->get(), t.name.c_str()) < 0) {
    return discard(sysError("rename", path));
  }
  return {};
}

}  // namespace cginit
