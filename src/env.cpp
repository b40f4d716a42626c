// SPDX-License-Identifier: MIT
// CGINIT_* and TINI_* environment variables to an OptionsLayer; pure.
#include "cginit/env.h"

#include <charconv>
#include <cstring>
#include <vector>

#include "cginit/duration.h"

namespace cginit {
namespace {

std::optional<std::string> nonEmpty(const EnvLookup& lookup, const char* name) {
  const char* v = lookup(name);
  if (v == nullptr || *v == '\0') {
    return std::nullopt;
  }
  return std::string(v);
}

/// "info", or a number as TINI_VERBOSITY has it: 0 error, 1 warn (the default), 2 info, ...
Result<Verbosity> parseVerbosityValue(const std::string& text) {
  if (auto v = parseVerbosity(text)) {
    return *v;
  }
  int n = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec == std::errc() && ptr == text.data() + text.size() && n >= 0) {
    return n == 0 ? Verbosity::Error : verbosityFromCount(n - 1);
  }
  return usageError("invalid verbosity '" + text +
                    "' (expected error, warn, info, debug, trace or 0..4)");
}

template <typename T>
Status setFrom(Result<T> parsed, std::optional<T>& slot, const char* name) {
  if (!parsed) {
    return std::move(parsed).error().context(name);
  }
  slot = std::move(parsed).value();
  return {};
}

}  // namespace

EnvLookup environmentLookup(char* const* envp) {
  std::vector<const char*> entries;
  for (char* const* e = envp; *e != nullptr; ++e) {
    // The first letter first: most of an environment starts with neither prefix.
    const char* entry = *e;
    if ((entry[0] == 'C' && std::strncmp(entry, "CGINIT_", 7) == 0) ||
        (entry[0] == 'T' && std::strncmp(entry, "TINI_", 5) == 0)) {
      entries.push_back(entry);
    }
  }
  return [entries = std::move(entries)](const char* name) -> const char* {
    const size_t length = std::strlen(name);
    for (const char* entry : entries) {
      if (std::strncmp(entry, name, length) == 0 && entry[length] == '=') {
        return entry + length + 1;
      }
    }
    return nullptr;
  };
}

Result<EnvResult> parseEnvironment(const EnvLookup& lookup) {
  EnvResult out;
  OptionsLayer& l = out.layer;
  out.configPath = nonEmpty(lookup, "CGINIT_CONFIG");

  if (lookup("TINI_SUBREAPER") != nullptr) {
    l.subreaper = true;
  }
  if (lookup("TINI_KILL_PROCESS_GROUP") != nullptr) {
    l.forward = ForwardTarget::Group;
  }
  if (auto v = nonEmpty(lookup, "TINI_VERBOSITY")) {
    if (auto st = setFrom(parseVerbosityValue(*v), l.verbosity, "TINI_VERBOSITY"); !st) {
      return std::move(st).error();
    }
  }
  // CGINIT_VERBOSITY after TINI_VERBOSITY: cginit's own variable wins when both are set.
  if (auto v = nonEmpty(lookup, "CGINIT_VERBOSITY")) {
    if (auto st = setFrom(parseVerbosityValue(*v), l.verbosity, "CGINIT_VERBOSITY"); !st) {
      return std::move(st).error();
    }
  }
  if (auto v = nonEmpty(lookup, "CGINIT_PIDS_MAX")) {
    if (auto st = setFrom(parsePidsMax(*v), l.pidsMax, "CGINIT_PIDS_MAX"); !st) {
      return std::move(st).error();
    }
  }
  if (auto v = nonEmpty(lookup, "CGINIT_CGROUP")) {
    if (auto st = setFrom(parseCgroupMode(*v), l.cgroupMode, "CGINIT_CGROUP"); !st) {
      return std::move(st).error();
    }
  }
  if (auto v = nonEmpty(lookup, "CGINIT_GRACE")) {
    if (auto st = setFrom(parseDuration(*v), l.grace, "CGINIT_GRACE"); !st) {
      return std::move(st).error();
    }
  }
  return out;
}

}  // namespace cginit
