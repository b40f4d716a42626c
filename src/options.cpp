// SPDX-License-Identifier: MIT
// The merged settings of cginit and the per-source layers they are merged from; pure.
#include "cginit/options.h"

#include <signal.h>

#include <algorithm>
#include <array>
#include <charconv>

#include "cginit/signal_names.h"

namespace cginit {
namespace {

template <typename T>
void apply(T& target, const std::optional<T>& value) {
  if (value) {
    target = *value;
  }
}

std::optional<uint64_t> parseUnsigned(std::string_view text) {
  uint64_t value = 0;
  if (text.empty()) {
    return std::nullopt;
  }
  const auto* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end) {
    return std::nullopt;
  }
  return value;
}

constexpr std::array<std::string_view, 8> kControllers = {"cpu",  "cpuset",  "io",   "memory",
                                                          "pids", "hugetlb", "rdma", "misc"};

}  // namespace

Options merge(const std::vector<const OptionsLayer*>& layers) {
  Options o;
  for (const OptionsLayer* l : layers) {
    apply(o.verbosity, l->verbosity);
    apply(o.subreaper, l->subreaper);
    if (l->pdeathsig) {
      o.pdeathsig = l->pdeathsig;
    }
    apply(o.forward, l->forward);
    apply(o.remapExit, l->remapExit);
    apply(o.warnOnReap, l->warnOnReap);
    if (l->rewrite) {
      for (const auto& [from, to] : *l->rewrite) {
        o.rewrite[from] = to;
      }
    }
    apply(o.grace, l->grace);
    apply(o.stopSignal, l->stopSignal);
    if (l->stopTimeout) {
      o.stopTimeout = l->stopTimeout;
    }
    apply(o.cgroupMode, l->cgroupMode);
    if (l->pidsMax) {
      o.pidsMax = l->pidsMax;
    }
    if (l->limits) {
      for (const Limit& limit : *l->limits) {
        auto it = std::find_if(o.limits.begin(), o.limits.end(),
                               [&](const Limit& x) { return x.file == limit.file; });
        if (it != o.limits.end()) {
          it->value = limit.value;
        } else {
          o.limits.push_back(limit);
        }
      }
    }
    if (l->reportPath) {
      o.reportPath = l->reportPath;
    }
  }
  std::sort(o.remapExit.begin(), o.remapExit.end());
  o.remapExit.erase(std::unique(o.remapExit.begin(), o.remapExit.end()), o.remapExit.end());
  return o;
}

Result<ForwardTarget> parseForward(std::string_view text) {
  if (text == "child") {
    return ForwardTarget::Child;
  }
  if (text == "group") {
    return ForwardTarget::Group;
  }
  if (text == "cgroup") {
    return ForwardTarget::Cgroup;
  }
  return usageError("invalid forward target '" + std::string(text) +
                    "' (expected child, group or cgroup)");
}

Result<CgroupMode> parseCgroupMode(std::string_view text) {
  if (text == "auto") {
    return CgroupMode::Auto;
  }
  if (text == "required") {
    return CgroupMode::Required;
  }
  if (text == "off") {
    return CgroupMode::Off;
  }
  return usageError("invalid cgroup mode '" + std::string(text) +
                    "' (expected auto, required or off)");
}

Result<PidsMax> parsePidsMax(std::string_view text) {
  if (text == "max") {
    return PidsMax{true, 0};
  }
  auto n = parseUnsigned(text);
  // pids.max is an int in the kernel (PIDS_MAX is 4194304); 0 would forbid the program itself.
  if (!n || *n < 1 || *n > 4194304) {
    return usageError("invalid pids.max '" + std::string(text) + "' (expected 1..4194304 or max)");
  }
  return PidsMax{false, *n};
}

Result<int> parseExitCode(std::string_view text) {
  auto n = parseUnsigned(text);
  if (!n || *n > 255) {
    return usageError("invalid exit code '" + std::string(text) + "' (expected 0..255)");
  }
  return static_cast<int>(*n);
}

Result<std::pair<int, int>> parseRewrite(std::string_view text) {
  const auto colon = text.find(':');
  if (colon == std::string_view::npos) {
    return usageError("invalid rewrite '" + std::string(text) + "' (expected FROM:TO)");
  }
  auto from = parseSignal(text.substr(0, colon));
  if (!from) {
    return std::move(from).error().context("invalid rewrite '" + std::string(text) + "'");
  }
  if (*from == SIGKILL || *from == SIGSTOP || *from == SIGCHLD) {
    return usageError("invalid rewrite '" + std::string(text) + "': " + signalName(*from) +
                      " cannot be rewritten");
  }
  auto to = parseSignal(text.substr(colon + 1));
  if (!to) {
    return std::move(to).error().context("invalid rewrite '" + std::string(text) + "'");
  }
  return std::pair{*from, *to};
}

bool isValidLimitFile(std::string_view file) {
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
  return file.substr(0, file.find('.'));
}

Result<Limit> parseLimit(std::string_view text) {
  const auto eq = text.find('=');
  if (eq == std::string_view::npos) {
    return usageError("invalid limit '" + std::string(text) + "' (expected FILE=VALUE)");
  }
  Limit limit{std::string(text.substr(0, eq)), std::string(text.substr(eq + 1))};
  if (!isValidLimitFile(limit.file)) {
    return usageError("invalid limit file '" + limit.file +
                      "' (expected a controller's interface file such as memory.max)");
  }
  // Cgroup interface files take ASCII values: anything else is a mistake (and a byte that is not
  // UTF-8 would make --print-config print TOML that cannot be read back).
  const bool printable = std::all_of(limit.value.begin(), limit.value.end(),
                                     [](char c) { return c >= ' ' && c <= '~'; });
  if (limit.value.empty() || !printable) {
    return usageError("invalid limit value '" + limit.value + "' for " + limit.file);
  }
  return limit;
}

Result<int> parseStopSignal(std::string_view text) {
  return parseSignal(text);
}

std::string_view forwardName(ForwardTarget target) {
  switch (target) {
    case ForwardTarget::Child:
      return "child";
    case ForwardTarget::Group:
      return "group";
    case ForwardTarget::Cgroup:
      return "cgroup";
  }
  return "child";
}

std::string_view cgroupModeName(CgroupMode mode) {
  switch (mode) {
    case CgroupMode::Auto:
      return "auto";
    case CgroupMode::Required:
      return "required";
    case CgroupMode::Off:
      return "off";
  }
  return "auto";
}

}  // namespace cginit
