// SPDX-License-Identifier: MIT
// Durations such as "500ms", "5s", "1m", "1h" (a bare number is seconds); pure.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "cginit/result.h"

namespace cginit {

/// Parses a non-negative duration: an integer or decimal number with an optional unit
/// ms, s, m or h (none means seconds, as in `docker stop -t`). At most 24 h.
Result<std::chrono::milliseconds> parseDuration(std::string_view text);

/// The shortest exact spelling that parseDuration() reads back: "5s", "1m", "1500ms".
std::string formatDuration(std::chrono::milliseconds duration);

}  // namespace cginit
