// SPDX-License-Identifier: MIT
// The only place that configures spdlog: stderr sink, "[cginit] [level] message" lines, level.
#include "cginit/log.h"

#include <array>
#include <memory>

#include <spdlog/formatter.h>
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

void append(spdlog::memory_buf_t& dest, std::string_view text) {
  dest.append(text.data(), text.data() + text.size());
}

/// Writes what the pattern "[cginit] [%l] %v" wrote, byte for byte, without compiling a pattern
/// or reading the clock and the time zone as spdlog's pattern_formatter does.
class LineFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    append(dest, "[cginit] [");
    const spdlog::string_view_t level = spdlog::level::to_string_view(msg.level);
    append(dest, std::string_view(level.data(), level.size()));
    append(dest, "] ");
    append(dest, std::string_view(msg.payload.data(), msg.payload.size()));
    dest.push_back('\n');
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<LineFormatter>();
  }
};

}  // namespace

void initLogging(Verbosity verbosity) {
  static bool configured = false;
  if (!configured) {
    // One single-threaded stderr sink, no colour; stderr is unbuffered so every line is flushed.
    auto sink = std::make_shared<spdlog::sinks::stderr_sink_st>();
    sink->set_formatter(std::make_unique<LineFormatter>());
    // The registry has built its default logger (stdout, colour) by now: give it this sink
    // instead of building and registering another logger.
    spdlog::default_logger_raw()->sinks().assign(1, std::move(sink));
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
