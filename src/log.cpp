// SPDX-License-Identifier: MIT
// The only place that configures spdlog: stderr sink, "[cginit]" pattern, level.
#include "cginit/log.h"

#include <array>
#include <memory>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace cginit {
namespace {

constexpr std::array<std::string_view, 5> kNames = {"error", "warn", "info", "debug", "trace"};

spdlog::level::level_enum toSpdlog(Verbosity verbosity) {
  switch (verbosity) {
    case Verbosity::Error:
      return spdlog::level::err;
    case Verbosity::Warn:
      return spdlog::level::warn;
    case Verbosity::Info:
      return spdlog::level::info;
    case Verbosity::Debug:
      return spdlog::level::debug;
    case Verbosity::Trace:
      return spdlog::level::trace;
  }
  return spdlog::level::warn;
}

}  // namespace

void initLogging(Verbosity verbosity) {
  static bool configured = false;
  if (!configured) {
    // One single-threaded stderr sink, no colour; stderr is unbuffered so every line is flushed.
    auto sink = std::make_shared<spdlog::sinks::stderr_sink_st>();
    auto logger = std::make_shared<spdlog::logger>("cginit", std::move(sink));
    logger->set_pattern("[cginit] [%l] %v");
    spdlog::set_default_logger(std::move(logger));
    configured = true;
  }
  spdlog::set_level(toSpdlog(verbosity));
}

std::optional<Verbosity> parseVerbosity(std::string_view name) {
  for (size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i] == name) {
      return static_cast<Verbosity>(i);
    }
  }
  if (name == "warning") {
    return Verbosity::Warn;
  }
  return std::nullopt;
}

Verbosity verbosityFromCount(int count) {
  const int level = static_cast<int>(Verbosity::Warn) + (count < 0 ? 0 : count);
  return static_cast<Verbosity>(
      level > static_cast<int>(Verbosity::Trace) ? static_cast<int>(Verbosity::Trace) : level);
}

std::string_view verbosityName(Verbosity verbosity) {
  return kNames[static_cast<size_t>(verbosity)];
}

}  // namespace cginit
