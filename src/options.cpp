// SPDX-License-Identifier: MIT
// The merged settings of cginit and the per-source layers they are merged from; pure.
#include "cginit/options.h"

#include <signal.h>

#include "cginit/signal_names.h"
#include "cginit/text.h"

namespace cginit {

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
  return usageError("invalid forward target " + quoted(text) +
                    " (expected child, group or cgroup)");
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
  return usageError("invalid cgroup mode " + quoted(text) + " (expected auto, required or off)");
}

Result<PidsMax> parsePidsMax(std::string_view text) {
  if (text == "max") {
    return PidsMax{true, 0};
  }
  // Plain decimal only: the kernel parses pids.max in base 0, so "010" would be 8. 0 would
  // forbid the program itself.
  auto n = parsePlainDecimal(text);
  if (!n || *n < 1 || *n > kPidsMaxLimit) {
    return usageError("invalid pids.max " + quoted(text) + " (expected 1..4194304 or max)");
  }
  return PidsMax{false, *n};
}

Result<int> parseExitCode(std::string_view text) {
  auto n = parseInt<uint64_t>(text);
  if (!n || *n > 255) {
    return usageError("invalid exit code " + quoted(text) + " (expected 0..255)");
  }
  return static_cast<int>(*n);
}

Result<std::pair<int, int>> parseRewrite(std::string_view text) {
  const auto colon = text.find(':');
  if (colon == std::string_view::npos) {
    return usageError("invalid rewrite " + quoted(text) + " (expected FROM:TO)");
  }
  auto from = parseSignal(text.substr(0, colon));
  if (!from) {
    return std::move(from).error().context("invalid rewrite " + quoted(text));
  }
  if (*from == SIGKILL || *from == SIGSTOP || *from == SIGCHLD) {
    return usageError("invalid rewrite " + quoted(text) + ": " + signalName(*from) +
                      " cannot be rewritten");
  }
  auto to = parseSignal(text.substr(colon + 1));
  if (!to) {
    return std::move(to).error().context("invalid rewrite " + quoted(text));
  }
  return std::pair{*from, *to};
}

Result<Limit> parseLimit(std::string_view text) {
  const auto eq = text.find('=');
  if (eq == std::string_view::npos) {
    return usageError("invalid limit " + quoted(text) + " (expected FILE=VALUE)");
  }
  Limit limit{std::string(text.substr(0, eq)), std::string(text.substr(eq + 1))};
  if (auto st = checkLimit(limit.file, limit.value); !st) {
    return std::move(st).error();
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
