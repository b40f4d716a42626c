// SPDX-License-Identifier: MIT
// The one table of settings that the command line, the environment, the TOML file, merge() and
// --print-config read from: a new setting is one row here (and one line of --help); pure.
#include "cginit/option_table.h"

#include <algorithm>
#include <array>
#include <type_traits>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cginit/config_format.h"
#include "cginit/duration.h"
#include "cginit/signal_names.h"
#include "cginit/text.h"

namespace cginit {
namespace {

using L = OptionsLayer;
using O = Options;

template <typename T>
struct IsOptional : std::false_type {};
template <typename T>
struct IsOptional<std::optional<T>> : std::true_type {};

/// `set` of a scalar setting: Parse(text) into the layer's member.
template <auto Member, auto Parse>
Status store(std::string_view text, OptionsLayer& layer) {
  auto value = Parse(text);
  if (!value) {
    return std::move(value).error();
  }
  layer.*Member = std::move(value).value();
  return {};
}

/// `merge` of a scalar setting (and of remap_exit, which a higher layer replaces).
template <auto LayerMember, auto OptionsMember>
void assign(Options& options, const OptionsLayer& layer) {
  if (const auto& value = layer.*LayerMember) {
    options.*OptionsMember = *value;
  }
}

/// `print` of a setting: Format(value), or nullopt when an optional value is unset.
template <auto OptionsMember, auto Format>
std::optional<std::string> show(const Options& options) {
  const auto& value = options.*OptionsMember;
  if constexpr (IsOptional<std::remove_cvref_t<decltype(value)>>::value) {
    if (!value) {
      return std::nullopt;
    }
    return Format(*value);
  } else {
    return Format(value);
  }
}

template <auto Member>
void clearList(OptionsLayer& layer) {
  (layer.*Member).emplace();
}

Result<Verbosity> parseVerbosityName(std::string_view text) {
  if (auto v = parseVerbosity(text)) {
    return *v;
  }
  return usageError(fmt::format("invalid verbosity {} (expected error, warn, info, debug or trace)",
                                quoted(text)));
}

/// A name, or a number as TINI_VERBOSITY has it: 0 error, 1 warn (the default), 2 info, ...
Result<Verbosity> verbosityNameOrNumber(std::string_view text) {
  if (auto v = parseVerbosity(text)) {
    return *v;
  }
  if (auto n = parseInt<int>(text); n && *n >= 0) {
    return *n == 0 ? Verbosity::Error : verbosityFromCount(*n - 1);
  }
  return usageError(fmt::format(
      "invalid verbosity {} (expected error, warn, info, debug, trace or 0..4)", quoted(text)));
}

Result<std::string> reportPath(std::string_view text) {
  if (text.empty()) {
    return usageError("empty path");
  }
  // TOML allows "\u0000", but no file name contains one: open() would cut the path there.
  if (text.find('\0') != std::string_view::npos) {
    return usageError("path contains a NUL character");
  }
  // --print-config prints it as a TOML string, and TOML is UTF-8 only.
  if (!isUtf8(text)) {
    return usageError("path is not valid UTF-8");
  }
  return std::string(text);
}

Status addRemapExit(std::string_view text, OptionsLayer& layer) {
  auto code = parseExitCode(text);
  if (!code) {
    return std::move(code).error();
  }
  (layer.remapExit ? *layer.remapExit : layer.remapExit.emplace()).push_back(*code);
  return {};
}

Status addRewrite(std::string_view text, OptionsLayer& layer) {
  auto pair = parseRewrite(text);
  if (!pair) {
    return std::move(pair).error();
  }
  (layer.rewrite ? *layer.rewrite : layer.rewrite.emplace())[pair->first] = pair->second;
  return {};
}

Status addLimit(std::string_view text, OptionsLayer& layer) {
  auto limit = parseLimit(text);
  if (!limit) {
    return std::move(limit).error();
  }
  auto& limits = layer.limits ? *layer.limits : layer.limits.emplace();
  std::erase_if(limits, [&](const Limit& x) { return x.file == limit->file; });
  limits.push_back(std::move(limit).value());
  return {};
}

/// Maps merge key by key, a higher layer winning per key; limits keep the order of first use.
void mergeRewrite(Options& options, const OptionsLayer& layer) {
  if (layer.rewrite) {
    for (const auto& [from, to] : *layer.rewrite) {
      options.rewrite[from] = to;
    }
  }
}

void mergeLimits(Options& options, const OptionsLayer& layer) {
  if (!layer.limits) {
    return;
  }
  for (const Limit& limit : *layer.limits) {
    auto it = std::find_if(options.limits.begin(), options.limits.end(),
                           [&](const Limit& x) { return x.file == limit.file; });
    if (it != options.limits.end()) {
      it->value = limit.value;
    } else {
      options.limits.push_back(limit);
    }
  }
}

std::string boolText(bool value) {
  return value ? "true" : "false";
}
std::string verbosityText(Verbosity v) {
  return tomlString(verbosityName(v));
}
std::string signalText(int signo) {
  return tomlString(signalName(signo));
}
std::string durationText(std::chrono::milliseconds d) {
  return tomlString(formatDuration(d));
}
std::string forwardText(ForwardTarget t) {
  return tomlString(forwardName(t));
}
std::string modeText(CgroupMode m) {
  return tomlString(cgroupModeName(m));
}
std::string pidsText(const PidsMax& p) {
  return p.unlimited ? tomlString("max") : p.str();
}
std::string pathText(const std::string& path) {
  return tomlString(path);
}
std::string codesText(const std::vector<int>& codes) {
  return fmt::format("[{}]", fmt::join(codes, ", "));
}
std::string inlineTable(const std::vector<std::string>& items) {
  return items.empty() ? std::string("{}") : fmt::format("{{ {} }}", fmt::join(items, ", "));
}
std::string rewriteText(const std::map<int, int>& rewrite) {
  std::vector<std::string> items;
  items.reserve(rewrite.size());
  for (const auto& [from, to] : rewrite) {
    items.push_back(fmt::format("{} = {}", signalText(from), signalText(to)));
  }
  return inlineTable(items);
}
std::string limitsText(const std::vector<Limit>& limits) {
  std::vector<std::string> items;
  items.reserve(limits.size());
  for (const Limit& limit : limits) {
    items.push_back(fmt::format("{} = {}", tomlString(limit.file), tomlString(limit.value)));
  }
  return inlineTable(items);
}

using F = ValueForm;

// One row per setting. `set` parses one value of any source; the forms say how each source
// spells it. The order is --print-config's.
constexpr std::array<Setting, 15> kSettings = {{
    // -v is counted by cli.cpp; CGINIT_VERBOSITY (and TINI_VERBOSITY) also take tini's numbers.
    {"", 0, "CGINIT_VERBOSITY", "init", "verbosity", F::Text,
     store<&L::verbosity, parseVerbosityName>, store<&L::verbosity, verbosityNameOrNumber>, nullptr,
     assign<&L::verbosity, &O::verbosity>, show<&O::verbosity, verbosityText>, ""},
    {"subreaper", 's', "CGINIT_SUBREAPER", "init", "subreaper", F::Flag,
     store<&L::subreaper, parseBool>, nullptr, nullptr, assign<&L::subreaper, &O::subreaper>,
     show<&O::subreaper, boolText>, ""},
    {"pdeathsig", 'p', "CGINIT_PDEATHSIG", "init", "pdeathsig", F::TextOrInteger,
     store<&L::pdeathsig, parseSignal>, nullptr, nullptr, assign<&L::pdeathsig, &O::pdeathsig>,
     show<&O::pdeathsig, signalText>, "no signal when the parent dies"},
    {"forward", 0, "CGINIT_FORWARD", "init", "forward", F::Text, store<&L::forward, parseForward>,
     nullptr, nullptr, assign<&L::forward, &O::forward>, show<&O::forward, forwardText>, ""},
    {"remap-exit", 'e', "CGINIT_REMAP_EXIT", "init", "remap_exit", F::List, addRemapExit, nullptr,
     clearList<&L::remapExit>, assign<&L::remapExit, &O::remapExit>, show<&O::remapExit, codesText>,
     ""},
    {"warn-on-reap", 'w', "CGINIT_WARN_ON_REAP", "init", "warn_on_reap", F::Flag,
     store<&L::warnOnReap, parseBool>, nullptr, nullptr, assign<&L::warnOnReap, &O::warnOnReap>,
     show<&O::warnOnReap, boolText>, ""},
    {"rewrite", 0, "CGINIT_REWRITE", "init", "rewrite", F::Map, addRewrite, nullptr,
     clearList<&L::rewrite>, mergeRewrite, show<&O::rewrite, rewriteText>, ""},
    {"grace", 0, "CGINIT_GRACE", "shutdown", "grace", F::TextOrInteger,
     store<&L::grace, parseDuration>, nullptr, nullptr, assign<&L::grace, &O::grace>,
     show<&O::grace, durationText>, ""},
    {"stop-signal", 0, "CGINIT_STOP_SIGNAL", "shutdown", "signal", F::TextOrInteger,
     store<&L::stopSignal, parseStopSignal>, nullptr, nullptr,
     assign<&L::stopSignal, &O::stopSignal>, show<&O::stopSignal, signalText>, ""},
    {"stop-timeout", 0, "CGINIT_STOP_TIMEOUT", "shutdown", "stop_timeout", F::TextOrInteger,
     store<&L::stopTimeout, parseDuration>, nullptr, nullptr,
     assign<&L::stopTimeout, &O::stopTimeout>, show<&O::stopTimeout, durationText>,
     "the container manager decides when to kill"},
    {"cgroup", 0, "CGINIT_CGROUP", "cgroup", "mode", F::Text,
     store<&L::cgroupMode, parseCgroupMode>, nullptr, nullptr,
     assign<&L::cgroupMode, &O::cgroupMode>, show<&O::cgroupMode, modeText>, ""},
    {"pids-max", 0, "CGINIT_PIDS_MAX", "cgroup", "pids_max", F::TextOrInteger,
     store<&L::pidsMax, parsePidsMax>, nullptr, nullptr, assign<&L::pidsMax, &O::pidsMax>,
     show<&O::pidsMax, pidsText>, "pids.max is not written"},
    // No environment variable: values such as cpuset.cpus ("0-3,8") contain commas.
    {"limit", 0, "", "cgroup", "limits", F::Map, addLimit, nullptr, clearList<&L::limits>,
     mergeLimits, show<&O::limits, limitsText>, ""},
    {"workload-cgroupns", 0, "CGINIT_WORKLOAD_CGROUPNS", "cgroup", "workload_cgroupns", F::Bool,
     store<&L::workloadCgroupns, parseBool>, nullptr, nullptr,
     assign<&L::workloadCgroupns, &O::workloadCgroupns>, show<&O::workloadCgroupns, boolText>, ""},
    {"report", 0, "CGINIT_REPORT", "report", "path", F::Text, store<&L::reportPath, reportPath>,
     nullptr, nullptr, assign<&L::reportPath, &O::reportPath>, show<&O::reportPath, pathText>,
     "no exit report"},
}};

constexpr std::array<std::string_view, 4> kTables = {"init", "shutdown", "cgroup", "report"};

template <typename Match>
const Setting* find(Match match) {
  const auto* it = std::find_if(kSettings.begin(), kSettings.end(), match);
  return it == kSettings.end() ? nullptr : it;
}

}  // namespace

std::span<const Setting> settingsTable() {
  return kSettings;
}

std::span<const std::string_view> configTables() {
  return kTables;
}

const Setting* findByLongName(std::string_view name) {
  return name.empty() ? nullptr : find([&](const Setting& s) { return s.longName == name; });
}

const Setting* findByShortName(char name) {
  return name == 0 ? nullptr : find([&](const Setting& s) { return s.shortName == name; });
}

const Setting* findByEnv(std::string_view name) {
  return name.empty() ? nullptr : find([&](const Setting& s) { return s.env == name; });
}

const Setting* findByKey(std::string_view table, std::string_view key) {
  return find([&](const Setting& s) { return s.table == table && s.key == key; });
}

Result<bool> parseBool(std::string_view text) {
  if (text == "true" || text == "1" || text == "yes") {
    return true;
  }
  if (text == "false" || text == "0" || text == "no") {
    return false;
  }
  return usageError(
      fmt::format("invalid boolean {} (expected true, false, 1, 0, yes or no)", quoted(text)));
}

Options merge(const std::vector<const OptionsLayer*>& layers) {
  Options options;
  for (const OptionsLayer* layer : layers) {
    for (const Setting& s : kSettings) {
      s.merge(options, *layer);
    }
  }
  std::sort(options.remapExit.begin(), options.remapExit.end());
  options.remapExit.erase(std::unique(options.remapExit.begin(), options.remapExit.end()),
                          options.remapExit.end());
  return options;
}

}  // namespace cginit
