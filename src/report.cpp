// SPDX-License-Identifier: MIT
// The JSON exit report (--report): counters collected by the supervisor, and their output.
#include "cginit/report.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include "cginit/signal_names.h"
#include "cginit/sys.h"

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
    pidsMax = *r.pidsMax == "max" ? jsonString("max") : *r.pidsMax;
  }
  return fmt::format(
      "{{\"exit_code\": {}, \"signal\": {}, \"main_pid\": {}, \"duration_ms\": {}, \"reaped\": {}, "
      "\"forwarded\": {}, \"pids_peak\": {}, \"pids_max\": {}, \"fork_rejections\": {}, "
      "\"oom_kills\": {}, \"drain\": \"{}\", \"killed\": {}, \"cgroup\": {}, \"observed_cgroup\": "
      "{}, "
      "\"escaped\": {}, \"enforced\": {}}}\n",
      r.exitCode, r.signal ? jsonString(signalName(*r.signal)) : "null", r.mainPid, r.durationMs,
      r.reaped, forwarded, orNull(r.pidsPeak), pidsMax, orNull(r.forkRejections),
      orNull(r.oomKills), drainName(r.drain), r.killed, r.cgroup ? jsonString(*r.cgroup) : "null",
      r.observedCgroup ? jsonString(*r.observedCgroup) : "null", r.escaped,
      r.enforced ? (*r.enforced ? "true" : "false") : "null");
}

Status writeReport(const ExitReport& report, const std::string& path) {
  const std::string json = toJson(report);
  if (path == "-") {
    return sys::writeAll(STDERR_FILENO, json);
  }
  const auto slash = path.rfind('/');
  if (slash != std::string::npos && slash > 0) {
    const std::string dir = path.substr(0, slash);
    if (::mkdir(dir.c_str(), 0755) < 0 && errno != EEXIST) {
      return sysError("mkdir", dir);
    }
  }
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0644));
  if (!fd) {
    return sysError("open", path);
  }
  if (auto st = sys::writeAll(fd.get(), json); !st) {
    return std::move(st).error().context(path);
  }
  return {};
}

}  // namespace cginit
