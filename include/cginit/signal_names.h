// SPDX-License-Identifier: MIT
// Signal names ("TERM", "SIGTERM", "rtmin+3", "15") to numbers and back; pure.
#pragma once

#include <string>
#include <string_view>

#include "cginit/result.h"

namespace cginit {

/// Parses a signal given by name (with or without "SIG", any case), by number, or as
/// RTMIN+N / RTMAX-N. Returns 1..SIGRTMAX; anything else is an Error naming the text.
Result<int> parseSignal(std::string_view text);

/// "SIGTERM", "SIGRTMIN+3"; "SIG42" style for numbers without a name.
std::string signalName(int signo);

}  // namespace cginit
