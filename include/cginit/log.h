// SPDX-License-Identifier: MIT
// The only place that configures spdlog: stderr sink, "[cginit] [level] message" lines, level.
#pragma once

#include <optional>
#include <string_view>

namespace cginit {

/// Log levels, lowest verbosity first. The default is Warn; each -v raises it by one.
enum class Verbosity { Error, Warn, Info, Debug, Trace };

/// Sets up the single stderr logger. Safe to call more than once (the level is replaced).
void initLogging(Verbosity verbosity);

/// "error".."trace" to a Verbosity; pure.
std::optional<Verbosity> parseVerbosity(std::string_view name);
/// A number of -v flags (or TINI_VERBOSITY-style integer) to a Verbosity: 0 warn, 1 info, ...
Verbosity verbosityFromCount(int count);
std::string_view verbosityName(Verbosity verbosity);

}  // namespace cginit
