// SPDX-License-Identifier: MIT
// Durations such as "500ms", "5s", "1m", "1h" (a bare number is seconds); pure.
#include "cginit/duration.h"

#include <cctype>
#include <cstdint>

#include "cginit/text.h"

namespace cginit {
namespace {

constexpr int64_t kMaxMs = 24LL * 3600 * 1000;

Error invalid(std::string_view text) {
  return usageError("invalid duration " + quoted(text) +
                    " (expected e.g. 500ms, 5s, 1m; at most 24h)");
}

}  // namespace

Result<std::chrono::milliseconds> parseDuration(std::string_view text) {
  size_t i = 0;
  int64_t whole = 0;
  int64_t frac = 0;       // fractional digits as an integer
  int64_t fracScale = 1;  // 10^(number of fractional digits)
  bool digits = false;
  for (; i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])); ++i) {
    whole = whole * 10 + (text[i] - '0');
    digits = true;
    if (whole > kMaxMs) {
      return invalid(text);
    }
  }
  if (i < text.size() && text[i] == '.') {
    ++i;
    for (; i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])); ++i) {
      if (fracScale < 1000000) {
        frac = frac * 10 + (text[i] - '0');
        fracScale *= 10;
      }
      digits = true;
    }
  }
  if (!digits) {
    return invalid(text);
  }
  const std::string_view unit = text.substr(i);
  int64_t scale = 0;
  if (unit == "ms") {
    scale = 1;
  } else if (unit == "s" || unit.empty()) {
    scale = 1000;
  } else if (unit == "m") {
    scale = 60 * 1000;
  } else if (unit == "h") {
    scale = 3600 * 1000;
  } else {
    return invalid(text);
  }
  if (whole > kMaxMs / scale) {
    return invalid(text);
  }
  const int64_t ms = whole * scale + frac * scale / fracScale;
  if (ms > kMaxMs) {
    return invalid(text);
  }
  return std::chrono::milliseconds(ms);
}

std::string formatDuration(std::chrono::milliseconds duration) {
  const int64_t ms = duration.count();
  if (ms != 0 && ms % (3600 * 1000) == 0) {
    return std::to_string(ms / (3600 * 1000)) + "h";
  }
  if (ms != 0 && ms % (60 * 1000) == 0) {
    return std::to_string(ms / (60 * 1000)) + "m";
  }
  if (ms % 1000 == 0) {
    return std::to_string(ms / 1000) + "s";
  }
  return std::to_string(ms) + "ms";
}

}  // namespace cginit
