// SPDX-License-Identifier: MIT
// CGINIT_* and TINI_* environment variables to an OptionsLayer; pure.
#include "cginit/env.h"

#include <cstring>
#include <vector>

#include <fmt/format.h>

#include "cginit/option_table.h"

namespace cginit {
namespace {

constexpr std::string_view kPrefix = "CGINIT_";

std::optional<std::string> nonEmpty(const EnvLookup& lookup, std::string_view name) {
  const char* v = lookup(std::string(name).c_str());
  if (v == nullptr || *v == '\0') {
    return std::nullopt;
  }
  return std::string(v);
}

/// Sets `s` from the variable's text: a list is comma-separated (`CGINIT_REMAP_EXIT=143,137`)
/// and replaces what a lower layer gave, as in the file.
Status setFromText(const Setting& s, std::string_view text, OptionsLayer& layer) {
  const auto set = s.setFromEnv != nullptr ? s.setFromEnv : s.set;
  if (s.form != ValueForm::List && s.form != ValueForm::Map) {
    return set(text, layer);
  }
  s.clear(layer);
  for (size_t start = 0; start <= text.size();) {
    const size_t comma = std::min(text.find(',', start), text.size());
    if (auto st = set(text.substr(start, comma - start), layer); !st) {
      return st;
    }
    start = comma + 1;
  }
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

std::vector<std::string> unknownVariables(char* const* envp) {
  std::vector<std::string> unknown;
  for (char* const* e = envp; *e != nullptr; ++e) {
    const std::string_view entry(*e);
    if (entry.substr(0, kPrefix.size()) != kPrefix) {
      continue;
    }
    const std::string_view name = entry.substr(0, entry.find('='));
    if (name != kConfigEnv && findByEnv(name) == nullptr) {
      unknown.emplace_back(name);
    }
  }
  return unknown;
}

Result<EnvResult> parseEnvironment(const EnvLookup& lookup) {
  EnvResult out;
  OptionsLayer& l = out.layer;
  out.configPath = nonEmpty(lookup, kConfigEnv);

  // tini's variables first, so that cginit's own win when both are set. tini tests the two
  // flags with getenv() != NULL: any value, even "" or "0", turns them on.
  if (lookup("TINI_SUBREAPER") != nullptr) {
    l.subreaper = true;
  }
  if (lookup("TINI_KILL_PROCESS_GROUP") != nullptr) {
    l.forward = ForwardTarget::Group;
  }
  if (auto v = nonEmpty(lookup, "TINI_VERBOSITY")) {
    const Setting* verbosity = findByEnv("CGINIT_VERBOSITY");
    if (auto st = setFromText(*verbosity, *v, l); !st) {
      return std::move(st).error().context("TINI_VERBOSITY");
    }
  }
  // An empty CGINIT_* value counts as unset.
  for (const Setting& s : settingsTable()) {
    if (s.env.empty()) {
      continue;
    }
    if (auto v = nonEmpty(lookup, s.env)) {
      if (auto st = setFromText(s, *v, l); !st) {
        return std::move(st).error().context(s.env);
      }
    }
  }
  return out;
}

}  // namespace cginit
